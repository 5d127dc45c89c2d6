package io.positionsync.ibkr;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The captured TWS wire frames in {@code ../shared/fixtures/tws-wire/} (relative to the project directory, which
 * is the working directory of the tests): written by other implementations than ours, so they test our client
 * and simulator independently. A missing folder fails the test with a message saying where it was looked for;
 * it is never skipped.
 */
public final class TwsWireFixtures {
    /** Where CI puts the shared fixtures: beside the clone. */
    public static final Path FOLDER = Path.of("..", "shared", "fixtures", "tws-wire");
    public static final String OFFICIAL_JAVA_CLIENT = "requests-official-java-client-10.32.jsonl";
    public static final String STOQEY_IB = "requests-stoqey-ib-1.6.10.jsonl";
    public static final String GATEWAY_V157 = "session-independent-gateway-v157.jsonl";
    public static final String GATEWAY_V178 = "session-independent-gateway-v178.jsonl";
    public static final String GATEWAY_STATE = "independent-gateway-state.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private TwsWireFixtures() {
    }

    /**
     * One captured line. {@code bytes} are the exact bytes ({@code hex}): the whole handshake, or a frame's
     * payload without its length prefix; {@code fields} are only for reading.
     */
    public record Line(String dir, String kind, byte[] bytes, List<String> fields) {
        public boolean fromClient() {
            return "client->gateway".equals(dir);
        }

        public boolean isHandshake() {
            return "handshake".equals(kind);
        }

        /** The frame as it travels: length prefix and payload. */
        public byte[] framed() {
            return FieldWriter.frame(bytes);
        }
    }

    /** The fixture folder; fails (never skips) when it is not there. */
    public static Path folder() {
        if (!Files.isDirectory(FOLDER)) {
            throw new AssertionError("TWS wire fixtures not found at " + FOLDER.toAbsolutePath().normalize()
                    + ": these tests need the shared fixtures folder (shared/fixtures/tws-wire) beside the project"
                    + " directory");
        }
        return FOLDER;
    }

    /** Every line of a {@code .jsonl} capture, in order. */
    public static List<Line> lines(String file) {
        Path path = folder().resolve(file);
        try {
            List<Line> lines = new ArrayList<>();
            for (String text : Files.readAllLines(path)) {
                if (text.isBlank()) {
                    continue;
                }
                JsonNode node = JSON.readTree(text);
                List<String> fields = new ArrayList<>();
                node.path("fields").forEach(f -> fields.add(f.asText()));
                lines.add(new Line(node.path("dir").asText(), node.path("kind").asText(),
                        HexFormat.of().parseHex(node.path("hex").asText()), fields));
            }
            if (lines.isEmpty()) {
                throw new AssertionError("fixture " + path + " is empty");
            }
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read fixture " + path, e);
        }
    }

    /** A JSON fixture. */
    public static JsonNode json(String file) {
        Path path = folder().resolve(file);
        try {
            return JSON.readTree(path.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read fixture " + path, e);
        }
    }
}

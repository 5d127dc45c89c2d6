package io.positionsync.ibkr;

import io.positionsync.ibkr.wire.FieldWriter;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The captured TWS wire frames in {@code src/test/resources/tws-wire/}, read from the test classpath: written by
 * other implementations than ours, so they test our client and simulator independently. The repository carries
 * them, so a clone passes these tests on its own. A missing fixture fails the test with a message naming the
 * resource; it is never skipped.
 */
public final class TwsWireFixtures {
    /** The classpath folder of the fixtures. */
    public static final String RESOURCE_FOLDER = "tws-wire/";
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

    /** The text of one fixture from the classpath; fails (never skips) when it is not there. */
    public static String text(String file) {
        String name = RESOURCE_FOLDER + file;
        try (InputStream in = TwsWireFixtures.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new AssertionError("TWS wire fixture " + name + " not found on the test classpath"
                        + " (src/test/resources/" + name + ")");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read fixture " + name, e);
        }
    }

    /** Every line of a {@code .jsonl} capture, in order. */
    public static List<Line> lines(String file) {
        String path = RESOURCE_FOLDER + file;
        try {
            List<Line> lines = new ArrayList<>();
            for (String text : text(file).split("\n")) {
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
        try {
            return JSON.readTree(text(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read fixture " + RESOURCE_FOLDER + file, e);
        }
    }
}

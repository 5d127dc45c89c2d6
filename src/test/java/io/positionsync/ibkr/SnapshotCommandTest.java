package io.positionsync.ibkr;

import io.positionsync.boot.SnapshotCommand;

import static io.positionsync.ibkr.IncomingMessageEncoder.Samples.position;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.positionsync.boot.ConfigurationValues;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SnapshotCommandTest {
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private FakeTwsPeer peer;

    @AfterEach
    void tearDown() throws IOException {
        if (peer != null) {
            peer.close();
        }
    }

    private static ConfigurationValues settings() {
        Properties p = new Properties();
        p.setProperty("psync.ibkr.connect-timeout-ms", "5000");
        p.setProperty("psync.ibkr.request-timeout-ms", "5000");
        p.setProperty("psync.ibkr.backoff-initial-ms", "1000");
        p.setProperty("psync.ibkr.backoff-max-ms", "60000");
        return ConfigurationValues.of(p, Map.of());
    }

    private int run(String... args) {
        return SnapshotCommand.run(args, new PrintStream(stdout, true, StandardCharsets.UTF_8),
                new PrintStream(stderr, true, StandardCharsets.UTF_8), settings());
    }

    private String err() {
        return stderr.toString(StandardCharsets.UTF_8);
    }

    private void assertOneErrorLine(String containing) {
        assertThat(err().lines()).singleElement().satisfies(line -> {
            assertThat(line).startsWith("error: ");
            assertThat(line).contains(containing);
        });
    }

    @Test
    void completeSnapshotPrintsJsonAndExitsZero() throws Exception {
        peer = new FakeTwsPeer(178, new TwsBrokerGatewayTest.Book());

        int code = run("--host", "127.0.0.1", "--port", Integer.toString(peer.port()), "--client-id", "17");

        assertThat(code).as(err()).isZero();
        assertThat(err()).isEmpty();
        JsonNode json = new ObjectMapper().readTree(stdout.toString(StandardCharsets.UTF_8));
        assertThat(json.get("complete").asBoolean()).isTrue();
        assertThat(json.get("serverVersion").asInt()).isEqualTo(178);
        assertThat(json.get("positions").get(1).get("position").asText()).isEqualTo("-30");
        assertThat(json.has("incompleteReason")).isFalse();
    }

    @Test
    void incompleteSnapshotPrintsItsJsonButFails() throws Exception {
        TwsBrokerGatewayTest.Book book = new TwsBrokerGatewayTest.Book();
        book.overrides.put("61", (fields, session) -> session.send(position("DU111", 265598, "AAPL", "100", "150.01")));
        peer = new FakeTwsPeer(178, book);

        int code = run("--host", "127.0.0.1", "--port", Integer.toString(peer.port()), "--client-id", "17",
                "--timeout-seconds", "1");

        assertThat(code).isEqualTo(1);
        assertOneErrorLine("snapshot incomplete: positionEnd not received within 1000 ms");
        JsonNode json = new ObjectMapper().readTree(stdout.toString(StandardCharsets.UTF_8));
        assertThat(json.get("complete").asBoolean()).isFalse();
        assertThat(json.get("incompleteReason").asText()).isEqualTo("positionEnd not received within 1000 ms");
    }

    @Test
    void refusedConnectionFailsWithOneLine() throws Exception {
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = probe.getLocalPort();
        }

        int code = run("--host", "127.0.0.1", "--port", Integer.toString(closedPort), "--client-id", "17");

        assertThat(code).isEqualTo(1);
        assertOneErrorLine("could not connect to the gateway at 127.0.0.1:" + closedPort);
        assertThat(stdout.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void clientIdInUseFailsWithOneLine() throws Exception {
        peer = new FakeTwsPeer(178, (fields, session) -> {
            session.send(new IncomingMessage.ErrorMessage(-1, 326, "client id is already in use", ""));
            session.drop();
        });

        int code = run("--host", "127.0.0.1", "--port", Integer.toString(peer.port()), "--client-id", "23");

        assertThat(code).isEqualTo(1);
        assertOneErrorLine("clientId 23 is already in use");
    }

    @Test
    void badArgumentsExitTwo() {
        assertThat(run()).isEqualTo(2);
        assertOneErrorLine("--host is required");

        stderr.reset();
        assertThat(run("--host", "h", "--port", "x", "--client-id", "1")).isEqualTo(2);
        assertOneErrorLine("--port must be an integer");

        stderr.reset();
        assertThat(run("--host", "h", "--port", "4002", "--client-id", "1", "--verbose")).isEqualTo(2);
        assertOneErrorLine("unknown argument '--verbose'");

        stderr.reset();
        assertThat(run("--host", "h", "--port", "4002", "--client-id")).isEqualTo(2);
        assertOneErrorLine("--client-id needs a value");

        stderr.reset();
        assertThat(run("--host", "h", "--port", "70000", "--client-id", "1")).isEqualTo(2);
        assertOneErrorLine("--port must be in 1..65535");
        assertThat(stdout.toString(StandardCharsets.UTF_8)).isEmpty();
    }
}

package io.positionsync.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.ServiceUnderTest;

/**
 * Hostile hosts and floods against the running service: a {@code Host} the server does not serve (a DNS name
 * rebound to loopback) gets 421 and no data; 1 000 idle connections from one client address leave another client's
 * liveness probe answered at once and the flooding address's own probe answered once a probe place is free; the
 * refused connections are counted and logged in one line, not one per connection.
 */
@PositionSyncService(awaitFirstRun = true, properties = {
        "psync.http.max-connections=" + HostileHostsAndFloodTest.MAX_CONNECTIONS,
        "psync.http.max-connections-per-client=" + HostileHostsAndFloodTest.PER_CLIENT,
        "psync.http.probe-reserve=" + HostileHostsAndFloodTest.RESERVE,
        "psync.http.allowed-hosts=psync.internal, Dash.Example.org" })
class HostileHostsAndFloodTest {
    static final int MAX_CONNECTIONS = 200;
    static final int PER_CLIENT = 50;
    static final int RESERVE = 8;
    private static final int FLOOD = 1000;

    static GatewaySimulator sim;
    static ServiceUnderTest service;

    private static Socket connect(String from) throws IOException {
        Socket socket = new Socket();
        socket.bind(new InetSocketAddress(from, 0));
        socket.connect(new InetSocketAddress("127.0.0.1", service.port()), 5000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    /** One request with this Host header from this local address; the whole answer ("" when closed at once). */
    private static String request(String from, String host, String path) throws IOException {
        try (Socket socket = connect(from)) {
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.net.SocketException e) {
            return ""; // closed at once (reset)
        }
    }

    private static int status(String answer) {
        return answer.startsWith("HTTP/1.1 ") ? Integer.parseInt(answer.substring(9, 12)) : -1;
    }

    @Test
    void aHostTheServerDoesNotServeGets421AndNoData() throws Exception {
        int port = service.port();
        for (String path : List.of("/api/positions", "/api/sync/status", "/api/pnl/daily", "/observe/health/live", "/")) {
            String answer = request("127.0.0.1", "rebind.attacker.example:" + port, path);
            assertThat(status(answer)).as(path).isEqualTo(421);
            assertThat(answer).as(path).contains("this server does not answer for host rebind.attacker.example")
                    .doesNotContain("\"positions\"").doesNotContain("lastRun");
        }
        assertThat(status(request("127.0.0.1", "evil.example", "/api/positions"))).isEqualTo(421);
        // What it serves: loopback names and literals, the configured host, the allowed names (any case, any port).
        for (String host : List.of("localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port, "127.0.0.1",
                "psync.internal:" + port, "dash.example.org", "LOCALHOST:" + port, "10.1.2.3:" + port)) {
            assertThat(status(request("127.0.0.1", host, "/api/sync/status"))).as(host).isEqualTo(200);
        }
    }

    @Test
    void aFloodFromOneClientLeavesLivenessAnsweredAndIsLoggedOnce() throws Exception {
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
                HttpConnectionLimits.class);
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.start();
        logger.addAppender(events);
        HttpConnectionLimits limits = service.context().getRegistry().lookupByNameAndType("httpConnectionLimits",
                HttpConnectionLimits.class);
        long refusedBefore = limits.refusedConnections();
        int openBefore = limits.openConnections(); // the test client's own kept-alive connections
        List<Socket> flood = new ArrayList<>();
        try {
            for (int i = 0; i < FLOOD; i++) {
                flood.add(connect("127.0.0.1"));
            }
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> limits.refusedConnections() - refusedBefore >= FLOOD - PER_CLIENT - RESERVE);

            // Another client: answered at once.
            long started = System.nanoTime();
            String other = request("127.0.0.2", "localhost", "/observe/health/live");
            long otherMillis = (System.nanoTime() - started) / 1_000_000;
            assertThat(status(other)).isEqualTo(200);
            assertThat(status(request("127.0.0.2", "localhost", "/api/sync/status"))).isEqualTo(200);

            // The flooding address itself: its probe gets a probe place once an idle one is closed (2 s).
            long ownStarted = System.nanoTime();
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                    .until(() -> status(request("127.0.0.1", "localhost", "/observe/health/live")) == 200);
            long ownMillis = (System.nanoTime() - ownStarted) / 1_000_000;
            // ... but nothing else on such a place.
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                    .until(() -> status(request("127.0.0.1", "localhost", "/api/positions")) == 503);

            List<String> warnings = events.list.stream().filter(e -> e.getLevel() == Level.WARN)
                    .map(ILoggingEvent::getFormattedMessage).toList();
            assertThat(warnings).as("refusals summed up, not one line each").hasSizeBetween(1, 2);
            assertThat(warnings.get(0)).contains("HTTP connection(s) refused").contains("from 127.0.0.1");
            System.out.printf("connection flood: %d connections from one address, %d refused, %d WARN line(s); "
                    + "another client's liveness in %d ms, the flooding address's own in %d ms%n", FLOOD,
                    limits.refusedConnections() - refusedBefore, warnings.size(), otherMillis, ownMillis);
        } finally {
            logger.detachAppender(events);
            for (Socket socket : flood) {
                socket.close();
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> limits.openConnections() <= openBefore);
    }
}

package io.positionsync.api;

import io.positionsync.boot.GroupSummary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.positionsync.boot.GroupSummary;
import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.ServiceUnderTest;

/**
 * The HTTP server bounds its connections (idle ones closed, a cap on open ones) and answers every request
 * the same careful way: security headers on {@code /observe/*} too, HEAD wherever GET is allowed, the JSON
 * 413 for a chunked body over the limit.
 */
@PositionSyncService(properties = { "psync.http.idle-timeout-ms=1000",
        "psync.http.max-connections=" + HttpHardeningTest.MAX_CONNECTIONS })
class HttpHardeningTest {
    @RegisterExtension
    static final GroupSummary SUMMARY = new GroupSummary("http hardening");
    static final int MAX_CONNECTIONS = 20;

    static GatewaySimulator sim;
    static ServiceUnderTest service;

    private static Socket connect() throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), service.port());
        socket.setSoTimeout(10_000);
        return socket;
    }

    /** Raw request; returns the whole answer (the server closes or the read times out). */
    private static String raw(String head, byte[] body) throws IOException {
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            if (body != null) {
                try {
                    out.write(body);
                } catch (IOException e) {
                    // the server may refuse before reading it all
                }
            }
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            int n = in.read(buffer);
            return n < 0 ? "" : new String(buffer, 0, n, StandardCharsets.UTF_8);
        }
    }

    @Test
    void idleConnectionsAreClosedAndTheCapKeepsTheServerAnswering() throws Exception {
        SUMMARY.begin(MAX_CONNECTIONS + 1);
        List<Socket> idle = new ArrayList<>();
        try {
            for (int i = 0; i < MAX_CONNECTIONS; i++) {
                idle.add(connect());
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> limits().openConnections() >= MAX_CONNECTIONS);
            try (Socket overCap = connect()) {
                assertThat(overCap.getInputStream().read()).as("a connection over the cap is closed at once").isEqualTo(-1);
            }
            for (Socket socket : idle) {
                assertThat(socket.getInputStream().read()).as("an idle connection is closed by the server").isEqualTo(-1);
            }
        } finally {
            for (Socket socket : idle) {
                socket.close();
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> limits().openConnections() == 0);
        assertThat(service.get("observe/health/live").statusCode()).isEqualTo(200);
        SUMMARY.held();
    }

    private static HttpConnectionLimits limits() {
        return service.context().getRegistry().lookupByNameAndType("httpConnectionLimits", HttpConnectionLimits.class);
    }

    @Test
    void observeAnswersCarryTheSecurityHeaders() {
        SUMMARY.begin(0);
        for (String path : List.of("observe/health", "observe/health/ready", "observe/metrics")) {
            HttpResponse<String> response = service.get(path);
            assertThat(response.headers().firstValue("X-Content-Type-Options")).as(path).contains("nosniff");
            assertThat(response.headers().firstValue("X-Frame-Options")).as(path).contains("DENY");
            assertThat(response.headers().firstValue("Referrer-Policy")).as(path).contains("no-referrer");
            assertThat(response.headers().firstValue("Cache-Control")).as(path).contains("no-store");
        }
        SUMMARY.held();
    }

    @Test
    void headIsAnsweredWhereverGetIs() {
        SUMMARY.begin(0);
        for (String path : List.of("api/sync/status", "api/positions", "observe/health/live", "")) {
            HttpResponse<String> get = service.get(path);
            HttpResponse<String> head = service.request("HEAD", path, null);
            assertThat(head.statusCode()).as("HEAD /" + path).isEqualTo(200);
            assertThat(head.body()).isEmpty();
            assertThat(head.headers().firstValue("Content-Type")).isEqualTo(get.headers().firstValue("Content-Type"));
        }
        HttpResponse<String> headOfPostOnly = service.request("HEAD", "api/sync/positions", null);
        assertThat(headOfPostOnly.statusCode()).isEqualTo(405);
        assertThat(service.request("HEAD", "no/such/path", null).statusCode()).isEqualTo(404);
        SUMMARY.held();
    }

    @Test
    void aChunkedBodyOverTheLimitGetsTheJson413() throws Exception {
        SUMMARY.begin(2);
        byte[] chunk = "x".repeat(20_000).getBytes(StandardCharsets.US_ASCII);
        byte[] body = (Integer.toHexString(chunk.length) + "\r\n" + new String(chunk, StandardCharsets.US_ASCII)
                + "\r\n0\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        for (String request : List.of("GET /api/sync/status", "POST /api/sync/positions")) {
            String answer = raw(request + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + ServiceUnderTest.TOKEN
                    + "\r\nTransfer-Encoding: chunked\r\n\r\n", body);
            assertThat(answer).as(request).startsWith("HTTP/1.1 413");
            assertThat(answer).contains("application/json").contains("nosniff")
                    .endsWith("{\"error\":\"request body larger than 16384 bytes\",\"status\":413}");
        }
        String small = raw("GET /api/sync/status HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n",
                "5\r\nhello\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(small).as("a small chunked body passes").startsWith("HTTP/1.1 200");
        SUMMARY.held();
    }
}

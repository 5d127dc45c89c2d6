package io.positionsync.api;

import static io.positionsync.testing.SyncBook.AAPL;
import static io.positionsync.testing.SyncBook.ACCOUNT;
import static io.positionsync.testing.SyncBook.dec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import com.fasterxml.jackson.databind.JsonNode;

import io.positionsync.ibkr.sim.Side;
import io.positionsync.store.RunListener;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.PositionSyncService.Gateway;
import io.positionsync.testing.ServiceUnderTest;

/**
 * {@code GET /api/events} on the whole service: a committed run reaches an open stream as one {@code run} event
 * carrying the NOTIFY payload, heartbeats keep it busy, {@code Last-Event-ID} replays what this instance still holds,
 * the LISTEN session comes back after it was killed, too many streams get 503, a client that does not read is
 * dropped while the others go on, and stopping the service ends open streams cleanly. The channel is this class's
 * own (channels are per database, shared by every schema of the test PostgreSQL).
 */
@PositionSyncService(gateway = Gateway.BOOK, awaitFirstRun = true, properties = {
        "psync.notify.channel=" + RunEventsTest.CHANNEL, "psync.api.events-heartbeat-ms=300",
        "psync.api.events-max-streams=3" })
class RunEventsTest {
    static final String CHANNEL = "psync_run_events_test";
    private static final Duration WAIT = Duration.ofSeconds(20);

    static ServiceUnderTest service;

    @BeforeEach
    void noStreamLeftOpen() {
        await().atMost(WAIT).until(() -> events().openStreams() == 0);
    }

    private static RunEvents events() {
        return service.bean("runEvents", RunEvents.class);
    }

    private static EventStreamClient open(String... headers) throws Exception {
        return EventStreamClient.open(service.baseUrl() + "api/events", headers);
    }

    @Test
    void aCommittedRunArrivesAsOneRunEventWithTheSamePayloadAsItsNotify() throws Exception {
        long sentBefore = events().eventsSent();
        try (Connection listener = DriverManager.getConnection(service.db.jdbcUrl(), service.db.user(), service.db.password());
                EventStreamClient stream = open()) {
            try (Statement statement = listener.createStatement()) {
                statement.execute("LISTEN " + CHANNEL);
            }
            assertThat(stream.status()).isEqualTo(200);
            assertThat(stream.header("Content-Type")).isEqualTo("text/event-stream; charset=utf-8");
            assertThat(stream.header("Cache-Control")).isEqualTo("no-store");
            assertThat(stream.header("X-Content-Type-Options")).isEqualTo("nosniff");
            service.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("100"), dec("150.00"), dec("1.00"));

            JsonNode run = ServiceUnderTest.json(service.sync(null));
            long runId = run.get("runId").asLong();
            assertThat(run.get("status").asText()).isEqualTo("SUCCEEDED");

            EventStreamClient.Event event = stream.await(e -> String.valueOf(runId).equals(e.id()), WAIT);
            assertThat(event.event()).isEqualTo("run");
            String notified = notification(listener, runId);
            assertThat(event.data()).as("the NOTIFY payload as it is").isEqualTo(notified);
            JsonNode data = ServiceUnderTest.json(event.data());
            assertThat(data.get("runId").asLong()).isEqualTo(runId);
            assertThat(data.get("trigger").asText()).isEqualTo("MANUAL");
            assertThat(data.at("/changes/0/conId").asLong()).isEqualTo(AAPL);

            assertThat(events().eventsSent()).isGreaterThan(sentBefore);
            String scrape = service.get("observe/metrics").body();
            assertThat(scrape).contains("psync_events_streams_open 1.0", "psync_events_listen_up 1.0");
            assertThat(scrape).containsPattern("(?m)^psync_events_sent_total [1-9]");
        }
    }

    @Test
    void aCommentGoesOutEveryHeartbeatSoProxiesKeepTheStreamOpen() throws Exception {
        try (EventStreamClient stream = open()) {
            assertThat(stream.status()).isEqualTo(200);
            stream.awaitComment("committed runs of position-sync", WAIT);
            stream.awaitComment("keep-alive", WAIT);
        }
    }

    @Test
    void headAnswersTheStreamsHeadAndOtherMethodsAre405() throws Exception {
        var head = service.request("HEAD", "api/events", null);
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValue("Content-Type")).contains("text/event-stream; charset=utf-8");
        var post = service.post("api/events");
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).contains("GET, HEAD");
        assertThat(ServiceUnderTest.json(post).get("status").asInt()).isEqualTo(405);
        assertThat(events().openStreams()).isZero();
    }

    @Test
    void lastEventIdReplaysTheRunsHeardSinceOrAsksForAResync() throws Exception {
        long first;
        long second;
        try (EventStreamClient stream = open()) {
            first = ServiceUnderTest.json(service.sync(null)).get("runId").asLong();
            stream.await(e -> String.valueOf(first).equals(e.id()), WAIT);
            second = ServiceUnderTest.json(service.sync(null)).get("runId").asLong();
            stream.await(e -> String.valueOf(second).equals(e.id()), WAIT);
        }
        // A client that saw the first one reconnects: the second comes at once, without a new run.
        try (EventStreamClient again = open("Last-Event-ID", String.valueOf(first))) {
            EventStreamClient.Event replayed = again.next(WAIT);
            assertThat(replayed).isNotNull();
            assertThat(replayed.id()).isEqualTo(String.valueOf(second));
            assertThat(replayed.event()).isEqualTo("run");
        }
        // One older than anything kept: some runs may be missing, so the client is told to re-read.
        try (EventStreamClient old = open("Last-Event-ID", "0")) {
            EventStreamClient.Event resync = old.next(WAIT);
            assertThat(resync).isNotNull();
            assertThat(resync.event()).isEqualTo("resync");
            assertThat(resync.id()).isNull();
            assertThat(ServiceUnderTest.json(resync.data()).get("reason").asText()).contains("re-read");
        }
    }

    @Test
    void beyondTheStreamLimitTheAnswerIs503AndAPlaceFreedIsTakenAgain() throws Exception {
        try (EventStreamClient one = open(); EventStreamClient two = open(); EventStreamClient three = open()) {
            assertThat(one.status()).isEqualTo(200);
            assertThat(two.status()).isEqualTo(200);
            assertThat(three.status()).isEqualTo(200);
            try (EventStreamClient fourth = open()) {
                assertThat(fourth.status()).isEqualTo(503);
                assertThat(fourth.header("Content-Type")).isEqualTo(HttpResponses.JSON);
                JsonNode error = ServiceUnderTest.json(fourth.body(WAIT));
                assertThat(error.get("status").asInt()).isEqualTo(503);
                assertThat(error.get("error").asText()).contains("too many event streams open (3")
                        .contains("PSYNC_API_EVENTS_MAX_STREAMS");
            }
            assertThat(service.get("observe/metrics").body()).contains("psync_events_streams_open 3.0");
            three.close();
            await().atMost(WAIT).until(() -> events().openStreams() == 2);
            try (EventStreamClient again = open()) {
                assertThat(again.status()).isEqualTo(200);
            }
        }
    }

    @Test
    void aLostListenSessionIsOpenedAgainAndOpenStreamsAreToldToReRead() throws Exception {
        RunListener listener = service.bean("runListener", RunListener.class);
        await().atMost(WAIT).until(listener::listening);
        long reconnects = listener.reconnects();
        int pid = listener.backendPid();
        try (EventStreamClient stream = open()) {
            assertThat(stream.status()).isEqualTo(200);
            // The database drops the session (as a restart or an administrator would).
            try (Connection admin = service.db.connection();
                    PreparedStatement kill = admin.prepareStatement("SELECT pg_terminate_backend(?)")) {
                kill.setInt(1, pid);
                kill.execute();
            }
            EventStreamClient.Event resync = stream.await(e -> "resync".equals(e.event()), WAIT);
            assertThat(ServiceUnderTest.json(resync.data()).get("reason").asText()).contains("LISTEN session was lost");
            assertThat(listener.reconnects()).isEqualTo(reconnects + 1);
            assertThat(listener.backendPid()).isNotEqualTo(pid);
            assertThat(service.get("observe/metrics").body())
                    .contains("psync_events_listen_reconnects_total " + (reconnects + 1) + ".0");

            long runId = ServiceUnderTest.json(service.sync(null)).get("runId").asLong();
            assertThat(stream.await(e -> String.valueOf(runId).equals(e.id()), WAIT).event()).isEqualTo("run");
        }
    }

    @Test
    void theStatusSaysSinceWhenTheGatewayIsLive() {
        assertThat(service.getJson("api/sync/status").get("live").get("since").isNull())
                .as("the gateway client on main is not live").isTrue();
        Instant since = Instant.parse("2026-12-05T21:50:01.123456Z");
        SyncApi api = service.bean("syncApi", SyncApi.class);
        api.liveSince(() -> Optional.of(since));
        try {
            assertThat(service.getJson("api/sync/status").at("/live/since").asText()).isEqualTo(since.toString());
        } finally {
            api.liveSince(Optional::empty);
        }
    }

    /**
     * A client that never reads: its events pile up until its queue is full, then its stream is closed, while a
     * client that reads gets every event, up to the last one, without waiting for it.
     */
    @Test
    @PositionSyncService(gateway = Gateway.BOOK, properties = {"psync.notify.channel=" + CHANNEL + "_slow",
            "psync.api.events-max-queued=200" })
    void aClientThatDoesNotReadIsDroppedWhileTheOthersGetEverything() throws Exception {
        await().atMost(WAIT).until(() -> service.bean("runListener", RunListener.class).listening());
        try (Socket stuck = new Socket(); EventStreamClient reader = open()) {
            stuck.setReceiveBufferSize(4096);
            stuck.connect(new InetSocketAddress("127.0.0.1", service.port()), 5000);
            OutputStream out = stuck.getOutputStream();
            out.write(("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            await().atMost(WAIT).until(() -> events().openStreams() == 2);

            // 60 commits of 50 notifications of about 7 kB (some 21 MB): far more than the socket buffers and the queue
            // of a client that reads nothing. The next commit goes once the reader has had the last one.
            int[] received = {0};
            try (Connection connection = service.db.connection();
                    PreparedStatement flood = connection.prepareStatement("SELECT count(pg_notify(?, json_build_object("
                            + "'runId', -g, 'pad', repeat('x', 7000))::text)) FROM generate_series(?, ?) g")) {
                for (int batch = 0; batch < 60; batch++) {
                    int from = batch * 50 + 1;
                    int to = from + 49;
                    flood.setString(1, CHANNEL + "_slow");
                    flood.setInt(2, from);
                    flood.setInt(3, to);
                    flood.execute();
                    reader.await(e -> {
                        received[0]++;
                        return String.valueOf(-to).equals(e.id());
                    }, WAIT);
                }
                try (PreparedStatement marker = connection.prepareStatement("SELECT pg_notify(?, ?)")) {
                    marker.setString(1, CHANNEL + "_slow");
                    marker.setString(2, "{\"runId\":-999999,\"marker\":true}");
                    marker.execute();
                }
            }
            EventStreamClient.Event last = reader.await(e -> {
                received[0]++;
                return "-999999".equals(e.id());
            }, WAIT);
            assertThat(ServiceUnderTest.json(last.data()).get("marker").asBoolean()).isTrue();
            assertThat(received[0]).as("every event, in order, up to the marker").isEqualTo(3001);
            assertThat(events().droppedStreams()).isEqualTo(1);
            assertThat(events().openStreams()).isEqualTo(1);
            assertThat(service.get("observe/metrics").body()).contains("psync_events_streams_dropped_total 1.0");

            // The stuck client finds its connection closed once it reads what its buffers held.
            assertThat(readsToTheEnd(stuck, Duration.ofSeconds(30))).isTrue();
        }
    }

    @Test
    @PositionSyncService(gateway = Gateway.BOOK, properties = "psync.notify.channel=")
    void withTheChannelOffTheStreamAnswers503AndSaysWhy() throws Exception {
        try (EventStreamClient stream = open()) {
            assertThat(stream.status()).isEqualTo(503);
            JsonNode error = ServiceUnderTest.json(stream.body(WAIT));
            assertThat(error.get("error").asText()).contains("live events are off").contains("PSYNC_NOTIFY_CHANNEL");
        }
        assertThat(service.bean("runListener", RunListener.class)).isNull();
    }

    @Test
    @PositionSyncService(gateway = Gateway.BOOK, properties = "psync.notify.channel=" + CHANNEL + "_stop")
    void stoppingTheServiceEndsAnOpenStreamCleanlyAndDoesNotWaitForIt() throws Exception {
        EventStreamClient stream = open();
        try {
            assertThat(stream.status()).isEqualTo(200);
            await().atMost(WAIT).until(() -> events().openStreams() == 1);
            CompletableFuture<Void> stop = CompletableFuture.runAsync(service::stop);
            stop.get(20, TimeUnit.SECONDS);
            // the last chunk came: the stream ended, it was not cut
            stream.ended.get(10, TimeUnit.SECONDS);
        } finally {
            stream.close();
        }
    }

    /** The next notification of {@code runId} on the test's own LISTEN session. */
    private static String notification(Connection listener, long runId) throws Exception {
        PGConnection pg = listener.unwrap(PGConnection.class);
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            PGNotification[] notes = pg.getNotifications(500);
            if (notes != null) {
                for (PGNotification note : notes) {
                    if (ServiceUnderTest.json(note.getParameter()).get("runId").asLong() == runId) {
                        return note.getParameter();
                    }
                }
            }
        }
        throw new AssertionError("no notification of run " + runId);
    }

    /** Reads (and drops) what the socket holds until the server closed it: true at the end, false at the deadline. */
    private static boolean readsToTheEnd(Socket socket, Duration atMost) throws IOException {
        socket.setSoTimeout(1000);
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[65536];
        long deadline = System.nanoTime() + atMost.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (in.read(buffer) < 0) {
                    return true;
                }
            } catch (SocketTimeoutException e) {
                // nothing yet
            } catch (IOException e) {
                return true; // reset: closed as well
            }
        }
        return false;
    }
}

package io.positionsync.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Forwarded manual triggers in {@code sync_requests} on real PostgreSQL: a request is taken by one instance only, a
 * withdrawn one by none, a taken one cannot be withdrawn; its changes are announced on the requests channel when they
 * commit; the channel's name follows the runs' channel and fits PostgreSQL's identifiers.
 */
class SyncRequestsTest {
    private static final Instant NOW = Instant.parse("2026-12-06T02:00:00Z");
    private static TestDatabase db;

    @BeforeAll
    static void start() {
        db = TestDatabase.create();
    }

    @AfterAll
    static void stop() {
        db.close();
    }

    @Test
    void theRequestsChannelIsTheRunsChannelWithASuffixCutToFit() {
        assertThat(SyncRequests.channelFor("position_sync")).isEqualTo("position_sync_requests");
        assertThat(SyncRequests.channelFor("")).isNull();
        assertThat(SyncRequests.channelFor(null)).isNull();
        String longest = "c".repeat(63);
        assertThat(SyncRequests.channelFor(longest)).isEqualTo("c".repeat(54) + "_requests").hasSize(63);
        assertThatThrownBy(() -> SyncRequests.channelFor("Not-Plain")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aRequestIsTakenOnceAndAnsweredAndEveryStepIsAnnounced() throws Exception {
        SyncRequests requests = new SyncRequests(db.dataSource(), "psync_test_requests");
        try (Connection listener = db.connection()) {
            try (Statement statement = listener.createStatement()) {
                statement.execute("LISTEN psync_test_requests");
            }
            long id = requests.request("east", List.of("DU1", "DU2"), "key-1", "node-b", NOW);

            assertThat(heard(listener)).containsExactly("requested " + id + " east");
            assertThat(requests.waiting(List.of("west"), 10)).isEmpty();
            List<SyncRequests.Request> waiting = requests.waiting(List.of("east", "west"), 10);
            assertThat(waiting).extracting(SyncRequests.Request::id).contains(id);
            SyncRequests.Request row = waiting.stream().filter(r -> r.id() == id).findFirst().orElseThrow();
            assertThat(row.accounts()).containsExactly("DU1", "DU2");
            assertThat(row.idempotencyKey()).isEqualTo("key-1");
            assertThat(row.requestedBy()).isEqualTo("node-b");
            assertThat(row.taken()).isFalse();

            Optional<SyncRequests.Request> taken = requests.take(id, "node-a", NOW.plusMillis(5));
            Optional<SyncRequests.Request> again = requests.take(id, "node-c", NOW.plusMillis(6));

            assertThat(taken).isPresent();
            assertThat(taken.get().takenBy()).isEqualTo("node-a");
            assertThat(again).as("a request is taken once").isEmpty();
            assertThat(requests.withdraw(id, "node-b", NOW.plusMillis(7), "withdrawn")).isFalse();
            assertThat(requests.waiting(List.of("east"), 10)).extracting(SyncRequests.Request::id).doesNotContain(id);

            requests.answer(id, 42L, null);
            requests.announceEnded(id);
            assertThat(heard(listener)).containsExactly("answered " + id, "ended " + id);
            SyncRequests.Request answered = requests.find(List.of(id)).get(0);
            assertThat(answered.runId()).isEqualTo(42L);
            assertThat(answered.answered()).isTrue();
            assertThat(answered.takenAt()).isEqualTo(NOW.plusMillis(5).truncatedTo(ChronoUnit.MICROS));
        }
    }

    @Test
    void aWithdrawnRequestIsNeverTaken() throws Exception {
        SyncRequests requests = new SyncRequests(db.dataSource(), null);
        long id = requests.request("east", List.of(), null, "node-b", NOW);

        assertThat(requests.withdraw(id, "node-b", NOW.plusSeconds(1), "withdrawn: nobody took it")).isTrue();

        assertThat(requests.take(id, "node-a", NOW.plusSeconds(2))).isEmpty();
        SyncRequests.Request row = requests.find(List.of(id)).get(0);
        assertThat(row.takenBy()).isEqualTo("node-b");
        assertThat(row.error()).isEqualTo("withdrawn: nobody took it");
        assertThat(row.accounts()).isEmpty();
        assertThat(row.runId()).isNull();
    }

    /** What the session heard, waiting up to 5 s for the first notification. */
    private static List<String> heard(Connection session) throws Exception {
        PGNotification[] notifications = session.unwrap(PGConnection.class).getNotifications(5000);
        List<String> payloads = new java.util.ArrayList<>();
        if (notifications != null) {
            for (PGNotification notification : notifications) {
                payloads.add(notification.getParameter());
            }
        }
        // a second look: notifications of one statement's commit may come in two reads
        PGNotification[] more = session.unwrap(PGConnection.class).getNotifications(200);
        if (more != null) {
            for (PGNotification notification : more) {
                payloads.add(notification.getParameter());
            }
        }
        return payloads;
    }
}

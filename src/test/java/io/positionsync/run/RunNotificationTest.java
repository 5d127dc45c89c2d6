package io.positionsync.run;

import static io.positionsync.testing.SyncBook.AAPL;
import static io.positionsync.testing.SyncBook.ACCOUNT;
import static io.positionsync.testing.SyncBook.ACCOUNT_2;
import static io.positionsync.testing.SyncBook.XYZ;
import static io.positionsync.testing.SyncBook.dec;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import com.fasterxml.jackson.databind.JsonNode;

import io.positionsync.ibkr.sim.Instrument;
import io.positionsync.ibkr.sim.Side;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.PositionSyncService.Gateway;
import io.positionsync.testing.PositionSyncService.Lifecycle;
import io.positionsync.testing.PositionSyncService.Profile;
import io.positionsync.testing.ServiceUnderTest;

/**
 * A committed run is announced to {@code LISTEN}ers of its channel, in its own transaction: the notification arrives
 * once the rows are visible, names the run and what changed, and a run that rolls back announces nothing. The
 * channel is this class's own (channels are per database, shared by every schema of the test PostgreSQL).
 */
@PositionSyncService(profile = Profile.PIPELINE, gateway = Gateway.BOOK, lifecycle = Lifecycle.PER_METHOD,
        properties = "psync.notify.channel=" + RunNotificationTest.CHANNEL)
class RunNotificationTest {
    static final String CHANNEL = "psync_run_notification_test";
    private static final Duration WAIT = Duration.ofSeconds(20);

    private ServiceUnderTest h;
    private Connection listener;

    @AfterEach
    void closeListener() throws SQLException {
        if (listener != null) {
            listener.close();
        }
    }

    @Test
    void aFillThenAManualRunNotifiesOnceWithTheRunAndTheChangedKeyAfterTheRowsAreVisible() throws Exception {
        listen(CHANNEL);
        drainUntilRun(h.sync().runId()); // whatever ran before: read
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("100"), dec("150.00"), dec("1.00"));

        CompletableFuture<SyncRunSummary> run = CompletableFuture.supplyAsync(() -> {
            try {
                return h.sync();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        // Waits for the notification while the run goes on; at arrival the listener's own connection sees the rows.
        PGNotification first = next(WAIT);
        assertThat(first).as("a notification within " + WAIT).isNotNull();
        long visibleRows;
        try (PreparedStatement statement = listener.prepareStatement(
                "SELECT count(*) FROM positions WHERE account = ? AND con_id = ? AND status = 'OPEN'")) {
            statement.setString(1, ACCOUNT);
            statement.setLong(2, AAPL);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                visibleRows = rows.getLong(1);
            }
        }
        SyncRunSummary summary = run.get(30, TimeUnit.SECONDS);

        assertThat(summary.status()).isEqualTo(SyncRunStatus.SUCCEEDED);
        assertThat(visibleRows).as("the run's row is visible when its notification arrives").isEqualTo(1);
        assertThat(first.getName()).isEqualTo(CHANNEL);
        JsonNode payload = ServiceUnderTest.json(first.getParameter());
        assertThat(payload.get("runId").asLong()).isEqualTo(summary.runId());
        assertThat(payload.get("trigger").asText()).isEqualTo("MANUAL");
        assertThat(payload.get("truncated").asBoolean()).isFalse();
        assertThat(texts(payload.get("accounts"))).containsExactlyInAnyOrder(ACCOUNT, ACCOUNT_2);
        assertThat(payload.get("changeCount").asInt()).isEqualTo(1);
        JsonNode change = payload.get("changes").get(0);
        assertThat(change.get("account").asText()).isEqualTo(ACCOUNT);
        assertThat(change.get("conId").asLong()).isEqualTo(AAPL);
        assertThat(change.get("symbol").asText()).isEqualTo("AAPL");
        assertThat(change.get("lifecycleId").asLong()).isEqualTo(((Number) h.openRow(ACCOUNT, AAPL).get("id")).longValue());
        assertThat(texts(change.get("changes"))).containsExactly("OPENED");
        assertThat(change.get("status").asText()).isEqualTo("OPEN");
        assertThat(change.get("quantity").decimalValue()).isEqualByComparingTo("100");
        assertThat(Instant.parse(payload.get("at").asText()))
                .isEqualTo((Instant) h.openRow(ACCOUNT, AAPL).get("last_synced_at"));

        // exactly one for the run; the next run, which changes nothing, still confirms the positions (empty list)
        SyncRunSummary quiet = h.sync();
        List<JsonNode> after = drainUntilRun(quiet.runId());
        assertThat(after).extracting(p -> p.get("runId").asLong()).containsExactly(quiet.runId());
        JsonNode heartbeat = after.get(0);
        assertThat(heartbeat.get("changeCount").asInt()).isZero();
        assertThat(heartbeat.get("changes")).isEmpty();
        assertThat(heartbeat.get("truncated").asBoolean()).isFalse();
    }

    @Test
    void aRunThatRollsBackAtCommitNotifiesNothing() throws Exception {
        listen(CHANNEL);
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("100"), dec("150.00"), dec("1.00"));
        // The database refuses the run at commit, after every write and after the notification was queued.
        h.execute("""
                CREATE FUNCTION fail_commit() RETURNS trigger AS $$
                BEGIN RAISE EXCEPTION 'commit refused (injected)'; END $$ LANGUAGE plpgsql;
                CREATE CONSTRAINT TRIGGER fail_commit AFTER UPDATE ON sync_runs DEFERRABLE INITIALLY DEFERRED
                FOR EACH ROW WHEN (NEW.status = 'SUCCEEDED') EXECUTE FUNCTION fail_commit();
                """);

        SyncRunSummary failed = h.sync();

        assertThat(failed.status()).isEqualTo(SyncRunStatus.FAILED);
        assertThat(failed.error()).contains("commit refused (injected)");
        assertThat(h.rows(ACCOUNT, AAPL)).as("rolled back").isEmpty();

        h.execute("DROP TRIGGER fail_commit ON sync_runs");
        SyncRunSummary recovered = h.sync();
        assertThat(recovered.status()).isEqualTo(SyncRunStatus.SUCCEEDED);
        // Notifications arrive in commit order: everything before the recovered run's is what the failed run sent.
        List<JsonNode> received = drainUntilRun(recovered.runId());
        assertThat(received).extracting(p -> p.get("runId").asLong()).containsExactly(recovered.runId());
        assertThat(received.get(0).get("changes").get(0).get("conId").asLong()).isEqualTo(AAPL);
    }

    @Test
    void aRunWithMoreChangesThanFitSendsCountsAndTheRunIdToReadThemBy() throws Exception {
        listen(CHANNEL);
        int instruments = 120;
        for (int i = 0; i < instruments; i++) {
            long conId = 900_000L + i;
            h.broker().addInstrument(Instrument.stock(conId, "SYM" + i, "NYSE"));
            h.broker().setMarketPrice(conId, dec("10.00"));
            h.broker().trade(ACCOUNT, conId, Side.BOT, dec("5"), dec("10.00"), BigDecimal.ZERO);
        }
        h.broker().trade(ACCOUNT_2, XYZ, Side.BOT, dec("10"), dec("20.00"), BigDecimal.ZERO);

        SyncRunSummary run = h.sync();
        assertThat(run.status()).as(run.error()).isEqualTo(SyncRunStatus.SUCCEEDED);

        List<PGNotification> raw = new ArrayList<>();
        List<JsonNode> received = drainUntilRun(run.runId(), raw);
        assertThat(received).hasSize(1);
        JsonNode payload = received.get(0);
        assertThat(raw.get(0).getParameter().getBytes(StandardCharsets.UTF_8).length).isLessThan(8000);
        assertThat(payload.get("runId").asLong()).isEqualTo(run.runId());
        assertThat(payload.get("truncated").asBoolean()).isTrue();
        assertThat(payload.has("changes")).isFalse();
        assertThat(payload.get("changeCount").asInt()).isEqualTo(instruments + 1);
        assertThat(texts(payload.get("accounts"))).containsExactlyInAnyOrder(ACCOUNT, ACCOUNT_2);
        assertThat(payload.get("accountCount").asInt()).isEqualTo(2);
        // what a listener reads instead: the run's history
        assertThat(h.count("SELECT count(*) FROM position_history WHERE run_id = ?", run.runId()))
                .isEqualTo(instruments + 1);
    }

    @Test
    @PositionSyncService(profile = Profile.PIPELINE, gateway = Gateway.BOOK, properties = "psync.notify.channel=")
    void anEmptyChannelSendsNothing() throws Exception {
        // Nothing on this class's channel nor on the default one (others may use the default: only this run counts).
        listen(CHANNEL);
        listen("position_sync");
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("100"), dec("150.00"), dec("1.00"));

        SyncRunSummary run = h.sync();
        assertThat(run.status()).isEqualTo(SyncRunStatus.SUCCEEDED);
        Instant syncedAt = (Instant) h.openRow(ACCOUNT, AAPL).get("last_synced_at");

        // A notification is delivered at commit; a marker sent after the run arrives after anything the run sent.
        try (Connection other = DriverManager.getConnection(h.db.jdbcUrl(), h.db.user(), h.db.password());
                PreparedStatement marker = other.prepareStatement("SELECT pg_notify(?, ?)")) {
            marker.setString(1, CHANNEL);
            marker.setString(2, "{\"marker\":true}");
            marker.execute();
        }
        List<JsonNode> received = new ArrayList<>();
        long deadline = System.nanoTime() + WAIT.toNanos();
        boolean marked = false;
        while (!marked && System.nanoTime() < deadline) {
            for (PGNotification notification : notifications(deadline)) {
                JsonNode payload = ServiceUnderTest.json(notification.getParameter());
                if (payload.has("marker")) {
                    marked = true;
                } else {
                    received.add(payload);
                }
            }
        }
        assertThat(marked).as("the marker arrived").isTrue();
        assertThat(received).as("nothing from this run").noneMatch(p -> p.path("runId").asLong() == run.runId()
                && syncedAt.equals(Instant.parse(p.path("at").asText())));
    }

    // ------------------------------------------------------------------------------------------------ listening

    private void listen(String channel) throws SQLException {
        if (listener == null) {
            listener = DriverManager.getConnection(h.db.jdbcUrl(), h.db.user(), h.db.password());
            listener.setAutoCommit(true);
        }
        try (Statement statement = listener.createStatement()) {
            statement.execute("LISTEN " + channel);
        }
    }

    /** The next notification, or null when none arrives within {@code atMost}. */
    private PGNotification next(Duration atMost) throws SQLException {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (System.nanoTime() < deadline) {
            PGNotification[] notifications = listener.unwrap(PGConnection.class)
                    .getNotifications((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            if (notifications != null && notifications.length > 0) {
                return notifications[0];
            }
        }
        return null;
    }

    private List<PGNotification> notifications(long deadline) throws SQLException {
        PGNotification[] notifications = listener.unwrap(PGConnection.class)
                .getNotifications((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        return notifications == null ? List.of() : List.of(notifications);
    }

    private List<JsonNode> drainUntilRun(long runId) throws SQLException {
        return drainUntilRun(runId, new ArrayList<>());
    }

    /** Every notification of this class's channel up to and including the one of run {@code runId}. */
    private List<JsonNode> drainUntilRun(long runId, List<PGNotification> raw) throws SQLException {
        List<JsonNode> received = new ArrayList<>();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            for (PGNotification notification : notifications(deadline)) {
                raw.add(notification);
                JsonNode payload = ServiceUnderTest.json(notification.getParameter());
                received.add(payload);
                if (payload.get("runId").asLong() == runId) {
                    return received;
                }
            }
        }
        throw new AssertionError("no notification of run " + runId + " within " + WAIT + "; received " + received);
    }

    private static List<String> texts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(node -> texts.add(node.asText()));
        return texts;
    }
}

package io.positionsync.run;

import static io.positionsync.testing.SyncBook.AAPL;
import static io.positionsync.testing.SyncBook.ACCOUNT;
import static io.positionsync.testing.SyncBook.ACCOUNT_2;
import static io.positionsync.testing.SyncBook.XYZ;
import static io.positionsync.testing.SyncBook.dec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import com.fasterxml.jackson.databind.JsonNode;

import io.positionsync.ibkr.TwsBrokerGateway;
import io.positionsync.ibkr.sim.Execution;
import io.positionsync.ibkr.sim.Fill;
import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.ibkr.sim.Side;
import io.positionsync.ibkr.sim.SimulatorOptions;
import io.positionsync.ibkr.sim.SimulatorState;
import io.positionsync.store.TestDatabase;
import io.positionsync.testing.ServiceUnderTest;
import io.positionsync.testing.SyncBook;

/**
 * Live mode end to end, against a simulator that behaves like IB where it matters (50 ms per request, pacing
 * enforced at IB's 50 messages a second, fills pushed to the Master API client): the real route, the live client and
 * PostgreSQL. A fill reaches the database through a run of its account within the debounce plus one run and a
 * {@code LISTEN}ing bot hears it; a burst of fills becomes fewer runs than fills; a drop of the connection is followed
 * by a full catch-up run that books the fill made while it was down.
 */
class LiveSyncTest {
    /** The service's clientId in the pipeline profile, made the gateway's Master API client ID. */
    private static final int SERVICE_CLIENT_ID = 41;
    /** The bot's own clientId: its fills reach the service only because the service is the master client. */
    private static final int BOT_CLIENT_ID = 7;
    private static final Duration PATIENCE = Duration.ofSeconds(20);

    private final List<AutoCloseable> resources = new ArrayList<>();
    private ServiceUnderTest h;
    private GatewaySimulator sim;
    private Connection listener;

    @AfterEach
    void close() throws Exception {
        if (listener != null) {
            listener.close();
        }
        ServiceUnderTest.closeAll(resources.toArray(AutoCloseable[]::new));
    }

    private void start() throws Exception {
        SimulatorState broker = SyncBook.state().masterClientId(SERVICE_CLIENT_ID);
        TestDatabase db = TestDatabase.create();
        resources.add(db);
        sim = new GatewaySimulator(broker, SimulatorOptions.defaults().withLatency(Duration.ofMillis(50))
                .withPacingLimit(SimulatorOptions.IB_PACING_LIMIT)).start();
        resources.add(sim);
        h = ServiceUnderTest.startPipeline(db, sim, Map.of("psync.sync.live", "true",
                "psync.ibkr.request-timeout-ms", "10000", "psync.ibkr.commission-wait-ms", "500"));
        resources.add(0, h);
        // Live once the start-up catch-up run has committed: from here every fill is heard.
        await().atMost(PATIENCE).until(() -> gateway().liveSince().isPresent()
                && h.count("SELECT count(*) FROM sync_runs WHERE trigger = 'EVENT' AND status = 'SUCCEEDED'") > 0);
    }

    private TwsBrokerGateway gateway() {
        return h.bean("brokerGateway", TwsBrokerGateway.class);
    }

    private Execution botFill(String account, long conId, Side side, String shares, String price) {
        return sim.state().trade(Fill.of(account, conId, side, dec(shares), dec(price), dec("1.00"))
                .withClientId(BOT_CLIENT_ID));
    }

    private long stored(String execId) throws SQLException {
        return h.count("SELECT count(*) FROM executions WHERE exec_id = ? AND state = 'APPLIED'", execId);
    }

    private void listen() throws SQLException {
        listener = DriverManager.getConnection(h.db.jdbcUrl(), h.db.user(), h.db.password());
        listener.setAutoCommit(true);
        try (Statement statement = listener.createStatement()) {
            statement.execute("LISTEN position_sync");
        }
    }

    /** Notifications until one of a run of {@code account} arrives (null when none does in time). */
    private JsonNode notificationOf(String account) throws SQLException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (System.nanoTime() < deadline) {
            PGNotification[] received = listener.unwrap(PGConnection.class)
                    .getNotifications((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            for (PGNotification notification : received == null ? new PGNotification[0] : received) {
                JsonNode payload = ServiceUnderTest.json(notification.getParameter());
                if (payload.get("changeCount").asInt() > 0 && payload.get("accounts").toString().contains(account)) {
                    return payload;
                }
            }
        }
        return null;
    }

    @Test
    void aFillReachesTheDatabaseThroughARunOfItsAccountAndTheBotHearsIt() throws Exception {
        start();
        listen();
        long runsBefore = h.count("SELECT count(*) FROM sync_runs");

        Instant traded = Instant.now();
        Execution fill = botFill(ACCOUNT, AAPL, Side.BOT, "10", "150.00");
        // The debounce (200 ms) plus one account run under 50 ms a request: well within the patience.
        await().atMost(PATIENCE).until(() -> stored(fill.execId()) == 1);
        Duration took = Duration.between(traded, Instant.now());

        Map<String, Object> run = h.query("SELECT r.trigger, r.accounts::text AS accounts FROM executions e"
                + " JOIN sync_runs r ON r.id = e.applied_run_id WHERE e.exec_id = ?", fill.execId()).get(0);
        assertThat(run.get("trigger")).isEqualTo("EVENT");
        assertThat(run.get("accounts")).isEqualTo("{" + ACCOUNT + "}");
        assertThat(h.count("SELECT count(*) FROM sync_runs")).as("no full run was needed").isEqualTo(runsBefore + 1);
        JsonNode heard = notificationOf(ACCOUNT);
        assertThat(heard).as("the LISTENing bot hears the run").isNotNull();
        assertThat(heard.get("trigger").asText()).isEqualTo("EVENT");
        assertThat(heard.get("changes").get(0).get("conId").asLong()).isEqualTo(AAPL);
        System.out.printf("live: fill to committed row in %d ms%n", took.toMillis());
    }

    @Test
    void aBurstOfFillsBecomesFewerRunsThanFills() throws Exception {
        start();
        long eventRunsBefore = h.count("SELECT count(*) FROM sync_runs WHERE trigger = 'EVENT'");
        List<Execution> fills = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            fills.add(botFill(i % 2 == 0 ? ACCOUNT : ACCOUNT_2, i % 3 == 0 ? XYZ : AAPL, Side.BOT, "1",
                    i % 3 == 0 ? "20.00" : "150.00"));
        }
        await().atMost(PATIENCE).until(() -> {
            for (Execution fill : fills) {
                if (stored(fill.execId()) == 0) {
                    return false;
                }
            }
            return true;
        });
        long eventRuns = h.count("SELECT count(*) FROM sync_runs WHERE trigger = 'EVENT'") - eventRunsBefore;
        assertThat(eventRuns).as("20 fills, coalesced").isBetween(1L, 5L);
        assertThat(h.openRow(ACCOUNT, AAPL).get("quantity")).satisfies(q -> assertThat((java.math.BigDecimal) q)
                .isEqualByComparingTo("6"));
    }

    @Test
    void aDropDuringLiveModeIsFollowedByACatchUpRunAndNoFillIsLost() throws Exception {
        start();
        long catchUpsBefore = h.count("SELECT count(*) FROM sync_runs WHERE trigger = 'EVENT' AND accounts IS NULL");
        Execution before = botFill(ACCOUNT, AAPL, Side.BOT, "10", "150.00");
        await().atMost(PATIENCE).until(() -> stored(before.execId()) == 1);

        // The gateway goes away; the bot trades meanwhile (nobody hears it); the gateway comes back.
        sim.stop();
        await().atMost(PATIENCE).until(() -> gateway().liveSince().isEmpty());
        Execution whileDown = botFill(ACCOUNT_2, XYZ, Side.BOT, "5", "20.00");
        sim.start();

        await().atMost(PATIENCE).until(() -> stored(whileDown.execId()) == 1);
        assertThat(gateway().liveSince()).isPresent();
        assertThat(h.count("SELECT count(*) FROM sync_runs WHERE trigger = 'EVENT' AND accounts IS NULL"))
                .as("a full catch-up run followed the reconnect").isGreaterThan(catchUpsBefore);
        assertThat(h.count("SELECT count(*) FROM executions WHERE state = 'APPLIED'")).isEqualTo(2);
    }
}

package io.positionsync.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.positionsync.store.GatewayStatusRepository.GatewayStatus;
import io.positionsync.store.GatewayStatusRepository.RunCounts;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncTrigger;

class GatewayStatusRepositoryTest {
    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

    @RegisterExtension
    static final StoreDatabase db = new StoreDatabase();
    private static GatewayStatusRepository gateways;

    @BeforeAll
    static void start() {
        gateways = new GatewayStatusRepository(db.dataSource());
    }

    @BeforeEach
    void noOwners() throws SQLException {
        try (Connection connection = db.connection(); Statement statement = connection.createStatement()) {
            statement.execute("TRUNCATE gateway_owners");
        }
    }

    @Test
    void nothingKnownNoGateway() throws SQLException {
        assertThat(gateways.gateways()).isEmpty();
        assertThat(gateways.gatewaysWithRunCounts()).isEmpty();
    }

    @Test
    void everyGatewayWithItsOwnerLastRunLastFullSuccessStreakAndCounts() throws SQLException {
        // alpha: owned and live; a full success, then a scoped failure (no streak), then a full skip and a full failure,
        // then a scoped success (no full success) and a run still going: the last run is the running one
        owner("alpha", 3, "node-a", T0.minusSeconds(3600), T0.minusSeconds(1800));
        long alphaOk = run("alpha", "node-a", SyncRunStatus.SUCCEEDED, T0, null);
        run("alpha", "node-a", SyncRunStatus.FAILED, T0.plusSeconds(10), List.of("DU1"));
        run("alpha", "node-a", SyncRunStatus.SKIPPED_INCOMPLETE, T0.plusSeconds(20), null);
        run("alpha", "node-a", SyncRunStatus.FAILED, T0.plusSeconds(30), null);
        run("alpha", "node-a", SyncRunStatus.SUCCEEDED, T0.plusSeconds(40), List.of("DU1", "DU2"));
        long alphaLast = run("alpha", "node-b", SyncRunStatus.RUNNING, T0.plusSeconds(50), null);
        // beta: runs but no owner recorded; never succeeded: every full failure counts
        run("beta", null, SyncRunStatus.FAILED, T0, null);
        run("beta", null, SyncRunStatus.FAILED, T0.plusSeconds(5), null);
        long betaLast = run("beta", "node-c", SyncRunStatus.SKIPPED_INCOMPLETE, T0.plusSeconds(6), List.of("DU9"));
        // default: the column's default, as a single-gateway service writes it; the last full run succeeded
        run("default", null, SyncRunStatus.FAILED, T0, null);
        long defaultOk = run("default", "host-1", SyncRunStatus.SUCCEEDED, T0.plusSeconds(60), null);
        // zeta: owned, never run, not live
        owner("zeta", 1, "node-z", T0, null);

        List<GatewayStatus> all = gateways.gatewaysWithRunCounts();
        assertThat(all).extracting(GatewayStatus::name).containsExactly("alpha", "beta", "default", "zeta");
        Map<String, GatewayStatus> byName = all.stream().collect(Collectors.toMap(GatewayStatus::name, Function.identity()));

        GatewayStatus alpha = byName.get("alpha");
        assertThat(alpha.owner()).isEqualTo("node-a");
        assertThat(alpha.epoch()).isEqualTo(3L);
        assertThat(alpha.ownedSince()).isEqualTo(T0.minusSeconds(3600));
        assertThat(alpha.liveSince()).isEqualTo(T0.minusSeconds(1800));
        assertThat(alpha.lastRun().id()).isEqualTo(alphaLast);
        assertThat(alpha.lastRun().status()).isEqualTo(SyncRunStatus.RUNNING);
        assertThat(alpha.lastRun().finishedAt()).isNull();
        assertThat(alpha.lastRunInstance()).isEqualTo("node-b");
        assertThat(alpha.lastSuccessfulSyncAt()).as("the full success, not the later scoped one")
                .isEqualTo(finishedAt(T0));
        assertThat(alpha.consecutiveFailures()).as("full runs after run " + alphaOk + " that did not succeed").isEqualTo(2);
        assertThat(alpha.counts()).isEqualTo(new RunCounts(6, 2, 2, 1));

        GatewayStatus beta = byName.get("beta");
        assertThat(beta.owner()).isNull();
        assertThat(beta.epoch()).isNull();
        assertThat(beta.ownedSince()).isNull();
        assertThat(beta.liveSince()).isNull();
        assertThat(beta.lastRun().id()).isEqualTo(betaLast);
        assertThat(beta.lastRun().status()).isEqualTo(SyncRunStatus.SKIPPED_INCOMPLETE);
        assertThat(beta.lastRun().accounts()).containsExactly("DU9");
        assertThat(beta.lastRun().trigger()).isEqualTo(SyncTrigger.TIMER);
        assertThat(beta.lastRun().startedAt()).isEqualTo(T0.plusSeconds(6));
        assertThat(beta.lastRun().finishedAt()).isEqualTo(finishedAt(T0.plusSeconds(6)));
        assertThat(beta.lastRunInstance()).isEqualTo("node-c");
        assertThat(beta.lastSuccessfulSyncAt()).as("never synced").isNull();
        assertThat(beta.consecutiveFailures()).as("both full failures; the scoped skip does not count").isEqualTo(2);
        assertThat(beta.counts()).isEqualTo(new RunCounts(3, 0, 2, 1));

        GatewayStatus dflt = byName.get("default");
        assertThat(dflt.lastRun().id()).isEqualTo(defaultOk);
        assertThat(dflt.lastSuccessfulSyncAt()).isEqualTo(finishedAt(T0.plusSeconds(60)));
        assertThat(dflt.consecutiveFailures()).isZero();
        assertThat(dflt.counts()).isEqualTo(new RunCounts(2, 1, 1, 0));

        GatewayStatus zeta = byName.get("zeta");
        assertThat(zeta.owner()).isEqualTo("node-z");
        assertThat(zeta.epoch()).isEqualTo(1L);
        assertThat(zeta.liveSince()).as("not live").isNull();
        assertThat(zeta.lastRun()).isNull();
        assertThat(zeta.lastRunInstance()).isNull();
        assertThat(zeta.lastSuccessfulSyncAt()).isNull();
        assertThat(zeta.consecutiveFailures()).isZero();
        assertThat(zeta.counts()).isEqualTo(RunCounts.NONE);

        // without the counts: the same gateways, the same figures
        List<GatewayStatus> cheap = gateways.gateways();
        assertThat(cheap).extracting(GatewayStatus::counts).containsOnlyNulls();
        assertThat(cheap).usingRecursiveFieldByFieldElementComparatorIgnoringFields("counts").isEqualTo(all);
    }

    @Test
    void aFullSuccessEndsTheStreakAndTheRunsOfAGatewayAreItsOwn() throws SQLException {
        run("a", null, SyncRunStatus.FAILED, T0, null);
        run("b", null, SyncRunStatus.SUCCEEDED, T0.plusSeconds(1), null);
        run("a", null, SyncRunStatus.FAILED, T0.plusSeconds(2), null);
        assertThat(gateways.gateways()).extracting(GatewayStatus::consecutiveFailures).containsExactly(2L, 0L);

        run("a", null, SyncRunStatus.SUCCEEDED, T0.plusSeconds(3), null);
        run("b", null, SyncRunStatus.FAILED, T0.plusSeconds(4), null);
        List<GatewayStatus> now = gateways.gateways();
        assertThat(now).extracting(GatewayStatus::consecutiveFailures).containsExactly(0L, 1L);
        assertThat(now.get(0).lastSuccessfulSyncAt()).isEqualTo(finishedAt(T0.plusSeconds(3)));
        assertThat(now.get(1).lastSuccessfulSyncAt()).isEqualTo(finishedAt(T0.plusSeconds(1)));
        assertThat(now.get(1).lastRun().status()).isEqualTo(SyncRunStatus.FAILED);
    }

    /** The plan reads each gateway's newest runs down the (gateway, id) index, never the whole table per gateway. */
    @Test
    void theReadsWalkTheIndexOverManyRuns() throws SQLException {
        try (Connection connection = db.connection(); Statement statement = connection.createStatement()) {
            statement.execute("""
                    INSERT INTO sync_runs (trigger, status, started_at, finished_at, gateway, accounts)
                    SELECT 'TIMER', CASE WHEN i % 7 = 0 THEN 'FAILED' ELSE 'SUCCEEDED' END,
                           timestamptz '2026-01-01' + i * interval '1 second',
                           timestamptz '2026-01-01' + i * interval '1 second' + interval '10 ms',
                           'gw-' || (i % 200), CASE WHEN i % 3 = 0 THEN ARRAY['DU1'] END
                    FROM generate_series(1, 200000) AS i""");
            statement.execute("ANALYZE sync_runs");
        }
        long started = System.nanoTime();
        List<GatewayStatus> all = gateways.gateways();
        long elapsedMs = (System.nanoTime() - started) / 1_000_000;
        assertThat(all).hasSize(200);
        assertThat(all.get(0).name()).isEqualTo("gw-0");
        assertThat(all.get(0).lastRun().id()).isEqualTo(200000L);

        String plan = explain();
        assertThat(plan).contains("sync_runs_gateway_idx");
        assertThat(plan).as("no sequential scan of the runs:\n" + plan).doesNotContain("Seq Scan on sync_runs");
        assertThat(elapsedMs).as("well under the status's own timeout").isLessThan(5_000);
    }

    /** The plan the database makes of the statement {@code gateways()} runs. */
    private static String explain() throws SQLException {
        StringBuilder plan = new StringBuilder();
        try (Connection connection = db.connection(); Statement statement = connection.createStatement();
                var rows = statement.executeQuery("EXPLAIN " + GatewayStatusRepository.sql(false))) {
            while (rows.next()) {
                plan.append(rows.getString(1)).append('\n');
            }
        }
        return plan.toString();
    }

    private static Instant finishedAt(Instant started) {
        return started.plusMillis(250);
    }

    private static void owner(String gateway, long epoch, String owner, Instant ownedSince, Instant liveSince)
            throws SQLException {
        try (Connection connection = db.connection(); PreparedStatement statement = connection.prepareStatement(
                "INSERT INTO gateway_owners (gateway, epoch, owner, owned_since, live_since) VALUES (?, ?, ?, ?, ?)")) {
            statement.setString(1, gateway);
            statement.setLong(2, epoch);
            statement.setString(3, owner);
            Jdbc.setInstant(statement, 4, ownedSince);
            Jdbc.setInstant(statement, 5, liveSince);
            statement.executeUpdate();
        }
    }

    /** A run of {@code gateway} as an instance records it; {@code accounts} null: every account. */
    private static long run(String gateway, String instance, SyncRunStatus status, Instant startedAt,
            List<String> accounts) throws SQLException {
        boolean running = status == SyncRunStatus.RUNNING;
        try (Connection connection = db.connection(); PreparedStatement statement = connection.prepareStatement(
                "INSERT INTO sync_runs (trigger, status, started_at, finished_at, duration_ms, gateway, instance, epoch, "
                        + "accounts) VALUES ('TIMER', ?, ?, ?, ?, ?, ?, 1, ?) RETURNING id")) {
            statement.setString(1, status.name());
            Jdbc.setInstant(statement, 2, startedAt);
            Jdbc.setInstant(statement, 3, running ? null : finishedAt(startedAt));
            statement.setObject(4, running ? null : 250L, java.sql.Types.BIGINT);
            statement.setString(5, gateway);
            statement.setString(6, instance);
            statement.setArray(7, accounts == null ? null : connection.createArrayOf("text", accounts.toArray()));
            try (var rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }
}

package io.positionsync.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.ibkr.sim.Position;
import io.positionsync.ibkr.sim.Side;
import io.positionsync.ibkr.sim.SnapshotPhase;
import io.positionsync.store.TestDatabase;
import io.positionsync.store.StoredLedgerCheck;
import io.positionsync.testing.ServiceUnderTest;

/**
 * {@code kill -9} of the service (a child JVM) at many points of a run (while each phase of the snapshot is
 * held, and at seeded random moments after a trigger, writes included), then a restart: after every restart
 * the killed run is recorded FAILED (interrupted) or as it really ended, no run stays RUNNING, no execution is
 * stored twice, and the stored open positions are exactly what the broker holds.
 */
@Tag("process")
class KillNineTest {
    @RegisterExtension
    static final GroupSummary SUMMARY = new GroupSummary("process kill -9");
    private static final String ACCOUNT = "DU1000001";
    private static final long AAPL = 265598L;

    @Test
    void killedAtManyPointsOfARunTheServiceConvergesAfterEachRestart() throws Exception {
        Random random = new Random(20_261_130L);
        List<SnapshotPhase> held = List.of(SnapshotPhase.POSITIONS, SnapshotPhase.ACCOUNT_UPDATES, SnapshotPhase.EXECUTIONS);
        int randomPoints = 3;
        SUMMARY.begin(held.size() + randomPoints);
        int violations = 0;
        try (TestDatabase db = TestDatabase.create(); GatewaySimulator sim = GatewaySimulator.startDemo()) {
            for (int point = 0; point < held.size() + randomPoints; point++) {
                ServiceUnderTest service = ServiceUnderTest.startProcess(db, sim, Map.of()).awaitStartupRun(Duration.ofSeconds(90))
                        .syncUntilSucceeded(Duration.ofSeconds(30));
                violations += invariantViolations(db, sim, "after restart " + point);
                // the broker moves, so the run to be killed has something to write
                sim.state().trade(ACCOUNT, AAPL, point % 2 == 0 ? Side.BOT : Side.SLD, new BigDecimal("10"),
                        new BigDecimal("190.00"), new BigDecimal("1.00"));
                if (point < held.size()) {
                    sim.faults().delayEnd(held.get(point), Duration.ofMinutes(2));
                    service.triggerAsync();
                    await().atMost(Duration.ofSeconds(10)).until(() -> service.status().get("inFlight").asBoolean());
                } else {
                    service.triggerAsync();
                    // Not a wait for anything: this picks the (seeded) moment of the run at which the process dies.
                    LockSupport.parkNanos(Duration.ofMillis(random.nextInt(60)).toNanos());
                }
                service.kill();
                sim.faults().clear();
            }
            try (ServiceUnderTest last = ServiceUnderTest.startProcess(db, sim, Map.of()).awaitStartupRun(Duration.ofSeconds(90))
                    .syncUntilSucceeded(Duration.ofSeconds(30))) {
                violations += invariantViolations(db, sim, "after the last restart");
                assertThat(count(db, "SELECT count(*) FROM sync_runs WHERE status = 'FAILED' AND error ILIKE '%interrupt%'"))
                        .as("killed runs are recorded as interrupted").isPositive();
            }
        }
        assertThat(violations).as("invariant violations").isZero();
        SUMMARY.held();
    }

    /** Counts (and reports) broken invariants with the service idle after its start-up run. */
    private static int invariantViolations(TestDatabase db, GatewaySimulator sim, String when) throws Exception {
        int violations = 0;
        if (count(db, "SELECT count(*) FROM sync_runs WHERE status = 'RUNNING'") != 0) {
            System.out.println("violation " + when + ": a run is still RUNNING");
            violations++;
        }
        if (count(db, "SELECT count(*) FROM (SELECT exec_id FROM executions GROUP BY exec_id HAVING count(*) > 1) d") != 0) {
            System.out.println("violation " + when + ": an execution is stored twice");
            violations++;
        }
        Map<String, BigDecimal> broker = new HashMap<>();
        for (Position p : sim.state().positions()) {
            if (p.quantity().signum() != 0) {
                broker.put(p.account() + "/" + p.conId(), p.quantity().stripTrailingZeros());
            }
        }
        Map<String, BigDecimal> stored = new HashMap<>();
        try (Connection c = db.connection(); PreparedStatement s = c.prepareStatement(
                "SELECT account, con_id, quantity FROM positions WHERE status = 'OPEN'"); ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                stored.put(rs.getString(1) + "/" + rs.getLong(2), rs.getBigDecimal(3).stripTrailingZeros());
            }
        }
        if (!stored.equals(broker)) {
            System.out.println("violation " + when + ": stored open positions " + stored + " but the broker holds " + broker);
            violations++;
        }
        for (String ledger : StoredLedgerCheck.violations(db.dataSource())) {
            System.out.println("violation " + when + ": " + ledger);
            violations++;
        }
        return violations;
    }

    private static long count(TestDatabase db, String sql) throws Exception {
        try (Connection c = db.connection(); PreparedStatement s = c.prepareStatement(sql); ResultSet rs = s.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }
}

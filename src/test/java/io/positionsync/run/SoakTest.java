package io.positionsync.run;

import io.positionsync.boot.GroupSummary;

import static io.positionsync.testing.SyncBook.AAPL;
import static io.positionsync.testing.SyncBook.ABC;
import static io.positionsync.testing.SyncBook.ACCOUNT;
import static io.positionsync.testing.SyncBook.ACCOUNT_2;
import static io.positionsync.testing.SyncBook.XYZ;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.positionsync.boot.GroupSummary;
import io.positionsync.ibkr.sim.Execution;
import io.positionsync.ibkr.sim.Position;
import io.positionsync.ibkr.sim.Side;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.store.StoredLedgerCheck;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.ServiceUnderTest;
import io.positionsync.testing.PositionSyncService.Gateway;
import io.positionsync.testing.PositionSyncService.Profile;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Many runs against a seeded random-trading broker, the invariants checked after every run (stored open
 * positions equal the broker's, no run left RUNNING, no execution stored twice), and the process's threads,
 * file descriptors, heap and database connections flat from start to end. {@code -Dpsync.soak.runs=N}
 * (default 200) for the long variant; {@code -Dpsync.soak.seed=S} replays one.
 */
@Tag("soak")
@PositionSyncService(profile = Profile.PIPELINE, gateway = Gateway.BOOK)
class SoakTest {
    @RegisterExtension
    static final GroupSummary SUMMARY = new GroupSummary("soak");
    private static final int RUNS = Integer.getInteger("psync.soak.runs", 1000);
    private static final long SEED = Long.getLong("psync.soak.seed", 20_261_130L);
    private static final int WARM_UP = 20;
    private static final long[] INSTRUMENTS = {AAPL, XYZ, ABC};
    private static final String[] ACCOUNTS = {ACCOUNT, ACCOUNT_2};
    private static final Map<Long, Integer> BASE_PRICE = Map.of(AAPL, 150, XYZ, 20, ABC, 9);

    @Test
    void manyRunsKeepTheInvariantsAndTheResourcesFlat(ServiceUnderTest h) throws Exception {
        Random random = new Random(SEED);
        System.out.println("soak: seed " + SEED + ", " + RUNS + " runs (-Dpsync.soak.seed / -Dpsync.soak.runs)");
        List<String> violations = new ArrayList<>();
        long[] baseline = null;
        try (h) {
            // the accounts are seen empty first: every later position is built from fills the service sees
            assertThat(h.sync().status()).isEqualTo(SyncRunStatus.SUCCEEDED);
            for (int run = 1; run <= RUNS; run++) {
                SUMMARY.begin(0);
                int before = violations.size();
                int trades = random.nextInt(4);
                for (int t = 0; t < trades; t++) {
                    long conId = INSTRUMENTS[random.nextInt(INSTRUMENTS.length)];
                    BigDecimal price = BigDecimal.valueOf(BASE_PRICE.get(conId) * 100L + random.nextInt(200) - 100, 2);
                    h.broker().trade(ACCOUNTS[random.nextInt(ACCOUNTS.length)], conId,
                            random.nextBoolean() ? Side.BOT : Side.SLD, BigDecimal.valueOf(1 + random.nextInt(50)), price,
                            BigDecimal.valueOf(random.nextInt(300), 2));
                }
                SyncRunStatus status = h.sync().status();
                if (status != SyncRunStatus.SUCCEEDED) {
                    violations.add("run " + run + " ended " + status);
                }
                violations.addAll(invariants(h, run));
                if (violations.size() == before) {
                    SUMMARY.held();
                }
                if (run == WARM_UP) {
                    baseline = resources(h);
                }
            }
            long[] end = resources(h);
            assertThat(end[0]).as("threads").isLessThanOrEqualTo(baseline[0] + 5);
            assertThat(end[1]).as("file descriptors").isLessThanOrEqualTo(baseline[1] + 10);
            assertThat(end[2]).as("heap after GC (bytes)").isLessThanOrEqualTo(baseline[2] + 64L * 1024 * 1024);
            assertThat(end[3]).as("database connections").isLessThanOrEqualTo(baseline[3] + 2);
        }
        assertThat(violations).as("invariant violations").isEmpty();
    }

    private static java.util.Set<String> union(java.util.Set<String> a, java.util.Set<String> b) {
        java.util.Set<String> all = new java.util.TreeSet<>(a);
        all.addAll(b);
        return all;
    }

    private static List<String> invariants(ServiceUnderTest h, int run) throws Exception {
        List<String> violations = new ArrayList<>();
        Map<String, BigDecimal> broker = new HashMap<>();
        for (Position p : h.broker().positions()) {
            if (p.quantity().signum() != 0) {
                broker.put(p.account() + "/" + p.conId(), p.quantity().stripTrailingZeros());
            }
        }
        Map<String, BigDecimal> stored = new HashMap<>();
        for (Map<String, Object> row : h.query("SELECT account, con_id, quantity FROM positions WHERE status = 'OPEN'")) {
            stored.put(row.get("account") + "/" + row.get("con_id"), ((BigDecimal) row.get("quantity")).stripTrailingZeros());
        }
        if (!stored.equals(broker)) {
            violations.add("run " + run + ": stored " + stored + ", broker " + broker);
        }
        if (h.count("SELECT count(*) FROM sync_runs WHERE status = 'RUNNING'") != 0) {
            violations.add("run " + run + ": a run left RUNNING");
        }
        if (h.count("SELECT count(*) FROM (SELECT exec_id FROM executions GROUP BY exec_id HAVING count(*) > 1) d") != 0) {
            violations.add("run " + run + ": an execution stored twice");
        }
        for (String ledger : StoredLedgerCheck.violations(h.db.dataSource())) {
            violations.add("run " + run + ": " + ledger);
        }
        // every fill is known: the stored realized P&L of each instrument equals the sum of IB's per execution
        Map<String, BigDecimal> ib = new HashMap<>();
        for (Execution e : h.broker().executions()) {
            BigDecimal realized = e.commissionReport().realizedPnl();
            if (realized != null) {
                ib.merge(e.account() + "/" + e.conId(), realized, BigDecimal::add);
            }
        }
        Map<String, BigDecimal> ours = new HashMap<>();
        for (Map<String, Object> row : h.query("SELECT account, con_id, sum(realized_pnl) AS realized FROM positions"
                + " WHERE realized_pnl IS NOT NULL GROUP BY account, con_id")) {
            ours.put(row.get("account") + "/" + row.get("con_id"), (BigDecimal) row.get("realized"));
        }
        for (String key : union(ib.keySet(), ours.keySet())) {
            BigDecimal a = ib.getOrDefault(key, BigDecimal.ZERO);
            BigDecimal b = ours.getOrDefault(key, BigDecimal.ZERO);
            if (a.subtract(b).abs().compareTo(new BigDecimal("0.0001")) > 0) {
                violations.add("run " + run + ": " + key + " realized " + b + ", IB's executions " + a);
            }
        }
        return violations;
    }

    /** Threads, open file descriptors, heap used after a GC, database backends. */
    private static long[] resources(ServiceUnderTest h) throws Exception {
        System.gc();
        String[] fds = new File("/proc/self/fd").list();
        return new long[] {ManagementFactory.getThreadMXBean().getThreadCount(), fds == null ? 0 : fds.length,
            ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(),
            h.count("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'")};
    }
}

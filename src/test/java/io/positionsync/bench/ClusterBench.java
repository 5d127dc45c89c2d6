package io.positionsync.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.curator.test.TestingServer;

import io.positionsync.cluster.GatewayCluster;
import io.positionsync.ibkr.sim.Execution;

/**
 * The cluster cases: service instances in child JVMs ({@link GatewayCluster}) on one PostgreSQL schema, gateways
 * simulated, ownership through a real cluster service.
 *
 * <p>{@code failover}: per cluster service (file, ZooKeeper) three instances, {@code kills} times kill -9 of the
 * owner of gateway g1, timed from the kill to the finish of the first successful run of g1 on the new owner; the
 * killed instance is restarted under a new name before the next kill, so three stay up.
 *
 * <p>{@code gateways_scaling}: live mode on, ZooKeeper, 1 / 10 / 50 gateways on one instance and over three, a steady
 * fill load on every gateway for {@code phase}: committed runs a second (every gateway), fill-to-commit (the moment
 * the simulator made the fill to {@code finished_at} of the run that first stored the execution,
 * {@code executions.first_seen_run_id}) and which instance owned how many gateways at the end of the phase.
 */
final class ClusterBench {
    /** Timer period of the failover instances (GatewayCluster's). */
    static final Duration FAILOVER_TIMER = Duration.ofSeconds(1);

    /** One kill. */
    record Kill(String victim, String heir, long ms) {
    }

    /** One cluster service's failovers. */
    record FailoverResult(String service, String settings, long bound_ms, int kills, long p50_ms, long max_ms,
            double p50_ratio, double max_ratio, List<Kill> each, String measures) {
    }

    /** One row of gateways_scaling. */
    record ScalingRow(int gateways, int instances, double fills_per_s_per_gateway, int fills, double seconds,
            long committed_runs, double runs_per_s, double event_runs_per_s, double p50_s, double p99_s, double max_s,
            Map<String, Integer> spread, Double runs_vs_first, Double p99_vs_first) {
    }

    record ScalingResult(String settings, List<ScalingRow> rows) {
    }

    private ClusterBench() {
    }

    // ------------------------------------------------------------------------------------------ failover

    static FailoverResult failover(String service, int kills, Duration zkSession, Duration fileInterval,
            int fileMultiplier, Path root) throws Exception {
        TestingServer zookeeper = service.equals("zookeeper") ? new TestingServer(true) : null;
        try {
            Map<String, String> env;
            String settings;
            long bound;
            if (zookeeper != null) {
                env = Map.of("PSYNC_CLUSTER", "zookeeper", "PSYNC_CLUSTER_ZOOKEEPER", zookeeper.getConnectString(),
                        "PSYNC_CLUSTER_ZOOKEEPER_SESSION_TIMEOUT_MS", Long.toString(zkSession.toMillis()));
                bound = zkSession.toMillis();
                settings = "session timeout " + bound + " ms, timer " + FAILOVER_TIMER.toMillis() + " ms";
            } else {
                Path locks = Files.createTempDirectory(root, "failover-locks");
                env = Map.of("PSYNC_CLUSTER", "file", "PSYNC_CLUSTER_FILE_ROOT", locks.toString(),
                        "PSYNC_CLUSTER_FILE_INTERVAL_MS", Long.toString(fileInterval.toMillis()),
                        "PSYNC_CLUSTER_FILE_HEARTBEAT_MULTIPLIER", Integer.toString(fileMultiplier));
                bound = fileInterval.toMillis() * fileMultiplier;
                settings = "interval " + fileInterval.toMillis() + " ms x " + fileMultiplier + ", timer "
                        + FAILOVER_TIMER.toMillis() + " ms";
            }
            List<Kill> each = new ArrayList<>();
            try (GatewayCluster cluster = new GatewayCluster("bench-failover-" + service, 2, env)) {
                int started = 0;
                for (; started < 3; started++) {
                    awaitStarted(cluster.start("i" + (started + 1)));
                }
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250))
                        .until(() -> cluster.owner("g1").isPresent()
                                && cluster.firstSuccessAfter("g1", cluster.owner("g1").get(), Instant.EPOCH).isPresent());
                for (int k = 0; k < kills; k++) {
                    String victim = cluster.owner("g1").orElseThrow();
                    cluster.instance(victim).kill9();
                    Instant killed = Instant.now();
                    await().atMost(Duration.ofMillis(bound).plusSeconds(60)).pollInterval(Duration.ofMillis(50))
                            .until(() -> cluster.owner("g1").filter(o -> !o.equals(victim)).flatMap(o -> {
                                try {
                                    return cluster.firstSuccessAfter("g1", o, killed.minusSeconds(1));
                                } catch (java.sql.SQLException e) {
                                    throw new IllegalStateException(e);
                                }
                            }).isPresent());
                    String heir = cluster.owner("g1").orElseThrow();
                    Instant first = cluster.firstSuccessAfter("g1", heir, killed.minusSeconds(1)).orElseThrow();
                    long ms = Math.max(0, Duration.between(killed, first).toMillis());
                    each.add(new Kill(victim, heir, ms));
                    SyncBench.log("failover[" + service + "] kill " + (k + 1) + ": " + victim + " -> " + heir + " in "
                            + ms + " ms");
                    started++;
                    awaitStarted(cluster.start("i" + started)); // three up again
                }
            }
            long[] sorted = each.stream().mapToLong(Kill::ms).sorted().toArray();
            long p50 = sorted[(sorted.length - 1) / 2];
            long max = sorted[sorted.length - 1];
            return new FailoverResult(service, settings, bound, kills, p50, max, round(p50 / (double) bound),
                    round(max / (double) bound), each,
                    "kill -9 of g1's owner to the finish of g1's first successful run on the new owner");
        } finally {
            if (zookeeper != null) {
                zookeeper.close();
            }
        }
    }

    /** Until the instance has started (its start-up report logged) or a minute has passed (its log tells). */
    private static void awaitStarted(GatewayCluster.Instance instance) {
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> instance.logText().contains("StartupReport - listening on "));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            SyncBench.log("instance " + instance.name() + " not started after 60 s; going on");
        }
    }

    // ------------------------------------------------------------------------------------------ gateways_scaling

    static ScalingResult gatewaysScaling(int[] gatewayCounts, int[] instanceCounts, double ratePerGateway,
            double maxTotalRate, Duration phase, Duration timer, Duration zkSession) throws Exception {
        List<ScalingRow> rows = new ArrayList<>();
        for (int gateways : gatewayCounts) {
            for (int instances : instanceCounts) {
                rows.add(scalingRow(gateways, instances, Math.min(ratePerGateway, maxTotalRate / gateways), phase,
                        timer, zkSession));
            }
        }
        ScalingRow first = rows.get(0);
        List<ScalingRow> withRatios = new ArrayList<>();
        for (ScalingRow r : rows) {
            withRatios.add(new ScalingRow(r.gateways(), r.instances(), r.fills_per_s_per_gateway(), r.fills(),
                    r.seconds(), r.committed_runs(), r.runs_per_s(), r.event_runs_per_s(), r.p50_s(), r.p99_s(),
                    r.max_s(), r.spread(), round(r.runs_per_s() / first.runs_per_s()),
                    round(r.p99_s() / first.p99_s())));
        }
        return new ScalingResult("zookeeper, session " + zkSession.toMillis() + " ms, live mode, timer "
                + timer.toSeconds() + " s, " + phase.toSeconds() + " s a row, at most " + maxTotalRate
                + " fills/s in all", withRatios);
    }

    private static ScalingRow scalingRow(int gatewayCount, int instanceCount, double rate, Duration phase,
            Duration timer, Duration zkSession) throws Exception {
        SyncBench.log(String.format(java.util.Locale.ROOT, "gateways_scaling: %d gateways, %d instance(s), %.2f fills/s"
                + " a gateway, %d s", gatewayCount, instanceCount, rate, phase.toSeconds()));
        try (TestingServer zookeeper = new TestingServer(true);
                GatewayCluster cluster = new GatewayCluster("bench-scaling-" + gatewayCount + "x" + instanceCount,
                        gatewayCount, Map.of("PSYNC_CLUSTER", "zookeeper",
                                "PSYNC_CLUSTER_ZOOKEEPER", zookeeper.getConnectString(),
                                "PSYNC_CLUSTER_ZOOKEEPER_SESSION_TIMEOUT_MS", Long.toString(zkSession.toMillis()),
                                "PSYNC_SYNC_LIVE", "true",
                                "PSYNC_SYNC_PERIOD", timer.toSeconds() + "s"))) {
            for (int i = 1; i <= instanceCount; i++) {
                awaitStarted(cluster.start("i" + i));
            }
            List<String> names = cluster.gatewayNames();
            // Every gateway owned, live, and a first run of it committed.
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500))
                    .until(() -> count(cluster, "SELECT count(*) FROM gateway_owners WHERE live_since IS NOT NULL "
                            + "AND gateway IN (SELECT DISTINCT gateway FROM sync_runs WHERE status = 'SUCCEEDED')")
                            == gatewayCount);
            Map<String, Instant> madeAt = new ConcurrentHashMap<>();
            AtomicInteger sequence = new AtomicInteger();
            ScheduledExecutorService trader = Executors.newSingleThreadScheduledExecutor();
            long period = (long) (1e9 / (rate * gatewayCount));
            Instant from = Instant.now();
            long started = System.nanoTime();
            trader.scheduleAtFixedRate(() -> {
                String gateway = names.get(sequence.getAndIncrement() % names.size());
                Instant at = Instant.now(); // the execution's own time is whole seconds, as IB's
                Execution fill = cluster.trade(gateway, 1);
                madeAt.put(fill.execId(), at);
            }, 0, period, TimeUnit.NANOSECONDS);
            await().pollDelay(phase).atMost(phase.plusSeconds(5)).until(() -> true);
            trader.shutdown();
            assertThat(trader.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
            double seconds = (System.nanoTime() - started) / 1e9;
            Instant to = Instant.now();
            String[] ids = madeAt.keySet().toArray(String[]::new);
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500))
                    .until(() -> count(cluster, "SELECT count(*) FROM executions e JOIN sync_runs r "
                            + "ON r.id = e.first_seen_run_id WHERE r.status = 'SUCCEEDED' AND e.exec_id = ANY(?)",
                            (Object) ids) == ids.length);
            List<Duration> latencies = new ArrayList<>();
            try (Connection c = cluster.database().connection(); PreparedStatement s = c.prepareStatement(
                    "SELECT e.exec_id, r.finished_at FROM executions e JOIN sync_runs r ON r.id = e.first_seen_run_id "
                            + "WHERE e.exec_id = ANY(?)")) {
                s.setArray(1, c.createArrayOf("text", ids));
                try (ResultSet rows = s.executeQuery()) {
                    while (rows.next()) {
                        Instant committed = rows.getObject(2, OffsetDateTime.class).toInstant();
                        latencies.add(Duration.between(madeAt.get(rows.getString(1)), committed));
                    }
                }
            }
            Collections.sort(latencies);
            long runs = count(cluster, "SELECT count(*) FROM sync_runs WHERE status = 'SUCCEEDED' "
                    + "AND finished_at >= ? AND finished_at < ?", at(from), at(to));
            long eventRuns = count(cluster, "SELECT count(*) FROM sync_runs WHERE status = 'SUCCEEDED' "
                    + "AND trigger = 'EVENT' AND finished_at >= ? AND finished_at < ?", at(from), at(to));
            Map<String, Integer> spread = new TreeMap<>();
            for (String gateway : names) {
                spread.merge(cluster.owner(gateway).orElse("none"), 1, Integer::sum);
            }
            ScalingRow row = new ScalingRow(gatewayCount, instanceCount, round(rate), ids.length, round(seconds), runs,
                    round(runs / seconds), round(eventRuns / seconds), secondsOf(percentile(latencies, 0.50)),
                    secondsOf(percentile(latencies, 0.99)), secondsOf(latencies.get(latencies.size() - 1)), spread,
                    null, null);
            SyncBench.log("gateways_scaling: " + row);
            return row;
        }
    }

    private static OffsetDateTime at(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    private static long count(GatewayCluster cluster, String sql, Object... parameters) throws Exception {
        try (Connection c = cluster.database().connection(); PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                if (parameters[i] instanceof String[] texts) {
                    s.setArray(i + 1, c.createArrayOf("text", texts));
                } else {
                    s.setObject(i + 1, parameters[i]);
                }
            }
            try (ResultSet rows = s.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    private static Duration percentile(List<Duration> sorted, double p) {
        int index = (int) Math.ceil(p * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    private static double secondsOf(Duration duration) {
        return Math.round(duration.toNanos() / 1e6) / 1000.0;
    }

    private static double round(double value) {
        return Math.round(value * 100) / 100.0;
    }
}

package io.positionsync.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import io.positionsync.ibkr.TwsBrokerGateway;
import io.positionsync.ibkr.TwsGatewayConfig;
import io.positionsync.ibkr.sim.DecodeBench;
import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.ibkr.sim.PortfolioEntry;
import io.positionsync.ibkr.sim.Position;
import io.positionsync.ibkr.sim.SimulatorOptions;

/**
 * The sync benchmark ({@code mvn -B -Pbench verify}; not part of {@code mvn verify}). For each portfolio size it
 * starts a fresh schema, the gateway simulator with a generated portfolio on a loopback socket, and the service in a
 * child JVM ({@code -Xmx256m}), then times end to end (trigger to committed run) {@code first_sync},
 * {@code steady_resync} and {@code churn_resync}, and at the largest size {@code accounts_scaling}; beside each, the
 * baseline: plain JDBC batched inserts of the same rows into a copy of {@code positions} on the same database in the
 * same run. Warm-up runs first, then the measured runs; medians. Targets are printed, never asserted: what is
 * asserted is that every run succeeded and did what its case means. Writes {@code target/bench/results.json}.
 *
 * <p>System properties: {@code psync.bench.sizes} (1000,10000,100000), {@code psync.bench.runs} (5),
 * {@code psync.bench.large-runs} (runs of the 100 000 cases, 5), {@code psync.bench.warmups} (1),
 * {@code psync.bench.scaling-accounts} (1,10,100,1000), {@code psync.bench.xmx} (256m), {@code psync.bench.jfr}
 * (true: a flight recording of the service per scenario under {@code target/bench/}),
 * {@code psync.bench.cases} (the cases to run, all by default), {@code psync.bench.set.<key>} (any setting of the service, e.g. to compare configurations),
 * {@code psync.bench.live-accounts} (10), {@code psync.bench.live-latency-ms} (50), {@code psync.bench.live-seconds} (60)
 * and {@code psync.bench.live-rates} (1,5,20) for {@code live_latency} ({@link LiveLatencyBench}),
 * {@code psync.bench.fa-accounts} (1000) and {@code psync.bench.fa-latency-ms} (50) for {@code fa_snapshot}: one whole
 * snapshot of that many accounts, in-process, against a simulator that enforces IB's pacing and refuses
 * {@code reqPositions} above 50 accounts, compared with its pacing floor (the messages sent at 45 a second);
 * for {@code failover} and {@code gateways_scaling} ({@link ClusterBench}): {@code psync.bench.failover-services}
 * (file,zookeeper), {@code psync.bench.failover-kills} (5), {@code psync.bench.zk-session-ms} (4000),
 * {@code psync.bench.file-interval-ms} (500), {@code psync.bench.file-multiplier} (4),
 * {@code psync.bench.scaling-gateways} (1,10,50), {@code psync.bench.scaling-instances} (1,3),
 * {@code psync.bench.scaling-rate} (fills a second per gateway, 1), {@code psync.bench.scaling-max-rate} (fills a
 * second over all gateways, 50), {@code psync.bench.scaling-seconds} (20) and
 * {@code psync.bench.scaling-timer-seconds} (the instances' timer period, 30).
 */
class SyncBench {
    private static final int LARGE = 100_000;
    private static final long SEED = 20261130L;
    private static final double MB = 1024.0 * 1024.0;

    private final Path out = Path.of(System.getProperty("psync.bench.out", "target/bench"));
    private final int runs = Integer.getInteger("psync.bench.runs", 5);
    private final int largeRuns = Integer.getInteger("psync.bench.large-runs", 5);
    private final int warmups = Integer.getInteger("psync.bench.warmups", 1);
    private final int[] sizes = ints(System.getProperty("psync.bench.sizes", "1000,10000,100000"));
    private final int[] scalingAccounts = ints(System.getProperty("psync.bench.scaling-accounts", "1,10,100,1000"));
    private final String xmx = System.getProperty("psync.bench.xmx", "256m");
    private final boolean jfr = Boolean.getBoolean("psync.bench.jfr");
    private final List<String> only = List.of(System.getProperty("psync.bench.cases",
            "first_sync,steady_resync,churn_resync,accounts_scaling,decode,fa_snapshot,live_latency,failover,"
            + "gateways_scaling").split(","));
    private final int liveAccounts = Integer.getInteger("psync.bench.live-accounts", 10);
    private final int liveLatencyMs = Integer.getInteger("psync.bench.live-latency-ms", 50);
    private final int liveSeconds = Integer.getInteger("psync.bench.live-seconds", 60);
    private final double[] liveRates = java.util.Arrays.stream(System.getProperty("psync.bench.live-rates", "1,5,20")
            .split(",")).mapToDouble(Double::parseDouble).toArray();
    private static final List<String> DATABASE_CASES = List.of("first_sync", "steady_resync", "churn_resync",
            "accounts_scaling");
    private final int faAccounts = Integer.getInteger("psync.bench.fa-accounts", 1000);
    private final int faLatencyMs = Integer.getInteger("psync.bench.fa-latency-ms", 50);
    private final List<String> failoverServices = List.of(System.getProperty("psync.bench.failover-services",
            "file,zookeeper").split(","));
    private final int failoverKills = Integer.getInteger("psync.bench.failover-kills", 5);
    private final Duration zkSession = Duration.ofMillis(Long.getLong("psync.bench.zk-session-ms", 4000));
    private final Duration fileInterval = Duration.ofMillis(Long.getLong("psync.bench.file-interval-ms", 500));
    private final int fileMultiplier = Integer.getInteger("psync.bench.file-multiplier", 4);
    private final int[] scalingGateways = ints(System.getProperty("psync.bench.scaling-gateways", "1,10,50"));
    private final int[] scalingInstances = ints(System.getProperty("psync.bench.scaling-instances", "1,3"));
    private final double scalingRate = Double.parseDouble(System.getProperty("psync.bench.scaling-rate", "1"));
    private final double scalingMaxRate = Double.parseDouble(System.getProperty("psync.bench.scaling-max-rate", "50"));
    private final Duration scalingPhase = Duration.ofSeconds(Long.getLong("psync.bench.scaling-seconds", 20));
    private final Duration scalingTimer = Duration.ofSeconds(Long.getLong("psync.bench.scaling-timer-seconds", 30));

    /** One measured case, as results.json holds it. */
    record CaseResult(String name, int positions, int accounts, double median_s, double baseline_s, double ratio,
            double peak_heap_mb, double gc_s, int runs, double min_s, double max_s, String measures, String target,
            Double vs_one_account) {
    }

    /**
     * A whole snapshot of a master of many accounts against a gateway enforcing IB's pacing and refusing
     * {@code reqPositions}, each request answered {@code latency_ms} late: how close it comes to its pacing floor.
     */
    record FaSnapshotResult(int accounts, int positions, int latency_ms, double seconds, long messages,
            double pacing_floor_s, double ratio, boolean pacing_violation, boolean complete, String target) {
    }

    record DecodeResult(int messages, long bytes, double messages_per_s, double raw_read_messages_per_s, double ratio,
            String target) {
    }

    /** One sync run in the child. */
    record Run(double seconds, String status, int opened, int updated, int closed, int unchanged, long peakHeap,
            long peakUsed, double gcSeconds, String error) {
    }

    @Test
    void benchmark() throws Exception {
        Files.createDirectories(out);
        long started = System.nanoTime();
        List<CaseResult> cases = new ArrayList<>();
        Map<String, Object> environment = new LinkedHashMap<>();
        environment.put("cpus", Runtime.getRuntime().availableProcessors());
        environment.put("java", System.getProperty("java.version"));
        boolean databaseCases = only.stream().anyMatch(c -> DATABASE_CASES.contains(c));
        if (databaseCases) {
            try (BenchDatabase database = BenchDatabase.start()) {
                environment.put("database", database.describe());
                environment.put("service_heap", "-Xmx" + xmx);
                for (int size : sizes) {
                    int accounts = Math.max(1, size / 1000);
                    int n = size >= LARGE ? largeRuns : runs;
                    cases.addAll(scenario(database, size, accounts, n));
                }
                int largest = Arrays.stream(sizes).max().orElse(LARGE);
                if (only.contains("accounts_scaling")) {
                    cases.addAll(accountsScaling(database, largest, cases));
                }
            }
        }
        log("decode: " + (1_000_000) + " position frames over a loopback socket");
        DecodeBench.Rates rates = only.contains("decode") ? DecodeBench.measure(1_000_000, warmups, runs)
                : new DecodeBench.Rates(0, 0, Double.NaN, Double.NaN);
        DecodeResult decode = new DecodeResult(rates.messages(), rates.bytes(), round(rates.decodedPerSecond(), 0),
                round(rates.rawPerSecond(), 0), round(rates.decodedPerSecond() / rates.rawPerSecond(), 3),
                "ratio >= 0.5");
        FaSnapshotResult fa = only.contains("fa_snapshot") ? faSnapshot() : null;
        LiveLatencyBench.Result liveLatency = null;
        if (only.contains("live_latency")) {
            log("live_latency: " + liveAccounts + " accounts, " + liveLatencyMs + " ms latency, pacing enforced, "
                    + liveSeconds + " s per rate " + Arrays.toString(liveRates));
            liveLatency = LiveLatencyBench.measure(liveAccounts, liveLatencyMs, java.time.Duration.ofSeconds(liveSeconds),
                    liveRates);
        }
        List<ClusterBench.FailoverResult> failover = new ArrayList<>();
        if (only.contains("failover")) {
            for (String service : failoverServices) {
                log("failover: " + service + ", " + failoverKills + " kills, 3 instances, 2 gateways");
                failover.add(ClusterBench.failover(service, failoverKills, zkSession, fileInterval, fileMultiplier,
                        out));
            }
        }
        ClusterBench.ScalingResult scaling = !only.contains("gateways_scaling") ? null
                : ClusterBench.gatewaysScaling(scalingGateways, scalingInstances, scalingRate, scalingMaxRate,
                        scalingPhase, scalingTimer, zkSession);
        environment.put("total_s", round((System.nanoTime() - started) / 1e9, 1));

        Map<String, Object> results = new LinkedHashMap<>();
        results.put("cases", cases);
        results.put("decode", decode);
        results.put("fa_snapshot", fa);
        results.put("live_latency", liveLatency);
        results.put("failover", failover.isEmpty() ? null : failover);
        results.put("gateways_scaling", scaling);
        results.put("environment", environment);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("results.json").toFile(),
                results);
        String table = table(cases, decode, environment) + liveTable(liveLatency) + failoverTable(failover)
                + scalingTable(scaling)
                + (fa == null ? "" : String.format(Locale.ROOT, "fa_snapshot: %d accounts, %d ms latency: %.1f s,"
                        + " %d messages, pacing floor %.1f s (messages / 45 a second), ratio %.2f (target %s),"
                        + " pacing violation %s, complete %s%n", fa.accounts(), fa.latency_ms(), fa.seconds(),
                        fa.messages(), fa.pacing_floor_s(), fa.ratio(), fa.target(), fa.pacing_violation(),
                        fa.complete()));
        Files.writeString(out.resolve("results.txt"), table);
        System.out.println(table);
        assertThat(cases.isEmpty() && fa == null && liveLatency == null && failover.isEmpty() && scaling == null)
                .as("something was measured").isFalse();
    }

    /** The failover lines of results.txt. */
    private static String failoverTable(List<ClusterBench.FailoverResult> failover) {
        StringBuilder table = new StringBuilder();
        for (ClusterBench.FailoverResult f : failover) {
            table.append(String.format(Locale.ROOT, "failover[%s] (%s; 3 instances, 2 gateways): %d kills, kill -9 to"
                    + " first committed run on the new owner p50 %d ms, max %d ms; bound %d ms, ratio p50 %.2f,"
                    + " max %.2f; each %s%n", f.service(), f.settings(), f.kills(), f.p50_ms(), f.max_ms(),
                    f.bound_ms(), f.p50_ratio(), f.max_ratio(), f.each().stream().map(k -> k.ms() + "").toList()));
        }
        return table.toString();
    }

    /** The gateways_scaling lines of results.txt. */
    private static String scalingTable(ClusterBench.ScalingResult scaling) {
        if (scaling == null) {
            return "";
        }
        StringBuilder table = new StringBuilder("gateways_scaling (" + scaling.settings() + "):"
                + System.lineSeparator());
        table.append(String.format(Locale.ROOT, "  %8s %9s %8s %6s %7s %9s %7s %7s %7s %8s %8s  %s%n", "gateways",
                "instances", "fills/s", "fills", "runs/s", "event/s", "p50_s", "p99_s", "max_s", "runs_vs1",
                "p99_vs1", "spread"));
        for (ClusterBench.ScalingRow r : scaling.rows()) {
            table.append(String.format(Locale.ROOT, "  %8d %9d %8.2f %6d %7.2f %9.2f %7.3f %7.3f %7.3f %8.2f %8.2f  %s%n",
                    r.gateways(), r.instances(), r.fills_per_s_per_gateway(), r.fills(), r.runs_per_s(),
                    r.event_runs_per_s(), r.p50_s(), r.p99_s(), r.max_s(), r.runs_vs_first(), r.p99_vs_first(),
                    r.spread()));
        }
        return table.toString();
    }

    /** The live_latency lines of results.txt. */
    private static String liveTable(LiveLatencyBench.Result live) {
        if (live == null) {
            return "";
        }
        StringBuilder table = new StringBuilder(String.format(Locale.ROOT, "live_latency: %d accounts, %d ms latency,"
                + " pacing enforced, %.0f s per rate%n", live.accounts(), live.latency_ms(), live.seconds_per_rate()));
        for (LiveLatencyBench.Phase phase : live.phases()) {
            table.append(String.format(Locale.ROOT, "  %5.1f fills/s: %d fills, fill-to-commit p50 %.3f s, p99 %.3f s,"
                    + " max %.3f s; %d event runs (%.2f/s, %.1f fills a run); %.1f db transactions/s%s%n",
                    phase.fills_per_s(), phase.fills(), phase.p50_s(), phase.p99_s(), phase.max_s(), phase.event_runs(),
                    phase.runs_per_s(), phase.fills_per_run(), phase.db_transactions_per_s(),
                    phase.target().isEmpty() ? "" : " (target " + phase.target() + ")"));
        }
        return table.toString();
    }

    /**
     * fa_snapshot: one whole snapshot of {@code psync.bench.fa-accounts} accounts (two positions each) with the client
     * in-process at its default pace (45 a second) against a simulator that enforces IB's 50, refuses
     * {@code reqPositions} above 50 accounts and answers every request {@code psync.bench.fa-latency-ms} late. The
     * pacing floor is the messages the client sent divided by 45 a second.
     */
    private FaSnapshotResult faSnapshot() throws Exception {
        log("fa_snapshot: " + faAccounts + " accounts, " + faLatencyMs + " ms latency, pacing enforced");
        BenchPortfolio portfolio = BenchPortfolio.generate(2 * faAccounts, faAccounts, SEED);
        SimulatorOptions options = SimulatorOptions.defaults().withPacingLimit(SimulatorOptions.IB_PACING_LIMIT)
                .withPositionsAccountLimit(SimulatorOptions.IB_POSITIONS_ACCOUNT_LIMIT)
                .withLatency(java.time.Duration.ofMillis(faLatencyMs));
        try (GatewaySimulator simulator = new GatewaySimulator(portfolio.state(), options).start();
                TwsBrokerGateway client = new TwsBrokerGateway(new TwsGatewayConfig("127.0.0.1", simulator.port(), 43,
                        java.time.Duration.ofSeconds(10), java.time.Duration.ofSeconds(15),
                        java.time.Duration.ofSeconds(1), java.time.Duration.ofSeconds(10)))) {
            client.connect();
            long before = simulator.messagesReceived();
            long start = System.nanoTime();
            io.positionsync.sync.BrokerSnapshot snapshot = client.snapshot();
            double seconds = (System.nanoTime() - start) / 1e9;
            long messages = simulator.messagesReceived() - before;
            double floor = messages / (double) client.config().maxMessagesPerSecond();
            FaSnapshotResult result = new FaSnapshotResult(snapshot.accounts().size(), snapshot.positions().size(),
                    faLatencyMs, round(seconds, 2), messages, round(floor, 2), round(seconds / floor, 3),
                    simulator.pacingViolations() > 0, snapshot.complete(), "ratio <= 1.5");
            log("fa_snapshot: " + result + (snapshot.complete() ? "" : "; " + snapshot.incompleteReason()));
            assertThat(snapshot.complete()).as("fa_snapshot complete: %s", snapshot.incompleteReason()).isTrue();
            return result;
        }
    }

    // ------------------------------------------------------------------------------------------ scenarios

    /** first_sync, steady_resync and churn_resync for one portfolio. */
    private List<CaseResult> scenario(BenchDatabase database, int size, int accounts, int n) throws Exception {
        String schema = "bench_" + size + "_" + accounts;
        String url = database.createSchema(schema);
        BenchPortfolio portfolio = BenchPortfolio.generate(size, accounts, SEED);
        List<CaseResult> results = new ArrayList<>();
        try (GatewaySimulator simulator = new GatewaySimulator(portfolio.state(), SimulatorOptions.defaults()).start();
                Service service = Service.start(this, schema, url, database, simulator.port())) {
            double baseline = baseline(database, url, portfolio, n);
            log(String.format(Locale.ROOT, "%s: baseline %.3f s", schema, baseline));

            if (only.contains("first_sync")) {
                List<Run> first = measure(schema + " first_sync", n, i -> {
                    database.truncate(url);
                    return service.sync();
                });
                first.forEach(run -> assertThat(run.opened()).as("first sync opens every position").isEqualTo(size));
                results.add(result("first_sync", size, accounts, first, baseline, "first_sync", "ratio <= 1.5"));
            } else {
                assertThat(service.sync().opened()).as("first sync (untimed)").isEqualTo(size);
            }
            if (only.contains("steady_resync")) {
                List<Run> steady = measure(schema + " steady_resync", n, i -> service.sync());
                steady.forEach(run -> assertThat(run.unchanged()).as("nothing changed").isEqualTo(size));
                results.add(result("steady_resync", size, accounts, steady, baseline, "steady_resync", "ratio <= 0.5"));
            }
            // A run that fails (e.g. out of memory under the heap limit) is reported as such; the other cases go on.
            List<Run> churn;
            try {
                churn = !only.contains("churn_resync") ? List.of() : measure(schema + " churn_resync", n, i -> {
                portfolio.state().rollTradingDay();
                BenchPortfolio.Churn churned = portfolio.churn(0.10, 0.05, 0.05);
                Run run = service.sync();
                assertThat(run.status()).as("churn run " + i + ": " + run.error()).isEqualTo("SUCCEEDED");
                assertThat(run.opened()).as("new positions").isEqualTo(churned.opened());
                assertThat(run.closed()).as("closed positions").isGreaterThanOrEqualTo(churned.closed());
                assertThat(run.updated()).as("changed positions").isGreaterThanOrEqualTo(churned.changed());
                return run;
                });
            } catch (AssertionError | RuntimeException e) {
                log("churn_resync FAILED: " + e.getMessage());
                results.add(new CaseResult("churn_resync", size, accounts, Double.NaN, round(baseline, 3), Double.NaN,
                        Double.NaN, Double.NaN, 0, Double.NaN, Double.NaN, "churn_resync",
                        "FAILED: " + String.valueOf(e.getMessage()).replace('\n', ' '), null));
                churn = List.of();
            }
            if (!churn.isEmpty()) {
                results.add(result("churn_resync", size, accounts, churn, baseline, "churn_resync", "ratio <= 1.0"));
            }
        } finally {
            database.dropSchema(schema);
        }
        return results;
    }

    /**
     * The same positions over 1, 10, 100 and 1 000 accounts: one untimed first sync, then steady resyncs (the run
     * that repeats all day, where the per-account round trips weigh most). The scenario already measured reuses
     * its steady_resync.
     */
    private List<CaseResult> accountsScaling(BenchDatabase database, int size, List<CaseResult> measured)
            throws Exception {
        List<CaseResult> results = new ArrayList<>();
        double baseline = measured.stream().filter(c -> c.positions() == size).mapToDouble(CaseResult::baseline_s)
                .findFirst().orElse(Double.NaN);
        for (int accounts : scalingAccounts) {
            CaseResult steady = measured.stream()
                    .filter(c -> c.name().equals("steady_resync") && c.positions() == size && c.accounts() == accounts)
                    .findFirst().orElse(null);
            if (steady == null) {
                String schema = "bench_scaling_" + size + "_" + accounts;
                String url = database.createSchema(schema);
                BenchPortfolio portfolio = BenchPortfolio.generate(size, accounts, SEED);
                try (GatewaySimulator simulator = new GatewaySimulator(portfolio.state(), SimulatorOptions.defaults())
                        .start(); Service service = Service.start(this, schema, url, database, simulator.port())) {
                    Run first = service.sync();
                    assertThat(first.opened()).isEqualTo(size);
                    log(String.format(Locale.ROOT, "%s: first sync %.3f s (untimed setup)", schema, first.seconds()));
                    List<Run> runs = measure(schema + " steady_resync", largeRuns, i -> service.sync());
                    runs.forEach(run -> assertThat(run.unchanged()).isEqualTo(size));
                    steady = result("steady_resync", size, accounts, runs, baseline, "steady_resync", null);
                } finally {
                    database.dropSchema(schema);
                }
            }
            results.add(new CaseResult("accounts_scaling", size, accounts, steady.median_s(), steady.baseline_s(),
                    steady.ratio(), steady.peak_heap_mb(), steady.gc_s(), steady.runs(), steady.min_s(), steady.max_s(),
                    "steady_resync", "1000 accounts <= 2x 1 account", null));
        }
        double one = results.stream().filter(c -> c.accounts() == 1).mapToDouble(CaseResult::median_s).findFirst()
                .orElse(Double.NaN);
        List<CaseResult> withRatio = new ArrayList<>();
        for (CaseResult c : results) {
            withRatio.add(new CaseResult(c.name(), c.positions(), c.accounts(), c.median_s(), c.baseline_s(), c.ratio(),
                    c.peak_heap_mb(), c.gc_s(), c.runs(), c.min_s(), c.max_s(), c.measures(), c.target(),
                    Double.isNaN(one) ? null : round(c.median_s() / one, 2)));
        }
        return withRatio;
    }

    interface Step {
        Run apply(int index) throws Exception;
    }

    /** Warm-up runs (discarded), then {@code n} measured ones; every run must succeed. */
    private List<Run> measure(String label, int n, Step step) throws Exception {
        List<Run> measured = new ArrayList<>();
        for (int i = 0; i < warmups + n; i++) {
            Run run = step.apply(i);
            assertThat(run.status()).as(label + " run " + i + ": " + run.error()).isEqualTo("SUCCEEDED");
            log(String.format(Locale.ROOT, "%s %s %d: %.3f s, live heap peak %.0f MB, used before GC %.0f MB, GC %.3f s"
                    + " (%d opened, %d updated, %d closed, %d unchanged)", label, i < warmups ? "warm-up" : "run", i,
                    run.seconds(), run.peakHeap() / MB, run.peakUsed() / MB, run.gcSeconds(), run.opened(),
                    run.updated(), run.closed(), run.unchanged()));
            if (i >= warmups) {
                measured.add(run);
            }
        }
        return measured;
    }

    private static CaseResult result(String name, int size, int accounts, List<Run> runs, double baseline,
            String measures, String target) {
        double[] seconds = runs.stream().mapToDouble(Run::seconds).sorted().toArray();
        double median = median(seconds);
        long peak = runs.stream().mapToLong(Run::peakHeap).max().orElse(0);
        double gc = median(runs.stream().mapToDouble(Run::gcSeconds).sorted().toArray());
        return new CaseResult(name, size, accounts, round(median, 3), round(baseline, 3), round(median / baseline, 2),
                round(peak / MB, 1), round(gc, 3), runs.size(), round(seconds[0], 3), round(seconds[seconds.length - 1], 3), measures,
                target, null);
    }

    // ------------------------------------------------------------------------------------------ baseline

    /**
     * Plain JDBC: the portfolio's rows (what a first sync stores in {@code positions}) as batched inserts into a
     * copy of the table (columns, defaults, constraints and indexes), one transaction; median of {@code n} runs
     * after the warm-up.
     */
    private double baseline(BenchDatabase database, String url, BenchPortfolio portfolio, int n) throws Exception {
        List<PortfolioEntry> rows = new ArrayList<>();
        for (Position position : portfolio.state().positions()) {
            rows.add(portfolio.state().portfolioEntry(position));
        }
        int chunk = 5000; // psync.db.write-chunk-size's default: the same statements per round trip
        try (Connection connection = database.connection(url)) {
            try (Statement s = connection.createStatement()) {
                s.execute("CREATE TABLE bench_baseline (LIKE positions INCLUDING ALL)");
            }
            double[] seconds = new double[n];
            for (int i = 0; i < warmups + n; i++) {
                try (Statement s = connection.createStatement()) {
                    s.execute("TRUNCATE bench_baseline");
                }
                connection.setAutoCommit(false);
                long startedAt = System.nanoTime();
                Timestamp now = Timestamp.from(Instant.now());
                try (PreparedStatement insert = connection.prepareStatement("INSERT INTO bench_baseline (account, con_id,"
                        + " symbol, sec_type, currency, multiplier, quantity, average_price, market_price, unrealized_pnl,"
                        + " status, opened_at, last_synced_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'OPEN', ?, ?)")) {
                    int pending = 0;
                    for (PortfolioEntry row : rows) {
                        BigDecimal multiplier = row.instrument().effectiveMultiplier();
                        insert.setString(1, row.position().account());
                        insert.setLong(2, row.position().conId());
                        insert.setString(3, row.instrument().symbol());
                        insert.setString(4, row.instrument().secType());
                        insert.setString(5, row.instrument().currency());
                        insert.setBigDecimal(6, multiplier);
                        insert.setBigDecimal(7, row.position().quantity());
                        insert.setBigDecimal(8, row.position().avgCost().divide(multiplier, 8, RoundingMode.HALF_EVEN));
                        insert.setBigDecimal(9, row.marketPrice());
                        insert.setBigDecimal(10, row.unrealizedPnl());
                        insert.setTimestamp(11, now);
                        insert.setTimestamp(12, now);
                        insert.addBatch();
                        if (++pending == chunk) {
                            insert.executeBatch();
                            pending = 0;
                        }
                    }
                    if (pending > 0) {
                        insert.executeBatch();
                    }
                }
                connection.commit();
                double elapsed = (System.nanoTime() - startedAt) / 1e9;
                connection.setAutoCommit(true);
                if (i >= warmups) {
                    seconds[i - warmups] = elapsed;
                }
            }
            Arrays.sort(seconds);
            return median(seconds);
        }
    }

    // ------------------------------------------------------------------------------------------ the service

    /** The service in its own JVM, driven over stdin/stdout. */
    private static final class Service implements AutoCloseable {
        private final Process process;
        private final BufferedReader answers;
        private final BufferedWriter commands;

        private Service(Process process) {
            this.process = process;
            this.answers = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            this.commands = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        }

        static Service start(SyncBench bench, String label, String url, BenchDatabase database, int port)
                throws Exception {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> command = new ArrayList<>(List.of(java, "-Xmx" + bench.xmx, "-cp",
                    System.getProperty("java.class.path")));
            if (bench.jfr) {
                command.add("-XX:StartFlightRecording=settings=profile,filename="
                        + bench.out.resolve(label + ".jfr").toAbsolutePath());
            }
            command.add("-Dlogback.configurationFile=" + Path.of("src/main/resources/logback.xml").toAbsolutePath());
            command.add(BenchService.class.getName());
            Map<String, String> properties = new LinkedHashMap<>();
            properties.put("psync.db.url", url);
            properties.put("psync.db.user", database.user());
            properties.put("psync.db.password", database.password());
            properties.put("psync.ibkr.host", "127.0.0.1");
            properties.put("psync.ibkr.port", Integer.toString(port));
            properties.put("psync.ibkr.client-id", "41");
            // A 100 000-position snapshot (and a busy day's executions) is larger than the service's defaults allow.
            properties.put("psync.ibkr.request-timeout-ms", "300000");
            properties.put("psync.ibkr.max-snapshot-messages", "5000000");
            properties.put("psync.ibkr.max-snapshot-positions", "1000000");
            properties.put("psync.sync.run-timeout-ms", "600000");
            properties.put("psync.db.statement-timeout-ms", "600000");
            properties.put("psync.db.socket-timeout-ms", "600000");
            properties.put("psync.sync.timer-enabled", "false");
            properties.put("camel.server.enabled", "false");
            properties.put("camel.management.enabled", "false");
            properties.put("camel.main.routes-include-pattern", "file:routes/sync.camel.yaml");
            // -Dpsync.bench.set.<key>=<value>: any other setting of the service, to compare configurations
            System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("psync.bench.set."))
                    .forEach(k -> properties.put(k.substring("psync.bench.set.".length()), System.getProperty(k)));
            properties.forEach((key, value) -> command.add(key + "=" + value));
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectError(bench.out.resolve(label + ".log").toFile());
            builder.environment().keySet().removeIf(name -> name.startsWith("PSYNC_"));
            Service service = new Service(builder.start());
            String ready = service.answer();
            if (!"ready".equals(ready)) {
                service.close();
                throw new IllegalStateException("the service did not start (" + ready + "); see " + label + ".log");
            }
            return service;
        }

        Run sync() throws Exception {
            commands.write("sync\n");
            commands.flush();
            String line = answer();
            if (line == null || !line.startsWith("result ")) {
                throw new IllegalStateException("the service answered " + line);
            }
            String[] f = line.split(" ", 11);
            return new Run(Long.parseLong(f[1]) / 1e9, f[2], Integer.parseInt(f[3]), Integer.parseInt(f[4]),
                    Integer.parseInt(f[5]), Integer.parseInt(f[6]), Long.parseLong(f[7]), Long.parseLong(f[8]),
                    Long.parseLong(f[9]) / 1e9, f[10]);
        }

        /** The next answer line; other output of the JVM (the flight recorder's notes) is skipped. */
        private String answer() throws java.io.IOException {
            String line;
            while ((line = answers.readLine()) != null && !line.equals("ready") && !line.startsWith("result ")
                    && !line.startsWith("error ")) {
                System.out.println("[service] " + line);
            }
            return line;
        }

        @Override
        public void close() throws Exception {
            try {
                commands.write("quit\n");
                commands.flush();
            } catch (java.io.IOException e) {
                // already gone
            }
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    // ------------------------------------------------------------------------------------------ output

    private static String table(List<CaseResult> cases, DecodeResult decode, Map<String, Object> environment) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%n%-17s %9s %8s %9s %10s %7s %8s %6s  %s%n", "case", "positions",
                "accounts", "median_s", "baseline_s", "ratio", "heap_MB", "gc_s", "target"));
        for (CaseResult c : cases) {
            String target = c.target() == null ? "" : c.target();
            if (c.vs_one_account() != null) {
                target = String.format(Locale.ROOT, "%.2fx of 1 account (target <= 2x)", c.vs_one_account());
            }
            s.append(String.format(Locale.ROOT, "%-17s %9d %8d %9.3f %10.3f %7.2f %8.1f %6.2f  %s%n", c.name(),
                    c.positions(), c.accounts(), c.median_s(), c.baseline_s(), c.ratio(), c.peak_heap_mb(), c.gc_s(),
                    target));
        }
        s.append(String.format(Locale.ROOT, "decode: %.0f position messages/s decoded, %.0f/s raw socket read,"
                + " ratio %.3f (target >= 0.5)%n", decode.messages_per_s(), decode.raw_read_messages_per_s(),
                decode.ratio()));
        s.append("environment: ").append(environment).append(System.lineSeparator());
        return s.toString();
    }

    static void log(String line) {
        System.out.println("[bench " + Instant.now() + "] " + line);
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static double round(double value, int places) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return value;
        }
        return BigDecimal.valueOf(value).setScale(places, RoundingMode.HALF_EVEN).doubleValue();
    }

    private static int[] ints(String list) {
        return Arrays.stream(list.split(",")).map(String::trim).filter(v -> !v.isEmpty()).mapToInt(Integer::parseInt)
                .toArray();
    }
}

package io.positionsync.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.positionsync.ibkr.sim.Execution;
import io.positionsync.ibkr.sim.Fill;
import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.ibkr.sim.Instrument;
import io.positionsync.ibkr.sim.Side;
import io.positionsync.ibkr.sim.SimulatorOptions;
import io.positionsync.ibkr.sim.SimulatorState;
import io.positionsync.run.LiveRuns;
import io.positionsync.store.TestDatabase;
import io.positionsync.testing.ServiceUnderTest;

/**
 * live_latency: the service in live mode against a simulator with {@code latency} per request and IB's pacing
 * enforced; a trader (another API client, heard because the service is the Master API client) fills across
 * {@code accounts} accounts at each rate for {@code phase}. Per rate: fill-to-commit p50 / p99 / max (from the
 * {@code execDetails} heard to the commit of the run holding the fill, as the service measures it for
 * {@code psync_live_fill_to_commit_seconds}), event runs per second, and database transactions per second (PostgreSQL's
 * {@code xact_commit} of the database over the phase: the service's runs, reads and the trader's nothing).
 */
final class LiveLatencyBench {
    private static final int SERVICE_CLIENT_ID = 41;
    private static final int TRADER_CLIENT_ID = 7;
    private static final long FIRST_CON_ID = 900_001;
    private static final int INSTRUMENTS = 5;

    /** One rate's figures. */
    record Phase(double fills_per_s, int fills, double p50_s, double p99_s, double max_s, long event_runs,
            double runs_per_s, double db_transactions_per_s, double fills_per_run, String target) {
    }

    record Result(int accounts, int latency_ms, double seconds_per_rate, List<Phase> phases) {
    }

    private LiveLatencyBench() {
    }

    static Result measure(int accounts, int latencyMs, Duration phase, double[] rates) throws Exception {
        SimulatorState broker = new SimulatorState().masterClientId(SERVICE_CLIENT_ID);
        List<String> codes = new ArrayList<>();
        for (int a = 1; a <= accounts; a++) {
            String code = String.format(Locale.ROOT, "DU%07d", a);
            codes.add(code);
            broker.addAccount(code);
        }
        for (int i = 0; i < INSTRUMENTS; i++) {
            broker.addInstrument(Instrument.stock(FIRST_CON_ID + i, "LIV" + i, "NYSE"));
            broker.setMarketPrice(FIRST_CON_ID + i, new BigDecimal("100.00"));
        }
        SimulatorOptions options = SimulatorOptions.defaults().withLatency(Duration.ofMillis(latencyMs))
                .withPacingLimit(SimulatorOptions.IB_PACING_LIMIT);
        List<Duration> measured = new CopyOnWriteArrayList<>();
        List<Phase> phases = new ArrayList<>();
        try (TestDatabase db = TestDatabase.create();
                GatewaySimulator sim = new GatewaySimulator(broker, options).start();
                ServiceUnderTest service = ServiceUnderTest.startPipeline(db, sim, Map.of("psync.sync.live", "true",
                        "psync.ibkr.request-timeout-ms", "20000", "psync.ibkr.commission-wait-ms", "500"))) {
            await().atMost(Duration.ofSeconds(60)).until(() -> service.count(
                    "SELECT count(*) FROM sync_runs WHERE trigger = 'EVENT' AND status = 'SUCCEEDED'") > 0);
            LiveRuns live = service.bean("liveRuns", LiveRuns.class);
            live.addObserver((fillToCommit, executionToCommit) -> measured.add(fillToCommit));
            AtomicInteger sequence = new AtomicInteger();
            for (double rate : rates) {
                measured.clear();
                long runsBefore = service.count("SELECT count(*) FROM sync_runs WHERE trigger = 'EVENT'");
                long xactBefore = transactions(service);
                List<Execution> fills = new CopyOnWriteArrayList<>();
                ScheduledExecutorService trader = Executors.newSingleThreadScheduledExecutor();
                long periodNanos = (long) (1e9 / rate);
                long started = System.nanoTime();
                trader.scheduleAtFixedRate(() -> {
                    int n = sequence.getAndIncrement();
                    String account = codes.get(n % codes.size());
                    long conId = FIRST_CON_ID + (n / codes.size()) % INSTRUMENTS;
                    // Buy then sell the same lot: positions stay small, every fill changes one.
                    Side side = (n / (codes.size() * INSTRUMENTS)) % 2 == 0 ? Side.BOT : Side.SLD;
                    fills.add(broker.trade(Fill.of(account, conId, side, BigDecimal.ONE, new BigDecimal("100.00"),
                            new BigDecimal("0.50")).withClientId(TRADER_CLIENT_ID)));
                }, 0, periodNanos, TimeUnit.NANOSECONDS);
                await().pollDelay(phase).atMost(phase.plusSeconds(5)).until(() -> true);
                trader.shutdown();
                assertThat(trader.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
                double seconds = (System.nanoTime() - started) / 1e9;
                await().atMost(Duration.ofSeconds(120)).until(() -> service.count(
                        "SELECT count(*) FROM executions WHERE state = 'APPLIED' AND exec_id = ANY(?)",
                        (Object) fills.stream().map(Execution::execId).toArray(String[]::new)) == fills.size());
                await().atMost(Duration.ofSeconds(30)).until(() -> measured.size() >= fills.size());
                long eventRuns = service.count("SELECT count(*) FROM sync_runs WHERE trigger = 'EVENT'") - runsBefore;
                double xact = (transactions(service) - xactBefore) / seconds;
                List<Duration> sorted = new ArrayList<>(measured);
                Collections.sort(sorted);
                phases.add(new Phase(rate, fills.size(), seconds(percentile(sorted, 0.50)),
                        seconds(percentile(sorted, 0.99)), seconds(sorted.get(sorted.size() - 1)), eventRuns,
                        round(eventRuns / seconds), round(xact), round(fills.size() / (double) eventRuns),
                        rate == 5 ? "p99 < 2 s" : rate == 20 ? "event runs < fills" : ""));
                System.out.println("[bench] live_latency: " + phases.get(phases.size() - 1));
            }
        }
        return new Result(accounts, latencyMs, phase.toSeconds(), phases);
    }

    private static long transactions(ServiceUnderTest service) throws Exception {
        return ((Number) service.query("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
                .get(0).get("xact_commit")).longValue();
    }

    private static Duration percentile(List<Duration> sorted, double p) {
        int index = (int) Math.ceil(p * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    private static double seconds(Duration duration) {
        return Math.round(duration.toNanos() / 1e6) / 1000.0;
    }

    private static double round(double value) {
        return Math.round(value * 100) / 100.0;
    }
}

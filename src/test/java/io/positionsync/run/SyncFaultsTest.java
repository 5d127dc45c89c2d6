package io.positionsync.run;

import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.sync.SyncTrigger;

import static io.positionsync.testing.SyncBook.AAPL;
import static io.positionsync.testing.SyncBook.ACCOUNT;
import static io.positionsync.testing.SyncBook.XYZ;
import static io.positionsync.testing.SyncBook.dec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.stream.Stream;

import org.apache.camel.builder.AdviceWith;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.positionsync.ibkr.BrokerGateway;
import io.positionsync.ibkr.ConnectionState;
import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.ibkr.sim.Side;
import io.positionsync.ibkr.sim.SnapshotPhase;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.ServiceUnderTest;
import io.positionsync.testing.SyncBook;
import io.positionsync.testing.PositionSyncService.Gateway;
import io.positionsync.testing.PositionSyncService.Lifecycle;
import io.positionsync.testing.PositionSyncService.Profile;

/**
 * Faults at the broker and in the database never change a position: an incomplete snapshot is skipped,
 * a failing run rolls back whole, and both are recorded with their reason.
 */
@PositionSyncService(profile = Profile.PIPELINE, gateway = Gateway.BOOK, lifecycle = Lifecycle.PER_METHOD)
class SyncFaultsTest {
    private ServiceUnderTest h;

    @BeforeEach
    void start() throws Exception {
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("100"), dec("150.00"), dec("1.00"));
        h.broker().trade(ACCOUNT, XYZ, Side.BOT, dec("10"), dec("20.00"), BigDecimal.ZERO);
        assertThat(h.sync().status()).isEqualTo(SyncRunStatus.SUCCEEDED);
    }

    static Stream<Arguments> incompleteSnapshots() {
        return Stream.of(
                fault("drop after the first position", s -> s.faults().dropConnection(SnapshotPhase.POSITIONS, 1)),
                fault("drop before positionEnd", s -> s.faults().dropBeforeEnd(SnapshotPhase.POSITIONS)),
                fault("drop during account updates", s -> s.faults().dropDuringAccountUpdates(SyncBook.ACCOUNT_2)),
                fault("drop during executions", s -> s.faults().dropBeforeEnd(SnapshotPhase.EXECUTIONS)),
                fault("positionEnd never sent", s -> s.faults().withholdEnd(SnapshotPhase.POSITIONS)),
                fault("accountDownloadEnd never sent", s -> s.faults().withholdEnd(SnapshotPhase.ACCOUNT_UPDATES)),
                fault("execDetailsEnd never sent", s -> s.faults().withholdEnd(SnapshotPhase.EXECUTIONS)),
                fault("error 1100 while positions arrive", s -> s.faults().connectivityError(1100, SnapshotPhase.POSITIONS)),
                fault("malformed frame", s -> s.faults().malformedFrame(SnapshotPhase.ACCOUNT_UPDATES)),
                fault("oversized frame", s -> s.faults().oversizedFrame(SnapshotPhase.EXECUTIONS)));
    }

    private static Arguments fault(String name, Consumer<GatewaySimulator> inject) {
        return Arguments.of(name, inject);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("incompleteSnapshots")
    void incompleteSnapshotChangesNothing(String name, Consumer<GatewaySimulator> inject) throws Exception {
        // AAPL is sold out and XYZ grows: a complete snapshot would close one and update the other
        h.broker().trade(ACCOUNT, AAPL, Side.SLD, dec("100"), dec("160.00"), dec("1.00"));
        h.broker().trade(ACCOUNT, XYZ, Side.BOT, dec("10"), dec("21.00"), BigDecimal.ZERO);
        List<Map<String, Object>> before = h.allPositions();
        long executionsBefore = h.count("SELECT count(*) FROM executions");
        inject.accept(h.simulator);

        SyncRunSummary skipped = h.sync();

        assertThat(skipped.status()).as(name).isEqualTo(SyncRunStatus.SKIPPED_INCOMPLETE);
        assertThat(skipped.error()).startsWith("incomplete snapshot: ");
        assertThat(h.allPositions()).as("positions untouched").isEqualTo(before);
        assertThat(h.count("SELECT count(*) FROM executions")).isEqualTo(executionsBefore);
        Map<String, Object> run = h.query("SELECT status, error FROM sync_runs WHERE id = ?", skipped.runId()).get(0);
        assertThat(run.get("status")).isEqualTo("SKIPPED_INCOMPLETE");
        assertThat((String) run.get("error")).isEqualTo(skipped.error());

        // once the gateway is healthy again the next run applies what the broker says
        h.simulator.sendErrorToAll(1102);
        // (a reconnect may first meet the gateway still freeing the old clientId: 326, then backoff)
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50))
                .until(() -> h.sync().status() == SyncRunStatus.SUCCEEDED);
        assertThat(h.rows(ACCOUNT, AAPL).get(0).get("status")).isEqualTo("CLOSED");
        assertThat((BigDecimal) h.rows(ACCOUNT, AAPL).get(0).get("realized_pnl")).isEqualByComparingTo("998.00");
        assertThat((BigDecimal) h.openRow(ACCOUNT, XYZ).get("quantity")).isEqualByComparingTo("20");
    }

    @Test
    void unreachableGatewayFailsTheRunAndKeepsPositions() throws Exception {
        List<Map<String, Object>> before = h.allPositions();
        h.simulator.stop();
        // once the client has seen the drop, the run must try to reconnect and fail on the refused connect
        BrokerGateway gateway = h.context.getRegistry().lookupByNameAndType("brokerGateway", BrokerGateway.class);
        await().atMost(Duration.ofSeconds(10)).until(() -> gateway.state() == ConnectionState.DOWN);

        SyncRunSummary run = h.sync();

        assertThat(run.status()).isEqualTo(SyncRunStatus.FAILED);
        assertThat(run.error()).contains("BrokerException");
        assertThat(h.allPositions()).isEqualTo(before);
        assertThat(h.query("SELECT status FROM sync_runs WHERE id = ?", run.runId()).get(0).get("status")).isEqualTo("FAILED");
    }

    @Test
    void databaseFailureMidRunRollsBackEveryChangeAndRecordsTheFailure() throws Exception {
        List<Map<String, Object>> before = h.allPositions();
        long historyBefore = h.count("SELECT count(*) FROM position_history");
        // the broker now reports a change to every position; the database fails while the run writes them
        h.broker().trade(ACCOUNT, AAPL, Side.SLD, dec("40"), dec("155.00"), dec("0.40"));
        h.broker().trade(ACCOUNT, XYZ, Side.SLD, dec("10"), dec("21.00"), BigDecimal.ZERO);
        h.execute("""
                CREATE FUNCTION fail_history() RETURNS trigger AS $$
                BEGIN RAISE EXCEPTION 'disk full (injected)'; END $$ LANGUAGE plpgsql;
                CREATE TRIGGER fail_history BEFORE INSERT ON position_history
                FOR EACH STATEMENT EXECUTE FUNCTION fail_history();
                """);

        SyncRunSummary failed = h.sync();

        assertThat(failed.status()).isEqualTo(SyncRunStatus.FAILED);
        assertThat(failed.error()).contains("disk full (injected)");
        assertThat(h.allPositions()).as("previous state intact").isEqualTo(before);
        assertThat(h.count("SELECT count(*) FROM position_history")).isEqualTo(historyBefore);
        assertThat(h.count("SELECT count(*) FROM executions WHERE first_seen_run_id = ?", failed.runId())).isZero();
        Map<String, Object> run = h.query("SELECT status, error FROM sync_runs WHERE id = ?", failed.runId()).get(0);
        assertThat(run.get("status")).isEqualTo("FAILED");
        assertThat((String) run.get("error")).contains("disk full (injected)");

        h.execute("DROP TRIGGER fail_history ON position_history");
        SyncRunSummary recovered = h.sync();
        assertThat(recovered.status()).isEqualTo(SyncRunStatus.SUCCEEDED);
        assertThat((BigDecimal) h.openRow(ACCOUNT, AAPL).get("realized_pnl")).isEqualByComparingTo("199.20");
        assertThat(h.rows(ACCOUNT, XYZ).get(0).get("status")).isEqualTo("CLOSED");
    }

    @Test
    void anInstrumentFailingInTheSplitFailsTheRunWholeAndTheNextRunStartsAfresh() throws Exception {
        List<Map<String, Object>> before = h.allPositions();
        h.broker().trade(ACCOUNT, AAPL, Side.SLD, dec("40"), dec("155.00"), dec("0.40"));
        // reconciling a part of the run fails, as a rule that cannot fold an instrument would
        AtomicBoolean failing = new AtomicBoolean(true);
        AdviceWith.adviceWith(h.context, "sync-run", route -> route.weaveByToString("Bean.*reconcileProcessor.*")
                .before().process(exchange -> {
                    if (failing.get()) {
                        throw new IllegalStateException("cannot fold " + exchange.getMessage()
                                .getBody(RunState.Part.class).instruments().get(0).key().conId());
                    }
                }));

        SyncRunSummary failed = h.sync();

        assertThat(failed.status()).isEqualTo(SyncRunStatus.FAILED);
        assertThat(failed.error()).contains("IllegalStateException: cannot fold ");
        assertThat(h.allPositions()).as("nothing written").isEqualTo(before);
        Map<String, Object> run = h.query("SELECT status, error FROM sync_runs WHERE id = ?", failed.runId()).get(0);
        assertThat(run.get("status")).isEqualTo("FAILED");
        assertThat((String) run.get("error")).isEqualTo(failed.error());
        assertThat(h.count("SELECT count(*) FROM sync_runs WHERE status = 'RUNNING'")).isZero();

        failing.set(false);
        SyncRunSummary recovered = h.sync();
        assertThat(recovered.status()).as(recovered.error()).isEqualTo(SyncRunStatus.SUCCEEDED);
        assertThat((BigDecimal) h.openRow(ACCOUNT, AAPL).get("quantity")).isEqualByComparingTo("60");
    }

    @Test
    void concurrentTriggersProduceOneRun() throws Exception {
        long runsBefore = h.count("SELECT count(*) FROM sync_runs");
        // hold the run in flight until the second trigger has arrived
        h.simulator.faults().delayEnd(SnapshotPhase.POSITIONS, Duration.ofMillis(700));

        SyncCoordinator.InFlightRun first = h.triggers.request(SyncTrigger.MANUAL, null, null);
        SyncCoordinator.InFlightRun second = h.triggers.request(SyncTrigger.TIMER, null, null);

        assertThat(second).isSameAs(first);
        SyncRunSummary a = first.await(Duration.ofSeconds(20)).orElseThrow();
        SyncRunSummary b = second.await(Duration.ofSeconds(20)).orElseThrow();
        assertThat(b).isEqualTo(a);
        assertThat(a.status()).isEqualTo(SyncRunStatus.SUCCEEDED);
        assertThat(h.count("SELECT count(*) FROM sync_runs")).isEqualTo(runsBefore + 1);
    }

    @Test
    void runLeftRunningByACrashIsMarkedFailedAtStartUp() throws Exception {
        h.execute("INSERT INTO sync_runs (trigger, status, started_at) VALUES ('TIMER', 'RUNNING', now())");
        h.context.getRegistry().lookupByNameAndType("syncRunSteps", SyncRunSteps.class).failInterruptedRuns();
        assertThat(h.count("SELECT count(*) FROM sync_runs WHERE status = 'RUNNING'")).isZero();
        assertThat(h.query("SELECT error FROM sync_runs ORDER BY id DESC LIMIT 1").get(0).get("error").toString())
                .contains("interrupted");
    }
}

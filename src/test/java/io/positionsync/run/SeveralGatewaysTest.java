package io.positionsync.run;

import static io.positionsync.testing.SyncBook.AAPL;
import static io.positionsync.testing.SyncBook.ACCOUNT;
import static io.positionsync.testing.SyncBook.dec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.MeterRegistry;
import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.ibkr.sim.Instrument;
import io.positionsync.ibkr.sim.Side;
import io.positionsync.ibkr.sim.SimulatorOptions;
import io.positionsync.ibkr.sim.SimulatorState;
import io.positionsync.store.TestDatabase;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.sync.SyncTrigger;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.PositionSyncService.Gateway;
import io.positionsync.testing.PositionSyncService.Lifecycle;
import io.positionsync.testing.PositionSyncService.Profile;
import io.positionsync.testing.ServiceUnderTest;

/**
 * One instance, two gateways ({@code PSYNC_GATEWAYS}), no cluster service: a timer route per gateway from the
 * template, each gateway's runs its own (gateway and instance recorded), a slow gateway never holding up another's
 * runs (a coordinator and a run lock per gateway), and meters per gateway.
 */
@PositionSyncService(profile = Profile.NONE, gateway = Gateway.BOOK, lifecycle = Lifecycle.PER_METHOD)
class SeveralGatewaysTest {
    private static final String SLOW_ACCOUNT = "DU6660001";
    /** Every request of the slow gateway's simulator waits this long. */
    private static final Duration SLOW = Duration.ofMillis(700);

    private TestDatabase db;
    private GatewaySimulator sim;
    /** The slow gateway's simulator (a record: the extension sets the one field of the simulator's type). */
    private Slow slowGateway;
    private ServiceUnderTest h;

    private record Slow(GatewaySimulator sim) {
    }

    @BeforeEach
    void twoGateways() throws Exception {
        SimulatorState slowBroker = new SimulatorState().addAccount(SLOW_ACCOUNT)
                .addInstrument(Instrument.stock(AAPL, "AAPL", "NASDAQ")).reportClosedAsZero(true).masterClientId(42);
        slowBroker.setMarketPrice(AAPL, dec("150.00"));
        slowBroker.continueExecIdsAfter(List.of(String.format("0000e0d5.%08x.01.01",
                java.time.Instant.now().getEpochSecond() + 5_000_000L)));
        GatewaySimulator slow = new GatewaySimulator(slowBroker, SimulatorOptions.defaults().withLatency(SLOW)).start();
        slowGateway = new Slow(slow);
        sim.state().masterClientId(41);
        h = ServiceUnderTest.startPipeline(db, sim, Map.of(
                "psync.gateways", "fast=" + sim.host() + ":" + sim.port() + ":41,slow=" + slow.host() + ":"
                        + slow.port() + ":42",
                "psync.instance", "instance-1",
                "psync.ibkr.request-timeout-ms", "20000"));
    }

    @AfterEach
    void stop() {
        ServiceUnderTest.closeAll(h, slowGateway == null ? null : slowGateway.sim());
    }

    private SyncCoordinator.InFlightRun request(String gateway) {
        return h.bean(Gateways.BEAN, Gateways.class).request(gateway, SyncTrigger.MANUAL, null, List.of());
    }

    @Test
    void eachGatewayHasItsTimerRouteAndItsOwnRunsWhichASlowGatewayNeverHoldsUp() throws Exception {
        assertThat(h.context().getRoute("sync-timer-fast")).isNotNull();
        assertThat(h.context().getRoute("sync-timer-slow")).isNotNull();
        assertThat(h.context().getRoute("sync-timer")).as("no default gateway is configured").isNull();
        sim.state().trade(ACCOUNT, AAPL, Side.BOT, dec("10"), dec("150.00"), dec("1.00"));
        slowGateway.sim().state().trade(SLOW_ACCOUNT, AAPL, Side.BOT, dec("7"), dec("150.00"), dec("1.00"));

        SyncCoordinator.InFlightRun slowRun = request("slow");
        await().atMost(Duration.ofSeconds(10)).until(() -> slowRun.runId().isDone());
        // While the slow gateway's run waits on its gateway, the fast gateway's runs start and commit.
        SyncRunSummary fast = request("fast").await(Duration.ofSeconds(30)).orElseThrow();
        SyncRunSummary fastAgain = request("fast").await(Duration.ofSeconds(30)).orElseThrow();
        assertThat(slowRun.result()).as("the slow gateway's run is still in flight").isNotDone();
        assertThat(List.of(fast.status(), fastAgain.status())).containsOnly(SyncRunStatus.SUCCEEDED);
        SyncRunSummary slowDone = slowRun.await(Duration.ofSeconds(60)).orElseThrow();
        assertThat(slowDone.status()).as(slowDone.error()).isEqualTo(SyncRunStatus.SUCCEEDED);

        assertThat(h.query("SELECT id, gateway, instance, epoch FROM sync_runs ORDER BY id"))
                .extracting(r -> r.get("gateway") + "|" + r.get("instance") + "|" + r.get("epoch"))
                .containsExactly("slow|instance-1|null", "fast|instance-1|null", "fast|instance-1|null");
        assertThat(h.query("SELECT account, quantity FROM positions WHERE status = 'OPEN' ORDER BY account"))
                .extracting(r -> r.get("account") + "|" + ((java.math.BigDecimal) r.get("quantity")).stripTrailingZeros()
                        .toPlainString())
                .containsExactly(ACCOUNT + "|10", SLOW_ACCOUNT + "|7");
        assertThat(h.query("SELECT account FROM executions ORDER BY account")).extracting(r -> r.get("account"))
                .containsExactly(ACCOUNT, SLOW_ACCOUNT);
    }

    @Test
    void theMetersCarryTheGateway() throws Exception {
        assertThat(request("fast").await(Duration.ofSeconds(30)).orElseThrow().status()).isEqualTo(SyncRunStatus.SUCCEEDED);
        MeterRegistry meters = h.bean("metricsRegistry", MeterRegistry.class);

        assertThat(meters.get("psync.gateway.runs").tags("gateway", "fast", "status", "SUCCEEDED").counter().count())
                .isEqualTo(1.0);
        assertThat(meters.find("psync.gateway.runs").tags("gateway", "slow").counter()).isNull();
        assertThat(meters.get("psync.gateway.owned").tags("gateway", "fast").gauge().value()).isEqualTo(1.0);
        assertThat(meters.get("psync.gateway.owned").tags("gateway", "slow").gauge().value()).isEqualTo(1.0);
        assertThat(meters.get("psync.gateway.live").tags("gateway", "slow").gauge().value()).isZero();
    }
}

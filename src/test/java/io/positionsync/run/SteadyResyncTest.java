package io.positionsync.run;

import static io.positionsync.testing.SyncBook.AAPL;
import static io.positionsync.testing.SyncBook.ABC;
import static io.positionsync.testing.SyncBook.ACCOUNT;
import static io.positionsync.testing.SyncBook.XYZ;
import static io.positionsync.testing.SyncBook.dec;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

import io.positionsync.ibkr.BrokerGateway;
import io.positionsync.sync.InstrumentFacts;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.sync.SyncTrigger;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.ServiceUnderTest;
import io.positionsync.testing.PositionSyncService.Gateway;
import io.positionsync.testing.PositionSyncService.Lifecycle;
import io.positionsync.testing.PositionSyncService.Profile;

/**
 * A resync where the broker agrees with the stored rows: prepare counts the instruments reconcile could only
 * leave unchanged instead of handing them on, and hands on every instrument that can still change something.
 */
@PositionSyncService(profile = Profile.PIPELINE, gateway = Gateway.BOOK, lifecycle = Lifecycle.PER_METHOD)
class SteadyResyncTest {
    private ServiceUnderTest h;

    /** The run's prepare step on its own (nothing is written): what it hands to the split. */
    private RunState.Prepared prepare() throws Exception {
        SyncRunSteps steps = h.context.getRegistry().lookupByNameAndType("syncRunSteps", SyncRunSteps.class);
        BrokerGateway gateway = h.context.getRegistry().lookupByNameAndType("brokerGateway", BrokerGateway.class);
        RunState.Started run = new RunState.Started(0, SyncTrigger.MANUAL, Instant.now(), null);
        Exchange exchange = new DefaultExchange(h.context);
        exchange.getMessage().setBody(new RunState.Fetched(run, gateway.snapshot()));
        RunState.Prepared prepared = steps.prepare(exchange);
        assertThat(exchange.getMessage().getBody(RunState.Fetched.class).snapshot().positions())
                .as("the snapshot's messages are let go of").isEmpty();
        return prepared;
    }

    private static List<InstrumentFacts> handed(RunState.Prepared prepared) {
        List<InstrumentFacts> handed = new ArrayList<>();
        prepared.parts().forEachRemaining(part -> handed.addAll(part.instruments()));
        return handed;
    }

    @Test
    void onlyTheInstrumentWhoseMarketValuesMovedReachesReconcileYetEveryOneCountsAsUnchanged() throws Exception {
        h.broker().setPosition(ACCOUNT, AAPL, dec("100"), dec("150.00"));
        h.broker().setPosition(ACCOUNT, XYZ, dec("20"), dec("18.00"));
        h.broker().setPosition(ACCOUNT, ABC, dec("-30"), dec("12.50"));
        SyncRunSummary first = h.sync();
        assertThat(first.opened()).as(first.error()).isEqualTo(3);
        h.broker().setMarketPrice(AAPL, dec("171.25"));

        RunState.Prepared run = prepare();
        List<InstrumentFacts> handed = handed(run);

        assertThat(handed).extracting(f -> f.key().conId()).containsExactly(AAPL);
        assertThat(run.unchanged()).isEqualTo(2);
        // once prepared the run keeps only what persisting reads of the snapshot
        assertThat(run.snapshot().positions()).isEmpty();
        assertThat(run.snapshot().portfolio()).isEmpty();
        assertThat(run.snapshot().accounts()).contains(ACCOUNT);

        SyncRunSummary resync = h.sync();
        assertThat(resync.status()).as(resync.error()).isEqualTo(SyncRunStatus.SUCCEEDED);
        assertThat(List.of(resync.opened(), resync.updated(), resync.closed(), resync.unchanged()))
                .containsExactly(0, 0, 0, 3);
        assertThat((BigDecimal) h.openRow(ACCOUNT, AAPL).get("market_price")).isEqualByComparingTo("171.25");
        assertThat(h.count("SELECT unchanged FROM sync_runs WHERE id = ?", resync.runId())).isEqualTo(3);
    }

    @Test
    void anInstrumentWithAnOpenBreakGoesThroughReconcileAndTheAgreementItsEstimateMadeResolvesNothing() throws Exception {
        h.broker().setPosition(ACCOUNT, AAPL, dec("100"), dec("150.00"));
        h.broker().setPosition(ACCOUNT, XYZ, dec("20"), dec("18.00"));
        h.sync();
        h.broker().setPosition(ACCOUNT, AAPL, dec("120"), dec("151.00")); // no execution explains the 20
        SyncRunSummary estimated = h.sync();
        assertThat(estimated.status()).as(estimated.error()).isEqualTo(SyncRunStatus.SUCCEEDED);
        assertThat(h.count("SELECT count(*) FROM reconciliation_breaks WHERE con_id = ? AND resolved_at IS NULL", AAPL))
                .isEqualTo(1);

        // the broker now agrees with the stored AAPL row, but its break is open: reconcile must see it
        RunState.Prepared run = prepare();
        List<InstrumentFacts> handed = handed(run);
        assertThat(handed).extracting(f -> f.key().conId()).containsExactly(AAPL);
        assertThat(handed.get(0).openBreaks()).isNotEmpty();
        assertThat(run.unchanged()).isEqualTo(1);

        SyncRunSummary agreed = h.sync();
        assertThat(agreed.status()).as(agreed.error()).isEqualTo(SyncRunStatus.SUCCEEDED);
        assertThat(agreed.unchanged()).isEqualTo(2);
        // reconcile-and-pnl v3: the broker agrees only because of the estimate; the break stays open until a fact
        // (the missing execution) explains it
        assertThat(h.count("SELECT count(*) FROM reconciliation_breaks WHERE con_id = ? AND resolved_at IS NULL", AAPL))
                .isEqualTo(1);
        assertThat(h.count("SELECT count(*) FROM reconciliation_breaks WHERE resolved_run_id = ?", agreed.runId()))
                .isZero();
    }
}

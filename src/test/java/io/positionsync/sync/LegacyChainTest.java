package io.positionsync.sync;

import static io.positionsync.sync.Fixtures.TOLERANCE;

import static io.positionsync.sync.InstrumentReconcilerTest.d;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

/**
 * Chains stored by ledger version 2, whose entries are not always in time order: version 2 appended a fill reported
 * late at the end of the open lifecycle. Their figures are the fold in stored order, and version 3 keeps it: the
 * stored chain folds back to itself, and a new fill is added to it as to any chain.
 */
class LegacyChainTest {
    private static final String ACCOUNT = "DU1";
    private static final long CON_ID = 265598;
    private static final PositionKey KEY = new PositionKey(ACCOUNT, CON_ID);
    private static final Instant T0 = Instant.parse("2026-11-23T14:00:00Z");

    private final InstrumentReconciler reconciler = new InstrumentReconciler();

    private static LedgerEntry fill(String execId, Instant time, String quantity, String price, long runId) {
        return LedgerEntry.fill(execId, time, d(quantity), d(price), BigDecimal.ZERO, false, d(quantity).abs(),
                BigDecimal.ZERO, "USD", null, runId);
    }

    /**
     * Long 100 at 150 (first sight), SLD 20 at 160 an hour later, then BOT 50 at 140, executed between them but
     * reported after the sale: version 2 stored it last. In stored order the sale realizes 200 at the average 150;
     * in time order it would realize 266.67 at 146.67.
     */
    private static List<LedgerEntry> versionTwoEntries() {
        return List.of(LedgerEntry.openingBalance(T0, d("100"), d("150"), null, false, 1),
                fill("s.01", T0.plusSeconds(7_200), "-20", "160", 3),
                fill("b.01", T0.plusSeconds(3_600), "50", "140", 4));
    }

    private static StoredPosition row(List<LedgerEntry> entries) {
        LedgerState state = FillLedger.fold(entries, BigDecimal.ONE);
        return new StoredPosition(7, ACCOUNT, CON_ID, "X", "STK", "USD", BigDecimal.ONE, FillLedger.stored(state.quantity()),
                FillLedger.stored(state.average()), d("150"), null, FillLedger.stored(state.realized()), state.source(),
                PositionStatus.OPEN, T0, null, T0.plusSeconds(10_800));
    }

    private static SnapshotPosition broker(StoredPosition row) {
        return new SnapshotPosition(ACCOUNT, CON_ID, "X", "STK", "USD", BigDecimal.ONE, row.quantity(), row.averagePrice(),
                d("150"), null, null, null);
    }

    @Test
    void theStoredPlaceOfALateFillIsTheLatestFactBeforeIt() {
        assertThat(ChainFold.storedPlaces(List.of(versionTwoEntries())))
                .isEqualTo(Map.of("b.01", T0.plusSeconds(7_200)));
        // a chain in time order (every chain version 3 writes) has none
        List<LedgerEntry> inOrder = List.of(versionTwoEntries().get(0), versionTwoEntries().get(2),
                versionTwoEntries().get(1));
        assertThat(ChainFold.storedPlaces(List.of(inOrder))).isEmpty();
    }

    @Test
    void aVersionTwoChainWithALateFillStoredLastFoldsBackToItself() {
        List<LedgerEntry> entries = versionTwoEntries();
        StoredPosition stored = row(entries);
        assertThat(stored.realizedPnl()).isEqualByComparingTo("200");

        InstrumentResult result = reconciler.reconcile(new InstrumentFacts(KEY, broker(stored), stored, entries,
                List.of(), List.of(), Map.of(), List.of(), List.of(), false, Set.of()),
                new RunInputs(5, T0.plusSeconds(14_400), TOLERANCE, Map.of()));

        assertThat(result.lifecycles()).singleElement().satisfies(write -> {
            assertThat(write.touchOnly()).as("nothing but a touch").isTrue();
            assertThat(write.history()).isEmpty();
            assertThat(write.entries()).isEmpty();
        });
        assertThat(result.breaks()).isEmpty();
    }

    @Test
    void aNewFillIsAddedToAVersionTwoChainWithoutRefoldingItsPast() {
        List<LedgerEntry> entries = versionTwoEntries();
        StoredPosition stored = row(entries);
        BrokerExecution sale = new BrokerExecution("s.02", ACCOUNT, CON_ID, "X", "STK", "SLD", d("30"), d("150"),
                T0.plusSeconds(14_000), 1, 1, BigDecimal.ZERO, "USD", null, "USD", BigDecimal.ONE);
        SnapshotPosition broker = new SnapshotPosition(ACCOUNT, CON_ID, "X", "STK", "USD", BigDecimal.ONE, d("100"),
                stored.averagePrice(), d("150"), null, null, null);

        InstrumentResult result = reconciler.reconcile(new InstrumentFacts(KEY, broker, stored, entries, List.of(),
                List.of(sale), Map.of(), List.of(), List.of(), false, Set.of()),
                new RunInputs(5, T0.plusSeconds(14_400), TOLERANCE, Map.of()));

        LedgerState expected = FillLedger.fold(List.of(entries.get(0), entries.get(1), entries.get(2),
                fill("s.02", T0.plusSeconds(14_000), "-30", "150", 5)), BigDecimal.ONE);
        assertThat(result.lifecycles()).singleElement().satisfies(write -> {
            assertThat(write.rewriteEntries()).as("the stored entries stay as they are").isFalse();
            assertThat(write.entries()).extracting(LedgerEntry::execId).containsExactly("s.02");
            assertThat(write.history()).extracting(HistoryEntry::kind).containsExactly(ChangeKind.REDUCED);
            assertThat(write.row().quantity()).isEqualByComparingTo("100");
            assertThat(write.row().realizedPnl()).isEqualByComparingTo(FillLedger.stored(expected.realized()));
        });
        assertThat(result.breaks()).isEmpty();
    }
}

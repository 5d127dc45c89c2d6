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
 * Reconcile-and-pnl version 3 case by case: late facts take their own place in time, closes without an execution
 * are priced at the last known market price, splits rebase without realizing, breaks resolve only when their own
 * comparison agrees, and the stored figures follow from the facts alone (the worked examples 7, 8 and 9).
 */
class RefoldTest {
    private static final String ACCOUNT = "DU1";
    private static final long CON_ID = 265598;
    private static final PositionKey KEY = new PositionKey(ACCOUNT, CON_ID);
    private static final Instant DAY1 = Instant.parse("2026-11-23T15:00:00Z");

    private final InstrumentReconciler reconciler = new InstrumentReconciler();

    private static Instant day(int day, int hour) {
        return DAY1.plusSeconds(86_400L * (day - 1) + 3_600L * hour);
    }

    private static BrokerExecution fill(String id, String side, String qty, String price, String commission,
            Instant time, String multiplier, String ibRealized) {
        return new BrokerExecution(id, ACCOUNT, CON_ID, "X", "STK", side, d(qty), d(price), time, 1, 1,
                commission == null ? null : d(commission), commission == null ? null : "USD",
                ibRealized == null ? null : d(ibRealized), "USD", d(multiplier));
    }

    private static BrokerExecution fill(String id, String side, String qty, String price, String commission,
            Instant time) {
        return fill(id, side, qty, price, commission, time, "1", null);
    }

    private static SnapshotPosition broker(String qty, String average, String market, String multiplier,
            String dailyRealized) {
        return new SnapshotPosition(ACCOUNT, CON_ID, "X", "STK", "USD", d(multiplier), d(qty),
                average == null ? null : d(average), market == null ? null : d(market), null, null,
                dailyRealized == null ? null : d(dailyRealized));
    }

    private static SnapshotPosition broker(String qty, String average, String market) {
        return broker(qty, average, market, "1", null);
    }

    private InstrumentResult run(Book book, SnapshotPosition broker, List<BrokerExecution> newFills,
            Map<String, BrokerExecution> corrections, Instant now, Map<String, Map<String, BigDecimal>> rates,
            Set<String> dayExecIds, boolean firstSight) {
        Lifecycle open = book.open();
        InstrumentFacts facts = new InstrumentFacts(KEY, broker, open == null ? null : open.row(),
                open == null ? null : open.entries(), book.closed(), newFills, corrections, List.of(), List.of(),
                Set.of(), firstSight, Set.copyOf(book.openBreaks), dayExecIds);
        InstrumentResult result = reconciler.reconcile(facts, new RunInputs(book.runId, now, TOLERANCE, rates));
        book.store(result);
        return result;
    }

    private InstrumentResult run(Book book, SnapshotPosition broker, List<BrokerExecution> newFills, Instant now) {
        return run(book, broker, newFills, Map.of(), now, Map.of(), Set.of(), false);
    }

    private static HistoryEntry history(InstrumentResult result, ChangeKind kind) {
        return result.lifecycles().stream().flatMap(w -> w.history().stream()).filter(h -> h.kind() == kind)
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " in " + result));
    }

    @Test
    void example8ALateFillIsFoldedAtItsOwnTimeNotAtTheEstimatesSlot() {
        Book book = new Book();
        // first sight: long 100 at 150.01
        run(book, broker("100", "150.01", "150"), List.of(), Map.of(), day(1, -2), Map.of(), Set.of(), true);
        // day 1, the service down: SLD 40 at 160.00. Day 2: BOT 20 at 158.00 seen; the broker holds 80 at 152.01
        BrokerExecution sale = fill("s.01", "SLD", "40", "160.00", "0.40", day(1, 1));
        BrokerExecution buy = fill("b.01", "BOT", "20", "158.00", "0.20", day(2, 1));
        InstrumentResult day2 = run(book, broker("80", "152.01", "159.00"), List.of(buy), day(2, 2));
        assertThat(day2.breaks()).extracting(BreakEvent::kind).contains(BreakKind.UNEXPLAINED_QUANTITY);
        assertThat(book.open().row().realizedPnlSource()).isEqualTo(RealizedPnlSource.MARKET_PRICE);

        // day 3: the day-1 sale is reported
        InstrumentResult day3 = run(book, broker("80", "152.01", "159.00"), List.of(sale), day(3, 2));

        Lifecycle open = book.open();
        assertThat(open.row().realizedPnl()).isEqualByComparingTo("399.20");
        assertThat(open.row().averagePrice()).isEqualByComparingTo("152.01");
        assertThat(open.row().quantity()).isEqualByComparingTo("80");
        assertThat(open.row().realizedPnlSource()).isEqualTo(RealizedPnlSource.EXECUTIONS);
        assertThat(open.entries()).extracting(LedgerEntry::kind)
                .containsExactly(EntryKind.OPENING_BALANCE, EntryKind.FILL, EntryKind.FILL);
        assertThat(open.entries()).extracting(LedgerEntry::execId).containsExactly(null, "s.01", "b.01");
        assertThat(history(day3, ChangeKind.ADJUSTED).realizedPnlTotal()).isEqualByComparingTo("399.20");
        assertThat(day3.breaks()).isEmpty();
        assertThat(book.openBreaks).as("the estimate's and the reset's breaks are explained by the late sale").isEmpty();
    }

    @Test
    void example7ACloseWithoutAnExecutionIsPricedAtTheLastKnownMarketPriceThenReplacedByTheRealSale() {
        Book book = new Book();
        run(book, broker("100", "150.01", "150"), List.of(fill("b.01", "BOT", "100", "150.00", "1.00", day(1, 0))),
                day(1, 1));
        run(book, broker("100", "150.01", "158.00"), List.of(), day(1, 2)); // the last market price: 158.00
        // the broker no longer lists the key and sends no price: the stored one prices the estimate
        InstrumentResult estimated = run(book, null, List.of(), day(1, 4));
        Lifecycle closed = book.closed().get(0);
        assertThat(closed.row().realizedPnl()).isEqualByComparingTo("799.00"); // (158.00 - 150.01) * 100
        assertThat(closed.row().realizedPnlSource()).isEqualTo(RealizedPnlSource.MARKET_PRICE);
        assertThat(closed.row().closedAt()).isEqualTo(day(1, 4));
        assertThat(estimated.warnings()).extracting(ReconcileWarning::reason).doesNotContain(ReconcileWarning.Reason.NO_PRICE);
        run(book, null, List.of(), day(1, 5));

        // two runs later the real SLD arrives, executed before the estimate's run
        InstrumentResult adjusted = run(book, null, List.of(fill("s.01", "SLD", "100", "160.00", "1.00", day(1, 3))),
                day(1, 6));
        closed = book.closed().get(0);
        assertThat(book.lifecycles).hasSize(1);
        assertThat(closed.row().realizedPnl()).isEqualByComparingTo("998.00");
        assertThat(closed.row().realizedPnlSource()).isEqualTo(RealizedPnlSource.EXECUTIONS);
        assertThat(closed.row().closedAt()).as("closed at the closing fill's time").isEqualTo(day(1, 3));
        HistoryEntry entry = history(adjusted, ChangeKind.ADJUSTED);
        assertThat(entry.realizedPnlBefore()).isEqualByComparingTo("799.00");
        assertThat(entry.realizedPnlTotal()).isEqualByComparingTo("998.00");
        assertThat(book.openBreaks).isEmpty();
    }

    @Test
    void anOptionExpiringWithoutAnExecutionRealizesThePremiumLostAtTheLastMarketPrice() {
        Book book = new Book();
        // long 2 calls (x100) at 3.00, commission 1.30: average 3.0065
        run(book, broker("2", "3.0065", "2.10", "100", null),
                List.of(fill("o.01", "BOT", "2", "3.00", "1.30", day(1, 0), "100", null)), day(1, 1));
        InstrumentResult expired = run(book, null, List.of(), day(2, 1));
        Lifecycle closed = book.closed().get(0);
        // (2.10 - 3.0065) * 2 * 100 = -181.30 at the last market price, not 0 at the average
        assertThat(closed.row().realizedPnl()).isEqualByComparingTo("-181.30");
        assertThat(closed.row().realizedPnlSource()).isEqualTo(RealizedPnlSource.MARKET_PRICE);
        assertThat(expired.breaks()).extracting(BreakEvent::kind).containsExactly(BreakKind.UNEXPLAINED_QUANTITY);

        // the broker's expiry record arrives: SLD 2 at 0.00 before the run
        run(book, null, List.of(fill("x.01", "SLD", "2", "0", "0", day(2, 0), "100", null)), day(2, 2));
        closed = book.closed().get(0);
        assertThat(closed.row().realizedPnl()).isEqualByComparingTo("-601.30");
        assertThat(closed.row().realizedPnlSource()).isEqualTo(RealizedPnlSource.EXECUTIONS);
        assertThat(book.openBreaks).isEmpty();
    }

    @Test
    void aCloseWithoutAnyPriceEverKnownRealizesZeroWithANote() {
        Book book = new Book();
        run(book, broker("100", "10.00", null), List.of(fill("b.01", "BOT", "100", "10.00", "0", day(1, 0))), day(1, 1));
        InstrumentResult result = run(book, null, List.of(), day(1, 2));
        assertThat(book.closed().get(0).row().realizedPnl()).isEqualByComparingTo("0");
        assertThat(result.warnings()).extracting(ReconcileWarning::reason).contains(ReconcileWarning.Reason.NO_PRICE);
    }

    @Test
    void example9AReverseSplitRebasesWithoutRealizingAndALaterSaleRealizesAgainstTheNewAverage() {
        Book book = new Book();
        run(book, broker("1000", "15.01", "15.00"), List.of(fill("b.01", "BOT", "1000", "15.00", "10.00", day(1, 0))),
                day(1, 1));
        // 1:10: 100 at 150.10, no fill, cost basis unchanged
        InstrumentResult split = run(book, broker("100", "150.10", "150.00"), List.of(), day(2, 1));
        Lifecycle open = book.open();
        assertThat(open.row().quantity()).isEqualByComparingTo("100");
        assertThat(open.row().averagePrice()).isEqualByComparingTo("150.10");
        assertThat(open.row().realizedPnl()).isNull();
        assertThat(split.breaks()).isEmpty();
        assertThat(split.fills().estimated()).isZero();
        assertThat(history(split, ChangeKind.SPLIT).quantityAfter()).isEqualByComparingTo("100");
        assertThat(open.entries()).extracting(LedgerEntry::kind).containsExactly(EntryKind.FILL, EntryKind.SPLIT);

        run(book, null, List.of(fill("s.01", "SLD", "100", "151.09", "1.00", day(3, 0))), day(3, 1));
        Lifecycle closed = book.closed().get(0);
        assertThat(closed.row().realizedPnl()).isEqualByComparingTo("98.00");
        assertThat(closed.row().realizedPnlSource()).isEqualTo(RealizedPnlSource.EXECUTIONS);
        // an unchanged re-run after the split changes nothing
        InstrumentResult again = run(book, null, List.of(), day(3, 2));
        assertThat(again.lifecycles()).isEmpty();
    }

    @Test
    void aLifecycleWithAnEstimateReportsMarketPriceEvenWhenItsRealizedAmountCameFromARealFill() {
        Book book = new Book();
        run(book, broker("100", "10.00", "10"), List.of(), Map.of(), day(1, 0), Map.of(), Set.of(), true);
        // 50 more appear with no execution (another client's fill): an estimated add
        run(book, broker("150", "10.50", "11"), List.of(), day(1, 2));
        run(book, broker("100", "10.50", "12"), List.of(fill("s.01", "SLD", "50", "12.00", "0", day(1, 3))), day(1, 4));
        assertThat(book.open().row().realizedPnl()).isEqualByComparingTo("75.00"); // (12 - 10.50) * 50
        assertThat(book.open().row().realizedPnlSource()).isEqualTo(RealizedPnlSource.MARKET_PRICE);
    }

    @Test
    void aMissingRateConvertsThePendingCommissionOnceItArrivesAndResolvesItsBreak() {
        Book book = new Book();
        Map<String, Map<String, BigDecimal>> noGbp = Map.of(ACCOUNT, Map.of("USD", d("1")));
        Map<String, Map<String, BigDecimal>> withGbp = Map.of(ACCOUNT, Map.of("USD", d("1"), "GBP", d("1.25")));
        run(book, broker("100", "10.00", "10"), List.of(fill("b.01", "BOT", "100", "10.00", "0", day(1, 0))), day(1, 1));
        BrokerExecution sale = new BrokerExecution("s.01", ACCOUNT, CON_ID, "X", "STK", "SLD", d("50"), d("11.00"),
                day(1, 2), 1, 1, d("2.00"), "GBP", null, "USD", BigDecimal.ONE);
        InstrumentResult noRate = run(book, broker("50", "10.00", "11"), List.of(sale), Map.of(), day(1, 3), noGbp,
                Set.of(), false);
        assertThat(noRate.breaks()).extracting(BreakEvent::kind).containsExactly(BreakKind.FX_RATE_MISSING);
        assertThat(book.open().row().realizedPnl()).isEqualByComparingTo("50.00");

        InstrumentResult converted = run(book, broker("50", "10.00", "11"), List.of(), Map.of(), day(1, 4), withGbp,
                Set.of(), false);
        // GBP 2.00 at 1.25: USD 2.50
        assertThat(book.open().row().realizedPnl()).isEqualByComparingTo("47.50");
        assertThat(converted.resolvedBreaks()).containsExactly(BreakRef.of(BreakKind.FX_RATE_MISSING));
        assertThat(book.open().entries()).noneMatch(LedgerEntry::commissionPending);
    }

    @Test
    void aCorrectionOfAClosingFillsQuantityReopensTheLifecycleFromRealFillsWithoutAnEstimate() {
        Book book = new Book();
        run(book, broker("100", "10.00", "10"), List.of(fill("b.01", "BOT", "100", "10.00", "0", day(1, 0))), day(1, 1));
        run(book, null, List.of(fill("s.01", "SLD", "100", "12.00", "0", day(1, 2))), day(1, 3));
        assertThat(book.closed()).hasSize(1);

        // IB corrects the sale to 60 shares: the broker holds 40
        InstrumentResult corrected = run(book, broker("40", "10.00", "12"), List.of(),
                Map.of("s.01", fill("s.02", "SLD", "60", "12.00", "0", day(1, 2))), day(1, 4), Map.of(), Set.of(), false);
        assertThat(book.closed()).isEmpty();
        Lifecycle open = book.open();
        assertThat(open.row().quantity()).isEqualByComparingTo("40");
        assertThat(open.row().realizedPnl()).isEqualByComparingTo("120.00");
        assertThat(open.row().closedAt()).isNull();
        assertThat(open.entries()).extracting(LedgerEntry::kind).doesNotContain(EntryKind.ESTIMATE);
        assertThat(corrected.breaks()).isEmpty();
    }

    @Test
    void theDailyCrossCheckComparesTheDaysExecutionsWithUpdatePortfoliosFigureAndResolvesOnlyWhenItAgrees() {
        Book book = new Book();
        run(book, broker("100", "10.00", "10"), List.of(fill("b.01", "BOT", "100", "10.00", "0", day(1, 0))), day(1, 1));
        BrokerExecution sale = fill("s.01", "SLD", "50", "12.00", "1.00", day(1, 2));
        // IB's day says 150.00, the fold of the day's executions 99.00: a break naming the day
        InstrumentResult mismatch = run(book, broker("50", "10.00", "12", "1", "150.00"), List.of(sale), Map.of(),
                day(1, 3), Map.of(), Set.of("b.01", "s.01"), false);
        assertThat(mismatch.breaks()).singleElement().satisfies(b -> {
            assertThat(b.kind()).isEqualTo(BreakKind.DAILY_REALIZED_PNL_MISMATCH);
            assertThat(b.subject()).isEqualTo("day:2026-11-23");
            assertThat(b.ours()).isEqualByComparingTo("99.00");
            assertThat(b.broker()).isEqualByComparingTo("150.00");
        });
        // nothing new: the same comparison still disagrees, nothing is raised or resolved again
        InstrumentResult again = run(book, broker("50", "10.00", "12", "1", "150.00"), List.of(), Map.of(), day(1, 4),
                Map.of(), Set.of("b.01", "s.01"), false);
        assertThat(again.breaks()).isEmpty();
        assertThat(again.resolvedBreaks()).isEmpty();
        // IB's figure agrees (its day now matches the fold): resolved
        InstrumentResult agrees = run(book, broker("50", "10.00", "12", "1", "99.00"), List.of(), Map.of(), day(1, 5),
                Map.of(), Set.of("b.01", "s.01"), false);
        assertThat(agrees.resolvedBreaks())
                .containsExactly(new BreakRef(BreakKind.DAILY_REALIZED_PNL_MISMATCH, "day:2026-11-23"));
    }

    @Test
    void theDailyCrossCheckWaitsWhileAFillOfTheDayWaitsForItsCommission() {
        Book book = new Book();
        run(book, broker("100", "10.00", "10"), List.of(fill("b.01", "BOT", "100", "10.00", "0", day(1, 0))), day(1, 1));
        // IB's day includes the sale's commission (99.00); the fold does not know it yet (100.00)
        InstrumentResult result = run(book, broker("50", "10.00", "12", "1", "99.00"),
                List.of(fill("s.01", "SLD", "50", "12.00", null, day(1, 2))), Map.of(), day(1, 3), Map.of(),
                Set.of("b.01", "s.01"), false);
        assertThat(result.breaks()).extracting(BreakEvent::kind).containsExactly(BreakKind.COMMISSION_PENDING);
    }

    @Test
    void theDailyCrossCheckWaitsWhileAnExecutionOfTheDayIsNotApplied() {
        Book book = new Book();
        run(book, broker("100", "10.00", "10"), List.of(fill("b.01", "BOT", "100", "10.00", "0", day(1, 0))), day(1, 1));
        // the snapshot lists an execution this key's chain does not hold (covered, or not applied): no comparison
        InstrumentResult result = run(book, broker("100", "10.00", "12", "1", "150.00"), List.of(), Map.of(), day(1, 3),
                Map.of(), Set.of("b.01", "other.01"), false);
        assertThat(result.breaks()).isEmpty();
    }

    @Test
    void lifecycleIdsFollowTheirOpeningFactAndARefoldThatMergesTwoLifecyclesVoidsTheOther() {
        Book book = new Book();
        run(book, broker("100", "10.00", "10"), List.of(fill("b.01", "BOT", "100", "10.00", "0", day(1, 0))), day(1, 1));
        run(book, null, List.of(fill("s.01", "SLD", "100", "12.00", "0", day(1, 2))), day(1, 3));
        run(book, broker("50", "11.00", "11"), List.of(fill("b2.01", "BOT", "50", "11.00", "0", day(1, 4))), day(1, 5));
        assertThat(book.lifecycles).hasSize(2);
        long firstId = book.lifecycles.get(0).row().id();
        long secondId = book.lifecycles.get(1).row().id();

        // the sale was 60, not 100: the first lifecycle never closed, and the buy adds to it
        InstrumentResult merged = run(book, broker("90", "10.5556", "11"), List.of(),
                Map.of("s.01", fill("s.02", "SLD", "60", "12.00", "0", day(1, 2))), day(1, 6), Map.of(), Set.of(), false);
        Lifecycle open = book.open();
        assertThat(open.row().id()).as("the lifecycle whose opening fill is unchanged keeps its id").isEqualTo(firstId);
        assertThat(open.row().quantity()).isEqualByComparingTo("90");
        assertThat(open.row().realizedPnl()).isEqualByComparingTo("120.00");
        assertThat(book.lifecycles).filteredOn(l -> l.row().id() == secondId).singleElement().satisfies(l -> {
            assertThat(l.row().status()).isEqualTo(PositionStatus.VOID);
            assertThat(l.entries()).isEmpty();
        });
        assertThat(history(merged, ChangeKind.VOIDED).quantityBefore()).isEqualByComparingTo("50");
        assertThat(merged.breaks()).isEmpty();
    }

    @Test
    void aSplitStaysAFactWhenALateFillBeforeItRefoldsTheChain() {
        Book book = new Book();
        run(book, broker("1000", "15.01", "15.00"), List.of(fill("b.01", "BOT", "1000", "15.00", "10.00", day(1, 0))),
                day(1, 1));
        run(book, broker("100", "150.10", "150.00"), List.of(), day(2, 1)); // 1:10
        // a sale of 100 (before the split: 100 old shares) is reported late; the broker holds 90 new shares
        InstrumentResult late = run(book, broker("90", "150.10", "150.00"),
                List.of(fill("s.01", "SLD", "100", "15.50", "1.00", day(1, 12))), day(2, 3));
        Lifecycle open = book.open();
        assertThat(open.row().quantity()).isEqualByComparingTo("90");
        assertThat(open.row().averagePrice()).isEqualByComparingTo("150.10");
        // (15.50 - 15.01) * 100 - 1.00 = 48.00, realized before the split
        assertThat(open.row().realizedPnl()).isEqualByComparingTo("48.00");
        assertThat(open.entries()).extracting(LedgerEntry::kind)
                .containsExactly(EntryKind.FILL, EntryKind.FILL, EntryKind.SPLIT);
        assertThat(late.breaks()).isEmpty();
        assertThat(late.fills().estimated()).isZero();
        // and the next unchanged run leaves it so
        InstrumentResult again = run(book, broker("90", "150.10", "151.00"), List.of(), day(2, 4));
        assertThat(again.lifecycles()).allMatch(LifecycleWrite::touchOnly);
        assertThat(again.breaks()).isEmpty();
    }

    @Test
    void aFillInTheSameSecondAsAStoredObservationButSeenByALaterRunIsFoldedAfterIt() {
        Book book = new Book();
        Instant second = day(2, 1);
        run(book, broker("1000", "15.01", "15.00"), List.of(fill("b.01", "BOT", "1000", "15.00", "10.00", day(1, 0))),
                day(1, 1));
        // the split is observed at second + 0.5 s; a sale of 100 new shares executes at second + 0.7 s, reported as
        // "second" (whole seconds), and only the next run sees it
        run(book, broker("100", "150.10", "150.00"), List.of(), second.plusMillis(500));
        InstrumentResult sale = run(book, null, List.of(fill("s.01", "SLD", "100", "151.09", "1.00", second)),
                second.plusSeconds(5));
        Lifecycle closed = book.closed().get(0);
        assertThat(closed.row().realizedPnl()).isEqualByComparingTo("98.00");
        assertThat(sale.breaks()).isEmpty();
        assertThat(closed.entries()).extracting(LedgerEntry::kind)
                .containsExactly(EntryKind.FILL, EntryKind.SPLIT, EntryKind.FILL);
    }

    @Test
    void aFillInTheSameSecondAsAnObservationThatEstimatedItIsFoldedBeforeItAndReplacesTheEstimate() {
        Book book = new Book();
        Instant second = day(1, 2);
        run(book, broker("100", "10.00", "10"), List.of(fill("b.01", "BOT", "100", "10.00", "0", day(1, 0))), day(1, 1));
        // the positions reply at second + 0.6 s already holds a sale whose execution (at "second") is withheld
        run(book, broker("90", "10.00", "12"), List.of(), second.plusMillis(600));
        assertThat(book.open().row().realizedPnlSource()).isEqualTo(RealizedPnlSource.MARKET_PRICE);
        // the execution arrives: it explains the estimate, so it was in that reply and sits before it
        InstrumentResult replaced = run(book, broker("90", "10.00", "12"),
                List.of(fill("s.01", "SLD", "10", "12.00", "1.00", second)), second.plusSeconds(5));
        Lifecycle open = book.open();
        assertThat(open.row().realizedPnl()).isEqualByComparingTo("19.00");
        assertThat(open.row().realizedPnlSource()).isEqualTo(RealizedPnlSource.EXECUTIONS);
        assertThat(open.entries()).extracting(LedgerEntry::kind).containsExactly(EntryKind.FILL, EntryKind.FILL);
        assertThat(replaced.breaks()).isEmpty();
        assertThat(book.openBreaks).isEmpty();
    }
}

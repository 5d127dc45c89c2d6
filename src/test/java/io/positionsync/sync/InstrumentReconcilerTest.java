package io.positionsync.sync;

import static io.positionsync.sync.Fixtures.TOLERANCE;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

/**
 * The five steps of a run for one instrument, case by case: late commissions, corrections, fills between the
 * positions and executions replies, estimates replaced by real fills, currencies, breaks. Each case runs the
 * reconciler as the pipeline does, and feeds what it wrote back in as the stored state of the next run.
 */
class InstrumentReconcilerTest {
    private static final String ACCOUNT = "DU1";
    private static final long CON_ID = 265598;
    private static final PositionKey KEY = new PositionKey(ACCOUNT, CON_ID);
    private static final Instant T0 = Instant.parse("2026-11-24T14:30:00Z");

    private final InstrumentReconciler reconciler = new InstrumentReconciler();

    static BigDecimal d(String value) {
        return new BigDecimal(value);
    }

    static Instant at(int minutes) {
        return T0.plusSeconds(60L * minutes);
    }

    static BrokerExecution fill(String id, String side, String qty, String price, String commission, Instant time) {
        return fill(id, side, qty, price, commission, "USD", null, time, "1");
    }

    static BrokerExecution fill(String id, String side, String qty, String price, String commission, String currency,
            String ibRealized, Instant time, String multiplier) {
        return new BrokerExecution(id, ACCOUNT, CON_ID, "AAPL", "STK", side, d(qty), d(price), time, 1, 1,
                commission == null ? null : d(commission), commission == null ? null : currency,
                ibRealized == null ? null : d(ibRealized), "USD", d(multiplier));
    }

    static SnapshotPosition broker(String qty, String average, String market) {
        return new SnapshotPosition(ACCOUNT, CON_ID, "AAPL", "STK", "USD", BigDecimal.ONE, d(qty),
                average == null ? null : d(average), market == null ? null : d(market), null, null, null);
    }

    private InstrumentResult run(Book book, SnapshotPosition broker, List<BrokerExecution> newFills,
            Map<String, BrokerExecution> corrections, List<BrokerExecution> lateCommissions, Instant now,
            Map<String, Map<String, BigDecimal>> rates) {
        Lifecycle open = book.open();
        InstrumentFacts facts = new InstrumentFacts(KEY, broker, open == null ? null : open.row(),
                open == null ? null : open.entries(), book.closed(), newFills, corrections, lateCommissions, List.of(),
                false, book.openBreaks);
        InstrumentResult result = reconciler.reconcile(facts, new RunInputs(book.runId, now, TOLERANCE, rates));
        book.store(result);
        return result;
    }

    private InstrumentResult run(Book book, SnapshotPosition broker, List<BrokerExecution> newFills, Instant now) {
        return run(book, broker, newFills, Map.of(), List.of(), now, Map.of());
    }

    private static HistoryEntry history(InstrumentResult result, ChangeKind kind) {
        return result.lifecycles().stream().flatMap(w -> w.history().stream()).filter(h -> h.kind() == kind)
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " in " + result));
    }

    @Test
    void aCommissionReportOneRunLateAdjustsTheClosedLifecycle() {
        Book book = new Book();
        run(book, broker("100", "150.01", "150"), List.of(fill("b.01", "BOT", "100", "150.00", "1.00", at(1))), at(2));
        BrokerExecution saleWithoutReport = fill("s.01", "SLD", "100", "160.00", null, at(3));
        InstrumentResult first = run(book, broker("0", null, "160"), List.of(saleWithoutReport), at(4));
        assertThat(book.closed()).singleElement().satisfies(l -> assertThat(l.row().realizedPnl()).isEqualByComparingTo("999.00"));
        assertThat(first.breaks()).extracting(BreakEvent::kind).containsExactly(BreakKind.COMMISSION_PENDING);

        InstrumentResult late = run(book, broker("0", null, "160"), List.of(), Map.of(),
                List.of(fill("s.01", "SLD", "100", "160.00", "1.00", "USD", "998.00", at(3), "1")), at(5), Map.of());

        assertThat(book.closed()).singleElement().satisfies(l -> {
            assertThat(l.row().realizedPnl()).isEqualByComparingTo("998.00");
            assertThat(l.row().realizedPnlSource()).isEqualTo(RealizedPnlSource.EXECUTIONS);
        });
        HistoryEntry adjusted = history(late, ChangeKind.ADJUSTED);
        assertThat(adjusted.realizedPnlBefore()).isEqualByComparingTo("999.00");
        assertThat(adjusted.realizedPnlTotal()).isEqualByComparingTo("998.00");
        assertThat(adjusted.execIds()).containsExactly("s.01");
        assertThat(late.resolvedBreaks()).extracting(BreakRef::kind).contains(BreakKind.COMMISSION_PENDING);
        assertThat(book.openBreaks).isEmpty();
    }

    @Test
    void aFillBetweenThePositionsAndTheExecutionsReplyIsDeferredToTheNextRun() {
        Book book = new Book();
        run(book, broker("100", "10.01", "10"), List.of(fill("b.01", "BOT", "100", "10.00", "1.00", at(1))), at(2));
        BrokerExecution sale = fill("s.01", "SLD", "40", "12.00", "1.00", at(3));
        BrokerExecution lateSale = fill("s2.01", "SLD", "10", "12.50", "1.00", at(4));

        // positions reply: 60 (the second sale is not in it yet); executions reply: both sales
        InstrumentResult deferring = run(book, broker("60", "10.01", "12"), List.of(sale, lateSale), at(5));

        assertThat(deferring.fills()).isEqualTo(new FillCounts(1, 1, 0));
        assertThat(deferring.executions()).filteredOn(r -> r.execution().execId().equals("s2.01"))
                .singleElement().satisfies(r -> assertThat(r.state()).isEqualTo(ExecutionState.SEEN));
        assertThat(deferring.breaks()).isEmpty();
        assertThat(book.open().row().quantity()).isEqualByComparingTo("60");

        InstrumentResult next = run(book, broker("50", "10.01", "12"), List.of(lateSale), at(6));
        assertThat(next.fills()).isEqualTo(new FillCounts(1, 0, 0));
        // (12 - 10.01) * 40 - 1 + (12.50 - 10.01) * 10 - 1 = 78.60 + 23.90
        assertThat(book.open().row().realizedPnl()).isEqualByComparingTo("102.50");
        assertThat(book.open().row().realizedPnlSource()).isEqualTo(RealizedPnlSource.EXECUTIONS);
    }

    @Test
    void aFillDeferredOnceIsAppliedByTheNextRunWhateverTheBrokerSays() {
        Book book = new Book();
        run(book, broker("100", "10.00", "10"), List.of(fill("b.01", "BOT", "100", "10.00", "0", at(1))), at(2));
        BrokerExecution sale = fill("s.01", "SLD", "10", "12.00", "0", at(3));
        run(book, broker("100", "10.00", "12"), List.of(sale), at(4)); // looks like it missed the positions reply

        // the broker still holds 100 a run later: the fill is applied, the difference is an estimate
        Lifecycle open = book.open();
        InstrumentResult next = reconciler.reconcile(new InstrumentFacts(KEY, broker("100", "10.00", "12"), open.row(),
                open.entries(), List.of(), List.of(sale), Map.of(), List.of(), List.of(), Set.of("s.01"), false,
                Set.of()), new RunInputs(3, at(5), TOLERANCE, Map.of()));

        assertThat(next.fills()).isEqualTo(new FillCounts(1, 0, 1));
        assertThat(next.breaks()).extracting(BreakEvent::kind).containsExactly(BreakKind.UNEXPLAINED_QUANTITY);
    }

    @Test
    void realFillsOlderThanAnEstimateTakeItsPlace() {
        Book book = new Book();
        run(book, broker("100", "150.01", "150"), List.of(fill("b.01", "BOT", "100", "150.00", "1.00", at(1))), at(2));
        // expiry-like close with no execution: estimated at the market price
        InstrumentResult estimated = run(book, broker("0", null, "158.00"), List.of(), at(10));
        assertThat(book.closed().get(0).row().realizedPnl()).isEqualByComparingTo("799.00");
        assertThat(book.closed().get(0).row().realizedPnlSource()).isEqualTo(RealizedPnlSource.MARKET_PRICE);
        assertThat(estimated.fills().estimated()).isEqualTo(1);
        run(book, broker("0", null, "158.00"), List.of(), at(20));

        // two runs later the real sale arrives, executed before the estimate's run
        InstrumentResult adjusting = run(book, broker("0", null, "158.00"),
                List.of(fill("s.01", "SLD", "100", "160.00", "1.00", at(9))), at(30));

        Lifecycle closed = book.closed().get(0);
        assertThat(book.lifecycles).hasSize(1);
        assertThat(closed.row().realizedPnl()).isEqualByComparingTo("998.00");
        assertThat(closed.row().realizedPnlSource()).isEqualTo(RealizedPnlSource.EXECUTIONS);
        assertThat(closed.entries()).extracting(LedgerEntry::kind).doesNotContain(EntryKind.ESTIMATE);
        HistoryEntry adjusted = history(adjusting, ChangeKind.ADJUSTED);
        assertThat(adjusted.realizedPnlBefore()).isEqualByComparingTo("799.00");
        assertThat(adjusted.realizedPnlTotal()).isEqualByComparingTo("998.00");
        assertThat(adjusting.fills().applied()).isEqualTo(1);
    }

    @Test
    void aPartOfARealFillReplacesASmallerEstimateAndTheRestIsFolded() {
        Book book = new Book();
        run(book, broker("100", "10.00", "10"), List.of(fill("b.01", "BOT", "100", "10.00", "0", at(1))), at(2));
        run(book, broker("70", "10.00", "11.00"), List.of(), at(10)); // 30 unexplained, estimated at 11.00

        // the real sales arrive: 30 executed before the estimate's run explain it, 20 after it are a new reduction
        run(book, broker("50", "10.00", "12.00"), List.of(fill("s.01", "SLD", "30", "12.00", "3.00", at(9)),
                fill("s2.01", "SLD", "20", "12.00", "2.00", at(15))), at(20));

        Lifecycle open = book.open();
        assertThat(open.row().quantity()).isEqualByComparingTo("50");
        // (12 - 10) * 30 - 3.00 + (12 - 10) * 20 - 2.00 = 95.00, all from the real fills
        assertThat(open.row().realizedPnl()).isEqualByComparingTo("95.00");
        assertThat(open.row().realizedPnlSource()).isEqualTo(RealizedPnlSource.EXECUTIONS);
        assertThat(open.entries()).extracting(LedgerEntry::kind).doesNotContain(EntryKind.ESTIMATE);
        assertThat(book.openBreaks).isEmpty();
    }

    @Test
    void aCorrectionReplacesTheFillItCorrectsEvenAcrossAFlip() {
        Book book = new Book();
        run(book, broker("100", "9.00", "9"), List.of(fill("b.01", "BOT", "100", "9.00", "0", at(1))), at(2));
        run(book, broker("-50", "9.99", "10"), List.of(fill("s.01", "SLD", "150", "10.00", "1.50", at(3))), at(4));
        assertThat(book.closed().get(0).row().realizedPnl()).isEqualByComparingTo("99.00");

        InstrumentResult corrected = run(book, broker("-50", "10.49", "10"), List.of(),
                Map.of("s.01", fill("s.02", "SLD", "150", "10.50", "1.50", at(3))), List.of(), at(5), Map.of());

        // (10.50 - 9.00) * 100 - 1.00 = 149.00; the short opens at 10.50 - 0.50/50 = 10.49
        assertThat(book.closed().get(0).row().realizedPnl()).isEqualByComparingTo("149.00");
        assertThat(book.open().row().averagePrice()).isEqualByComparingTo("10.49");
        assertThat(corrected.executions()).filteredOn(r -> r.execution().execId().equals("s.02")).singleElement()
                .satisfies(r -> assertThat(r.supersedesExecId()).isEqualTo("s.01"));
        assertThat(corrected.breaks()).isEmpty();
    }

    @Test
    void aCommissionInAnotherCurrencyIsConvertedWithTheSnapshotsRates() {
        Book book = new Book();
        Map<String, Map<String, BigDecimal>> rates = Map.of(ACCOUNT, Map.of("USD", d("1"), "EUR", d("1.10")));
        // EUR 1.00 at 1.10 USD per EUR: USD 1.10
        run(book, broker("100", "10.011", "10"),
                List.of(fill("b.01", "BOT", "100", "10.00", "1.00", "EUR", null, at(1), "1")), Map.of(), List.of(),
                at(3), rates);
        assertThat(book.open().row().averagePrice()).isEqualByComparingTo("10.011");

        InstrumentResult noRate = run(book, broker("50", "10.011", "11"),
                List.of(fill("s.01", "SLD", "50", "11.00", "1.00", "GBP", null, at(4), "1")), Map.of(), List.of(),
                at(5), rates);
        assertThat(noRate.breaks()).extracting(BreakEvent::kind).containsExactly(BreakKind.FX_RATE_MISSING);
        // (11 - 10.011) * 50 = 49.45, commission not converted yet
        assertThat(book.open().row().realizedPnl()).isEqualByComparingTo("49.45");
    }

    @Test
    void anAverageThatDisagreesWithTheBrokerIsABreakAndTheBrokersIsUsedFromThen() {
        Book book = new Book();
        run(book, broker("100", "10.00", "10"), List.of(fill("b.01", "BOT", "100", "10.00", "0", at(1))), at(2));

        InstrumentResult result = run(book, broker("100", "10.50", "10"), List.of(), at(3));
        // the stored row was not loaded (nothing new) in this hand-built run; the reconciler still resets it
        assertThat(result.breaks()).extracting(BreakEvent::kind).containsExactly(BreakKind.AVERAGE_MISMATCH);
        assertThat(book.open().row().averagePrice()).isEqualByComparingTo("10.50");

        // the agreement the reset itself produces explains nothing: an unchanged re-run resolves nothing
        InstrumentResult agreeing = run(book, broker("100", "10.50", "10"), List.of(), at(4));
        assertThat(agreeing.resolvedBreaks()).isEmpty();
        assertThat(agreeing.breaks()).isEmpty();
        assertThat(agreeing.lifecycles()).allMatch(LifecycleWrite::touchOnly);
        assertThat(book.openBreaks).extracting(BreakRef::kind).containsExactly(BreakKind.AVERAGE_MISMATCH);

        // a correction of the buy to 10.50 explains it: the refold needs no reset any more
        InstrumentResult explained = run(book, broker("100", "10.50", "10"), List.of(),
                Map.of("b.01", fill("b.02", "BOT", "100", "10.50", "0", at(1))), List.of(), at(5), Map.of());
        assertThat(explained.resolvedBreaks()).extracting(BreakRef::kind).containsExactly(BreakKind.AVERAGE_MISMATCH);
        assertThat(book.open().entries()).extracting(LedgerEntry::kind).containsExactly(EntryKind.FILL);
        assertThat(book.open().row().averagePrice()).isEqualByComparingTo("10.50");
    }

    @Test
    void ourRealizedDifferingFromIbsIsABreakThatOnlyItsOwnExecutionAgreeingResolves() {
        Book book = new Book();
        run(book, broker("100", "150.01", "150"), List.of(fill("b.01", "BOT", "100", "150.00", "1.00", at(1))), at(2));
        InstrumentResult mismatch = run(book, broker("50", "150.01", "160"),
                List.of(fill("s.01", "SLD", "50", "160.00", "1.00", "USD", "400.00", at(3), "1")), Map.of(), List.of(),
                at(4), Map.of());
        assertThat(mismatch.breaks()).singleElement().satisfies(b -> {
            assertThat(b.kind()).isEqualTo(BreakKind.REALIZED_PNL_MISMATCH);
            assertThat(b.ours()).isEqualByComparingTo("498.50");
            assertThat(b.broker()).isEqualByComparingTo("400.00");
        });
        // a later sale that agrees with IB says nothing about the first one
        InstrumentResult agreeing = run(book, broker("0", "150.01", "160"),
                List.of(fill("s2.01", "SLD", "50", "160.00", "1.00", "USD", "498.50", at(5), "1")), Map.of(), List.of(),
                at(6), Map.of());
        assertThat(agreeing.resolvedBreaks()).isEmpty();
        assertThat(book.openBreaks).containsExactly(new BreakRef(BreakKind.REALIZED_PNL_MISMATCH, "exec:s"));

        // IB corrects the first sale's report: that execution agrees now, and only that resolves the break
        InstrumentResult corrected = run(book, broker("0", "150.01", "160"), List.of(),
                Map.of("s.01", fill("s.02", "SLD", "50", "160.00", "1.00", "USD", "498.50", at(3), "1")), List.of(),
                at(7), Map.of());
        assertThat(corrected.resolvedBreaks()).containsExactly(new BreakRef(BreakKind.REALIZED_PNL_MISMATCH, "exec:s"));
        assertThat(book.openBreaks).isEmpty();
    }

    @Test
    void anOptionFlipWithMultiplier100() {
        Book book = new Book();
        run(book, option("3", "2.5065"), List.of(fill("b.01", "BOT", "3", "2.50", "1.95", "USD", null, at(1), "100")),
                Map.of(), List.of(), at(2), Map.of());
        run(book, option("-2", "2.9935"), List.of(fill("s.01", "SLD", "5", "3.00", "3.25", "USD", null, at(3), "100")),
                Map.of(), List.of(), at(4), Map.of());
        // (3.00 - 2.5065) * 3 * 100 - 3.25 * 3/5 = 146.10; the short opens at 3.00 - 1.30/100/2 = 2.9935
        assertThat(book.closed().get(0).row().realizedPnl()).isEqualByComparingTo("146.10");
        assertThat(book.open().row().averagePrice()).isEqualByComparingTo("2.9935");
        assertThat(book.open().row().quantity()).isEqualByComparingTo("-2");
    }

    private static SnapshotPosition option(String qty, String average) {
        return new SnapshotPosition(ACCOUNT, CON_ID, "AAPL", "OPT", "USD", d("100"), d(qty), d(average), d("3"), null,
                null, null);
    }

    @Test
    void firstSightTakesTheBrokersPositionAsAnOpeningBalanceAndCoversTheDaysFills() {
        BrokerExecution earlier = fill("b.01", "BOT", "100", "150.00", "1.00", at(1));
        InstrumentFacts facts = new InstrumentFacts(KEY, broker("100", "150.01", "151"), null, null, List.of(),
                List.of(earlier), Map.of(), List.of(), List.of(), true, Set.of());

        InstrumentResult result = reconciler.reconcile(facts, new RunInputs(1, at(5), TOLERANCE, Map.of()));

        assertThat(result.lifecycles()).singleElement().satisfies(w -> {
            assertThat(w.created()).isTrue();
            assertThat(w.row().openedAt()).isEqualTo(at(5));
            assertThat(w.entries()).extracting(LedgerEntry::kind).containsExactly(EntryKind.OPENING_BALANCE);
        });
        assertThat(result.executions()).singleElement().satisfies(r -> assertThat(r.state()).isEqualTo(ExecutionState.COVERED));
    }

    @Test
    void fractionalSharesAndShortsFoldExactly() {
        Book book = new Book();
        run(book, broker("-2.5", "99.996", "100"), List.of(fill("s.01", "SLD", "2.5", "100.00", "0.01", at(1))), at(2));
        run(book, broker("-1", "99.996", "90"), List.of(fill("b.01", "BOT", "1.5", "90.00", "0.01", at(3))), at(4));
        // A = 100 - 0.01/2.5 = 99.996; R = (99.996 - 90) * 1.5 - 0.01 = 14.984
        assertThat(book.open().row().realizedPnl()).isEqualByComparingTo("14.984");
        assertThat(book.open().row().quantity()).isEqualByComparingTo("-1");
    }

}

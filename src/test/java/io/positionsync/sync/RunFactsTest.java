package io.positionsync.sync;

import static io.positionsync.sync.Fixtures.ACCOUNT;
import static io.positionsync.sync.Fixtures.T0;
import static io.positionsync.sync.Fixtures.TOLERANCE;
import static io.positionsync.sync.Fixtures.broker;
import static io.positionsync.sync.Fixtures.d;
import static io.positionsync.sync.Fixtures.fill;
import static io.positionsync.sync.Fixtures.open;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

/**
 * The rules that sort a snapshot against the stored state, without a database: what each execution is for the
 * ledger, which keys are looked at closely, handed on, counted as unchanged or left out, what the active keys ask
 * of the ledger, and which applied fills reported again conflict.
 */
class RunFactsTest {
    private static final Instant FIRST_SEEN = T0.minusSeconds(7 * 86_400);

    /** The stored state a test builds up: every map mutable until {@link #state()}. */
    private final Map<PositionKey, StoredPosition> open = new LinkedHashMap<>();
    private final Map<String, Instant> accounts = new HashMap<>(Map.of(ACCOUNT, FIRST_SEEN));
    private final Map<PositionKey, Set<BreakRef>> breaks = new HashMap<>();
    private final Map<String, StoredExecution> executions = new HashMap<>();
    private final Map<String, StoredExecution> waiting = new HashMap<>();
    private final Map<String, Set<String>> conflicts = new HashMap<>();

    private StoredState state() {
        return new StoredState(3, open, accounts, breaks, executions, waiting, conflicts);
    }

    private void stored(StoredPosition row) {
        open.put(row.key(), row);
    }

    private void stored(BrokerExecution execution, ExecutionState state) {
        StoredExecution row = new StoredExecution(execution, 1, state == ExecutionState.APPLIED ? 1L : null, null, state);
        executions.put(execution.execId(), row);
        if (state == ExecutionState.SEEN) {
            waiting.put(execution.execId(), row);
        }
    }

    private static ReportedState reported(List<SnapshotPosition> positions, BrokerExecution... executions) {
        return new ReportedState(List.of(ACCOUNT), positions, List.of(executions));
    }

    private RunFacts classify(ReportedState reported, boolean skipUnchanged) {
        return RunFacts.classify(reported, state(), TOLERANCE, skipUnchanged);
    }

    private static StoredPosition row(long id, long conId, String quantity, String average, String marketPrice) {
        return open(id, ACCOUNT, conId, "SYM" + conId, "1", quantity, average, marketPrice, "0");
    }

    private static SnapshotPosition at(long conId, String quantity, String average, String marketPrice) {
        return broker(conId, "SYM" + conId, "1", quantity, average, marketPrice);
    }

    private static Map<Long, InstrumentFacts> byConId(List<InstrumentFacts> facts) {
        Map<Long, InstrumentFacts> map = new LinkedHashMap<>();
        facts.forEach(f -> map.put(f.key().conId(), f));
        return map;
    }

    @Test
    void aSteadyPortfolioIsCountedAsUnchangedAndAsksNothingOfTheLedger() {
        stored(row(1, 10, "100", "150.00", "151"));
        stored(row(2, 20, "-30", "12.50", "12"));
        ReportedState reported = reported(List.of(at(10, "100", "150.00", "151"), at(20, "-30", "12.50", "12")));

        RunFacts skipping = classify(reported, true);
        assertThat(skipping.unchanged()).isEqualTo(2);
        assertThat(skipping.instruments(StoredLedger.NONE)).isEmpty();
        assertThat(skipping.ledgerRequest().active()).isEmpty();
        assertThat(skipping.ledgerRequest().openIds()).isEmpty();

        // asked to hand every instrument on (an adopted bot's table is projected): plain touches, no entries loaded
        RunFacts all = classify(reported, false);
        assertThat(all.unchanged()).isZero();
        assertThat(all.instruments(StoredLedger.NONE)).extracting(f -> f.key().conId()).containsExactly(10L, 20L);
        assertThat(all.instruments(StoredLedger.NONE)).allSatisfy(f -> {
            assertThat(f.openEntries()).isNull();
            assertThat(f.noNewFacts()).isTrue();
            assertThat(f.firstSight()).isFalse();
        });
    }

    @Test
    void aMovedMarketPriceIsHandedOnAsAPlainTouchAndAContradictionMakesTheKeyActive() {
        stored(row(1, 10, "100", "150.00", "151"));
        stored(row(2, 20, "20", "18.00", "18"));
        stored(row(3, 30, "5", "40.00", "40"));
        ReportedState reported = reported(List.of(at(10, "100", "150.00", "171.25"), // price moved
                at(20, "25", "18.00", "18"), // quantity contradicts
                at(30, "5", "40.50", "40"))); // average beyond the tolerance

        RunFacts facts = classify(reported, true);

        assertThat(facts.unchanged()).isZero();
        assertThat(facts.ledgerRequest().active()).extracting(PositionKey::conId).containsExactly(20L, 30L);
        assertThat(facts.ledgerRequest().openIds()).containsExactly(2L, 3L);
        LedgerEntry entry = LedgerEntry.openingBalance(T0, d("20"), d("18.00"), BigDecimal.ZERO, false, 1);
        Map<Long, InstrumentFacts> handed = byConId(facts.instruments(
                new StoredLedger(Map.of(2L, List.of(entry), 3L, List.of()), List.of())));
        assertThat(handed).containsOnlyKeys(10L, 20L, 30L);
        assertThat(handed.get(10L).openEntries()).as("a plain touch loads no entries").isNull();
        assertThat(handed.get(20L).openEntries()).containsExactly(entry);
        assertThat(handed.get(30L).openEntries()).isEmpty();
    }

    @Test
    void anAverageWithinTheToleranceAndAnOpenBreak() {
        stored(row(1, 10, "100", "150.00", "151"));
        stored(row(2, 20, "20", "18.00", "18"));
        breaks.put(new PositionKey(ACCOUNT, 20), Set.of(new BreakRef(BreakKind.UNEXPLAINED_QUANTITY, null)));
        ReportedState reported = reported(List.of(at(10, "100", "150.005", "151"), at(20, "20", "18.00", "18")));

        RunFacts facts = classify(reported, true);

        assertThat(facts.unchanged()).as("within the tolerance").isEqualTo(1);
        assertThat(facts.ledgerRequest().active()).extracting(PositionKey::conId).containsExactly(20L);
        InstrumentFacts withBreak = facts.instruments(StoredLedger.NONE).get(0);
        assertThat(withBreak.key().conId()).isEqualTo(20L);
        assertThat(withBreak.hasOpenBreak(BreakKind.UNEXPLAINED_QUANTITY)).isTrue();
    }

    @Test
    void flatAndNothingHappenedIsLeftOutAndAnOpenRowTheBrokerNoLongerHoldsIsHandedOnAfterTheBrokersKeys() {
        stored(row(1, 10, "100", "150.00", "151"));
        ReportedState reported = reported(List.of(at(30, "0", null, null), at(40, "7", "9.00", "9")));

        RunFacts facts = classify(reported, true);

        // 30: flat at the broker, nothing stored; 40: a new position; 10: absent means flat
        assertThat(facts.instruments(StoredLedger.NONE)).extracting(f -> f.key().conId()).containsExactly(40L, 10L);
        assertThat(facts.ledgerRequest().active()).extracting(PositionKey::conId).containsExactly(40L, 10L);
    }

    @Test
    void rowsOfAnAccountTheSnapshotDoesNotReportAreLeftAloneAndANewAccountIsSeenForTheFirstTime() {
        stored(open(1, "DU0000009", 10, "SYM10", "1", "100", "150.00", "151", "0"));
        SnapshotPosition fresh = broker("DU7777777", 50, "SYM50", "1", "3", "20.00", "20");
        ReportedState reported = new ReportedState(List.of(ACCOUNT, "DU7777777"), List.of(fresh), List.of(
                fill("0009.01", "DU7777777", 50, "BOT", "3", "20.00", "1.00", null, 5)));

        RunFacts facts = classify(reported, true);

        List<InstrumentFacts> handed = facts.instruments(StoredLedger.NONE);
        assertThat(handed).extracting(f -> f.key().conId()).containsExactly(50L);
        assertThat(handed.get(0).firstSight()).isTrue();
        assertThat(handed.get(0).newFills()).extracting(BrokerExecution::execId).containsExactly("0009.01");
        assertThat(facts.ledgerRequest().active()).as("a first sight takes the broker's word, no ledger").isEmpty();
    }

    @Test
    void eachExecutionIsSortedByWhatItMeansForTheLedger() {
        stored(row(1, 10, "100", "150.00", "151"));
        BrokerExecution applied = fill("0001.01", 10, "BOT", "10", "150.00", "1.00", null, 1);
        BrokerExecution appliedWithoutReport = fill("0002.01", 10, "BOT", "10", "150.00", null, null, 2);
        BrokerExecution correctedLater = fill("0003.01", 10, "BOT", "10", "150.00", "1.00", null, 3);
        BrokerExecution deferred = fill("0004.01", 10, "BOT", "5", "150.00", "0.50", null, 4);
        BrokerExecution deferredGone = fill("0005.01", 10, "SLD", "5", "151.00", "0.50", null, 0);
        stored(applied, ExecutionState.APPLIED);
        stored(appliedWithoutReport, ExecutionState.APPLIED);
        stored(correctedLater, ExecutionState.APPLIED);
        stored(deferred, ExecutionState.SEEN);
        stored(deferredGone, ExecutionState.SEEN);
        BrokerExecution lateReport = fill("0002.01", 10, "BOT", "10", "150.00", "1.10", null, 2);
        BrokerExecution correction = fill("0003.02", 10, "BOT", "10", "149.00", "1.00", null, 3);
        BrokerExecution deferredWithoutReport = fill("0004.01", 10, "BOT", "5", "150.00", null, null, 4);
        BrokerExecution fresh = fill("0006.01", 10, "BOT", "7", "152.00", "1.00", null, 6);
        BrokerExecution beforeFirstSight = new BrokerExecution("0007.01", ACCOUNT, 10, "SYM10", "STK", "BOT", d("1"),
                d("100"), FIRST_SEEN.minusSeconds(60), 1, 1, null, null, null);
        ReportedState reported = reported(List.of(at(10, "122", "150.00", "151")), applied, lateReport, correction,
                deferredWithoutReport, fresh, beforeFirstSight);

        RunFacts facts = classify(reported, true);
        InstrumentFacts instrument = facts.instruments(StoredLedger.NONE).get(0);

        assertThat(instrument.newFills()).as("oldest first: the deferred ones, kept or no longer listed, and the new")
                .extracting(BrokerExecution::execId).containsExactly("0005.01", "0004.01", "0006.01");
        assertThat(instrument.newFills().get(1).commission()).as("a deferred fill keeps its stored report")
                .isEqualByComparingTo("0.50");
        assertThat(instrument.deferredBefore()).containsExactlyInAnyOrder("0004.01", "0005.01");
        assertThat(instrument.lateCommissions()).extracting(BrokerExecution::execId).containsExactly("0002.01");
        assertThat(instrument.corrections()).containsOnlyKeys("0003.01");
        assertThat(instrument.corrections().get("0003.01").execId()).isEqualTo("0003.02");
        assertThat(instrument.passive()).extracting(r -> r.execution().execId() + " " + r.state())
                .containsExactlyInAnyOrder("0001.01 SEEN", "0007.01 COVERED");
        assertThat(instrument.dayExecIds()).containsExactlyInAnyOrder("0001.01", "0002.01", "0003.02", "0004.01",
                "0006.01", "0007.01");
        assertThat(facts.ledgerRequest().touchedExecIds()).containsExactlyInAnyOrder("0002.01", "0003.01");
    }

    @Test
    void aCorrectionOfADeferredFillReplacesItAndAnOlderRevisionReplayedAfterItsCorrectionIsNothing() {
        stored(row(1, 10, "100", "150.00", "151"));
        BrokerExecution deferred = fill("0001.01", 10, "BOT", "5", "150.00", "0.50", null, 1);
        BrokerExecution correctedApplied = fill("0002.02", 10, "BOT", "5", "150.00", "0.50", null, 2);
        stored(deferred, ExecutionState.SEEN);
        stored(correctedApplied, ExecutionState.APPLIED);
        BrokerExecution correction = fill("0001.02", 10, "BOT", "6", "150.00", "0.50", null, 1);
        BrokerExecution oldRevision = fill("0002.01", 10, "BOT", "5", "150.00", "0.50", null, 2);

        InstrumentFacts instrument = classify(reported(List.of(at(10, "106", "150.00", "151")), correction,
                oldRevision), true).instruments(StoredLedger.NONE).get(0);

        assertThat(instrument.newFills()).extracting(BrokerExecution::execId).containsExactly("0001.02");
        assertThat(instrument.deferredBefore()).as("the correction was never deferred").isEmpty();
        assertThat(instrument.passive()).extracting(r -> r.execution().execId() + " supersedes " + r.supersedesExecId())
                .containsExactly("0001.02 supersedes 0001.01");
        assertThat(instrument.corrections()).isEmpty();
    }

    @Test
    void aReplayOfAnAppliedFillIsStoredAsItIsWithoutMakingTheKeyActive() {
        stored(row(1, 10, "100", "150.00", "151"));
        BrokerExecution applied = fill("0001.01", 10, "BOT", "10", "150.00", "1.00", null, 1);
        stored(applied, ExecutionState.APPLIED);

        RunFacts facts = classify(reported(List.of(at(10, "100", "150.00", "151")), applied), true);

        assertThat(facts.unchanged()).as("a replay is an execution to store: not an unchanged touch").isZero();
        assertThat(facts.ledgerRequest().active()).isEmpty();
        InstrumentFacts instrument = facts.instruments(StoredLedger.NONE).get(0);
        assertThat(instrument.noNewFacts()).isTrue();
        assertThat(instrument.passive()).hasSize(1);
        assertThat(instrument.dayExecIds()).as("the daily cross-check is for active keys only").isEmpty();
    }

    @Test
    void theLedgerRequestReachesBackToTheEarliestFactAndClosedLifecyclesBecomeAdjustable() {
        stored(row(1, 10, "100", "150.00", "151"));
        BrokerExecution first = fill("0001.01", 10, "BOT", "10", "150.00", "1.00", null, 30);
        BrokerExecution second = fill("0002.01", 10, "BOT", "10", "150.00", "1.00", null, 10);
        SnapshotPosition withDailyPnl = new SnapshotPosition(ACCOUNT, 10, "SYM10", "STK", "USD", d("1"), d("120"),
                d("150.00"), d("151"), null, null, d("12.00"));
        BrokerExecution earlierApplied = fill("0000.01", 10, "SLD", "1", "149.00", "1.00", null, 5);
        stored(earlierApplied, ExecutionState.APPLIED);

        RunFacts facts = classify(reported(List.of(withDailyPnl), first, second, earlierApplied), true);
        LedgerRequest request = facts.ledgerRequest();

        PositionKey key = new PositionKey(ACCOUNT, 10);
        assertThat(request.since()).as("the day's first execution, for the daily cross-check")
                .containsEntry(key, T0.plusSeconds(5 * 60));
        StoredPosition closed = new StoredPosition(7, ACCOUNT, 10, "SYM10", "STK", "USD", d("1"), BigDecimal.ZERO,
                d("140"), null, null, d("5"), null, PositionStatus.CLOSED, T0.minusSeconds(3600), T0.minusSeconds(60), T0);
        StoredPosition voided = new StoredPosition(8, ACCOUNT, 10, "SYM10", "STK", "USD", d("1"), BigDecimal.ZERO,
                d("140"), null, null, d("0"), null, PositionStatus.VOID, T0.minusSeconds(1800), T0.minusSeconds(900), T0);
        LedgerEntry entry = LedgerEntry.openingBalance(T0.minusSeconds(3600), d("3"), d("140"), BigDecimal.ZERO, false, 1);
        InstrumentFacts instrument = facts.instruments(new StoredLedger(Map.of(1L, List.of(), 7L, List.of(entry)),
                new ArrayList<>(List.of(closed, voided)))).get(0);
        assertThat(instrument.adjustable()).extracting(l -> l.row().id()).containsExactly(7L);
        assertThat(instrument.adjustable().get(0).entries()).containsExactly(entry);
        assertThat(instrument.dayExecIds()).containsExactlyInAnyOrder("0000.01", "0001.01", "0002.01");
    }

    @Test
    void anAppliedFillReportedWithOtherContentIsRaisedOnceAndResolvedWhenReportedAsAppliedAgain() {
        stored(row(1, 10, "100", "150.00", "151"));
        BrokerExecution applied = fill("0001.01", 10, "BOT", "10", "150.00", "1.00", null, 1);
        BrokerExecution appliedToo = fill("0002.01", 10, "BOT", "10", "150.00", "1.00", null, 2);
        BrokerExecution appliedThree = fill("0003.01", 10, "BOT", "10", "150.00", "1.00", null, 3);
        stored(applied, ExecutionState.APPLIED);
        stored(appliedToo, ExecutionState.APPLIED);
        stored(appliedThree, ExecutionState.APPLIED);
        BrokerExecution changed = fill("0001.01", 10, "BOT", "10", "99.00", "1.00", null, 1);
        BrokerExecution changedAgain = fill("0003.01", 10, "SLD", "10", "150.00", "1.00", null, 3);
        String alreadyRaised = new ExecutionConflict(executions.get("0003.01"), changedAgain).describe();
        conflicts.put("0003.01", Set.of(alreadyRaised));
        conflicts.put("0002.01", Set.of("an older note"));

        ExecutionConflicts found = classify(reported(List.of(at(10, "100", "150.00", "151")), changed, appliedToo,
                changedAgain), true).conflicts();

        assertThat(found.raised()).extracting(c -> c.reported().execId()).containsExactly("0001.01");
        assertThat(found.raised().get(0).describe()).contains("was applied as BOT 10 @ 150 at")
                .contains("is now reported as BOT 10 @ 99 at");
        assertThat(found.agreeingAgain()).containsExactly("0002.01");
        assertThat(classify(reported(List.of(at(10, "100", "150.00", "151")), applied), true).conflicts())
                .isEqualTo(ExecutionConflicts.NONE);
    }
}

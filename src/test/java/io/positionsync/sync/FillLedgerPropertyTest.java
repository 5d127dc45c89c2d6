package io.positionsync.sync;

import static io.positionsync.sync.Fixtures.TOLERANCE;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

/**
 * Thousands of seeded random fill sequences, run after run, through the per-instrument reconcile exactly as the
 * pipeline feeds it: flips, partial closes, round trips between runs, commission reports one run late,
 * corrections of applied fills, fills that land between the positions and the executions reply, and fills the
 * broker never reports (estimates). After every run:
 * <ul>
 *   <li>every lifecycle's stored realized P&L equals an independent recomputation from its stored entries;</li>
 *   <li>where every fill is known, the total equals an independent average-cost fold of the true fills, and the
 *       open quantity equals the broker's;</li>
 *   <li>a re-run with nothing new changes nothing.</li>
 * </ul>
 * {@code -Dpsync.property.sequences=N} runs more sequences.
 */
class FillLedgerPropertyTest {
    private static final String ACCOUNT = "DU1";
    private static final long CON_ID = 7;
    private static final PositionKey KEY = new PositionKey(ACCOUNT, CON_ID);
    private static final Instant T0 = Instant.parse("2026-11-24T14:00:00Z");
    private static final BigDecimal EPSILON = new BigDecimal("0.000001");

    private final InstrumentReconciler reconciler = new InstrumentReconciler();

    /** One sequence: the broker's truth and the service's stored state. */
    private final class Sequence {
        final Random random;
        final BigDecimal multiplier;
        final Book book = new Book();
        /** Every fill that happened, in order, with its final price and commission: what the broker knows. */
        final Map<String, BrokerExecution> happened = new LinkedHashMap<>();
        /** Fills the broker never lists (the change shows in its quantity only). */
        final List<String> unreported = new ArrayList<>();
        final Map<String, ExecutionState> states = new HashMap<>();
        final Map<String, String> correctedBy = new HashMap<>();
        final Map<String, BrokerExecution> withheldCommission = new HashMap<>();
        boolean anyUnreported;
        int sequenceNumber;
        int minute;

        Sequence(long seed) {
            random = new Random(seed);
            multiplier = switch (random.nextInt(3)) {
                case 0 -> BigDecimal.ONE;
                case 1 -> new BigDecimal("50");
                default -> new BigDecimal("100");
            };
        }

        BigDecimal truthQuantity(boolean includeLast, String last) {
            IndependentLedger truth = truth(last == null || includeLast ? null : last);
            return truth.quantity;
        }

        IndependentLedger truth(String excluding) {
            IndependentLedger truth = new IndependentLedger(multiplier);
            for (BrokerExecution e : happened.values()) {
                if (e.execId().equals(excluding)) {
                    continue;
                }
                BigDecimal q = e.isBuy() ? e.shares() : e.shares().negate();
                truth.trade(q, e.price(), e.commission() == null ? BigDecimal.ZERO : e.commission());
            }
            return truth;
        }

        BrokerExecution newFill(BigDecimal held) {
            String id = "e" + (++sequenceNumber) + ".01";
            boolean buy;
            BigDecimal shares;
            int shape = random.nextInt(6);
            BigDecimal abs = held.abs();
            if (abs.signum() != 0 && shape == 0) { // close exactly
                buy = held.signum() < 0;
                shares = abs;
            } else if (abs.signum() != 0 && shape == 1) { // flip
                buy = held.signum() < 0;
                shares = abs.add(BigDecimal.valueOf(1 + random.nextInt(50)));
            } else {
                buy = random.nextBoolean();
                shares = random.nextInt(8) == 0
                        ? BigDecimal.valueOf(1 + random.nextInt(400), 2) // fractional
                        : BigDecimal.valueOf(1 + random.nextInt(100));
            }
            BigDecimal price = BigDecimal.valueOf(5000 + random.nextInt(10000), 2);
            BigDecimal commission = BigDecimal.valueOf(random.nextInt(300), 2);
            minute++;
            return new BrokerExecution(id, ACCOUNT, CON_ID, "X", "STK", buy ? "BOT" : "SLD", shares, price,
                    T0.plusSeconds(60L * minute), 1, 1, commission, "USD", null, "USD", multiplier);
        }

        /** One run: some fills happen, then the service syncs. */
        void step() {
            // a report withheld from the last snapshot arrives with this one
            withheldCommission.keySet().removeIf(id -> states.get(id) == ExecutionState.APPLIED);
            int fills = random.nextInt(4);
            String landedLate = null;
            for (int i = 0; i < fills; i++) {
                BrokerExecution fill = newFill(truth(null).quantity);
                happened.put(fill.execId(), fill);
                if (random.nextInt(12) == 0) {
                    unreported.add(fill.execId());
                    anyUnreported = true;
                } else if (random.nextInt(6) == 0) {
                    withheldCommission.put(fill.execId(), fill);
                }
                if (i == fills - 1 && random.nextInt(6) == 0 && !unreported.contains(fill.execId())) {
                    landedLate = fill.execId();
                }
            }
            if (random.nextInt(8) == 0) {
                correctSomeAppliedFill();
            }
            minute++;
            sync(landedLate);
        }

        void correctSomeAppliedFill() {
            List<String> applied = happened.keySet().stream()
                    .filter(id -> id.endsWith(".01") && states.get(id) == ExecutionState.APPLIED && !correctedBy.containsKey(id)
                            && !withheldCommission.containsKey(id))
                    .toList();
            if (applied.isEmpty()) {
                return;
            }
            String id = applied.get(random.nextInt(applied.size()));
            BrokerExecution old = happened.get(id);
            String newId = id.replace(".01", ".02");
            BrokerExecution corrected = new BrokerExecution(newId, ACCOUNT, CON_ID, "X", "STK", old.side(), old.shares(),
                    old.price().add(BigDecimal.valueOf(random.nextInt(200) - 100, 2)).max(new BigDecimal("1")),
                    old.time(), 1, 1, old.commission(), "USD", null, "USD", multiplier);
            // the correction takes the original's place in the broker's history
            Map<String, BrokerExecution> replaced = new LinkedHashMap<>();
            happened.forEach((k, v) -> replaced.put(k.equals(id) ? newId : k, k.equals(id) ? corrected : v));
            happened.clear();
            happened.putAll(replaced);
            correctedBy.put(id, newId);
        }

        void sync(String landedLate) {
            BrokerExecution lastFill = landedLate == null ? null : happened.get(landedLate);
            IndependentLedger broker = truth(landedLate);
            SnapshotPosition position = new SnapshotPosition(ACCOUNT, CON_ID, "X", "STK", "USD", multiplier,
                    broker.quantity, broker.average(), BigDecimal.valueOf(5000 + random.nextInt(10000), 2), null, null,
                    null);
            List<BrokerExecution> newFills = new ArrayList<>();
            Map<String, BrokerExecution> corrections = new HashMap<>();
            List<BrokerExecution> lateCommissions = new ArrayList<>();
            for (BrokerExecution e : happened.values()) {
                if (unreported.contains(e.execId())) {
                    continue;
                }
                BrokerExecution reported = withheldCommission.containsKey(e.execId())
                        ? e.withCommission(null, null, null) : e;
                String original = originalOf(e.execId());
                ExecutionState state = states.get(e.execId());
                if (original != null && states.get(original) == ExecutionState.APPLIED && state == null) {
                    corrections.put(original, reported);
                } else if (state == null || state == ExecutionState.SEEN) {
                    newFills.add(reported);
                } else if (state == ExecutionState.APPLIED && reported.commission() != null && pendingFor(e.execId())) {
                    lateCommissions.add(reported);
                }
            }
            newFills.sort(SnapshotExecutions.OLDEST_FIRST);
            Lifecycle open = book.open();
            InstrumentFacts facts = new InstrumentFacts(KEY, position.quantity().signum() == 0 ? null : position,
                    open == null ? null : open.row(), open == null ? null : open.entries(), book.closed(), newFills,
                    corrections, lateCommissions, List.of(), false, Set.copyOf(book.openBreaks));
            InstrumentResult result = reconciler.reconcile(facts,
                    new RunInputs(book.runId, T0.plusSeconds(60L * minute), TOLERANCE, Map.of()));
            for (ExecutionRecord record : result.executions()) {
                states.merge(record.execution().execId(), record.state(), (a, b) -> a.compareTo(b) >= 0 ? a : b);
                if (record.supersedesExecId() != null) {
                    states.put(record.supersedesExecId(), ExecutionState.SUPERSEDED);
                }
            }
            book.store(result);
            assert lastFill == null || happened.containsKey(lastFill.execId());
        }

        private boolean pendingFor(String execId) {
            return book.lifecycles.stream().flatMap(l -> l.entries().stream())
                    .anyMatch(e -> execId.equals(e.execId()) && e.commissionPending());
        }

        private String originalOf(String execId) {
            for (Map.Entry<String, String> entry : correctedBy.entrySet()) {
                if (entry.getValue().equals(execId)) {
                    return entry.getKey();
                }
            }
            return null;
        }

        void checkInvariants(String where) {
            BigDecimal storedTotal = BigDecimal.ZERO;
            for (Lifecycle lifecycle : book.lifecycles) {
                IndependentLedger recomputed = IndependentLedger.of(lifecycle.entries(), multiplier);
                BigDecimal stored = lifecycle.row().realizedPnl() == null ? BigDecimal.ZERO : lifecycle.row().realizedPnl();
                assertThat(stored.subtract(recomputed.totalRealized()).abs())
                        .as("%s: lifecycle %d realized %s vs recomputed %s", where, lifecycle.row().id(), stored,
                                recomputed.totalRealized())
                        .isLessThanOrEqualTo(EPSILON);
                storedTotal = storedTotal.add(stored);
            }
            boolean anyPending = book.lifecycles.stream().flatMap(l -> l.entries().stream())
                    .anyMatch(LedgerEntry::commissionPending);
            boolean everyFillKnown = !anyUnreported && withheldCommission.isEmpty() && !anyPending
                    && states.entrySet().stream().noneMatch(e -> e.getValue() == ExecutionState.SEEN)
                    && happened.keySet().stream().allMatch(id -> states.get(id) == ExecutionState.APPLIED);
            if (everyFillKnown) {
                IndependentLedger truth = truth(null);
                assertThat(storedTotal.subtract(truth.totalRealized()).abs())
                        .as("%s: total realized %s vs the true fills' %s%nfills %s%nlifecycles %s", where, storedTotal,
                                truth.totalRealized(), happened.values(), book.lifecycles)
                        .isLessThanOrEqualTo(EPSILON.multiply(BigDecimal.valueOf(book.lifecycles.size() + 1)));
                Lifecycle open = book.open();
                BigDecimal held = open == null ? BigDecimal.ZERO : open.row().quantity();
                assertThat(held).as("%s: open quantity%nfills %s%nlifecycles %s", where, happened.values(), book.lifecycles).isEqualByComparingTo(truth.quantity.setScale(8,
                        RoundingMode.HALF_EVEN));
            }
        }
    }

    @Test
    void storedRealizedEqualsIndependentRecomputationForThousandsOfRandomSequences() {
        int sequences = Integer.getInteger("psync.property.sequences", 3000);
        int checkedAgainstTruth = 0;
        int runs = 0;
        for (long seed = 1; seed <= sequences; seed++) {
            Sequence sequence = new Sequence(seed);
            int steps = 2 + sequence.random.nextInt(8);
            for (int step = 0; step < steps; step++) {
                sequence.step();
                runs++;
                sequence.checkInvariants("seed " + seed + " run " + step);
            }
            // once nothing is pending any more, the whole history must agree with the broker's fills
            sequence.withheldCommission.clear();
            sequence.sync(null);
            sequence.sync(null);
            sequence.checkInvariants("seed " + seed + " settled");
            if (!sequence.anyUnreported) {
                checkedAgainstTruth++;
            }
            // an unchanged re-run changes nothing
            int lifecycles = sequence.book.lifecycles.size();
            List<Lifecycle> before = List.copyOf(sequence.book.lifecycles);
            Lifecycle open = sequence.book.open();
            IndependentLedger broker = sequence.truth(null);
            InstrumentResult again = reconciler.reconcile(new InstrumentFacts(KEY,
                    broker.quantity.signum() == 0 ? null : new SnapshotPosition(ACCOUNT, CON_ID, "X", "STK", "USD",
                            sequence.multiplier, broker.quantity, broker.average(), BigDecimal.TEN, null, null, null),
                    open == null ? null : open.row(), open == null ? null : open.entries(), sequence.book.closed(),
                    List.of(), Map.of(), List.of(), List.of(), false, Set.copyOf(sequence.book.openBreaks)),
                    new RunInputs(sequence.book.runId, T0.plusSeconds(999_999), TOLERANCE, Map.of()));
            assertThat(again.lifecycles()).as("seed %d re-run", seed)
                    .allMatch(w -> w.touchOnly() || (w.history().isEmpty() && w.entries().isEmpty()));
            assertThat(again.breaks()).isEmpty();
            assertThat(again.fills()).isEqualTo(FillCounts.NONE);
            sequence.book.store(again);
            assertThat(sequence.book.lifecycles).hasSize(lifecycles);
            for (int i = 0; i < lifecycles; i++) {
                assertThat(sequence.book.lifecycles.get(i).row().realizedPnl())
                        .isEqualTo(before.get(i).row().realizedPnl());
            }
        }
        System.out.printf("fill ledger property: %d sequences, %d runs, %d checked against the true fills,"
                + " invariant violations 0%n", sequences, runs, checkedAgainstTruth);
        assertThat(checkedAgainstTruth).isGreaterThan(sequences / 3);
    }
}

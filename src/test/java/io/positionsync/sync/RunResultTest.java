package io.positionsync.sync;

import static io.positionsync.sync.Fixtures.ACCOUNT;
import static io.positionsync.sync.Fixtures.NOW;
import static io.positionsync.sync.Fixtures.TOLERANCE;
import static io.positionsync.sync.Fixtures.d;
import static io.positionsync.sync.Fixtures.fill;
import static io.positionsync.sync.Fixtures.open;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

/**
 * What a run's result hands to persisting, without a database: the counts of the run, and its writes with the
 * reserved ids given to the lifecycles it creates and to the breaks that refer to them.
 */
class RunResultTest {
    private static final RunInputs RUN = new RunInputs(42, NOW, TOLERANCE, Map.of());

    private static HistoryEntry change(ChangeKind kind) {
        return new HistoryEntry(kind, null, null, null, null, null, null, null, null, null, null, null, List.of(), NOW);
    }

    private static LifecycleWrite write(int ref, boolean created, StoredPosition row, ChangeKind... kinds) {
        List<HistoryEntry> history = java.util.Arrays.stream(kinds).map(RunResultTest::change).toList();
        return new LifecycleWrite(ref, created, row, List.of(), 0, false, history, false);
    }

    private static InstrumentResult instrument(long conId, List<LifecycleWrite> writes, List<BreakEvent> breaks,
            Set<BreakRef> resolved, List<ExecutionRecord> executions) {
        return new InstrumentResult(new PositionKey(ACCOUNT, conId), writes, executions, breaks, resolved,
                FillCounts.NONE, List.of());
    }

    /** A flip (one lifecycle closed, one opened), a touch, a new position with a break, and a resolution. */
    private static RunResult result() {
        StoredPosition closing = open(7, 10, "SYM10", "1", "0", "150.00", "12");
        StoredPosition flipped = open(0, 10, "SYM10", "1", "-5", "151.00", "0");
        StoredPosition touched = open(8, 20, "SYM20", "1", "3", "20.00", "0");
        StoredPosition fresh = open(0, 30, "SYM30", "1", "9", "30.00", "0");
        BreakRef resolvedRef = new BreakRef(BreakKind.UNEXPLAINED_QUANTITY, null);
        return new RunResult(List.of(
                instrument(10, List.of(write(0, false, closing, ChangeKind.REDUCED, ChangeKind.CLOSED),
                        write(1, true, flipped, ChangeKind.OPENED)), List.of(), Set.of(),
                        List.of(new ExecutionRecord(fill("0001.01", 10, "SLD", "105", "151.00", "1.00", null, 1), null,
                                ExecutionState.APPLIED))),
                instrument(20, List.of(LifecycleWrite.touch(0, touched, touched)), List.of(), Set.of(resolvedRef),
                        List.of()),
                instrument(30, List.of(write(0, true, fresh, ChangeKind.OPENED)),
                        List.of(new BreakEvent(BreakKind.REALIZED_PNL_MISMATCH, 0, d("1.00"), d("2.00"), "differs")),
                        Set.of(), List.of())));
    }

    @Test
    void theRunIsCountedByWhatHappenedToItsLifecyclesAndTheInstrumentsItDidNotReadCountAsUnchanged() {
        // the closing lifecycle was reduced, then closed: updated and closed; the touch and the 4 unread: unchanged
        assertThat(result().counts(4)).isEqualTo(new SyncCounts(2, 1, 1, 5));
        assertThat(result().created()).isEqualTo(2);
        assertThat(RunResult.EMPTY.counts(3)).isEqualTo(new SyncCounts(0, 0, 0, 3));
    }

    @Test
    void eachCreatedLifecycleTakesTheNextReservedIdAndItsBreaksReferToIt() {
        RunWrites writes = result().writes(RUN, new long[] {501, 502});

        assertThat(writes.lifecycles()).extracting(w -> w.row().conId() + ":" + w.row().id())
                .containsExactly("10:7", "10:501", "20:8", "30:502");
        assertThat(writes.executions()).extracting(r -> r.execution().execId()).containsExactly("0001.01");
        assertThat(writes.raised()).singleElement().satisfies(b -> {
            assertThat(b.positionId()).isEqualTo(502L);
            assertThat(b.runId()).isEqualTo(42);
            assertThat(b.symbol()).isEqualTo("SYM30");
            assertThat(b.difference()).isEqualByComparingTo("-1.00");
            assertThat(b.tolerance()).isEqualByComparingTo(TOLERANCE);
            assertThat(b.detectedAt()).isEqualTo(NOW);
            assertThat(b.kind()).isEqualTo("REALIZED_PNL_MISMATCH");
        });
        assertThat(writes.resolved()).containsOnlyKeys(new PositionKey(ACCOUNT, 20));
        assertThatThrownBy(() -> result().writes(RUN, new long[] {501})).isInstanceOf(IllegalArgumentException.class);
    }
}

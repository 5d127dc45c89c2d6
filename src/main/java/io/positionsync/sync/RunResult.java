package io.positionsync.sync;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything one run decided, instrument by instrument, to persist in one transaction.
 */
public record RunResult(List<InstrumentResult> instruments) {

    public static final RunResult EMPTY = new RunResult(List.of());

    public RunResult {
        instruments = List.copyOf(instruments);
    }

    /** Fills applied, deferred and estimated over all instruments. */
    public FillCounts fills() {
        FillCounts total = FillCounts.NONE;
        for (InstrumentResult instrument : instruments) {
            total = total.plus(instrument.fills());
        }
        return total;
    }

    /** Lifecycles the run creates: each needs an id reserved before the run's writes can refer to it. */
    public int created() {
        int created = 0;
        for (InstrumentResult instrument : instruments) {
            for (LifecycleWrite write : instrument.lifecycles()) {
                created += write.created() ? 1 : 0;
            }
        }
        return created;
    }

    /**
     * Lifecycles opened, changed (updated or adjusted), closed and only touched by the run; {@code unchangedUnread}
     * more (the instruments the run counted as unchanged without reconciling them) count as unchanged.
     */
    public SyncCounts counts(int unchangedUnread) {
        int opened = 0;
        int updated = 0;
        int closed = 0;
        int unchanged = unchangedUnread;
        for (InstrumentResult instrument : instruments) {
            for (LifecycleWrite write : instrument.lifecycles()) {
                if (write.touchOnly()) {
                    unchanged++;
                    continue;
                }
                boolean changed = false;
                for (HistoryEntry entry : write.history()) {
                    switch (entry.kind()) {
                        case OPENED -> opened++;
                        case CLOSED -> closed++;
                        case INCREASED, REDUCED, ADJUSTED, SPLIT, VOIDED -> changed = true;
                        default -> { }
                    }
                }
                if (changed) {
                    updated++;
                }
            }
        }
        return new SyncCounts(opened, updated, closed, unchanged);
    }

    /**
     * What the run writes, in the order of the instruments: each created lifecycle takes the next of
     * {@code reservedIds} (one per {@link #created()}), and each break raised refers to its lifecycle by that id.
     */
    public RunWrites writes(RunInputs run, long[] reservedIds) {
        if (reservedIds.length != created()) {
            throw new IllegalArgumentException(reservedIds.length + " ids reserved for " + created() + " new lifecycles");
        }
        int next = 0;
        List<LifecycleWrite> lifecycles = new ArrayList<>();
        List<ExecutionRecord> executions = new ArrayList<>();
        List<ReconciliationBreak> raised = new ArrayList<>();
        Map<PositionKey, Set<BreakRef>> resolved = new HashMap<>();
        for (InstrumentResult instrument : instruments) {
            Map<Integer, Long> byRef = new HashMap<>();
            for (LifecycleWrite write : instrument.lifecycles()) {
                LifecycleWrite withId = write.created() ? write.withId(reservedIds[next++]) : write;
                byRef.put(write.ref(), withId.row().id());
                lifecycles.add(withId);
            }
            executions.addAll(instrument.executions());
            String symbol = instrument.lifecycles().isEmpty() ? null : instrument.lifecycles().get(0).row().symbol();
            String currency = instrument.lifecycles().isEmpty() ? null : instrument.lifecycles().get(0).row().currency();
            for (BreakEvent event : instrument.breaks()) {
                raised.add(ReconciliationBreak.detected(run.runId(), byRef.get(event.lifecycleRef()),
                        instrument.key().account(), instrument.key().conId(), symbol, currency, event.ours(),
                        event.broker(), run.tolerance(), run.now(), event.note(), event.kind().name(), event.subject()));
            }
            if (!instrument.resolvedBreaks().isEmpty()) {
                resolved.put(instrument.key(), instrument.resolvedBreaks());
            }
        }
        return new RunWrites(lifecycles, executions, raised, resolved);
    }
}

package io.positionsync.sync;

import java.util.List;

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

    /** Lifecycles opened, changed (updated or adjusted), closed and only touched by the run. */
    public int[] lifecycleCounts() {
        int opened = 0;
        int updated = 0;
        int closed = 0;
        int unchanged = 0;
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
        return new int[] {opened, updated, closed, unchanged};
    }
}

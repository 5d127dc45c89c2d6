package io.positionsync.sync;

import java.util.List;

/**
 * What a run writes for one lifecycle.
 *
 * @param ref            index among the instrument's writes; breaks refer to a lifecycle by it
 * @param created        a lifecycle this run opened (its row gets an id when the run is persisted)
 * @param row            the lifecycle after the run, amounts rounded as stored (id 0 until assigned when created)
 * @param entries        ledger entries to insert: the new ones, or all of them when {@code rewriteEntries}
 * @param firstSeq       fold position of the first of {@code entries} (0 when created or rewritten)
 * @param rewriteEntries late facts changed entries in place: the stored entries are replaced by {@code entries}
 * @param history        the run's changes to it, in order
 * @param touchOnly      nothing changed but market values and {@code last_synced_at}
 */
public record LifecycleWrite(int ref, boolean created, StoredPosition row, List<LedgerEntry> entries, int firstSeq,
        boolean rewriteEntries, List<HistoryEntry> history, boolean touchOnly) {

    public LifecycleWrite {
        entries = List.copyOf(entries);
        history = List.copyOf(history);
    }

    /** The same write for the row with id {@code id}. */
    public LifecycleWrite withId(long id) {
        StoredPosition r = row;
        return new LifecycleWrite(ref, created, new StoredPosition(id, r.account(), r.conId(), r.symbol(), r.secType(),
                r.currency(), r.multiplier(), r.quantity(), r.averagePrice(), r.marketPrice(), r.unrealizedPnl(),
                r.realizedPnl(), r.realizedPnlSource(), r.status(), r.openedAt(), r.closedAt(), r.lastSyncedAt()),
                entries, firstSeq, rewriteEntries, history, touchOnly);
    }
}

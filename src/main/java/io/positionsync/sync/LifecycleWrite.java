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
 * @param touchOnly      nothing changed but market values (the sync time is the account's, see {@code accounts})
 * @param unchanged      a touch whose market values equal the stored ones: the stored row already says everything,
 *                       nothing is written for it (an unchanged portfolio costs no row writes)
 */
public record LifecycleWrite(int ref, boolean created, StoredPosition row, List<LedgerEntry> entries, int firstSeq,
        boolean rewriteEntries, List<HistoryEntry> history, boolean touchOnly, boolean unchanged) {

    public LifecycleWrite {
        entries = List.copyOf(entries);
        history = List.copyOf(history);
        if (unchanged && !touchOnly) {
            throw new IllegalArgumentException("only a touch can leave the stored row unchanged");
        }
    }

    /** A write that is stored (not {@code unchanged}). */
    public LifecycleWrite(int ref, boolean created, StoredPosition row, List<LedgerEntry> entries, int firstSeq,
            boolean rewriteEntries, List<HistoryEntry> history, boolean touchOnly) {
        this(ref, created, row, entries, firstSeq, rewriteEntries, history, touchOnly, false);
    }

    /** A touch of {@code stored} leaving {@code row}: unchanged when the market values are the stored ones. */
    public static LifecycleWrite touch(int ref, StoredPosition row, StoredPosition stored) {
        boolean same = sameAmount(row.marketPrice(), stored.marketPrice())
                && sameAmount(row.unrealizedPnl(), stored.unrealizedPnl());
        return new LifecycleWrite(ref, false, row, List.of(), 0, false, List.of(), true, same);
    }

    /** Equal as numbers (the scale does not matter: {@code numeric} compares the same way), or both absent. */
    private static boolean sameAmount(java.math.BigDecimal a, java.math.BigDecimal b) {
        return a == null ? b == null : b != null && a.compareTo(b) == 0;
    }

    /** The same write for the row with id {@code id}. */
    public LifecycleWrite withId(long id) {
        StoredPosition r = row;
        return new LifecycleWrite(ref, created, new StoredPosition(id, r.account(), r.conId(), r.symbol(), r.secType(),
                r.currency(), r.multiplier(), r.quantity(), r.averagePrice(), r.marketPrice(), r.unrealizedPnl(),
                r.realizedPnl(), r.realizedPnlSource(), r.status(), r.openedAt(), r.closedAt(), r.lastSyncedAt()),
                entries, firstSeq, rewriteEntries, history, touchOnly, unchanged);
    }
}

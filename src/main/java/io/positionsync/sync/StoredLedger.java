package io.positionsync.sync;

import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * What the store read for a {@link LedgerRequest}: the ledger entries of every lifecycle asked for, and the rows
 * of those that are not open (in the order of their opening).
 */
public record StoredLedger(Map<Long, List<LedgerEntry>> entries, List<StoredPosition> others) {

    public static final StoredLedger NONE = new StoredLedger(Map.of(), List.of());

    public StoredLedger {
        entries = Collections.unmodifiableMap(entries);
        others = List.copyOf(others);
    }
}

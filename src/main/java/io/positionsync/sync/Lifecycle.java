package io.positionsync.sync;

import java.util.List;
import java.util.Objects;

/** A stored lifecycle with its ledger entries in fold order. */
public record Lifecycle(StoredPosition row, List<LedgerEntry> entries) {

    public Lifecycle {
        Objects.requireNonNull(row, "row");
        entries = List.copyOf(entries);
    }
}

package io.positionsync.sync;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** In tests: the stored state of one instrument between runs, kept as the store would keep it. */
final class Book {
    final List<Lifecycle> lifecycles = new ArrayList<>();
    final Set<BreakRef> openBreaks = new java.util.HashSet<>();
    long nextId = 1;
    long runId = 1;

    Lifecycle open() {
        return lifecycles.stream().filter(l -> l.row().status() == PositionStatus.OPEN).findFirst().orElse(null);
    }

    List<Lifecycle> closed() {
        return lifecycles.stream().filter(l -> l.row().status() == PositionStatus.CLOSED).toList();
    }

    /** Applies a result as the store would: rows replaced, entries appended or rewritten, breaks tracked. */
    void store(InstrumentResult result) {
        for (LifecycleWrite write : result.lifecycles()) {
            if (write.touchOnly()) { // market values move, as the store's touch does
                for (int i = 0; i < lifecycles.size(); i++) {
                    if (lifecycles.get(i).row().id() == write.row().id()) {
                        lifecycles.set(i, new Lifecycle(write.row(), lifecycles.get(i).entries()));
                    }
                }
                continue;
            }
            if (write.created()) {
                StoredPosition row = write.withId(nextId++).row();
                lifecycles.add(new Lifecycle(row, write.entries()));
                continue;
            }
            for (int i = 0; i < lifecycles.size(); i++) {
                Lifecycle stored = lifecycles.get(i);
                if (stored.row().id() == write.row().id()) {
                    List<LedgerEntry> entries = new ArrayList<>(write.rewriteEntries() ? List.of() : stored.entries());
                    entries.addAll(write.entries());
                    lifecycles.set(i, new Lifecycle(write.row(), entries));
                }
            }
        }
        openBreaks.removeAll(result.resolvedBreaks());
        result.breaks().forEach(b -> openBreaks.add(b.ref()));
        runId++;
    }
}

package io.positionsync.store;

import java.util.Collection;

import io.positionsync.sync.PositionChange;

/** What a run did to positions: {@code updated} counts INCREASED and REDUCED changes. */
public record SyncCounts(int opened, int updated, int closed, int unchanged) {

    public static final SyncCounts NONE = new SyncCounts(0, 0, 0, 0);

    public SyncCounts {
        if (opened < 0 || updated < 0 || closed < 0 || unchanged < 0) {
            throw new IllegalArgumentException("counts must not be negative");
        }
    }

    public static SyncCounts of(Collection<PositionChange> changes) {
        int opened = 0;
        int updated = 0;
        int closed = 0;
        int unchanged = 0;
        for (PositionChange change : changes) {
            switch (change.kind()) {
                case OPENED -> opened++;
                case INCREASED, REDUCED -> updated++;
                case CLOSED -> closed++;
                case UNCHANGED -> unchanged++;
            }
        }
        return new SyncCounts(opened, updated, closed, unchanged);
    }
}

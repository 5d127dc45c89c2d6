package io.positionsync.sync;

/** What a run did to positions: {@code updated} counts INCREASED and REDUCED changes. */
public record SyncCounts(int opened, int updated, int closed, int unchanged) {

    public static final SyncCounts NONE = new SyncCounts(0, 0, 0, 0);

    public SyncCounts {
        if (opened < 0 || updated < 0 || closed < 0 || unchanged < 0) {
            throw new IllegalArgumentException("counts must not be negative");
        }
    }
}

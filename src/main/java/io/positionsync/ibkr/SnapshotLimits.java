package io.positionsync.ibkr;

/**
 * How much one snapshot may make the client hold: a gateway that goes on sending (a flood of distinct
 * positions and never {@code positionEnd}, endless executions, huge frames) ends the snapshot incomplete
 * with the reason once a bound is passed, instead of filling the heap. Defaults are far above any real
 * account and still fit a small heap.
 *
 * @param maxMessages messages read in one snapshot
 * @param maxRecords  distinct positions, and distinct portfolio values, and distinct executions (each kind
 *                    counted on its own)
 * @param maxBytes    bytes read from the socket during one snapshot
 */
public record SnapshotLimits(long maxMessages, int maxRecords, long maxBytes) {
    /** One million messages, 100 000 records of each kind, 256 MiB. */
    public static final SnapshotLimits DEFAULTS = new SnapshotLimits(1_000_000, 100_000, 256L * 1024 * 1024);

    public SnapshotLimits {
        if (maxMessages < 1 || maxRecords < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("snapshot limits must be positive");
        }
    }
}

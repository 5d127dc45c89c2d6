package io.positionsync.sync;

import java.time.Instant;

/**
 * What a run did, as the API, the {@code sync-once} command and the logs report it, with what it did with fills.
 */
public record SyncRunSummary(
        long runId,
        SyncTrigger trigger,
        SyncRunStatus status,
        int opened,
        int updated,
        int closed,
        int unchanged,
        Instant startedAt,
        Instant finishedAt,
        String error,
        FillCounts fills) {

    /** A run that applied, deferred and estimated no fills (failed, skipped, or nothing traded). */
    public SyncRunSummary(long runId, SyncTrigger trigger, SyncRunStatus status, int opened, int updated, int closed,
            int unchanged, Instant startedAt, Instant finishedAt, String error) {
        this(runId, trigger, status, opened, updated, closed, unchanged, startedAt, finishedAt, error, FillCounts.NONE);
    }

    public SyncRunSummary {
        fills = fills == null ? FillCounts.NONE : fills;
    }

    public boolean succeeded() {
        return status == SyncRunStatus.SUCCEEDED;
    }
}

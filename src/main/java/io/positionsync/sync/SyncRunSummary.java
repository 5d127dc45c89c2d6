package io.positionsync.sync;

import java.time.Instant;

/**
 * What a run did, as the API, the {@code sync-once} command and the logs report it.
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
        String error) {

    public boolean succeeded() {
        return status == SyncRunStatus.SUCCEEDED;
    }
}

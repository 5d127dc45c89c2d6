package io.positionsync.store;

import java.time.Instant;

import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.sync.SyncTrigger;
import io.positionsync.sync.SyncCounts;

/** A row of {@code sync_runs}. {@code finishedAt} and {@code durationMs} are null while RUNNING. */
public record SyncRun(
        long id,
        SyncTrigger trigger,
        SyncRunStatus status,
        Instant startedAt,
        Instant finishedAt,
        Long durationMs,
        SyncCounts counts,
        String error,
        Instant brokerServerTime,
        String idempotencyKey) {

    public SyncRunSummary toSummary() {
        return new SyncRunSummary(id, trigger, status, counts.opened(), counts.updated(), counts.closed(),
                counts.unchanged(), startedAt, finishedAt, error);
    }
}

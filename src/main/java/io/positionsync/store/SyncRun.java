package io.positionsync.store;

import java.time.Instant;
import java.util.List;

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
        String idempotencyKey,
        List<String> accounts) {

    /** A run of every managed account. */
    public SyncRun(long id, SyncTrigger trigger, SyncRunStatus status, Instant startedAt, Instant finishedAt,
            Long durationMs, SyncCounts counts, String error, Instant brokerServerTime, String idempotencyKey) {
        this(id, trigger, status, startedAt, finishedAt, durationMs, counts, error, brokerServerTime, idempotencyKey,
                List.of());
    }

    public SyncRun {
        accounts = accounts == null ? List.of() : List.copyOf(accounts);
    }

    /** Whether the run was for some accounts only ({@link #accounts()}), not every managed account. */
    public boolean scoped() {
        return !accounts.isEmpty();
    }

    public SyncRunSummary toSummary() {
        return new SyncRunSummary(id, trigger, status, counts.opened(), counts.updated(), counts.closed(),
                counts.unchanged(), startedAt, finishedAt, error, io.positionsync.sync.FillCounts.NONE, accounts);
    }
}

package io.positionsync.sync;

import java.time.Instant;
import java.util.List;

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
        FillCounts fills,
        List<String> accounts) {

    /** A run that applied, deferred and estimated no fills (failed, skipped, or nothing traded). */
    public SyncRunSummary(long runId, SyncTrigger trigger, SyncRunStatus status, int opened, int updated, int closed,
            int unchanged, Instant startedAt, Instant finishedAt, String error) {
        this(runId, trigger, status, opened, updated, closed, unchanged, startedAt, finishedAt, error, FillCounts.NONE);
    }

    /** A run of every managed account. */
    public SyncRunSummary(long runId, SyncTrigger trigger, SyncRunStatus status, int opened, int updated, int closed,
            int unchanged, Instant startedAt, Instant finishedAt, String error, FillCounts fills) {
        this(runId, trigger, status, opened, updated, closed, unchanged, startedAt, finishedAt, error, fills, List.of());
    }

    /**
     * @param accounts the accounts a scoped run was for; empty for a run of every managed account
     */
    public SyncRunSummary {
        fills = fills == null ? FillCounts.NONE : fills;
        accounts = accounts == null ? List.of() : List.copyOf(accounts);
    }

    /** Whether the run was for some accounts only. */
    public boolean scoped() {
        return !accounts.isEmpty();
    }

    public boolean succeeded() {
        return status == SyncRunStatus.SUCCEEDED;
    }
}

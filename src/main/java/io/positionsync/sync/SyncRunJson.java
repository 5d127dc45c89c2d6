package io.positionsync.sync;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** The JSON view of a run summary shared by {@code sync-once} and the HTTP API (names exact). */
public final class SyncRunJson {
    private SyncRunJson() {
    }

    /**
     * The run's fields; {@code accounts} names the accounts of a run of some accounts only (an event run, a manual
     * run naming accounts), {@code null} for a run of every managed account.
     */
    public static Map<String, Object> of(SyncRunSummary run) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("runId", run.runId());
        json.put("trigger", run.trigger() == null ? null : run.trigger().name());
        json.put("status", run.status().name());
        json.put("opened", run.opened());
        json.put("updated", run.updated());
        json.put("closed", run.closed());
        json.put("unchanged", run.unchanged());
        json.put("startedAt", text(run.startedAt()));
        json.put("finishedAt", text(run.finishedAt()));
        json.put("error", run.error());
        json.put("accounts", run.scoped() ? run.accounts() : null); // null: a run of every managed account
        return json;
    }

    static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}

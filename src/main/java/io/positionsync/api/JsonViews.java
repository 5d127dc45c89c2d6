package io.positionsync.api;

import java.time.Instant;
import java.util.Map;

import io.positionsync.store.SyncRun;
import io.positionsync.sync.SyncRunJson;

/**
 * The one JSON shape of the API still built as a map: a stored run, whose fields are the command line's run
 * summary ({@link SyncRunJson}); the others are view records written by {@link ApiJson}.
 */
final class JsonViews {
    private JsonViews() {
    }

    static String time(Instant value) {
        return value == null ? null : value.toString();
    }

    /** A stored run: the run summary fields of {@code sync-once} plus its duration. */
    static Map<String, Object> run(SyncRun run) {
        Map<String, Object> json = SyncRunJson.of(run.toSummary());
        json.put("durationMs", run.durationMs());
        return json;
    }

    /** A gateway's stored run: {@link #run(SyncRun)} and the {@code instance} that ran it (null: not recorded). */
    static Map<String, Object> run(SyncRun run, String instance) {
        Map<String, Object> json = run(run);
        json.put("instance", instance);
        return json;
    }
}

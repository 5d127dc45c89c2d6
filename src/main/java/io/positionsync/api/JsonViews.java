package io.positionsync.api;

import java.time.Instant;
import java.util.Map;

import io.positionsync.store.SyncRun;
import io.positionsync.sync.SyncRunJson;

/**
 * The JSON shapes of the API still built as maps (a stored run: the command line's run summary); the others are view records
 * written by {@link ApiJson}. Money, prices and quantities are decimal strings ({@code "998.00"}), never
 * floating-point numbers, so no client rounds them; times are ISO-8601 UTC strings; ids and counts are numbers.
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

}

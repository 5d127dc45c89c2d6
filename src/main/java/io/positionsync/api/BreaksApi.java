package io.positionsync.api;

import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.apache.camel.Header;

import io.positionsync.store.BreakRepository;

/**
 * {@code GET /api/breaks?status=open|resolved&limit=N}: open breaks (newest first) or the most recently resolved
 * ones, each with its kind, amounts, the run that raised it and the run that resolved it.
 */
public final class BreaksApi {
    static final int DEFAULT_LIMIT = 20;
    static final int MAX_LIMIT = 500;

    private final BreakRepository breaks;

    public BreaksApi(BreakRepository breaks) {
        this.breaks = Objects.requireNonNull(breaks, "breaks");
    }

    public Map<String, Object> list(@Header("status") Object status, @Header("limit") Object limit) throws SQLException {
        String statusValue = QueryParameters.oneOf("status", status, "open", Set.of("open", "resolved"));
        int limitValue = QueryParameters.intParam("limit", limit, DEFAULT_LIMIT, 1, MAX_LIMIT);
        List<Map<String, Object>> page = ("open".equals(statusValue) ? breaks.unresolved(limitValue)
                : breaks.recentlyResolved(limitValue)).stream().map(JsonViews::reconciliationBreak).toList();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("status", statusValue);
        json.put("limit", limitValue);
        json.put("openCount", breaks.countUnresolved());
        json.put("breaks", page);
        return json;
    }
}

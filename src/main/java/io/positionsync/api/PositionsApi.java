package io.positionsync.api;

import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.apache.camel.Header;

import io.positionsync.store.PositionHistoryEntry;
import io.positionsync.store.PositionQuery;
import io.positionsync.store.PositionRepository;
import io.positionsync.sync.StoredPosition;

/** {@code GET /api/positions} and {@code GET /api/positions/{id}/history}. */
public final class PositionsApi {
    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1000;
    static final int ACCOUNT_MAX_LENGTH = 64;
    /** A year: anything older is simply "stale". */
    static final int MAX_STALE_MINUTES = 525_600;

    private final PositionRepository positions;

    public PositionsApi(PositionRepository positions) {
        this.positions = Objects.requireNonNull(positions, "positions");
    }

    /**
     * Stored lifecycles, filtered by status ({@code open|closed|all}, default all), account, and
     * {@code stale_minutes} (not synced within that many minutes), a page at a time.
     */
    public Map<String, Object> list(@Header("status") Object status, @Header("account") Object account,
            @Header("stale_minutes") Object staleMinutes, @Header("limit") Object limit, @Header("offset") Object offset)
            throws SQLException {
        String statusValue = QueryParameters.oneOf("status", status, "all", Set.of("open", "closed", "all"));
        String accountValue = QueryParameters.optionalCode("account", account, ACCOUNT_MAX_LENGTH);
        Integer stale = QueryParameters.optionalInt("stale_minutes", staleMinutes, 0, MAX_STALE_MINUTES);
        int limitValue = QueryParameters.intParam("limit", limit, DEFAULT_LIMIT, 1, MAX_LIMIT);
        int offsetValue = QueryParameters.intParam("offset", offset, 0, 0, Integer.MAX_VALUE);
        PositionQuery query = new PositionQuery(PositionQuery.Status.parse(statusValue), accountValue, stale, limitValue,
                offsetValue);

        List<Map<String, Object>> page = positions.find(query).stream().map(JsonViews::position).toList();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("status", statusValue);
        json.put("account", accountValue);
        json.put("staleMinutes", stale);
        json.put("limit", limitValue);
        json.put("offset", offsetValue);
        json.put("total", positions.count(query));
        json.put("positions", page);
        return json;
    }

    /** How one lifecycle changed, run by run, each change with the executions that explain it. */
    public Map<String, Object> history(@Header("id") Object id) throws SQLException {
        long positionId = positionId(id);
        StoredPosition position = positions.findById(positionId)
                .orElseThrow(() -> ApiException.notFound("no position with id " + positionId));
        List<PositionHistoryEntry> history = positions.history(positionId);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("position", JsonViews.position(position));
        json.put("history", history.stream().map(JsonViews::historyEntry).toList());
        return json;
    }

    static long positionId(Object raw) {
        String text = raw == null ? "" : raw.toString().trim();
        if (!text.matches("[0-9]{1,18}") || Long.parseLong(text) < 1) {
            throw ApiException.badRequest("parameter 'id' must be a positive integer");
        }
        return Long.parseLong(text);
    }
}

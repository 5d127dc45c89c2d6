package io.positionsync.api;

import java.math.BigDecimal;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.apache.camel.Header;

import com.fasterxml.jackson.annotation.JsonUnwrapped;

import io.positionsync.store.PositionHistoryEntry;
import io.positionsync.store.PositionQuery;
import io.positionsync.store.PositionRepository;
import io.positionsync.sync.StoredPosition;

/** {@code GET /api/positions} and {@code GET /api/positions/{id}/history}. */
public final class PositionsApi {
    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1000;
    static final int ACCOUNT_MAX_LENGTH = 64;
    static final int SYMBOL_MAX_LENGTH = 32;
    static final String CSV = "text/csv; charset=utf-8";
    /** A year: anything older is simply "stale". */
    static final int MAX_STALE_MINUTES = 525_600;

    private final PositionRepository positions;

    public PositionsApi(PositionRepository positions) {
        this.positions = Objects.requireNonNull(positions, "positions");
    }

    /**
     * Stored lifecycles, filtered by status ({@code open|closed|all}, default all), account, symbol,
     * {@code stale_minutes} (not synced within that many minutes) and the UTC days {@code from}..{@code to} (both
     * included) in which they were open at some time, a page at a time, by instrument or ({@code order=closed}) the
     * most recently closed first; {@code total} counts every match. Each row has its {@code peakQuantity}.
     */
    public PositionsPage list(@Header("status") Object status, @Header("account") Object account,
            @Header("stale_minutes") Object staleMinutes, @Header("limit") Object limit, @Header("offset") Object offset,
            @Header("symbol") Object symbol, @Header("from") Object from, @Header("to") Object to,
            @Header("order") Object order) throws SQLException {
        int limitValue = QueryParameters.intParam("limit", limit, DEFAULT_LIMIT, 1, MAX_LIMIT);
        int offsetValue = QueryParameters.intParam("offset", offset, 0, 0, Integer.MAX_VALUE);
        String orderValue = QueryParameters.oneOf("order", order, "instrument", Set.of("instrument", "closed"));
        PositionQuery query = query(status, account, staleMinutes, symbol, from, to).withPage(limitValue, offsetValue)
                .withOrder(PositionQuery.Order.valueOf(orderValue.toUpperCase(java.util.Locale.ROOT)));

        List<io.positionsync.sync.StoredPosition> found = positions.find(query);
        // The most each lifecycle held: a closed one's quantity is 0, this is how large it was.
        Map<Long, java.math.BigDecimal> peaks = positions.peakQuantities(
                found.stream().map(io.positionsync.sync.StoredPosition::id).toList());
        List<PositionRow> page = found.stream().map(p -> new PositionRow(PositionView.of(p), peaks.get(p.id()))).toList();
        return new PositionsPage(query.status().name().toLowerCase(java.util.Locale.ROOT), query.account(),
                query.staleMinutes(), query.symbol(), text(from), text(to), orderValue, limitValue, offsetValue,
                positions.count(query), page);
    }

    /** The answer of {@code GET /api/positions}: the filters applied, the page, the total of matches. */
    public record PositionsPage(String status, String account, Integer staleMinutes, String symbol, String from,
            String to, String order, int limit, int offset, long total, List<PositionRow> positions) {
    }

    /** A position of the list, with the most it held ({@code peakQuantity}: a closed one's quantity is 0). */
    public record PositionRow(@JsonUnwrapped PositionView position, BigDecimal peakQuantity) {
    }

    private static String text(Object raw) {
        return raw == null || raw.toString().isBlank() ? null : raw.toString().trim();
    }

    /**
     * {@code GET /api/positions.csv}: every lifecycle the same filters select (no page limit), as CSV streamed a
     * page at a time.
     */
    public ApiResponse csv(@Header("status") Object status, @Header("account") Object account,
            @Header("stale_minutes") Object staleMinutes, @Header("symbol") Object symbol, @Header("from") Object from,
            @Header("to") Object to) throws SQLException {
        PositionQuery query = query(status, account, staleMinutes, symbol, from, to).withPage(MAX_LIMIT, 0);
        return new ApiResponse(200, new PositionsCsv(positions, query, MAX_LIMIT), CSV,
                Map.of("Content-Disposition", "attachment; filename=\"positions.csv\""));
    }

    private static PositionQuery query(Object status, Object account, Object staleMinutes, Object symbol, Object from,
            Object to) {
        String statusValue = QueryParameters.oneOf("status", status, "all", Set.of("open", "closed", "all"));
        String accountValue = QueryParameters.optionalCode("account", account, ACCOUNT_MAX_LENGTH);
        Integer stale = QueryParameters.optionalInt("stale_minutes", staleMinutes, 0, MAX_STALE_MINUTES);
        String symbolValue = symbol == null || symbol.toString().isBlank() ? null : symbol.toString().trim();
        if (symbolValue != null && !symbolValue.matches("[A-Za-z0-9._ -]{1," + SYMBOL_MAX_LENGTH + "}")) {
            throw ApiException.badRequest("parameter 'symbol' is not a valid value");
        }
        LocalDate fromDay = PnlApi.day("from", from, null);
        LocalDate toDay = PnlApi.day("to", to, null);
        if (fromDay != null && toDay != null && fromDay.isAfter(toDay)) {
            throw ApiException.badRequest("parameter 'from' must not be after 'to'");
        }
        return new PositionQuery(PositionQuery.Status.parse(statusValue), accountValue, stale, 1, 0, symbolValue,
                fromDay == null ? null : fromDay.atStartOfDay(ZoneOffset.UTC).toInstant(),
                toDay == null ? null : toDay.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant());
    }

    /** How one lifecycle changed, run by run, each change with the executions that explain it. */
    public HistoryView history(@Header("id") Object id) throws SQLException {
        long positionId = positionId(id);
        StoredPosition position = positions.findById(positionId)
                .orElseThrow(() -> ApiException.notFound("no position with id " + positionId));
        List<PositionHistoryEntry> history = positions.history(positionId);
        return new HistoryView(PositionView.of(position), history.stream().map(HistoryEntryView::of).toList());
    }

    /** The answer of {@code GET /api/positions/{id}/history}: the lifecycle and its changes, oldest first. */
    public record HistoryView(PositionView position, List<HistoryEntryView> history) {
    }

    static long positionId(Object raw) {
        String text = raw == null ? "" : raw.toString().trim();
        if (!text.matches("[0-9]{1,18}") || Long.parseLong(text) < 1) {
            throw ApiException.badRequest("parameter 'id' must be a positive integer");
        }
        return Long.parseLong(text);
    }
}

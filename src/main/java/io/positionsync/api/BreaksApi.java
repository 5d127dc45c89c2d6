package io.positionsync.api;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.Header;

/**
 * {@code GET /api/breaks?status=open|resolved&limit=N}: open breaks (newest first) or the most recently resolved
 * ones, each with its kind, amounts, the run that raised it and the run that resolved it. The rows are read by the
 * route itself (camel-jdbc, bind parameters only: {@code routes/api.camel.yaml}); this checks the parameters and
 * shapes the page.
 */
public final class BreaksApi {
    static final int DEFAULT_LIMIT = 20;
    static final int MAX_LIMIT = 500;

    /** The status asked for, bound as {@code :?breaksStatus} in the route's query. */
    public static final String STATUS_HEADER = "breaksStatus";
    /** How many breaks are open (the route's count query). */
    public static final String OPEN_COUNT_HEADER = "breaksOpenCount";

    /** A page of breaks, the status asked for and how many are open. */
    public record BreaksPage(String status, int limit, long openCount, List<BreakView> breaks) {
    }

    /**
     * Checks the query parameters (400 for a bad one) and hands them to the route's queries as the headers
     * {@link #STATUS_HEADER} ({@code open} or {@code resolved}) and {@code limit}.
     */
    public void parameters(@Header("status") Object status, @Header("limit") Object limit, Exchange exchange) {
        exchange.getMessage().setHeader(STATUS_HEADER,
                QueryParameters.oneOf("status", status, "open", Set.of("open", "resolved")));
        exchange.getMessage().setHeader("limit", QueryParameters.intParam("limit", limit, DEFAULT_LIMIT, 1, MAX_LIMIT));
    }

    /** The page from the rows the route read (camel-jdbc's {@code SelectList}). */
    public BreaksPage page(@Body List<Map<String, Object>> rows, @Header(STATUS_HEADER) String status,
            @Header("limit") int limit, @Header(OPEN_COUNT_HEADER) long openCount) {
        return new BreaksPage(status, limit, openCount, rows.stream().map(BreakView::of).toList());
    }
}

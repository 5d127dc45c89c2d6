package io.positionsync.boot;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import io.positionsync.testing.ServiceUnderTest;

/**
 * What the trading demo has shown so far through the HTTP API, gathered poll by poll: a closed position whose
 * realized P&L comes from executions, a win rate, a history of more than one entry, an estimate that the late
 * fill replaced (a {@code MARKET_PRICE} entry, then an {@code ADJUSTED} one from executions), and reconciliation
 * breaks seen open in {@code GET /api/sync/status} and later gone from it, or listed by
 * {@code GET /api/breaks?status=resolved} (resolved). History only grows, so
 * those are checked now and then; open breaks come and go, so the status is read at every poll.
 */
final class DemoProgress {
    /** Histories are read every this many polls (they cost one request per position). */
    private static final int HISTORY_EVERY = 5;

    private final Map<Long, String> seenOpen = new LinkedHashMap<>();
    private final Map<Long, String> resolved = new LinkedHashMap<>();
    private final Set<Long> settledHistories = new HashSet<>();
    private int polls;
    private boolean startupRunDone;
    JsonNode closedFromExecutions;
    JsonNode winRate;
    Long severalEntries;
    Long estimateReplaced;

    /** One look at the API; whether everything has been seen. */
    boolean poll(ServiceUnderTest service) {
        if (!startupRunDone) {
            // The start-up run comes after the demo's pre-dated history: until it has, the demo is not live yet.
            for (JsonNode run : service.getJson("api/sync/runs?limit=500").get("runs")) {
                if ("STARTUP".equals(run.get("trigger").asText()) && !"RUNNING".equals(run.get("status").asText())) {
                    startupRunDone = true;
                }
            }
        }
        JsonNode status = service.getJson("api/sync/status");
        JsonNode openBreaks = status.get("openBreaks");
        boolean allShown = status.get("openBreakCount").asLong() == openBreaks.size();
        Set<Long> openNow = new HashSet<>();
        for (JsonNode b : openBreaks) {
            openNow.add(b.get("id").asLong());
            seenOpen.putIfAbsent(b.get("id").asLong(), b.get("kind").asText());
        }
        if (allShown) {
            seenOpen.forEach((id, kind) -> {
                if (!openNow.contains(id)) {
                    resolved.putIfAbsent(id, kind);
                }
            });
        }
        // Breaks raised and resolved before this test looked (the demo's pre-dated history) are listed as resolved.
        if (!resolvedKind("COMMISSION_PENDING")) {
            for (JsonNode b : service.getJson("api/breaks?status=resolved&limit=500").get("breaks")) {
                resolved.putIfAbsent(b.get("id").asLong(), b.get("kind").asText());
            }
        }
        if (closedFromExecutions == null) {
            for (JsonNode p : service.getJson("api/positions?status=closed&limit=1000").get("positions")) {
                if ("EXECUTIONS".equals(p.get("realizedPnlSource").asText())) {
                    closedFromExecutions = p;
                    break;
                }
            }
        }
        if (winRate == null) {
            JsonNode overall = service.getJson("api/portfolio/summary").get("overall");
            winRate = overall.get("winRate").isNull() ? null : overall.get("winRate");
        }
        if (polls++ % HISTORY_EVERY == 0 && (severalEntries == null || estimateReplaced == null)) {
            readHistories(service);
        }
        return complete();
    }

    private void readHistories(ServiceUnderTest service) {
        for (JsonNode p : service.getJson("api/positions?status=all&limit=1000").get("positions")) {
            long id = p.get("id").asLong();
            if (settledHistories.contains(id)) {
                continue;
            }
            JsonNode history = service.getJson("api/positions/" + id + "/history").get("history");
            if (history.size() > 1 && severalEntries == null) {
                severalEntries = id;
            }
            if (replacesAnEstimate(history)) {
                estimateReplaced = id;
                settledHistories.add(id);
            }
        }
    }

    /** An entry realized at the market price (an estimate), then an adjustment that made it executions'. */
    static boolean replacesAnEstimate(JsonNode history) {
        boolean estimated = false;
        for (JsonNode entry : history) {
            String source = entry.get("realizedPnlSource").asText();
            if ("MARKET_PRICE".equals(source)) {
                estimated = true;
            } else if (estimated && "ADJUSTED".equals(entry.get("change").asText()) && "EXECUTIONS".equals(source)
                    && entry.get("execIds").size() > 0) {
                return true;
            }
        }
        return false;
    }

    boolean resolvedKind(String kind) {
        return resolved.containsValue(kind);
    }

    boolean complete() {
        return missing().isEmpty();
    }

    /** What has not been seen yet, for a failure message. */
    List<String> missing() {
        List<String> missing = new ArrayList<>();
        if (!startupRunDone) {
            missing.add("the start-up run (after the pre-dated history)");
        }
        if (closedFromExecutions == null) {
            missing.add("a closed position with EXECUTIONS realized P&L");
        }
        if (winRate == null) {
            missing.add("a win rate");
        }
        if (severalEntries == null) {
            missing.add("a history of more than one entry");
        }
        if (estimateReplaced == null) {
            missing.add("an estimate replaced by its late fill (MARKET_PRICE, then ADJUSTED from EXECUTIONS)");
        }
        if (!resolvedKind("COMMISSION_PENDING")) {
            missing.add("a COMMISSION_PENDING break raised and resolved");
        }
        return missing;
    }

    @Override
    public String toString() {
        return "missing " + missing() + "; breaks seen open " + seenOpen + ", resolved " + resolved;
    }
}

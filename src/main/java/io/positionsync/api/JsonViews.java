package io.positionsync.api;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.positionsync.sync.BrokerExecution;
import io.positionsync.store.PnlSummary;
import io.positionsync.store.PositionHistoryEntry;
import io.positionsync.store.StoredExecution;
import io.positionsync.store.SyncRun;
import io.positionsync.sync.StoredPosition;
import io.positionsync.sync.SyncRunJson;

/**
 * The JSON shapes of the API. Money, prices and quantities are decimal strings ({@code "998.00"}), never
 * floating-point numbers, so no client rounds them; times are ISO-8601 UTC strings; ids and counts are numbers.
 */
final class JsonViews {
    private JsonViews() {
    }

    static String decimal(BigDecimal value) {
        return value == null ? null : value.toPlainString();
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

    static Map<String, Object> position(StoredPosition p) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", p.id());
        json.put("account", p.account());
        json.put("conId", p.conId());
        json.put("symbol", p.symbol());
        json.put("secType", p.secType());
        json.put("currency", p.currency());
        json.put("multiplier", decimal(p.multiplier()));
        json.put("status", p.status().name());
        json.put("quantity", decimal(p.quantity()));
        json.put("averagePrice", decimal(p.averagePrice()));
        json.put("marketPrice", decimal(p.marketPrice()));
        json.put("unrealizedPnl", decimal(p.unrealizedPnl()));
        json.put("realizedPnl", decimal(p.realizedPnl()));
        json.put("realizedPnlSource", p.realizedPnlSource() == null ? null : p.realizedPnlSource().name());
        json.put("openedAt", time(p.openedAt()));
        json.put("closedAt", time(p.closedAt()));
        json.put("lastSyncedAt", time(p.lastSyncedAt()));
        return json;
    }

    static Map<String, Object> historyEntry(PositionHistoryEntry h) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("runId", h.runId());
        json.put("change", h.kind().name());
        json.put("recordedAt", time(h.recordedAt()));
        json.put("quantityBefore", decimal(h.quantityBefore()));
        json.put("quantityAfter", decimal(h.quantityAfter()));
        json.put("averagePrice", decimal(h.averagePrice()));
        json.put("marketPrice", decimal(h.marketPrice()));
        json.put("realizedPnlDelta", decimal(h.realizedPnlDelta()));
        json.put("realizedPnlTotal", decimal(h.realizedPnlTotal()));
        if (h.kind() == io.positionsync.sync.ChangeKind.ADJUSTED) {
            // the amount before the late facts: an adjustment's delta is the new amount minus the old
            json.put("realizedPnlBefore", h.realizedPnlTotal() == null || h.realizedPnlDelta() == null ? null
                    : decimal(h.realizedPnlTotal().subtract(h.realizedPnlDelta())));
        }
        json.put("realizedPnlSource", h.realizedPnlSource() == null ? null : h.realizedPnlSource().name());
        json.put("exitPrice", decimal(h.exitPrice()));
        json.put("exitCommission", decimal(h.exitCommission()));
        json.put("brokerRealizedPnl", decimal(h.brokerRealizedPnl()));
        json.put("execIds", h.execIds());
        json.put("executions", h.executions().stream().map(JsonViews::execution).toList());
        return json;
    }

    static Map<String, Object> execution(StoredExecution stored) {
        BrokerExecution e = stored.execution();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("execId", e.execId());
        json.put("time", time(e.time()));
        json.put("side", e.side());
        json.put("shares", decimal(e.shares()));
        json.put("price", decimal(e.price()));
        json.put("commission", decimal(e.commission()));
        json.put("commissionCurrency", e.commissionCurrency());
        json.put("brokerRealizedPnl", decimal(e.realizedPnl()));
        json.put("orderId", e.orderId());
        json.put("permId", e.permId());
        json.put("firstSeenRunId", stored.firstSeenRunId());
        json.put("appliedRunId", stored.appliedRunId());
        json.put("supersededBy", stored.supersededBy());
        return json;
    }

}

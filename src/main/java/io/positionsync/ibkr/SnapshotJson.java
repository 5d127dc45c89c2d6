package io.positionsync.ibkr;

import io.positionsync.sync.BrokerExecution;
import io.positionsync.sync.BrokerPosition;
import io.positionsync.sync.PortfolioValue;

import io.positionsync.sync.BrokerSnapshot;

import java.math.BigDecimal;
import java.time.Instant;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A {@link BrokerSnapshot} as JSON, in one fixed shape:
 * <pre>
 * {"serverVersion":178,"complete":true,"accounts":["DU1"],
 *  "positions":[{"account","conId","symbol","secType","currency","multiplier","position","avgCost"}],
 *  "portfolio":[{"account","conId","symbol","position","marketPrice","marketValue","averageCost","unrealizedPnl","realizedPnl"}],
 *  "executions":[{"execId","account","conId","symbol","side","shares","price","time","commission","commissionCurrency","realizedPnl"}]}
 * </pre>
 * Decimals are JSON strings ({@code "position":"-30"}) so no reader turns them into binary floating
 * point; absent values are {@code null}; times are ISO-8601 UTC. An incomplete snapshot also carries
 * {@code "incompleteReason"} (right after {@code "complete"}).
 */
public final class SnapshotJson {
    private SnapshotJson() {
    }

    /** Compact JSON text. */
    public static String write(BrokerSnapshot snapshot) {
        return serialize(snapshot, false);
    }

    /** Indented JSON text, for people. */
    public static String writePretty(BrokerSnapshot snapshot) {
        return serialize(snapshot, true);
    }

    /** The JSON tree, for callers that embed it in a larger document. */
    public static ObjectNode toTree(BrokerSnapshot snapshot) {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("serverVersion", snapshot.serverVersion());
        root.put("complete", snapshot.complete());
        if (!snapshot.complete()) {
            root.put("incompleteReason", snapshot.incompleteReason());
        }
        ArrayNode accounts = root.putArray("accounts");
        snapshot.accounts().forEach(accounts::add);

        ArrayNode positions = root.putArray("positions");
        for (BrokerPosition p : snapshot.positions()) {
            ObjectNode node = positions.addObject();
            node.put("account", p.account());
            node.put("conId", p.conId());
            node.put("symbol", p.symbol());
            node.put("secType", p.secType());
            node.put("currency", p.currency());
            node.put("multiplier", decimal(p.multiplier()));
            node.put("position", decimal(p.position()));
            node.put("avgCost", decimal(p.avgCost()));
        }

        ArrayNode portfolio = root.putArray("portfolio");
        for (PortfolioValue v : snapshot.portfolio()) {
            ObjectNode node = portfolio.addObject();
            node.put("account", v.account());
            node.put("conId", v.conId());
            node.put("symbol", v.symbol());
            node.put("position", decimal(v.position()));
            node.put("marketPrice", decimal(v.marketPrice()));
            node.put("marketValue", decimal(v.marketValue()));
            node.put("averageCost", decimal(v.averageCost()));
            node.put("unrealizedPnl", decimal(v.unrealizedPnl()));
            node.put("realizedPnl", decimal(v.realizedPnl()));
        }

        ArrayNode executions = root.putArray("executions");
        for (BrokerExecution e : snapshot.executions()) {
            ObjectNode node = executions.addObject();
            node.put("execId", e.execId());
            node.put("account", e.account());
            node.put("conId", e.conId());
            node.put("symbol", e.symbol());
            node.put("side", e.side());
            node.put("shares", decimal(e.shares()));
            node.put("price", decimal(e.price()));
            node.put("time", time(e.time()));
            node.put("commission", decimal(e.commission()));
            node.put("commissionCurrency", e.commissionCurrency());
            node.put("realizedPnl", decimal(e.realizedPnl()));
        }
        return root;
    }

    private static String serialize(BrokerSnapshot snapshot, boolean pretty) {
        ObjectNode tree = toTree(snapshot);
        return pretty ? tree.toPrettyString() : tree.toString();
    }

    private static String decimal(BigDecimal value) {
        return value == null ? null : value.toPlainString();
    }

    private static String time(Instant value) {
        return value == null ? null : value.toString();
    }
}

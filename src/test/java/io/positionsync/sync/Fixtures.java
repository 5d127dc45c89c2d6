package io.positionsync.sync;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Small builders for the reconcile tests: decimals from text, never from double. */
final class Fixtures {
    static final String ACCOUNT = "DU1234567";
    static final Instant T0 = Instant.parse("2026-11-24T14:30:00Z");
    static final Instant NOW = Instant.parse("2026-11-24T16:00:00Z");
    /** The difference between our realized P&L and IB's that is a break (the service's default). */
    static final BigDecimal TOLERANCE = new BigDecimal("0.01");

    private Fixtures() {
    }

    static BigDecimal d(String text) {
        return text == null ? null : new BigDecimal(text);
    }

    static BrokerExecution fill(String execId, long conId, String side, String shares, String price,
                                String commission, String ibRealized, int minute) {
        return fill(execId, ACCOUNT, conId, side, shares, price, commission, ibRealized, minute);
    }

    static BrokerExecution fill(String execId, String account, long conId, String side, String shares, String price,
                                String commission, String ibRealized, int minute) {
        return new BrokerExecution(execId, account, conId, "SYM" + conId, "STK", side, d(shares), d(price),
                T0.plusSeconds(60L * minute), 1, 1, d(commission), commission == null ? null : "USD", d(ibRealized));
    }

    /** A stored OPEN lifecycle. */
    static StoredPosition open(long id, long conId, String symbol, String multiplier, String quantity, String average,
                               String realizedSoFar) {
        return open(id, ACCOUNT, conId, symbol, multiplier, quantity, average, null, realizedSoFar);
    }

    static StoredPosition open(long id, String account, long conId, String symbol, String multiplier, String quantity,
                               String average, String marketPrice, String realizedSoFar) {
        return new StoredPosition(id, account, conId, symbol, "STK", "USD", d(multiplier), d(quantity), d(average),
                d(marketPrice), null, d(realizedSoFar), null, PositionStatus.OPEN, T0.minusSeconds(86_400), null,
                T0);
    }

    /** The broker's view of one instrument, average already per unit. */
    static SnapshotPosition broker(long conId, String symbol, String multiplier, String quantity, String average,
                                   String marketPrice) {
        return broker(ACCOUNT, conId, symbol, multiplier, quantity, average, marketPrice);
    }

    static SnapshotPosition broker(String account, long conId, String symbol, String multiplier, String quantity,
                                   String average, String marketPrice) {
        return new SnapshotPosition(account, conId, symbol, "STK", "USD", d(multiplier), d(quantity), d(average),
                d(marketPrice), null, null, null);
    }

    static Map<PositionKey, StoredPosition> rows(StoredPosition... rows) {
        Map<PositionKey, StoredPosition> map = new LinkedHashMap<>();
        for (StoredPosition row : rows) {
            map.put(row.key(), row);
        }
        return map;
    }

    static SnapshotExecutions fills(BrokerExecution... executions) {
        return SnapshotExecutions.of(Arrays.asList(executions));
    }

    static List<BrokerExecution> list(BrokerExecution... executions) {
        return List.of(executions);
    }
}

package io.positionsync.ibkr;

import java.util.Objects;

/**
 * The filter of a {@code reqExecutions} request. Empty strings and {@code clientId} 0 mean "no filter
 * on this field". {@code time} is {@code yyyyMMdd-HH:mm:ss} (UTC) or {@code yyyyMMdd HH:mm:ss zone}; see
 * {@link TwsTime#formatUtc(java.time.Instant)}.
 */
public record ExecutionFilter(int clientId, String acctCode, String time, String symbol, String secType,
        String exchange, String side) {

    public ExecutionFilter {
        acctCode = Objects.requireNonNullElse(acctCode, "");
        time = Objects.requireNonNullElse(time, "");
        symbol = Objects.requireNonNullElse(symbol, "");
        secType = Objects.requireNonNullElse(secType, "");
        exchange = Objects.requireNonNullElse(exchange, "");
        side = Objects.requireNonNullElse(side, "");
    }

    /** Every execution the gateway still holds. */
    public static ExecutionFilter none() {
        return new ExecutionFilter(0, "", "", "", "", "", "");
    }
}

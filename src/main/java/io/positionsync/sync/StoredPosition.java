package io.positionsync.sync;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * One row of {@code positions}: one lifecycle of an instrument in an account. {@code averagePrice} is per
 * unit (broker avgCost / multiplier). {@code realizedPnl} accumulates over partial closes and is final
 * once the row is {@link PositionStatus#CLOSED}.
 */
public record StoredPosition(
        long id,
        String account,
        long conId,
        String symbol,
        String secType,
        String currency,
        BigDecimal multiplier,
        BigDecimal quantity,
        BigDecimal averagePrice,
        BigDecimal marketPrice,
        BigDecimal unrealizedPnl,
        BigDecimal realizedPnl,
        RealizedPnlSource realizedPnlSource,
        PositionStatus status,
        Instant openedAt,
        Instant closedAt,
        Instant lastSyncedAt) {

    public PositionKey key() {
        return new PositionKey(account, conId);
    }
}

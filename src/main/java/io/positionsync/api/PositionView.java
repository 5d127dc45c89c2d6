package io.positionsync.api;

import java.math.BigDecimal;
import java.time.Instant;

import io.positionsync.sync.PositionStatus;
import io.positionsync.sync.RealizedPnlSource;
import io.positionsync.sync.StoredPosition;

/** A stored position lifecycle as the API shows it. */
public record PositionView(long id, String account, long conId, String symbol, String secType, String currency,
        BigDecimal multiplier, PositionStatus status, BigDecimal quantity, BigDecimal averagePrice,
        BigDecimal marketPrice, BigDecimal unrealizedPnl, BigDecimal realizedPnl, RealizedPnlSource realizedPnlSource,
        Instant openedAt, Instant closedAt, Instant lastSyncedAt) {

    static PositionView of(StoredPosition p) {
        return new PositionView(p.id(), p.account(), p.conId(), p.symbol(), p.secType(), p.currency(), p.multiplier(),
                p.status(), p.quantity(), p.averagePrice(), p.marketPrice(), p.unrealizedPnl(), p.realizedPnl(),
                p.realizedPnlSource(), p.openedAt(), p.closedAt(), p.lastSyncedAt());
    }
}

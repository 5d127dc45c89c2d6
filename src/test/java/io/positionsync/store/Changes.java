package io.positionsync.store;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

import io.positionsync.sync.ChangeKind;
import io.positionsync.sync.PositionChange;
import io.positionsync.sync.RealizedPnlSource;
import io.positionsync.sync.StoredPosition;

/** Builders for {@link PositionChange}s in tests. */
final class Changes {
    private Changes() {
    }

    static BigDecimal d(String value) {
        return new BigDecimal(value);
    }

    static PositionChange opened(String account, long conId, String symbol, String quantity, String averagePrice,
            Instant at, String... execIds) {
        return new PositionChange(ChangeKind.OPENED, null, account, conId, symbol, "STK", "USD", BigDecimal.ONE,
                BigDecimal.ZERO, d(quantity), d(averagePrice), d(averagePrice), BigDecimal.ZERO, null, null, null, null,
                null, null, at, List.of(execIds));
    }

    static PositionChange unchanged(StoredPosition p, String marketPrice, String unrealizedPnl) {
        return new PositionChange(ChangeKind.UNCHANGED, p.id(), p.account(), p.conId(), p.symbol(), p.secType(),
                p.currency(), p.multiplier(), p.quantity(), p.quantity(), p.averagePrice(), d(marketPrice),
                d(unrealizedPnl), null, null, null, null, null, null, null, List.of());
    }

    static PositionChange increased(StoredPosition p, String quantity, String averagePrice, Instant at,
            String... execIds) {
        return new PositionChange(ChangeKind.INCREASED, p.id(), p.account(), p.conId(), p.symbol(), p.secType(),
                p.currency(), p.multiplier(), p.quantity(), d(quantity), d(averagePrice), null, null, null, null, null,
                null, null, null, at, List.of(execIds));
    }

    /** A reduction realizing {@code delta} (total = {@code total}) at {@code exitPrice}. */
    static PositionChange reduced(StoredPosition p, String quantity, String delta, String total,
            RealizedPnlSource source, String exitPrice, String commission, String brokerPnl, Instant at,
            String... execIds) {
        return new PositionChange(ChangeKind.REDUCED, p.id(), p.account(), p.conId(), p.symbol(), p.secType(),
                p.currency(), p.multiplier(), p.quantity(), d(quantity), p.averagePrice(), d(exitPrice), null, d(delta),
                total == null ? null : d(total), source, d(exitPrice), commission == null ? null : d(commission),
                brokerPnl == null ? null : d(brokerPnl), at, List.of(execIds));
    }

    static PositionChange closed(StoredPosition p, String delta, String total, RealizedPnlSource source,
            String exitPrice, String commission, String brokerPnl, Instant at, String... execIds) {
        return new PositionChange(ChangeKind.CLOSED, p.id(), p.account(), p.conId(), p.symbol(), p.secType(),
                p.currency(), p.multiplier(), p.quantity(), BigDecimal.ZERO, p.averagePrice(), d(exitPrice), null,
                d(delta), total == null ? null : d(total), source, d(exitPrice),
                commission == null ? null : d(commission), brokerPnl == null ? null : d(brokerPnl), at,
                List.of(execIds));
    }
}

package io.positionsync.store;

import java.math.BigDecimal;

/** Realized, unrealized and total P&L of the rows in one currency (amounts of different currencies never add). */
public record CurrencyPnl(String currency, BigDecimal realizedPnl, BigDecimal unrealizedPnl, BigDecimal totalPnl) {

    CurrencyPnl plus(BigDecimal realized, BigDecimal unrealized) {
        BigDecimal r = realizedPnl.add(realized);
        BigDecimal u = unrealizedPnl.add(unrealized);
        return new CurrencyPnl(currency, r, u, r.add(u));
    }
}

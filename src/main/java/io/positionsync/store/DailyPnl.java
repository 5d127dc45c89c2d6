package io.positionsync.store;

import java.math.BigDecimal;
import java.time.LocalDate;

import io.positionsync.sync.RealizedPnlSource;

/**
 * Realized P&L one account booked on one UTC day in one currency, from changes of one source: amounts backed by
 * executions and estimates ({@code MARKET_PRICE}) are never summed together.
 *
 * @param changes how many recorded changes (history entries) the amount sums
 */
public record DailyPnl(LocalDate day, String account, String currency, RealizedPnlSource source, BigDecimal realizedPnl,
        long changes) {
}

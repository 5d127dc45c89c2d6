package io.positionsync.store;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

/**
 * Portfolio figures over the stored positions of one account ({@code account} set) or of all accounts
 * ({@code account} null), as the "Portfolio summary" rules define them.
 *
 * @param openCount         open rows
 * @param closedCount       closed rows
 * @param wins              closed rows whose P&L is above zero (breakeven is not a win)
 * @param closedWithPnl     closed rows with a P&L value: {@code realized_pnl}, or {@code unrealized_pnl} for
 *                          legacy rows without one
 * @param winRate           {@code wins / closedWithPnl}, {@link PortfolioSummary#WIN_RATE_SCALE} decimals
 *                          (half-even); {@code null} when no closed row has a P&L value
 * @param realizedPnl       sum of {@code realized_pnl} over all rows, when they share one currency ({@code null}
 *                          when they do not: see {@code byCurrency})
 * @param unrealizedPnl     sum of {@code unrealized_pnl} over open rows, one currency only (else {@code null})
 * @param totalPnl          {@code realizedPnl + unrealizedPnl}, one currency only (else {@code null})
 * @param lastSyncedAt      latest {@code last_synced_at}, {@code null} if never synced
 * @param currencies        currencies of the rows summed
 * @param byCurrency        the sums per currency
 */
public record PnlSummary(
        String account,
        long openCount,
        long closedCount,
        long wins,
        long closedWithPnl,
        BigDecimal winRate,
        BigDecimal realizedPnl,
        BigDecimal unrealizedPnl,
        BigDecimal totalPnl,
        Instant lastSyncedAt,
        List<String> currencies,
        List<CurrencyPnl> byCurrency) {

    public PnlSummary {
        currencies = List.copyOf(currencies);
        byCurrency = List.copyOf(byCurrency);
    }
}

package io.positionsync.store;

import java.util.List;

/**
 * The overall figures and one {@link PnlSummary} per account (ordered by account), over live rows: open rows of
 * an account the gateway no longer reports (its last complete snapshot did not list it) are {@code orphaned}
 * and counted apart, never in the live totals. {@code baseTotals}: each account's total in its base currency
 * where the exchange rates are known.
 */
public record PortfolioSummary(PnlSummary overall, List<PnlSummary> accounts, List<PnlSummary> orphaned,
        List<BaseCurrencyTotal> baseTotals) {

    /** Decimals of {@link PnlSummary#winRate()}. */
    public static final int WIN_RATE_SCALE = 4;

    /** How the figures are defined, for responses that must state it. */
    public static final String WIN_RATE_DEFINITION = "win_rate = closed positions with realized_pnl > 0 / closed "
            + "positions with a P&L value; breakeven (0) is not a win; a closed position without realized_pnl "
            + "(legacy data) counts with its unrealized_pnl";
    public static final String TOTAL_PNL_DEFINITION =
            "total_pnl = sum of realized_pnl over all positions + sum of unrealized_pnl over open positions, per "
                    + "currency (byCurrency); a single figure only where every row has one currency; baseTotals "
                    + "convert each account's figures to its base currency with the last exchange rates seen; open "
                    + "positions of accounts the gateway no longer reports are orphaned and counted apart";

    public PortfolioSummary {
        accounts = List.copyOf(accounts);
        orphaned = List.copyOf(orphaned);
        baseTotals = List.copyOf(baseTotals);
    }
}

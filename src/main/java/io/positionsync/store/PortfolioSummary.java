package io.positionsync.store;

import java.util.List;

/** The overall figures and one {@link PnlSummary} per account (ordered by account). */
public record PortfolioSummary(PnlSummary overall, List<PnlSummary> accounts) {

    /** Decimals of {@link PnlSummary#winRate()}. */
    public static final int WIN_RATE_SCALE = 4;

    /** How the figures are defined, for responses that must state it. */
    public static final String WIN_RATE_DEFINITION = "win_rate = closed positions with realized_pnl > 0 / closed "
            + "positions with a P&L value; breakeven (0) is not a win; a closed position without realized_pnl "
            + "(legacy data) counts with its unrealized_pnl";
    public static final String TOTAL_PNL_DEFINITION =
            "total_pnl = sum of realized_pnl over all positions + sum of unrealized_pnl over open positions";

    public PortfolioSummary {
        accounts = List.copyOf(accounts);
    }
}

package io.positionsync.ibkr.sim;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Objects;

/**
 * A fill to record with {@link SimulatorState#trade(Fill)}: who traded what, and how the gateway reports it.
 * Built with {@link #of} and refined with the {@code with...} methods:
 *
 * <pre>{@code
 * state.trade(Fill.of("DU1000002", 14204, Side.BOT, qty, price, fee)
 *         .withCommissionCurrency("USD")   // a EUR stock charged a USD commission
 *         .withClientId(17)                // placed by API client 17 (0 = a manual TWS order)
 *         .withCommissionWithheld());      // its commission report comes later (releaseCommission)
 * }</pre>
 *
 * @param commissionCurrency {@code null}: the instrument's currency
 * @param clientId           the API client that placed the order; IB reports manual TWS orders with 0
 * @param time               {@code null}: the state's clock now (a day earlier for a prior-day fill)
 * @param commissionWithheld the commission report is not sent until {@link SimulatorState#releaseCommission}
 * @param priorDay           the fill happened before today's trading day: it moves the position but
 *                           {@code reqExecutions} never returns it (IB keeps executions of the current day only)
 */
public record Fill(String account, long conId, Side side, BigDecimal shares, BigDecimal price, BigDecimal commission,
        String commissionCurrency, int clientId, Instant time, boolean commissionWithheld, boolean priorDay) {

    public Fill {
        Objects.requireNonNull(account, "account");
        Objects.requireNonNull(side, "side");
        commission = commission == null ? BigDecimal.ZERO : commission;
        if (commissionCurrency != null && commissionCurrency.isBlank()) {
            commissionCurrency = null;
        }
        if (clientId < 0) {
            throw new IllegalArgumentException("clientId must be >= 0, got " + clientId);
        }
    }

    /** A fill now by a manual order (clientId 0), commission in the instrument's currency, reported at once. */
    public static Fill of(String account, long conId, Side side, BigDecimal shares, BigDecimal price,
            BigDecimal commission) {
        return new Fill(account, conId, side, shares, price, commission, null, 0, null, false, false);
    }

    public Fill withCommissionCurrency(String currency) {
        return new Fill(account, conId, side, shares, price, commission, currency, clientId, time, commissionWithheld,
                priorDay);
    }

    public Fill withClientId(int id) {
        return new Fill(account, conId, side, shares, price, commission, commissionCurrency, id, time,
                commissionWithheld, priorDay);
    }

    public Fill at(Instant when) {
        return new Fill(account, conId, side, shares, price, commission, commissionCurrency, clientId, when,
                commissionWithheld, priorDay);
    }

    public Fill withCommissionWithheld() {
        return new Fill(account, conId, side, shares, price, commission, commissionCurrency, clientId, time, true,
                priorDay);
    }

    public Fill fromPriorDay() {
        return new Fill(account, conId, side, shares, price, commission, commissionCurrency, clientId, time,
                commissionWithheld, true);
    }
}

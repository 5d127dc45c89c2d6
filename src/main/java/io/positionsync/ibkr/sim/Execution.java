package io.positionsync.ibkr.sim;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Objects;

/**
 * One fill the simulated gateway reports with {@code execDetails}, with its commission report. The execId is
 * {@code <base>.<nn>}: a correction has the same base and a higher suffix; both stay on record, as at IB.
 * {@code shares} is always positive; {@code side} carries the direction.
 */
public record Execution(
        String execId,
        String account,
        long conId,
        Side side,
        BigDecimal shares,
        BigDecimal price,
        Instant time,
        long orderId,
        long permId,
        int clientId,
        String exchange,
        BigDecimal cumQty,
        BigDecimal avgPrice,
        CommissionReport commissionReport) {

    public Execution {
        Objects.requireNonNull(execId, "execId");
        Objects.requireNonNull(account, "account");
        Objects.requireNonNull(side, "side");
        Objects.requireNonNull(shares, "shares");
        Objects.requireNonNull(price, "price");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(commissionReport, "commissionReport");
        if (shares.signum() <= 0) {
            throw new IllegalArgumentException("shares must be positive, got " + shares);
        }
    }

    public BigDecimal commission() {
        return commissionReport.commission();
    }

    /** IB's realized P&L of this fill, {@code null} for an opening fill. */
    public BigDecimal realizedPnl() {
        return commissionReport.realizedPnl();
    }
}

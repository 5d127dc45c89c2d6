package io.positionsync.sync;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Objects;

/**
 * One fill ({@code execDetails}) joined with its {@code commissionReport}. Commission fields are
 * {@code null} while the report has not arrived; {@code realizedPnl} is IB's own figure, absent for
 * opening fills. {@code side} is {@code BOT} or {@code SLD}; {@code shares} is always positive.
 * {@code currency} and {@code multiplier} are the contract's ({@code null} when not reported), so a fill of an
 * instrument the snapshot no longer holds can still be priced.
 */
public record BrokerExecution(
        String execId,
        String account,
        long conId,
        String symbol,
        String secType,
        String side,
        BigDecimal shares,
        BigDecimal price,
        Instant time,
        long orderId,
        long permId,
        BigDecimal commission,
        String commissionCurrency,
        BigDecimal realizedPnl,
        String currency,
        BigDecimal multiplier) {

    /** An execution whose contract currency and multiplier are not known (read as the position's). */
    public BrokerExecution(String execId, String account, long conId, String symbol, String secType, String side,
            BigDecimal shares, BigDecimal price, Instant time, long orderId, long permId, BigDecimal commission,
            String commissionCurrency, BigDecimal realizedPnl) {
        this(execId, account, conId, symbol, secType, side, shares, price, time, orderId, permId, commission,
                commissionCurrency, realizedPnl, null, null);
    }

    public BrokerExecution {
        Objects.requireNonNull(execId, "execId");
        Objects.requireNonNull(account, "account");
        Objects.requireNonNull(side, "side");
        Objects.requireNonNull(shares, "shares");
        Objects.requireNonNull(price, "price");
    }

    public boolean isBuy() {
        return "BOT".equals(side);
    }

    /** The execId without its correction suffix: {@code 0001f4e8.1a2b.01} -> {@code 0001f4e8.1a2b}. */
    public String baseExecId() {
        return ExecIds.base(execId);
    }

    /** Same execution with its commission report applied. */
    public BrokerExecution withCommission(BigDecimal commission, String currency, BigDecimal ibRealizedPnl) {
        return new BrokerExecution(execId, account, conId, symbol, secType, side, shares, price, time, orderId, permId,
                commission, currency, ibRealizedPnl, this.currency, multiplier);
    }
}

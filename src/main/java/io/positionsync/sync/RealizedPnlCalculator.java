package io.positionsync.sync;

import io.positionsync.ibkr.BrokerExecution;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Realized P&L of a reduction of {@code q} units of a position with per-unit average {@code avg} and
 * multiplier {@code m}:
 * <ul>
 *   <li>long: {@code (exit - avg) * q * m - exitCommissions}</li>
 *   <li>short: {@code (avg - exit) * q * m - exitCommissions}</li>
 * </ul>
 * {@code exit} is the volume-weighted price of the reducing executions ({@code SLD} for a long, {@code BOT}
 * for a short), matched quantity-first, oldest first; the last one may be used only in part, and its
 * commission is then prorated ({@code commission * used / shares}).
 *
 * <p>When the executions explain only part of {@code q} (or none of it), the rest is priced at the last market
 * price and the whole amount is tagged {@link RealizedPnlSource#MARKET_PRICE}: it is an estimate. No market
 * price either: the amount stays {@code null} (unpriced), never invented.
 *
 * <p>Arithmetic is exact {@link BigDecimal} except the two divisions (commission proration and the reported
 * VWAP), done to {@link MathContext#DECIMAL128} (34 digits). Amounts, exit price and commission are rounded
 * once, at the end, to {@code scale} decimal places with {@code rounding} (default 8, HALF_EVEN). The amount is
 * computed from the exact notional ({@code sum(price * units)}), not from the rounded exit price.
 */
public final class RealizedPnlCalculator {
    /** Decimal places of every amount and price this calculator returns, unless configured otherwise. */
    public static final int DEFAULT_SCALE = 8;

    private static final MathContext WORKING = MathContext.DECIMAL128;

    private final int scale;
    private final RoundingMode rounding;

    public RealizedPnlCalculator() {
        this(DEFAULT_SCALE, RoundingMode.HALF_EVEN);
    }

    public RealizedPnlCalculator(int scale, RoundingMode rounding) {
        if (scale < 0) {
            throw new IllegalArgumentException("scale must be >= 0: " + scale);
        }
        this.scale = scale;
        this.rounding = Objects.requireNonNull(rounding, "rounding");
    }

    public int scale() {
        return scale;
    }

    /** {@code value} at this calculator's scale; {@code null} stays {@code null}. */
    public BigDecimal round(BigDecimal value) {
        return value == null ? null : value.setScale(scale, rounding);
    }

    /**
     * Prices the reduction of {@code reducedQuantity} units of a position that held {@code heldQuantity}.
     *
     * @param heldQuantity    signed quantity before the reduction: its sign says long or short
     * @param averagePrice    per-unit average price of the lifecycle; {@code null} makes the reduction unpriced
     * @param multiplier      contract multiplier; {@code null} or zero means 1
     * @param reducedQuantity units closed, positive
     * @param executions      candidate executions of this position not applied before, oldest first; executions
     *                        on the other side are skipped
     * @param marketPrice     last market price, for the part no execution explains; may be {@code null}
     */
    public RealizedPnl realize(BigDecimal heldQuantity, BigDecimal averagePrice, BigDecimal multiplier,
                               BigDecimal reducedQuantity, List<BrokerExecution> executions, BigDecimal marketPrice) {
        Objects.requireNonNull(heldQuantity, "heldQuantity");
        Objects.requireNonNull(reducedQuantity, "reducedQuantity");
        if (heldQuantity.signum() == 0 || reducedQuantity.signum() <= 0) {
            throw new IllegalArgumentException("nothing to realize: held " + heldQuantity + ", reduced " + reducedQuantity);
        }
        boolean longPosition = heldQuantity.signum() > 0;
        String reducingSide = longPosition ? "SLD" : "BOT";
        BigDecimal m = SnapshotPosition.effectiveMultiplier(multiplier);

        BigDecimal remaining = reducedQuantity;
        BigDecimal notional = BigDecimal.ZERO;
        BigDecimal commission = BigDecimal.ZERO;
        BigDecimal brokerRealized = BigDecimal.ZERO;
        boolean brokerComplete = true;
        boolean commissionMissing = false;
        List<RealizedPnl.ExecutionUse> uses = new ArrayList<>();
        for (BrokerExecution execution : executions) {
            if (remaining.signum() == 0) {
                break;
            }
            if (!reducingSide.equals(execution.side()) || execution.shares().signum() <= 0) {
                continue;
            }
            BigDecimal taken = execution.shares().min(remaining);
            uses.add(new RealizedPnl.ExecutionUse(execution, taken));
            notional = notional.add(execution.price().multiply(taken));
            if (execution.commission() == null) {
                commissionMissing = true;
            } else if (taken.compareTo(execution.shares()) == 0) {
                commission = commission.add(execution.commission());
            } else {
                commission = commission.add(
                        execution.commission().multiply(taken).divide(execution.shares(), WORKING));
            }
            // IB's figure belongs to the closing fill as a whole: summed as reported, not prorated.
            if (execution.realizedPnl() == null) {
                brokerComplete = false;
            } else {
                brokerRealized = brokerRealized.add(execution.realizedPnl());
            }
            remaining = remaining.subtract(taken);
        }
        BigDecimal explained = reducedQuantity.subtract(remaining);
        BigDecimal brokerFigure = uses.isEmpty() || !brokerComplete ? null : brokerRealized;

        RealizedPnlSource source = RealizedPnlSource.EXECUTIONS;
        if (remaining.signum() > 0) {
            if (marketPrice == null) {
                return unpriced(reducedQuantity, explained, uses, brokerFigure, commissionMissing);
            }
            notional = notional.add(marketPrice.multiply(remaining));
            source = RealizedPnlSource.MARKET_PRICE;
        }
        if (averagePrice == null) {
            return unpriced(reducedQuantity, explained, uses, brokerFigure, commissionMissing);
        }
        BigDecimal cost = averagePrice.multiply(reducedQuantity);
        BigDecimal gross = (longPosition ? notional.subtract(cost) : cost.subtract(notional)).multiply(m);
        BigDecimal amount = gross.subtract(commission);
        return new RealizedPnl(round(amount), source, round(notional.divide(reducedQuantity, WORKING)),
                uses.isEmpty() ? null : round(commission), brokerFigure, reducedQuantity, explained, uses,
                commissionMissing);
    }

    private static RealizedPnl unpriced(BigDecimal reduced, BigDecimal explained, List<RealizedPnl.ExecutionUse> uses,
                                        BigDecimal brokerFigure, boolean commissionMissing) {
        return new RealizedPnl(null, null, null, null, brokerFigure, reduced, explained, uses, commissionMissing);
    }
}

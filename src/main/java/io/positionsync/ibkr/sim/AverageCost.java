package io.positionsync.ibkr.sim;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * IB's position arithmetic for one fill. avgCost is per contract, multiplier and commissions included:
 * <ul>
 * <li>opening or adding: the new avgCost is the quantity-weighted cost including this fill's commission; a
 * commission raises a long's avgCost and lowers a short's (it is a cost either way);</li>
 * <li>reducing: avgCost is unchanged and the fill realizes {@code (price*mult - avgCost) * qty - commission}
 * for a long, {@code (avgCost - price*mult) * qty - commission} for a short;</li>
 * <li>closing to 0: as reducing, avgCost becomes 0;</li>
 * <li>flipping through zero: a closing leg on the old quantity and an opening leg on the rest at this fill's
 * price, the commission split between them in proportion to their quantities.</li>
 * </ul>
 */
public final class AverageCost {
    /** Decimal places kept by divisions; far below any price increment, so nothing observable is lost. */
    static final int DIVISION_SCALE = 10;

    private AverageCost() {
    }

    /** The position after the fill and the fill's realized P&L ({@code null} when nothing was reduced). */
    public record Outcome(BigDecimal quantity, BigDecimal avgCost, BigDecimal realized) {
    }

    public static Outcome apply(BigDecimal quantity, BigDecimal avgCost, BigDecimal multiplier, Side side, BigDecimal shares,
            BigDecimal price, BigDecimal commission) {
        BigDecimal unitCost = price.multiply(multiplier);
        BigDecimal delta = side.sign() > 0 ? shares : shares.negate();
        BigDecimal held = quantity.abs();
        if (quantity.signum() == 0 || quantity.signum() == delta.signum()) {
            BigDecimal newQuantity = quantity.add(delta);
            BigDecimal cost = held.multiply(avgCost).add(opening(unitCost, shares, commission, delta.signum()));
            return new Outcome(newQuantity, divide(cost, newQuantity.abs()), null);
        }
        if (shares.compareTo(held) <= 0) {
            BigDecimal newQuantity = quantity.add(delta);
            BigDecimal realized = closing(quantity.signum(), avgCost, unitCost, shares, commission);
            return new Outcome(newQuantity, newQuantity.signum() == 0 ? BigDecimal.ZERO : avgCost, normalize(realized));
        }
        BigDecimal closeCommission = divide(commission.multiply(held), shares);
        BigDecimal openCommission = commission.subtract(closeCommission);
        BigDecimal rest = shares.subtract(held);
        BigDecimal realized = closing(quantity.signum(), avgCost, unitCost, held, closeCommission);
        BigDecimal newAvg = divide(opening(unitCost, rest, openCommission, delta.signum()), rest);
        return new Outcome(delta.signum() > 0 ? rest : rest.negate(), newAvg, normalize(realized));
    }

    /** Cost of opening {@code shares} at {@code unitCost}: a buy pays the commission on top, a short sale receives less. */
    private static BigDecimal opening(BigDecimal unitCost, BigDecimal shares, BigDecimal commission, int direction) {
        BigDecimal notional = unitCost.multiply(shares);
        return direction > 0 ? notional.add(commission) : notional.subtract(commission);
    }

    private static BigDecimal closing(int heldSign, BigDecimal avgCost, BigDecimal unitCost, BigDecimal shares,
            BigDecimal commission) {
        BigDecimal perContract = heldSign > 0 ? unitCost.subtract(avgCost) : avgCost.subtract(unitCost);
        return perContract.multiply(shares).subtract(commission);
    }

    static BigDecimal divide(BigDecimal dividend, BigDecimal divisor) {
        return normalize(dividend.divide(divisor, DIVISION_SCALE, RoundingMode.HALF_EVEN));
    }

    /** Drops trailing zeros but never shows an exponent ("100", not "1E+2"). */
    static BigDecimal normalize(BigDecimal value) {
        BigDecimal stripped = value.stripTrailingZeros();
        return stripped.scale() < 0 ? stripped.setScale(0) : stripped;
    }
}

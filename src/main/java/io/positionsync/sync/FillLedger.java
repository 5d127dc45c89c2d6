package io.positionsync.sync;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.List;
import java.util.Objects;

/**
 * The fill ledger of reconcile-and-pnl version 2: a lifecycle's quantity, average and realized P&L are a fold
 * over its entries. For a fill of signed size {@code q} at price {@code p}, commission {@code c} (position
 * currency) and multiplier {@code m}, on state {@code (Q, A, R)}:
 * <ul>
 *   <li><b>adds</b> when {@code Q = 0} or {@code q} has the sign of {@code Q}:
 *       {@code A' = (|Q|*A + |q|*p + s*c/m) / (|Q| + |q|)}, {@code s = +1} long, {@code -1} short
 *       (a commission raises a long's cost and lowers a short's entry price);</li>
 *   <li><b>reduces</b> otherwise, by {@code r = min(|q|, |Q|)}:
 *       {@code R' = R + s*(p - A)*r*m - c*r/|q|}; the average stays.</li>
 * </ul>
 * A fill larger than the position is split by the caller ({@link LedgerEntry#split}) so that one lifecycle
 * never crosses zero; if a later correction makes a share larger than the position, only {@code r} units count.
 *
 * <p>Plain arithmetic, no state: every division to {@link #WORKING} (34 significant digits); nothing is rounded
 * here. Amounts are rounded once, when stored ({@link #stored}: {@value #SCALE} places, HALF_EVEN).
 */
public final class FillLedger {
    /** Precision of every division. */
    public static final MathContext WORKING = MathContext.DECIMAL128;
    /** Decimal places of stored amounts and averages. */
    public static final int SCALE = 8;
    /** Rounding of stored amounts and averages. */
    public static final RoundingMode ROUNDING = RoundingMode.HALF_EVEN;

    private FillLedger() {
    }

    /** Folds {@code entries} in order from flat. */
    public static LedgerState fold(List<LedgerEntry> entries, BigDecimal multiplier) {
        LedgerState state = LedgerState.FLAT;
        for (LedgerEntry entry : entries) {
            state = apply(state, entry, multiplier);
        }
        return state;
    }

    /** One step of the fold. */
    public static LedgerState apply(LedgerState state, LedgerEntry entry, BigDecimal multiplier) {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(entry, "entry");
        BigDecimal m = effectiveMultiplier(multiplier);
        switch (entry.kind()) {
            case OPENING_BALANCE -> {
                BigDecimal realized = entry.realizedOpening() == null ? BigDecimal.ZERO : entry.realizedOpening();
                return new LedgerState(entry.quantity(), entry.price(), realized, entry.openingEstimated(),
                        entry.realizedOpening() != null);
            }
            case AVERAGE_RESET -> {
                return new LedgerState(state.quantity(), entry.price(), state.realized(), state.estimated(),
                        state.realizedAny());
            }
            case SPLIT -> {
                BigDecimal ratio = entry.quantity();
                return new LedgerState(state.quantity().multiply(ratio),
                        state.average() == null ? null : state.average().divide(ratio, WORKING), state.realized(),
                        state.estimated(), state.realizedAny());
            }
            default -> {
                return trade(state, entry, m);
            }
        }
    }

    private static LedgerState trade(LedgerState state, LedgerEntry entry, BigDecimal m) {
        BigDecimal q = entry.quantity();
        BigDecimal p = entry.price();
        BigDecimal c = entry.commissionOrZero();
        BigDecimal held = state.quantity();
        if (held.signum() == 0 || q.signum() == held.signum()) {
            BigDecimal sign = BigDecimal.valueOf(held.signum() == 0 ? q.signum() : held.signum());
            BigDecimal heldAbs = held.abs();
            BigDecimal cost = heldAbs.signum() == 0 ? BigDecimal.ZERO : heldAbs.multiply(state.average());
            BigDecimal numerator = cost.add(q.abs().multiply(p)).add(share(sign.multiply(c), BigDecimal.ONE, m));
            BigDecimal average = numerator.divide(heldAbs.add(q.abs()), WORKING);
            // an estimated add prices the average by rule: what the lifecycle realizes later is an estimate too
            return new LedgerState(held.add(q), average, state.realized(),
                    state.estimated() || entry.kind() == EntryKind.ESTIMATE, state.realizedAny());
        }
        BigDecimal r = q.abs().min(held.abs());
        BigDecimal s = BigDecimal.valueOf(held.signum());
        BigDecimal gross = s.multiply(p.subtract(state.average())).multiply(r).multiply(m);
        BigDecimal commission = c.signum() == 0 ? BigDecimal.ZERO : share(c, r, q.abs());
        BigDecimal realized = state.realized().add(gross).subtract(commission);
        BigDecimal quantity = held.add(BigDecimal.valueOf(q.signum()).multiply(r));
        return new LedgerState(quantity, state.average(), realized,
                state.estimated() || entry.kind() == EntryKind.ESTIMATE, true);
    }

    /**
     * {@code amount * part / whole} to {@link #WORKING}. Most fills close or add in one piece on a multiplier of one,
     * where the quotient is {@code amount} itself: then the division (a 34-digit long division that allocates as it
     * goes, the ledger's main cost) is skipped, and a divisor such as 50 or 100 divides exactly, to the digits the
     * quotient needs. Both give exactly what the 34-digit division gives, value and scale: an exact quotient of at
     * most 34 digits comes out of it unrounded, at its preferred scale.
     */
    public static BigDecimal share(BigDecimal amount, BigDecimal part, BigDecimal whole) {
        if (part.scale() == whole.scale() && part.compareTo(whole) == 0
                && amount.precision() <= WORKING.getPrecision()) {
            return amount;
        }
        BigDecimal product = amount.multiply(part);
        if (terminates(whole) && product.precision() <= WORKING.getPrecision()) {
            // A divisor of only 2s and 5s (a multiplier of 50 or 100) always gives a terminating quotient; the exact
            // division works to the digits it needs, not 34, and equals the rounded one while it fits in 34 digits.
            BigDecimal exact = product.divide(whole);
            if (exact.precision() <= WORKING.getPrecision()) {
                return exact;
            }
        }
        return product.divide(whole, WORKING);
    }

    /** True when every quotient by {@code divisor} terminates: its digits are 2^a * 5^b (a small one). */
    private static boolean terminates(BigDecimal divisor) {
        if (divisor.signum() == 0 || divisor.precision() > 18) {
            return false;
        }
        long n = Math.abs(divisor.unscaledValue().longValue());
        while (n % 10 == 0) {
            n /= 10;
        }
        while ((n & 1) == 0) {
            n >>= 1;
        }
        while (n % 5 == 0) {
            n /= 5;
        }
        return n == 1;
    }

    /** True when {@code entry} would reduce (not add to) a position in {@code state}. */
    public static boolean reduces(LedgerState state, LedgerEntry entry) {
        return entry.isTrade() && state.quantity().signum() != 0 && entry.quantity().signum() != state.quantity().signum();
    }

    /** A value as stored: {@value #SCALE} places, HALF_EVEN; {@code null} stays {@code null}. */
    public static BigDecimal stored(BigDecimal value) {
        return value == null ? null : value.setScale(SCALE, ROUNDING);
    }

    /** Absent or zero multiplier means 1. */
    public static BigDecimal effectiveMultiplier(BigDecimal multiplier) {
        return multiplier == null || multiplier.signum() == 0 ? BigDecimal.ONE : multiplier;
    }
}

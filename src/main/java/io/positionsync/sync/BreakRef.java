package io.positionsync.sync;

import java.util.Objects;

/**
 * What a break compares, within its contract: its kind and its subject. A break is resolved only when the same
 * comparison agrees again (or the fact that explains it lands).
 *
 * @param subject {@code exec:<base execId>} (one execution's realized P&L against IB's), {@code day:<date>} (a day's
 *                realized P&L against {@code updatePortfolio}), {@code obs:<run time>} (the broker's quantity or
 *                average at one run); {@code null}: the contract as a whole (pending commissions, missing rates, and
 *                breaks stored before subjects existed)
 */
public record BreakRef(BreakKind kind, String subject) {

    public BreakRef {
        Objects.requireNonNull(kind, "kind");
    }

    /** The contract as a whole. */
    public static BreakRef of(BreakKind kind) {
        return new BreakRef(kind, null);
    }

    public static String execution(String baseExecId) {
        return "exec:" + baseExecId;
    }

    public static String day(java.time.LocalDate day) {
        return "day:" + day;
    }

    public static String observation(java.time.Instant at) {
        return "obs:" + at;
    }
}

package io.positionsync.sync;

import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * A fill already applied (or covered by an opening balance) that the broker reports again under the same execId
 * with other content, and no correction ({@code .nn}) saying so. It stays applied as stored; never a second time.
 */
public record ExecutionConflict(StoredExecution stored, BrokerExecution reported) {

    public ExecutionConflict {
        Objects.requireNonNull(stored, "stored");
        Objects.requireNonNull(reported, "reported");
    }

    /** {@code execId 0001.01 was applied as BOT 10 @ 12 at 2026-..Z and is now reported as BOT 10 @ 99 at ...}. */
    public String describe() {
        return "execId " + reported.execId() + " was applied as " + content(stored.execution())
                + " and is now reported as " + content(reported) + " without a correction; kept as applied, "
                + "not applied again";
    }

    private static String content(BrokerExecution e) {
        return e.side() + " " + e.shares().stripTrailingZeros().toPlainString() + " @ "
                + e.price().stripTrailingZeros().toPlainString() + " at " + e.time();
    }

    /** Side, shares, price or time differ (numbers by value, times at the database's precision). */
    public static boolean differs(BrokerExecution stored, BrokerExecution reported) {
        return !stored.side().equals(reported.side())
                || stored.shares().compareTo(reported.shares()) != 0
                || stored.price().compareTo(reported.price()) != 0
                || (stored.time() != null && reported.time() != null && !stored.time().truncatedTo(
                        ChronoUnit.MICROS).equals(reported.time().truncatedTo(ChronoUnit.MICROS)));
    }
}

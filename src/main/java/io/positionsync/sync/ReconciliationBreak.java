package io.positionsync.sync;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * The service's realized P&L and the broker's figure for the same contract differ by more than the
 * tolerance (or another {@code kind} of disagreement with the broker). {@code id} is 0 for a break not stored yet; {@code resolvedAt} null while it is open.
 *
 * @param difference {@code ours - broker} (a missing side counts as zero)
 */
public record ReconciliationBreak(
        long id,
        long runId,
        Long positionId,
        String account,
        long conId,
        String symbol,
        String currency,
        BigDecimal ours,
        BigDecimal broker,
        BigDecimal difference,
        BigDecimal tolerance,
        Instant detectedAt,
        Instant resolvedAt,
        String note,
        String kind,
        Long resolvedRunId,
        String subject) {

    /** The kind of every break that compares our realized P&L with IB's. */
    public static final String REALIZED_PNL_MISMATCH = "REALIZED_PNL_MISMATCH";

    /** A new break found by run {@code runId}; the difference is computed here. */
    public static ReconciliationBreak detected(long runId, Long positionId, String account, long conId, String symbol,
            String currency, BigDecimal ours, BigDecimal broker, BigDecimal tolerance, Instant detectedAt, String note,
            String kind) {
        return detected(runId, positionId, account, conId, symbol, currency, ours, broker, tolerance, detectedAt, note,
                kind, null);
    }

    /** A break that names what it compares ({@code subject}, see {@code BreakRef}). */
    public static ReconciliationBreak detected(long runId, Long positionId, String account, long conId, String symbol,
            String currency, BigDecimal ours, BigDecimal broker, BigDecimal tolerance, Instant detectedAt, String note,
            String kind, String subject) {
        BigDecimal difference = (ours == null ? BigDecimal.ZERO : ours).subtract(broker == null ? BigDecimal.ZERO : broker);
        return new ReconciliationBreak(0, runId, positionId, account, conId, symbol, currency, ours, broker, difference, tolerance,
                detectedAt, null, note, kind, null, subject);
    }

    public boolean resolved() {
        return resolvedAt != null;
    }
}

package io.positionsync.sync;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

/**
 * One decision of the reconcile processor about one lifecycle; the store applies it in the run's
 * transaction and writes a history row for it. A flip is two changes: {@code CLOSED} for the old
 * lifecycle, then {@code OPENED} for the new one.
 *
 * @param positionId       id of the stored row, {@code null} for {@link ChangeKind#OPENED}
 * @param quantityBefore   stored quantity before the run (zero for OPENED)
 * @param quantityAfter    quantity after the run (zero for CLOSED)
 * @param averagePrice     per-unit average price after the run (for CLOSED: the lifecycle's last average)
 * @param realizedPnlDelta realized P&L added by this run ({@code null} when nothing was realized)
 * @param realizedPnlTotal the row's realized P&L after the run ({@code null} while nothing was ever realized)
 * @param realizedPnlSource source of {@code realizedPnlDelta}, {@code null} when nothing was realized
 * @param exitPrice        per-unit exit price used ({@code null} when nothing was realized)
 * @param exitCommission   commissions charged against this reduction ({@code null} when none)
 * @param brokerRealizedPnl IB's realized figure for the same reduction, for the cross-check (may be null)
 * @param execIds          executions that explain this change (empty when none)
 */
public record PositionChange(
        ChangeKind kind,
        Long positionId,
        String account,
        long conId,
        String symbol,
        String secType,
        String currency,
        BigDecimal multiplier,
        BigDecimal quantityBefore,
        BigDecimal quantityAfter,
        BigDecimal averagePrice,
        BigDecimal marketPrice,
        BigDecimal unrealizedPnl,
        BigDecimal realizedPnlDelta,
        BigDecimal realizedPnlTotal,
        RealizedPnlSource realizedPnlSource,
        BigDecimal exitPrice,
        BigDecimal exitCommission,
        BigDecimal brokerRealizedPnl,
        Instant at,
        List<String> execIds) {

    public PositionChange {
        execIds = execIds == null ? List.of() : List.copyOf(execIds);
    }

    public PositionKey key() {
        return new PositionKey(account, conId);
    }

    /**
     * True for a reduction or close whose realized P&L could not be priced (no execution explains it and no
     * market price was known): the quantity change is applied, the amount is left empty rather than invented.
     */
    public boolean realizedUnknown() {
        return (kind == ChangeKind.REDUCED || kind == ChangeKind.CLOSED) && realizedPnlDelta == null
                && quantityBefore != null && quantityBefore.signum() != 0;
    }
}

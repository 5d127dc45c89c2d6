package io.positionsync.sync;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

/**
 * One line of a lifecycle's story: what one run did to it.
 *
 * @param realizedPnlDelta  realized P&L this change added ({@code null} when it realized nothing)
 * @param realizedPnlTotal  the lifecycle's realized P&L after the change ({@code null} while nothing was realized)
 * @param realizedPnlBefore for {@link ChangeKind#ADJUSTED}: the amount before the late facts
 * @param exitPrice         volume-weighted price of the reducing fills of the change
 * @param exitCommission    commissions of the reducing fills (position currency)
 * @param brokerRealizedPnl IB's realizedPNL of the same fills, for the cross-check
 * @param execIds           the executions behind the change
 */
public record HistoryEntry(
        ChangeKind kind,
        BigDecimal quantityBefore,
        BigDecimal quantityAfter,
        BigDecimal averagePrice,
        BigDecimal marketPrice,
        BigDecimal realizedPnlDelta,
        BigDecimal realizedPnlTotal,
        BigDecimal realizedPnlBefore,
        RealizedPnlSource realizedPnlSource,
        BigDecimal exitPrice,
        BigDecimal exitCommission,
        BigDecimal brokerRealizedPnl,
        List<String> execIds,
        Instant at) {

    public HistoryEntry {
        execIds = execIds == null ? List.of() : List.copyOf(execIds);
    }
}

package io.positionsync.store;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

import io.positionsync.sync.ChangeKind;
import io.positionsync.sync.RealizedPnlSource;
import io.positionsync.sync.StoredExecution;

/**
 * A row of {@code position_history}: one change a run made to a lifecycle, with the stored executions
 * that explain it ({@code executions} holds those of {@code execIds} that are stored, in execution order).
 */
public record PositionHistoryEntry(
        long positionId,
        long runId,
        ChangeKind kind,
        BigDecimal quantityBefore,
        BigDecimal quantityAfter,
        BigDecimal averagePrice,
        BigDecimal marketPrice,
        BigDecimal realizedPnlDelta,
        BigDecimal realizedPnlTotal,
        RealizedPnlSource realizedPnlSource,
        BigDecimal exitPrice,
        BigDecimal exitCommission,
        BigDecimal brokerRealizedPnl,
        List<String> execIds,
        Instant recordedAt,
        List<StoredExecution> executions) {

    public PositionHistoryEntry {
        execIds = List.copyOf(execIds);
        executions = List.copyOf(executions);
    }
}

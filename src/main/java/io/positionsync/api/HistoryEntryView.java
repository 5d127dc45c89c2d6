package io.positionsync.api;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

import io.positionsync.store.PositionHistoryEntry;
import io.positionsync.sync.StoredExecution;
import io.positionsync.sync.BrokerExecution;
import io.positionsync.sync.ChangeKind;
import io.positionsync.sync.RealizedPnlSource;

/**
 * One change of a lifecycle, with the executions that explain it.
 *
 * @param realizedPnlBefore an adjustment's amount before the late facts (its delta is the new amount minus the old);
 *                          left out of any other change ({@link NotApplicable})
 */
public record HistoryEntryView(long runId, ChangeKind change, Instant recordedAt, BigDecimal quantityBefore,
        BigDecimal quantityAfter, BigDecimal averagePrice, BigDecimal marketPrice, BigDecimal realizedPnlDelta,
        BigDecimal realizedPnlTotal,
        @JsonInclude(value = JsonInclude.Include.CUSTOM, valueFilter = NotApplicable.class) Object realizedPnlBefore,
        RealizedPnlSource realizedPnlSource, BigDecimal exitPrice, BigDecimal exitCommission,
        BigDecimal brokerRealizedPnl, List<String> execIds, List<ExecutionView> executions) {

    static HistoryEntryView of(PositionHistoryEntry h) {
        Object before = NotApplicable.VALUE;
        if (h.kind() == ChangeKind.ADJUSTED) {
            before = h.realizedPnlTotal() == null || h.realizedPnlDelta() == null ? null
                    : h.realizedPnlTotal().subtract(h.realizedPnlDelta());
        }
        return new HistoryEntryView(h.runId(), h.kind(), h.recordedAt(), h.quantityBefore(), h.quantityAfter(),
                h.averagePrice(), h.marketPrice(), h.realizedPnlDelta(), h.realizedPnlTotal(), before,
                h.realizedPnlSource(), h.exitPrice(), h.exitCommission(), h.brokerRealizedPnl(), h.execIds(),
                h.executions().stream().map(ExecutionView::of).toList());
    }

    /** A stored execution as the API shows it. */
    public record ExecutionView(String execId, Instant time, String side, BigDecimal shares, BigDecimal price,
            BigDecimal commission, String commissionCurrency, BigDecimal brokerRealizedPnl, long orderId, long permId,
            long firstSeenRunId, Long appliedRunId, String supersededBy) {

        static ExecutionView of(StoredExecution stored) {
            BrokerExecution e = stored.execution();
            return new ExecutionView(e.execId(), e.time(), e.side(), e.shares(), e.price(), e.commission(),
                    e.commissionCurrency(), e.realizedPnl(), e.orderId(), e.permId(), stored.firstSeenRunId(),
                    stored.appliedRunId(), stored.supersededBy());
        }
    }

    /**
     * A field that does not apply to this change, as opposed to one that applies and is unknown ({@code null}):
     * the field is left out. Jackson asks the filter whether a value is to be left out ({@code equals}).
     */
    static final class NotApplicable {
        static final Object VALUE = new Object();

        @Override
        public boolean equals(Object value) {
            return value == VALUE;
        }

        @Override
        public int hashCode() {
            return 0;
        }
    }
}

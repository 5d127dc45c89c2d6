package io.positionsync.sync;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Turns a broker snapshot into the records the reconcile step works on: one {@link SnapshotPosition} per
 * {@code (account, conId)} and the snapshot's executions grouped by position ({@link SnapshotExecutions}).
 *
 * <p>Pure mapping: it does not judge completeness. Only a complete snapshot may be reconciled; the caller
 * checks {@link BrokerSnapshot#complete()} first.
 */
public final class SnapshotTransformer {
    private static final Comparator<SnapshotPosition> BY_KEY =
            Comparator.comparing(SnapshotPosition::account).thenComparingLong(SnapshotPosition::conId);

    private final MathContext averagePrecision;

    /** Per-unit averages divided to {@link MathContext#DECIMAL64} (16 significant digits). */
    public SnapshotTransformer() {
        this(MathContext.DECIMAL64);
    }

    public SnapshotTransformer(MathContext averagePrecision) {
        this.averagePrecision = Objects.requireNonNull(averagePrecision, "averagePrecision");
    }

    /**
     * One record per {@code (account, conId)}, sorted by account then conId. The {@code position} message gives
     * quantity and avgCost (a later message for the same key wins); the {@code updatePortfolio} entry of the
     * same key adds the market fields. A portfolio entry without a position message stands on its own with
     * the portfolio's position and averageCost. A quantity of zero is kept (the broker says flat).
     */
    public List<SnapshotPosition> positions(BrokerSnapshot snapshot) {
        // plain maps and no set of keys: the records are sorted at the end anyway, and a large portfolio makes
        // every per-key structure here a hundred thousand entries
        Map<PositionKey, BrokerPosition> positions = new HashMap<>(capacity(snapshot.positions().size()));
        for (BrokerPosition position : snapshot.positions()) {
            positions.put(new PositionKey(position.account(), position.conId()), position);
        }
        Map<PositionKey, PortfolioValue> portfolio = new HashMap<>(capacity(snapshot.portfolio().size()));
        for (PortfolioValue value : snapshot.portfolio()) {
            portfolio.put(new PositionKey(value.account(), value.conId()), value);
        }
        List<SnapshotPosition> result = new ArrayList<>(Math.max(positions.size(), portfolio.size()));
        for (Map.Entry<PositionKey, BrokerPosition> position : positions.entrySet()) {
            SnapshotPosition merged = merge(position.getValue(), portfolio.remove(position.getKey()));
            if (merged != null) {
                result.add(merged);
            }
        }
        for (PortfolioValue value : portfolio.values()) { // portfolio entries without a position message
            SnapshotPosition merged = merge(null, value);
            if (merged != null) {
                result.add(merged);
            }
        }
        result.sort(BY_KEY);
        return result;
    }

    private static int capacity(int entries) {
        return (int) Math.min(Integer.MAX_VALUE, entries * 4L / 3 + 1);
    }

    /** The snapshot's executions, deduplicated, corrections applied, grouped by position, oldest first. */
    public SnapshotExecutions executions(BrokerSnapshot snapshot) {
        return SnapshotExecutions.of(snapshot.executions());
    }

    /**
     * Merges the two messages of one key; either may be {@code null}.
     *
     * @return {@code null} when both are absent, or when only a portfolio entry without a position exists
     */
    SnapshotPosition merge(BrokerPosition position, PortfolioValue value) {
        if (position != null) {
            BigDecimal multiplier = position.multiplier() != null || value == null
                    ? position.multiplier() : value.multiplier();
            return new SnapshotPosition(position.account(), position.conId(),
                    firstNonNull(position.symbol(), value == null ? null : value.symbol()),
                    firstNonNull(position.secType(), value == null ? null : value.secType()),
                    firstNonNull(position.currency(), value == null ? null : value.currency()),
                    multiplier,
                    position.position(),
                    SnapshotPosition.averagePerUnit(position.avgCost(), multiplier, averagePrecision),
                    value == null ? null : value.marketPrice(),
                    value == null ? null : value.marketValue(),
                    value == null ? null : value.unrealizedPnl(),
                    value == null ? null : value.realizedPnl());
        }
        if (value == null || value.position() == null) {
            return null;
        }
        return new SnapshotPosition(value.account(), value.conId(), value.symbol(), value.secType(), value.currency(),
                value.multiplier(), value.position(),
                SnapshotPosition.averagePerUnit(value.averageCost(), value.multiplier(), averagePrecision),
                value.marketPrice(), value.marketValue(), value.unrealizedPnl(), value.realizedPnl());
    }

    private static String firstNonNull(String first, String second) {
        return first != null && !first.isEmpty() ? first : second;
    }
}

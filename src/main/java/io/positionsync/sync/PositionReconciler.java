package io.positionsync.sync;

import io.positionsync.ibkr.BrokerExecution;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The reconcile rules for one instrument: compares what the broker reports with the stored open lifecycle of
 * the same {@code (account, conId)} and decides the changes. Stateless; {@link RunLedger} keeps the run's state.
 *
 * <table>
 *   <caption>broker vs stored open row</caption>
 *   <tr><th>broker</th><th>open row</th><th>changes</th></tr>
 *   <tr><td>qty != 0</td><td>none</td><td>OPENED (broker's quantity and average)</td></tr>
 *   <tr><td>qty 0</td><td>none</td><td>nothing (flat, nothing stored)</td></tr>
 *   <tr><td>same qty, same average</td><td>open</td><td>UNCHANGED (market values refresh)</td></tr>
 *   <tr><td>larger |qty|, same sign</td><td>open</td><td>INCREASED: quantity and average from the broker, no P&L</td></tr>
 *   <tr><td>same qty, other average</td><td>open</td><td>INCREASED: average from the broker (e.g. a correction), no P&L</td></tr>
 *   <tr><td>smaller |qty|, same sign</td><td>open</td><td>REDUCED: P&L of the reduced units at the stored average,
 *       quantity from the broker, stored average kept</td></tr>
 *   <tr><td>qty 0, or absent</td><td>open</td><td>CLOSED: P&L of the whole stored quantity</td></tr>
 *   <tr><td>opposite sign</td><td>open</td><td>CLOSED (P&L of the whole old quantity) then OPENED at the broker's
 *       new average</td></tr>
 * </table>
 *
 * <p>Averages are compared after rounding both to the calculator's scale, so a stored copy with fewer decimals
 * than the broker's quotient does not look like a new average on every run.
 *
 * <p>Market price and unrealized P&L on a change are the broker's when it sent them, else the stored row's
 * (a missing value never erases a known one). A CLOSED change carries the lifecycle's last average and the
 * stored row's last unrealized P&L (the broker's figure may already belong to a new lifecycle).
 */
public final class PositionReconciler {
    private final RealizedPnlCalculator calculator;

    public PositionReconciler() {
        this(new RealizedPnlCalculator());
    }

    public PositionReconciler(RealizedPnlCalculator calculator) {
        this.calculator = Objects.requireNonNull(calculator, "calculator");
    }

    public RealizedPnlCalculator calculator() {
        return calculator;
    }

    /**
     * What to do with one instrument of a complete snapshot.
     *
     * @param open      the stored OPEN row of the same key, or {@code null}
     * @param broker    the instrument as the snapshot reports it
     * @param available executions of this key not applied before, oldest first
     * @param now       the run's clock
     */
    public Outcome reconcile(StoredPosition open, SnapshotPosition broker, List<BrokerExecution> available, Instant now) {
        Objects.requireNonNull(broker, "broker");
        Objects.requireNonNull(now, "now");
        if (open == null) {
            return broker.quantity().signum() == 0 ? Outcome.NONE : new Outcome(List.of(opened(broker, available, now)), null);
        }
        if (!open.key().equals(broker.key())) {
            throw new IllegalArgumentException("stored row " + open.key() + " is not " + broker.key());
        }
        BigDecimal before = open.quantity();
        BigDecimal after = broker.quantity();
        int oldSign = before.signum();
        int newSign = after.signum();
        if (newSign == 0) {
            return close(open, broker, available, now);
        }
        if (oldSign != 0 && oldSign != newSign) {
            Outcome closing = close(open, broker, available, now);
            List<PositionChange> changes = new ArrayList<>(closing.changes());
            changes.add(opened(broker, available, now));
            return new Outcome(changes, closing.realized());
        }
        int larger = after.abs().compareTo(before.abs());
        if (larger > 0 || oldSign == 0) {
            return new Outcome(List.of(withExecutions(change(ChangeKind.INCREASED, open, broker, after,
                    broker.averagePrice(), null, unrealized(open, broker), now), adding(after, available))), null);
        }
        if (larger < 0) {
            RealizedPnl realized = calculator.realize(before, averageForPnl(open, broker), multiplier(open, broker),
                    before.abs().subtract(after.abs()), available, marketPrice(open, broker));
            return new Outcome(List.of(change(ChangeKind.REDUCED, open, broker, after, open.averagePrice(), realized,
                    unrealized(open, broker), now)), realized);
        }
        if (sameAverage(open.averagePrice(), broker.averagePrice())) {
            return new Outcome(List.of(change(ChangeKind.UNCHANGED, open, broker, before, open.averagePrice(), null,
                    unrealized(open, broker), now)), null);
        }
        return new Outcome(List.of(change(ChangeKind.INCREASED, open, broker, after, broker.averagePrice(), null,
                unrealized(open, broker), now)), null);
    }

    /** Closes a stored open row absent from a complete snapshot. */
    public Outcome closeAbsent(StoredPosition open, List<BrokerExecution> available, Instant now) {
        Objects.requireNonNull(open, "open");
        Objects.requireNonNull(now, "now");
        return close(open, null, available, now);
    }

    /** True when both averages are equal at the calculator's scale (both absent counts as equal). */
    public boolean sameAverage(BigDecimal stored, BigDecimal broker) {
        if (stored == null || broker == null) {
            return stored == broker;
        }
        return calculator.round(stored).compareTo(calculator.round(broker)) == 0;
    }

    private Outcome close(StoredPosition open, SnapshotPosition broker, List<BrokerExecution> available, Instant now) {
        RealizedPnl realized = open.quantity().signum() == 0 ? null
                : calculator.realize(open.quantity(), averageForPnl(open, broker), multiplier(open, broker),
                        open.quantity().abs(), available, marketPrice(open, broker));
        return new Outcome(List.of(change(ChangeKind.CLOSED, open, broker, BigDecimal.ZERO, open.averagePrice(),
                realized, open.unrealizedPnl(), now)), realized);
    }

    private static PositionChange opened(SnapshotPosition broker, List<BrokerExecution> available, Instant now) {
        return withExecutions(change(ChangeKind.OPENED, null, broker, broker.quantity(), broker.averagePrice(), null,
                broker.unrealizedPnl(), now), adding(broker.quantity(), available));
    }

    /**
     * The fills that explain an opening or a growing position (buys for a long, sells for a short), so its
     * history names them; they realize nothing and stay available to later reductions' matching rules.
     */
    private static List<String> adding(BigDecimal quantityAfter, List<BrokerExecution> available) {
        boolean buying = quantityAfter.signum() > 0;
        return available.stream().filter(e -> e.isBuy() == buying).map(BrokerExecution::execId).toList();
    }

    private static PositionChange withExecutions(PositionChange c, List<String> execIds) {
        if (execIds.isEmpty()) {
            return c;
        }
        return new PositionChange(c.kind(), c.positionId(), c.account(), c.conId(), c.symbol(), c.secType(),
                c.currency(), c.multiplier(), c.quantityBefore(), c.quantityAfter(), c.averagePrice(), c.marketPrice(),
                c.unrealizedPnl(), c.realizedPnlDelta(), c.realizedPnlTotal(), c.realizedPnlSource(), c.exitPrice(),
                c.exitCommission(), c.brokerRealizedPnl(), c.at(), execIds);
    }

    private static PositionChange change(ChangeKind kind, StoredPosition open, SnapshotPosition broker,
                                         BigDecimal quantityAfter, BigDecimal averagePrice, RealizedPnl realized,
                                         BigDecimal unrealizedPnl, Instant now) {
        BigDecimal delta = realized == null ? null : realized.amount();
        BigDecimal storedTotal = open == null ? null : open.realizedPnl();
        BigDecimal total = delta == null ? storedTotal : storedTotal == null ? delta : storedTotal.add(delta);
        return new PositionChange(
                kind,
                open == null ? null : open.id(),
                open != null ? open.account() : broker.account(),
                open != null ? open.conId() : broker.conId(),
                pick(broker == null ? null : broker.symbol(), open == null ? null : open.symbol()),
                pick(broker == null ? null : broker.secType(), open == null ? null : open.secType()),
                pick(broker == null ? null : broker.currency(), open == null ? null : open.currency()),
                pick(broker == null ? null : broker.multiplier(), open == null ? null : open.multiplier()),
                open == null ? BigDecimal.ZERO : open.quantity(),
                quantityAfter,
                averagePrice,
                marketPrice(open, broker),
                unrealizedPnl,
                delta,
                total,
                delta == null ? null : realized.source(),
                realized == null ? null : realized.exitPrice(),
                realized == null ? null : realized.exitCommission(),
                realized == null ? null : realized.brokerRealizedPnl(),
                now,
                realized == null ? List.of() : realized.execIds());
    }

    /** The lifecycle's stored average; the broker's only when a (legacy) row has none. */
    private static BigDecimal averageForPnl(StoredPosition open, SnapshotPosition broker) {
        return open.averagePrice() != null || broker == null ? open.averagePrice() : broker.averagePrice();
    }

    private static BigDecimal multiplier(StoredPosition open, SnapshotPosition broker) {
        BigDecimal reported = broker == null ? null : broker.multiplier();
        return reported != null && reported.signum() != 0 ? reported : open.multiplier();
    }

    private static BigDecimal marketPrice(StoredPosition open, SnapshotPosition broker) {
        return pick(broker == null ? null : broker.marketPrice(), open == null ? null : open.marketPrice());
    }

    private static BigDecimal unrealized(StoredPosition open, SnapshotPosition broker) {
        return pick(broker.unrealizedPnl(), open.unrealizedPnl());
    }

    private static <T> T pick(T preferred, T fallback) {
        return preferred != null ? preferred : fallback;
    }

    /**
     * The changes for one instrument (none, one, or CLOSED + OPENED for a flip) and the realized P&L computed
     * for a reduction or close ({@code null} when nothing was reduced).
     */
    public record Outcome(List<PositionChange> changes, RealizedPnl realized) {
        public static final Outcome NONE = new Outcome(List.of(), null);

        public Outcome {
            changes = List.copyOf(changes);
        }
    }
}

package io.positionsync.sync;

import io.positionsync.ibkr.BrokerExecution;
import io.positionsync.ibkr.ExecIds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The realized P&L ledger of one sync run over one <b>complete</b> snapshot.
 *
 * <p>Holds the stored OPEN lifecycles, the executions applied in earlier runs, the snapshot's executions and
 * the run's clock; {@link #reconcile(SnapshotPosition)} decides one instrument at a time (in snapshot order, as
 * a splitter delivers them), {@link #closeAbsent()} then closes every open lifecycle the snapshot did not
 * report, and {@link #result()} returns everything to persist in the run's transaction:
 *
 * <pre>{@code
 * RunLedger ledger = new RunLedger(openRows, appliedExecIds, transformer.executions(snapshot), now);
 * for (SnapshotPosition position : transformer.positions(snapshot)) {
 *     ledger.reconcile(position);
 * }
 * ledger.closeAbsent();             // complete snapshots only
 * ReconcileResult result = ledger.result();
 * }</pre>
 *
 * <p>An execution is never matched twice: not across runs (its execId, or any id of the same base, is in
 * {@code appliedExecIds}) and not within the run. Our figure is cross-checked against IB's realizedPNL of the
 * same executions; a difference beyond the tolerance is a {@link ReconciliationBreak}.
 *
 * <p>Methods are synchronized so a parallel splitter cannot corrupt the run's state; the rules do not depend on
 * the order in which instruments arrive.
 */
public final class RunLedger {
    /** Default tolerance of the cross-check with IB's realized figure, in account currency. */
    public static final BigDecimal DEFAULT_BREAK_TOLERANCE = new BigDecimal("0.01");

    private static final Logger LOG = LoggerFactory.getLogger(RunLedger.class);

    private final Map<PositionKey, StoredPosition> openRows = new LinkedHashMap<>();
    private final Set<String> appliedExecIds;
    private final Map<String, String> appliedIdByBase = new HashMap<>();
    private final SnapshotExecutions executions;
    private final Instant now;
    private final BigDecimal breakTolerance;
    private final PositionReconciler reconciler;

    private final Set<PositionKey> seen = new LinkedHashSet<>();
    private final Set<String> usedExecIds = new LinkedHashSet<>();
    private final List<PositionChange> changes = new ArrayList<>();
    private final List<ReconciliationBreak> breaks = new ArrayList<>();
    private final List<ReconcileWarning> warnings = new ArrayList<>();
    private boolean absentClosed;

    public RunLedger(Map<PositionKey, StoredPosition> openRows, Set<String> appliedExecIds,
                     SnapshotExecutions executions, Instant now) {
        this(openRows, appliedExecIds, executions, now, DEFAULT_BREAK_TOLERANCE);
    }

    public RunLedger(Map<PositionKey, StoredPosition> openRows, Set<String> appliedExecIds,
                     SnapshotExecutions executions, Instant now, BigDecimal breakTolerance) {
        this(openRows, appliedExecIds, executions, now, breakTolerance, new PositionReconciler());
    }

    /**
     * @param openRows       stored OPEN lifecycles (rows of any other status are ignored: closed history is never
     *                       touched)
     * @param appliedExecIds full execIds already applied in earlier runs (a base id is accepted too)
     * @param executions     the snapshot's executions ({@link SnapshotTransformer#executions})
     * @param now            the run's clock: opened_at / closed_at / last_synced_at of every change
     * @param breakTolerance largest accepted |ours - IB's| before a break is recorded
     * @param reconciler     the rules (and through it the rounding scale)
     */
    public RunLedger(Map<PositionKey, StoredPosition> openRows, Set<String> appliedExecIds,
                     SnapshotExecutions executions, Instant now, BigDecimal breakTolerance,
                     PositionReconciler reconciler) {
        Objects.requireNonNull(openRows, "openRows");
        this.appliedExecIds = Set.copyOf(Objects.requireNonNull(appliedExecIds, "appliedExecIds"));
        this.executions = Objects.requireNonNull(executions, "executions");
        this.now = Objects.requireNonNull(now, "now");
        this.breakTolerance = Objects.requireNonNull(breakTolerance, "breakTolerance");
        this.reconciler = Objects.requireNonNull(reconciler, "reconciler");
        if (breakTolerance.signum() < 0) {
            throw new IllegalArgumentException("breakTolerance must be >= 0: " + breakTolerance);
        }
        openRows.values().stream()
                .filter(row -> row.status() == PositionStatus.OPEN)
                .sorted(Comparator.comparing(StoredPosition::account).thenComparingLong(StoredPosition::conId))
                .forEach(row -> this.openRows.put(row.key(), row));
        for (String id : this.appliedExecIds) {
            appliedIdByBase.merge(ExecIds.base(id), id,
                    (known, other) -> ExecIds.revision(other) > ExecIds.revision(known) ? other : known);
        }
        for (BrokerExecution execution : executions.all()) {
            String earlier = lateCorrectionOf(execution);
            if (earlier != null) {
                warn(new ReconcileWarning(new PositionKey(execution.account(), execution.conId()), execution.symbol(),
                        ReconcileWarning.Reason.LATE_CORRECTION,
                        execution.execId() + " corrects " + earlier + " applied in an earlier run (price "
                                + plain(execution.price()) + ", " + plain(execution.shares()) + " " + execution.side()
                                + "); the realized P&L already booked is not changed"));
            }
        }
    }

    public Instant now() {
        return now;
    }

    /**
     * Reconciles one instrument of the snapshot against the stored open row of its key.
     *
     * @return the changes decided for it (empty for a flat instrument without an open row)
     * @throws IllegalStateException if the key was already reconciled in this run, or after {@link #closeAbsent()}
     */
    public synchronized List<PositionChange> reconcile(SnapshotPosition position) {
        Objects.requireNonNull(position, "position");
        if (absentClosed) {
            throw new IllegalStateException("closeAbsent() already ran: " + position.key() + " came too late");
        }
        if (!seen.add(position.key())) {
            throw new IllegalStateException("reported twice in one snapshot: " + position.key());
        }
        PositionReconciler.Outcome outcome = reconciler.reconcile(openRows.get(position.key()), position,
                available(position.key()), now);
        record(outcome, position.key(), position.symbol());
        return outcome.changes();
    }

    /**
     * Closes every stored open row whose key the snapshot did not report. Only for a complete snapshot: a
     * missing report from an incomplete one is not "flat". Runs once; later calls close nothing.
     */
    public synchronized List<PositionChange> closeAbsent() {
        return closeAbsent(null);
    }

    /**
     * Like {@link #closeAbsent()}, limited to rows of {@code accounts} (e.g. the snapshot's managed accounts), so
     * that rows of an account this connection does not manage are left alone; {@code null} means every account.
     */
    public synchronized List<PositionChange> closeAbsent(Collection<String> accounts) {
        absentClosed = true;
        List<PositionChange> closing = new ArrayList<>();
        for (StoredPosition row : openRows.values()) {
            if (seen.contains(row.key()) || (accounts != null && !accounts.contains(row.account()))) {
                continue;
            }
            seen.add(row.key());
            PositionReconciler.Outcome outcome = reconciler.closeAbsent(row, available(row.key()), now);
            record(outcome, row.key(), row.symbol());
            closing.addAll(outcome.changes());
        }
        return closing;
    }

    /**
     * Everything decided so far. {@code executions} holds each execution of the snapshot not applied in an
     * earlier run, once: {@code applied=true} when it explained a reduction in this run, and for a late
     * correction of an execution applied earlier (so its base stays applied); {@code supersedesExecId} names the
     * id of the same base it replaces. Executions applied in earlier runs (or older revisions of them) are left
     * out, so the store never turns an applied row back to unapplied.
     */
    public synchronized ReconcileResult result() {
        List<ExecutionRecord> records = new ArrayList<>();
        for (BrokerExecution execution : executions.all()) {
            String id = execution.execId();
            if (appliedExecIds.contains(id)) {
                continue;
            }
            String earlier = appliedIdByBase.get(execution.baseExecId());
            if (earlier != null) {
                if (ExecIds.supersedes(id, earlier)) {
                    records.add(new ExecutionRecord(execution, earlier, true));
                }
                continue;
            }
            records.add(new ExecutionRecord(execution, executions.supersedes(id), usedExecIds.contains(id)));
        }
        int opened = 0;
        int updated = 0;
        int closed = 0;
        int unchanged = 0;
        for (PositionChange change : changes) {
            switch (change.kind()) {
                case OPENED -> opened++;
                case INCREASED, REDUCED -> updated++;
                case CLOSED -> closed++;
                case UNCHANGED -> unchanged++;
            }
        }
        return new ReconcileResult(changes, records, breaks, warnings, opened, updated, closed, unchanged);
    }

    /** Executions of {@code key} not applied in an earlier run nor used earlier in this one, oldest first. */
    private List<BrokerExecution> available(PositionKey key) {
        List<BrokerExecution> available = new ArrayList<>();
        for (BrokerExecution execution : executions.forKey(key)) {
            if (!appliedBefore(execution) && !usedExecIds.contains(execution.execId())) {
                available.add(execution);
            }
        }
        return available;
    }

    private boolean appliedBefore(BrokerExecution execution) {
        String base = execution.baseExecId();
        return appliedExecIds.contains(execution.execId()) || appliedExecIds.contains(base)
                || appliedIdByBase.containsKey(base);
    }

    /** The id applied in an earlier run that {@code execution} corrects, or {@code null}. */
    private String lateCorrectionOf(BrokerExecution execution) {
        if (appliedExecIds.contains(execution.execId())) {
            return null;
        }
        String earlier = appliedIdByBase.get(execution.baseExecId());
        return earlier != null && ExecIds.supersedes(execution.execId(), earlier) ? earlier : null;
    }

    private void record(PositionReconciler.Outcome outcome, PositionKey key, String symbol) {
        for (PositionChange change : outcome.changes()) {
            changes.add(change);
            LOG.debug("{} {} {} qty {} -> {} avg {} realized {} ({})", change.kind(), key, change.symbol(),
                    change.quantityBefore(), change.quantityAfter(), change.averagePrice(),
                    change.realizedPnlDelta(), change.realizedPnlSource());
            checkAgainstBroker(change);
        }
        RealizedPnl realized = outcome.realized();
        if (realized == null) {
            return;
        }
        usedExecIds.addAll(realized.execIds());
        if (!realized.priced()) {
            warn(new ReconcileWarning(key, symbol, ReconcileWarning.Reason.UNPRICED,
                    plain(realized.reducedQuantity()) + " units closed; executions explain "
                            + plain(realized.explainedQuantity()) + ", no market price or no average price: realized P&L left empty"));
        } else if (realized.source() == RealizedPnlSource.MARKET_PRICE) {
            boolean partly = realized.explainedQuantity().signum() > 0;
            warn(new ReconcileWarning(key, symbol,
                    partly ? ReconcileWarning.Reason.PARTIALLY_EXPLAINED : ReconcileWarning.Reason.MARKET_PRICE_ESTIMATE,
                    plain(realized.reducedQuantity()) + " units closed; executions explain "
                            + plain(realized.explainedQuantity())
                            + ", the rest priced at the market price: realized " + plain(realized.amount())
                            + " is an estimate"));
        }
        if (realized.commissionMissing()) {
            warn(new ReconcileWarning(key, symbol, ReconcileWarning.Reason.COMMISSION_MISSING,
                    "no commission report yet for one of " + realized.execIds() + ": counted as zero"));
        }
    }

    private void checkAgainstBroker(PositionChange change) {
        if (change.realizedPnlDelta() == null || change.brokerRealizedPnl() == null
                || change.realizedPnlSource() != RealizedPnlSource.EXECUTIONS) {
            return;
        }
        BigDecimal difference = change.realizedPnlDelta().subtract(change.brokerRealizedPnl());
        if (difference.abs().compareTo(breakTolerance) > 0) {
            ReconciliationBreak found = new ReconciliationBreak(change.account(), change.conId(), change.symbol(),
                    change.realizedPnlDelta(), change.brokerRealizedPnl(), difference, change.kind());
            breaks.add(found);
            LOG.warn("reconciliation break {} {}: ours {} vs IB {} (difference {})", change.key(), change.symbol(),
                    plain(found.ours()), plain(found.broker()), plain(difference));
        }
    }

    private static String plain(BigDecimal value) {
        return value == null ? "none" : value.stripTrailingZeros().toPlainString();
    }

    private void warn(ReconcileWarning warning) {
        warnings.add(warning);
        LOG.warn("{} {} {}: {}", warning.reason(), warning.key(), warning.symbol(), warning.detail());
    }
}

package io.positionsync.ibkr;

import io.positionsync.sync.ExecIds;

import io.positionsync.sync.BrokerExecution;
import io.positionsync.sync.BrokerPosition;
import io.positionsync.sync.BrokerSnapshot;
import io.positionsync.sync.ExchangeRate;
import io.positionsync.sync.PortfolioValue;
import io.positionsync.sync.UnmanagedRows;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Collects the messages of one snapshot and assembles the {@link BrokerSnapshot}:
 * <ul>
 *   <li>positions and portfolio values keyed by (account, conId), the latest message winning;</li>
 *   <li>executions deduplicated by execId (the gateway replays them), a correction {@code <base>.02}
 *       replacing {@code <base>.01} whatever the order they arrive in (see {@link ExecIds});</li>
 *   <li>commission reports joined by exact execId when the snapshot is built, so a report that arrives
 *       before or after its execution is joined either way; a report for a replaced execution is not
 *       carried over to its correction.</li>
 * </ul>
 * Executions are listed oldest first. Not thread-safe: one snapshot, one thread.
 *
 * <p>A position or portfolio value is kept as the record the snapshot holds as soon as it arrives (the contract
 * fields the snapshot does not use are dropped), and the texts every message repeats (account, security type,
 * currency) and the multipliers are shared: the decoded messages with their whole contracts are not kept for the
 * length of a 100 000-position snapshot.
 *
 * <p>Rows of an account outside {@code managedAccounts} are not kept: the session hands them to
 * {@link #leaveOut(IncomingMessage)}, which only counts them (distinct rows, per account) for
 * {@link BrokerSnapshot#unmanaged()}.
 */
public final class SnapshotAssembler {
    private static final Logger log = LoggerFactory.getLogger(SnapshotAssembler.class);
    /** The {@code updateAccountValue} key of an exchange rate. */
    static final String EXCHANGE_RATE = "ExchangeRate";

    private final Map<AccountContract, BrokerPosition> positions = new LinkedHashMap<>();
    private final Map<AccountContract, PortfolioValue> portfolio = new LinkedHashMap<>();
    /** Low-cardinality texts and multipliers, one instance each (see the class comment). */
    private final Map<Object, Object> shared = new HashMap<>();
    private final Map<String, IncomingMessage.ExecDetails> executionsByBase = new LinkedHashMap<>();
    private final Map<String, IncomingMessage.CommissionReport> commissions = new HashMap<>();
    private final Map<AccountCurrency, BigDecimal> exchangeRates = new LinkedHashMap<>();

    /** Distinct rows left out, per account: keys of positions and portfolio values, bases of execIds. */
    private final Map<String, LeftOut> leftOut = new LinkedHashMap<>();
    private int leftOutRows;

    private record AccountCurrency(String account, String currency) {
    }

    private static final class LeftOut {
        final Set<Long> positions = new HashSet<>();
        final Set<Long> portfolio = new HashSet<>();
        final Set<String> executions = new HashSet<>();
    }

    private record AccountContract(String account, long conId) {
    }

    /** Takes any message of a snapshot; those that carry no snapshot data are ignored. */
    public void add(IncomingMessage message) {
        if (message instanceof IncomingMessage.Position position) {
            addPosition(position);
        } else if (message instanceof IncomingMessage.UpdatePortfolio update) {
            addPortfolio(update);
        } else if (message instanceof IncomingMessage.ExecDetails execution) {
            addExecution(execution);
        } else if (message instanceof IncomingMessage.CommissionReport report) {
            addCommission(report);
        } else if (message instanceof IncomingMessage.UpdateAccountValue value) {
            addAccountValue(value);
        }
    }

    /**
     * Keeps the {@code ExchangeRate} values (base currency per unit of a currency, per account): commissions in
     * another currency than the position's are converted with them. Other account values are not needed.
     */
    public void addAccountValue(IncomingMessage.UpdateAccountValue value) {
        if (!EXCHANGE_RATE.equals(value.key()) || value.currency() == null || value.account() == null) {
            return;
        }
        try {
            BigDecimal rate = new BigDecimal(value.value().trim());
            if (rate.signum() > 0) {
                exchangeRates.put(new AccountCurrency(value.account(), value.currency()), rate);
            }
        } catch (NumberFormatException | NullPointerException e) {
            log.debug("ignoring ExchangeRate '{}' for {} {}", value.value(), value.account(), value.currency());
        }
    }

    /** The exchange rates received so far. */
    public List<ExchangeRate> exchangeRates() {
        List<ExchangeRate> out = new ArrayList<>(exchangeRates.size());
        exchangeRates.forEach((key, rate) -> out.add(new ExchangeRate(key.account(), key.currency(), rate)));
        return out;
    }

    public void addPosition(IncomingMessage.Position p) {
        Contract c = p.contract();
        String account = share(p.account());
        positions.put(new AccountContract(account, c.conId()), new BrokerPosition(account, c.conId(), c.symbol(),
                share(c.secType()), share(c.currency()), c.localSymbol(), share(c.multiplier()), p.position(),
                p.avgCost()));
    }

    public void addPortfolio(IncomingMessage.UpdatePortfolio u) {
        Contract c = u.contract();
        String account = share(u.account());
        portfolio.put(new AccountContract(account, c.conId()), new PortfolioValue(account, c.conId(), c.symbol(),
                share(c.secType()), share(c.currency()), share(c.multiplier()), u.position(), u.marketPrice(),
                u.marketValue(), u.averageCost(), u.unrealizedPnl(), u.realizedPnl()));
    }

    @SuppressWarnings("unchecked")
    private <T> T share(T value) {
        return value == null ? null : (T) shared.computeIfAbsent(value, v -> v);
    }

    public void addExecution(IncomingMessage.ExecDetails execution) {
        String base = ExecIds.base(execution.execId());
        IncomingMessage.ExecDetails existing = executionsByBase.get(base);
        if (existing == null || ExecIds.supersedes(execution.execId(), existing.execId())) {
            if (existing != null) {
                log.debug("execution {} corrected by {}", existing.execId(), execution.execId());
            }
            executionsByBase.put(base, execution);
        } else if (!existing.execId().equals(execution.execId())) {
            log.debug("execution {} ignored: already corrected by {}", execution.execId(), existing.execId());
        }
    }

    public void addCommission(IncomingMessage.CommissionReport report) {
        commissions.put(report.execId(), report);
    }

    /**
     * Counts a position, portfolio value or execution of an account outside {@code managedAccounts} without
     * keeping it. Returns whether it was a row not counted before (the gateway repeats rows).
     */
    public boolean leaveOut(IncomingMessage message) {
        boolean added;
        if (message instanceof IncomingMessage.Position p) {
            added = leftOut(p.account()).positions.add(p.contract().conId());
        } else if (message instanceof IncomingMessage.UpdatePortfolio u) {
            added = leftOut(u.account()).portfolio.add(u.contract().conId());
        } else if (message instanceof IncomingMessage.ExecDetails e) {
            added = leftOut(e.account()).executions.add(ExecIds.base(e.execId()));
        } else {
            throw new IllegalArgumentException("not a row of an account: " + message.getClass().getSimpleName());
        }
        if (added) {
            leftOutRows++;
        }
        return added;
    }

    private LeftOut leftOut(String account) {
        return leftOut.computeIfAbsent(share(account == null ? "" : account), a -> new LeftOut());
    }

    /** Distinct rows left out so far (see {@link #leaveOut}), all accounts together. */
    public int leftOutCount() {
        return leftOutRows;
    }

    /** The rows left out so far, counted per account. */
    public UnmanagedRows unmanaged() {
        if (leftOut.isEmpty()) {
            return UnmanagedRows.NONE;
        }
        Map<String, UnmanagedRows.Counts> counts = new LinkedHashMap<>();
        leftOut.forEach((account, rows) -> counts.put(account, new UnmanagedRows.Counts(rows.positions.size(),
                rows.portfolio.size(), rows.executions.size())));
        return new UnmanagedRows(counts);
    }

    /** Distinct positions received so far. */
    public int positionCount() {
        return positions.size();
    }

    /** Distinct portfolio values received so far. */
    public int portfolioCount() {
        return portfolio.size();
    }

    /** Distinct executions received so far (corrections counted once). */
    public int executionCount() {
        return executionsByBase.size();
    }

    /** The positions received so far. */
    public List<BrokerPosition> positions() {
        return new ArrayList<>(positions.values());
    }

    /** The portfolio values received so far. */
    public List<PortfolioValue> portfolio() {
        return new ArrayList<>(portfolio.values());
    }

    /** The executions received so far, deduplicated, joined with the commission reports received so far. */
    public List<BrokerExecution> executions() {
        List<BrokerExecution> out = new ArrayList<>(executionsByBase.size());
        for (IncomingMessage.ExecDetails e : executionsByBase.values()) {
            Contract c = e.contract();
            BrokerExecution execution = new BrokerExecution(e.execId(), e.account(), c.conId(), c.symbol(), c.secType(),
                    e.side(), e.shares(), e.price(), e.time(), e.orderId(), e.permId(), null, null, null, c.currency(),
                    c.multiplier());
            IncomingMessage.CommissionReport report = commissions.get(e.execId());
            if (report != null) {
                execution = execution.withCommission(report.commission(), report.currency(), report.realizedPnl());
            }
            out.add(execution);
        }
        out.sort(Comparator.comparing(BrokerExecution::time, Comparator.nullsLast(Comparator.naturalOrder()))
                .thenComparing(BrokerExecution::execId));
        return out;
    }

    /** The execIds of the executions received so far (deduplicated) that have no commission report yet. */
    public List<String> execIdsWithoutCommission() {
        List<String> missing = new ArrayList<>();
        for (IncomingMessage.ExecDetails e : executionsByBase.values()) {
            if (!commissions.containsKey(e.execId())) {
                missing.add(e.execId());
            }
        }
        return missing;
    }

    /** A snapshot whose every request reached its end marker. */
    public BrokerSnapshot complete(int serverVersion, Instant takenAt, Instant serverTime, List<String> accounts) {
        return new BrokerSnapshot(serverVersion, true, null, takenAt, serverTime, accounts, positions(), portfolio(),
                executions(), exchangeRates(), unmanaged());
    }

    /**
     * A snapshot that must not be used to change stored positions. It carries what did arrive, for
     * diagnosis, and says why it is incomplete.
     */
    public BrokerSnapshot incomplete(int serverVersion, Instant takenAt, Instant serverTime, List<String> accounts,
            String reason) {
        return new BrokerSnapshot(serverVersion, false, reason, takenAt, serverTime, accounts == null ? List.of() : accounts,
                positions(), portfolio(), executions(), exchangeRates(), unmanaged());
    }
}

package io.positionsync.ibkr.sim;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything the simulated gateway knows: accounts with their cash, instruments, market prices, positions
 * per (account, conId) and today's executions with their commission reports. Thread-safe: every method locks
 * the state, and {@link StateListener}s (the connected clients) hear of each change in order, so a client
 * subscribed to positions or account updates sees mutations made by a test while it is connected.
 *
 * <p>Positions follow IB's arithmetic (see {@link #trade}): avgCost per contract including multiplier and
 * commissions, realized P&L on reducing fills, flips split into a closing and an opening leg.
 *
 * <p>What a real gateway does beyond that, on demand: executions carry the clientId that placed them and
 * only the {@linkplain #masterClientId master API client} sees every client's; a commission report can be
 * {@linkplain Fill#withCommissionWithheld withheld} and {@linkplain #releaseCommission released} later; so can
 * an execution itself ({@linkplain #withholdExecution late execution report}: the position moves, the fill that
 * explains it is reported later); a {@linkplain Fill#fromPriorDay prior-day fill} moves a position without ever being returned by
 * {@code reqExecutions}; {@code ExchangeRate} account values per currency; and steps scripted to run
 * {@linkplain #beforeExecutionsReply before} or {@linkplain #afterExecutionsReply after} the N-th executions
 * request, so a test can place changes exactly between two snapshots or between the replies of one; and
 * accounts {@linkplain #setManaged left out of managedAccounts} whose positions and executions are still
 * reported (an account unlinked during the day, say).
 */
public final class SimulatorState {
    private static final Logger LOG = LoggerFactory.getLogger(SimulatorState.class);
    /** Server part of generated execIds, in the shape IB uses ({@code 0000e0d5.6573a3b1.01.01}). */
    private static final String EXEC_ID_PREFIX = "0000e0d5";
    private static final String FIRST_REVISION = "01";
    /** Account values are shown in cents of the base currency. */
    private static final int MONEY_SCALE = 2;
    private static final String DEFAULT_CURRENCY = "USD";

    private final Clock clock;
    private final Map<String, BigDecimal> cash = new LinkedHashMap<>();
    /** Accounts the gateway does not list in {@code managedAccounts}, though it reports their rows. */
    private final Set<String> unmanaged = new HashSet<>();
    private final Map<Long, Instrument> instruments = new LinkedHashMap<>();
    private final Map<Long, BigDecimal> prices = new HashMap<>();
    private final Map<HoldingKey, Ledger> ledgers = new LinkedHashMap<>();
    /** The same ledgers by account, in the same order: an account's updates do not scan every account's positions. */
    private final Map<String, List<Ledger>> ledgersByAccount = new HashMap<>();
    private final List<Execution> executions = new ArrayList<>();
    private final List<StateListener> listeners = new CopyOnWriteArrayList<>();
    private String baseCurrency = DEFAULT_CURRENCY;
    private boolean reportClosedAsZero = true;
    private PriceMotion priceMotion;
    private long nextOrderId = 1;
    private long nextPermId;
    private long execSequence;
    /** Base currency per unit of each currency; the base currency itself is always 1. */
    private final Map<String, BigDecimal> exchangeRates = new TreeMap<>();
    private Integer masterClientId;
    private final Set<String> withheldCommissions = new LinkedHashSet<>();
    private final Set<String> withheldExecutions = new LinkedHashSet<>();
    private final Set<String> priorDayExecIds = new HashSet<>();
    /** execId -> what its commission report's realizedPNL is off by. */
    private final Map<String, BigDecimal> realizedPnlMisreports = new HashMap<>();
    /** What updatePortfolio's realized P&L of the day is off by, per contract. */
    private final Map<HoldingKey, BigDecimal> dailyRealizedSkews = new HashMap<>();
    private int executionsRequests;
    private final Map<Integer, List<Consumer<SimulatorState>>> beforeExecutionsReply = new HashMap<>();
    private final Map<Integer, List<Consumer<SimulatorState>>> afterExecutionsReply = new HashMap<>();

    /** A state on the system clock (UTC). */
    public SimulatorState() {
        this(Clock.systemUTC());
    }

    /** A state whose execution times, current time and connection times come from {@code clock}. */
    public SimulatorState(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        // Seconds since the epoch, as IB's own ids carry: ids from two runs of the simulator do not collide.
        this.execSequence = clock.instant().getEpochSecond();
        this.nextPermId = execSequence;
    }

    public Clock clock() {
        return clock;
    }

    // ------------------------------------------------------------------ setup

    /** Adds an account with no cash (or keeps an existing one). */
    public synchronized SimulatorState addAccount(String account) {
        return addAccount(account, cash.getOrDefault(account, BigDecimal.ZERO));
    }

    /** Adds an account, or sets its cash balance. */
    public synchronized SimulatorState addAccount(String account, BigDecimal cashBalance) {
        if (account == null || account.isBlank() || account.contains(",")) {
            throw new IllegalArgumentException("invalid account code '" + account + "'");
        }
        cash.put(account, Objects.requireNonNull(cashBalance, "cashBalance"));
        return this;
    }

    /**
     * Whether {@code managedAccounts} lists the account. An account left out of it keeps its book: its positions
     * are still in {@code reqPositions}, its executions in {@code reqExecutions} (as a gateway reports rows of an
     * account unlinked during the day). It takes effect for connections started from now on (the list goes out
     * when the API starts) and for every {@code reqManagedAccts}.
     */
    public synchronized SimulatorState setManaged(String account, boolean managed) {
        requireAccount(account);
        if (managed) {
            unmanaged.remove(account);
        } else {
            unmanaged.add(account);
        }
        return this;
    }

    /** Adds an instrument, or replaces the one with the same conId. */
    public synchronized SimulatorState addInstrument(Instrument instrument) {
        instruments.put(instrument.conId(), instrument);
        return this;
    }

    /** Whether a position that went flat today is still reported with quantity 0 (IB does until the daily reset). */
    public synchronized SimulatorState reportClosedAsZero(boolean report) {
        this.reportClosedAsZero = report;
        return this;
    }

    public synchronized boolean reportsClosedAsZero() {
        return reportClosedAsZero;
    }

    public synchronized SimulatorState baseCurrency(String currency) {
        this.baseCurrency = Objects.requireNonNull(currency, "currency");
        return this;
    }

    public synchronized String baseCurrency() {
        return baseCurrency;
    }

    /** The random walk prices follow when the simulator is asked to move them; {@code null}: prices stand still. */
    public synchronized SimulatorState priceMotion(PriceMotion motion) {
        this.priceMotion = motion;
        return this;
    }

    public synchronized Optional<PriceMotion> priceMotion() {
        return Optional.ofNullable(priceMotion);
    }

    /** The order id announced with {@code nextValidId}; trades take ids from here. */
    public synchronized SimulatorState nextOrderId(long orderId) {
        this.nextOrderId = orderId;
        return this;
    }

    public synchronized long nextOrderId() {
        return nextOrderId;
    }

    /**
     * Sets how many units of the base currency one unit of {@code currency} is worth, as the gateway's
     * {@code ExchangeRate} account value says. Commissions in another currency than their instrument's are
     * converted with these rates, cash flows and account totals too (a currency without a rate counts 1:1 in
     * totals; a commission in it is refused).
     */
    public synchronized SimulatorState exchangeRate(String currency, BigDecimal rate) {
        Objects.requireNonNull(currency, "currency");
        if (rate == null || rate.signum() <= 0) {
            throw new IllegalArgumentException("exchange rate of " + currency + " must be positive, got " + rate);
        }
        exchangeRates.put(currency, rate);
        return this;
    }

    /** Base currency per unit of {@code currency}: 1 for the base currency, empty when no rate is known. */
    public synchronized Optional<BigDecimal> exchangeRate(String currency) {
        if (baseCurrency.equals(currency)) {
            return Optional.of(BigDecimal.ONE);
        }
        return Optional.ofNullable(exchangeRates.get(currency));
    }

    /**
     * The Master API client ID set in TWS / IB Gateway: a connection with this clientId gets every client's
     * executions (and manual orders', clientId 0) from {@code reqExecutions}, any other connection only its
     * own. {@code null} (the default): no master is modelled and every connection sees every execution.
     */
    public synchronized SimulatorState masterClientId(Integer clientId) {
        this.masterClientId = clientId;
        return this;
    }

    public synchronized Optional<Integer> masterClientId() {
        return Optional.ofNullable(masterClientId);
    }

    /** Whether a connection with {@code requestingClientId} may see {@code execution} (see {@link #masterClientId}). */
    public synchronized boolean isVisibleTo(Execution execution, int requestingClientId) {
        return masterClientId == null || masterClientId == requestingClientId
                || execution.clientId() == requestingClientId;
    }

    /**
     * Runs {@code step} when the {@code n}-th {@code reqExecutions} (counted over every connection, from 1) has
     * arrived and before it is answered: that snapshot's positions and account updates, already sent, do not
     * show the change; its executions do.
     */
    public synchronized SimulatorState beforeExecutionsReply(int n, Consumer<SimulatorState> step) {
        return schedule(beforeExecutionsReply, n, step);
    }

    /**
     * Runs {@code step} right after the {@code n}-th {@code reqExecutions} has been answered
     * ({@code execDetailsEnd} queued): the change falls between that snapshot and the next one.
     */
    public synchronized SimulatorState afterExecutionsReply(int n, Consumer<SimulatorState> step) {
        return schedule(afterExecutionsReply, n, step);
    }

    /** How many {@code reqExecutions} have arrived so far, over every connection. */
    public synchronized int executionsRequests() {
        return executionsRequests;
    }

    private SimulatorState schedule(Map<Integer, List<Consumer<SimulatorState>>> steps, int n,
            Consumer<SimulatorState> step) {
        if (n < 1) {
            throw new IllegalArgumentException("executions requests are counted from 1, got " + n);
        }
        steps.computeIfAbsent(n, k -> new ArrayList<>()).add(Objects.requireNonNull(step, "step"));
        return this;
    }

    /** A {@code reqExecutions} arrived: counts it, runs the steps due before its reply, returns its number. */
    synchronized int executionsRequestArrived() {
        int n = ++executionsRequests;
        runSteps(beforeExecutionsReply.remove(n), "before executions reply " + n);
        return n;
    }

    /** The {@code n}-th {@code reqExecutions} has been answered: runs the steps due after it. */
    synchronized void executionsRequestAnswered(int n) {
        runSteps(afterExecutionsReply.remove(n), "after executions reply " + n);
    }

    private void runSteps(List<Consumer<SimulatorState>> steps, String when) {
        if (steps == null) {
            return;
        }
        for (Consumer<SimulatorState> step : steps) {
            try {
                step.accept(this);
            } catch (RuntimeException e) {
                // A scripted step that cannot apply must not take the connection down with it.
                LOG.warn("scripted step {} failed: {}", when, e.getMessage());
            }
        }
    }

    public void addListener(StateListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public void removeListener(StateListener listener) {
        listeners.remove(listener);
    }

    // ------------------------------------------------------------------ mutations

    /** Sets a market price; subscribers to account updates of accounts holding the contract hear of it. */
    public synchronized void setMarketPrice(long conId, BigDecimal price) {
        Instrument instrument = requireInstrument(conId);
        if (price == null || price.signum() < 0) {
            throw new IllegalArgumentException("market price of conId " + conId + " must be >= 0, got " + price);
        }
        prices.put(conId, price);
        for (StateListener listener : listeners) {
            listener.marketPriceChanged(instrument, price);
        }
    }

    /**
     * Sets a position directly, as it stood before today's executions (scenario setup, or a raw test setup).
     * No execution is recorded; the day's realized P&L of the contract starts again from 0.
     */
    public synchronized Position setPosition(String account, long conId, BigDecimal quantity, BigDecimal avgCost) {
        requireAccount(account);
        Instrument instrument = requireInstrument(conId);
        Position position = new Position(account, conId, quantity,
                quantity.signum() == 0 ? BigDecimal.ZERO : avgCost, BigDecimal.ZERO);
        Ledger ledger = ledgers.computeIfAbsent(new HoldingKey(account, conId), k -> indexed(account, new Ledger()));
        ledger.reset(position);
        notifyPosition(position, instrument);
        return position;
    }

    /** A fill now; see {@link #trade(Fill)}. */
    public Execution trade(String account, long conId, Side side, BigDecimal shares, BigDecimal price,
            BigDecimal commission) {
        return trade(Fill.of(account, conId, side, shares, price, commission));
    }

    /** A fill at {@code time}; see {@link #trade(Fill)}. */
    public Execution trade(String account, long conId, Side side, BigDecimal shares, BigDecimal price,
            BigDecimal commission, Instant time) {
        return trade(Fill.of(account, conId, side, shares, price, commission).at(time));
    }

    /**
     * Records a fill of {@code shares} (> 0) at {@code price} (per unit, before the multiplier) with its
     * {@code commission}, updates the position IB-style and returns the execution ({@code <base>.01}) with its
     * commission report, whose realizedPNL is set when the fill reduced the position. A commission in another
     * currency than the instrument's counts in the position at the {@linkplain #exchangeRate exchange rates}.
     * Cash moves by the notional and the commission. Subscribed clients receive the new position.
     */
    public synchronized Execution trade(Fill fill) {
        String account = fill.account();
        requireAccount(account);
        Instrument instrument = requireInstrument(fill.conId());
        BigDecimal shares = fill.shares();
        BigDecimal price = fill.price();
        BigDecimal commission = fill.commission();
        if (shares == null || shares.signum() <= 0) {
            throw new IllegalArgumentException("shares must be positive, got " + shares);
        }
        if (price == null || price.signum() < 0) {
            throw new IllegalArgumentException("price must be >= 0, got " + price);
        }
        if (commission.signum() < 0) {
            throw new IllegalArgumentException("commission must be >= 0, got " + commission);
        }
        String commissionCurrency = fill.commissionCurrency() == null ? instrument.currency()
                : fill.commissionCurrency();
        BigDecimal positionCommission = inCurrency(commission, commissionCurrency, instrument.currency());
        Instant time = fill.time() != null ? fill.time()
                : fill.priorDay() ? clock.instant().minus(1, ChronoUnit.DAYS) : clock.instant();
        Ledger ledger = ledgers.computeIfAbsent(new HoldingKey(account, fill.conId()),
                k -> indexed(account,
                        new Ledger(new Position(account, fill.conId(), BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO))));
        AverageCost.Outcome outcome = fill(ledger.current, instrument, fill.side(), shares, price, positionCommission);
        String execId = String.format("%s.%08x.01.%s", EXEC_ID_PREFIX, execSequence++, FIRST_REVISION);
        long orderId = nextOrderId++;
        Execution execution = new Execution(execId, account, fill.conId(), fill.side(), shares, price,
                time.truncatedTo(ChronoUnit.SECONDS), orderId, nextPermId++, fill.clientId(), venue(instrument), shares,
                price, new CommissionReport(execId, commission, commissionCurrency, outcome.realized()));
        executions.add(execution);
        if (fill.commissionWithheld()) {
            withheldCommissions.add(execId);
        }
        if (fill.priorDay()) {
            priorDayExecIds.add(execId);
        }
        ledger.applied.add(new Applied(execution, positionCommission));
        ledger.current = next(ledger.current, outcome);
        cash.merge(account, toBase(cashFlow(instrument, fill.side(), shares, price), instrument.currency())
                .subtract(toBase(commission, commissionCurrency)), BigDecimal::add);
        notifyPosition(ledger.current, instrument);
        notifyExecution(execution);
        return execution;
    }

    /**
     * Sends a withheld commission report from now on: the next {@code reqExecutions} replies carry it, and a
     * simulator that pushes late commission reports ({@link SimulatorOptions#pushLateCommissions()}) pushes it to
     * the connected clients that may see its execution (a snapshot already past its executions ignores it; the
     * next one has it from its own request).
     *
     * @return whether the report was withheld
     */
    public synchronized boolean releaseCommission(String execId) {
        boolean released = withheldCommissions.remove(execId);
        if (released) {
            execution(execId).ifPresent(execution -> listeners.forEach(l -> l.commissionReleased(execution)));
        }
        return released;
    }

    /**
     * Keeps an execution (and its commission report) out of {@code reqExecutions} replies until
     * {@linkplain #releaseExecution released}: the position it made is reported at once, the fill that explains it
     * only later, with its original time. A client sees a quantity change no execution explains, then the fill.
     *
     * @return whether the execution exists and was not withheld already
     */
    public synchronized boolean withholdExecution(String execId) {
        return execution(execId).isPresent() && withheldExecutions.add(execId);
    }

    /**
     * Reports a withheld execution from now on, in later {@code reqExecutions} replies (and, when the simulator
     * pushes executions, pushed to the connected clients that may see it).
     *
     * @return whether it was withheld
     */
    public synchronized boolean releaseExecution(String execId) {
        boolean released = withheldExecutions.remove(execId);
        if (released) {
            execution(execId).ifPresent(this::notifyExecution);
        }
        return released;
    }

    /** Whether {@code execId} is still kept out of {@code reqExecutions} replies. */
    public synchronized boolean isExecutionWithheld(String execId) {
        return withheldExecutions.contains(execId);
    }

    /** Whether the commission report of {@code execId} is still withheld. */
    public synchronized boolean isCommissionWithheld(String execId) {
        return withheldCommissions.contains(execId);
    }

    /** Whether {@code execId} happened before today's trading day (never returned by {@code reqExecutions}). */
    public synchronized boolean isPriorDay(String execId) {
        return priorDayExecIds.contains(execId);
    }

    /**
     * The broker's trading day rolls over: every execution so far becomes a prior-day one, which
     * {@code reqExecutions} no longer returns (positions keep what those fills did), and each contract's realized
     * P&L of the day ({@code updatePortfolio}) starts again from 0. An execution whose report is still
     * {@linkplain #withholdExecution withheld} stays out of the roll: it is booked in the day it is reported in, so
     * once released {@code reqExecutions} returns it (with its own, earlier time) and the new day's realized P&L
     * counts what it realized.
     */
    /**
     * New executions get ids after {@code execIds} (ids this simulator's shape, {@code 0000e0d5.<hex>.01.01}): a
     * simulator that goes on from what an earlier one traded never reuses an id the broker's client already has.
     */
    public synchronized void continueExecIdsAfter(java.util.Collection<String> execIds) {
        for (String execId : execIds) {
            String[] parts = execId.split("\\.");
            if (parts.length == 4 && parts[0].equals(EXEC_ID_PREFIX)) {
                try {
                    execSequence = Math.max(execSequence, Long.parseLong(parts[1], 16) + 1);
                } catch (NumberFormatException e) {
                    // not one of ours
                }
            }
        }
        nextPermId = Math.max(nextPermId, execSequence);
    }

    public synchronized void rollTradingDay() {
        Map<HoldingKey, BigDecimal> carried = new HashMap<>();
        for (Execution execution : executions) {
            if (withheldExecutions.contains(execution.execId())) {
                if (execution.realizedPnl() != null) {
                    carried.merge(new HoldingKey(execution.account(), execution.conId()), execution.realizedPnl(),
                            BigDecimal::add);
                }
            } else {
                priorDayExecIds.add(execution.execId());
            }
        }
        for (Map.Entry<HoldingKey, Ledger> entry : ledgers.entrySet()) {
            BigDecimal today = carried.getOrDefault(entry.getKey(), BigDecimal.ZERO);
            entry.getValue().startDay(today);
        }
    }

    /**
     * Makes the commission report of {@code execId} (and only that revision) carry IB's realizedPNL off by
     * {@code delta} (a broker figure that disagrees with the fold of the fills); {@code null} or 0 reports it
     * right again. A correction ({@code <base>.02}) is reported right.
     */
    synchronized void misreportRealizedPnl(String execId, BigDecimal delta) {
        execution(execId).orElseThrow(() -> new IllegalArgumentException("no execution " + execId));
        if (delta == null || delta.signum() == 0) {
            realizedPnlMisreports.remove(execId);
        } else {
            realizedPnlMisreports.put(execId, delta);
        }
    }

    /**
     * Makes {@code updatePortfolio}'s realized P&L of the day for one contract off by {@code delta} from the day's
     * executions; {@code null} or 0 removes the skew.
     */
    synchronized void skewDailyRealizedPnl(String account, long conId, BigDecimal delta) {
        requireAccount(account);
        requireInstrument(conId);
        HoldingKey key = new HoldingKey(account, conId);
        if (delta == null || delta.signum() == 0) {
            dailyRealizedSkews.remove(key);
        } else {
            dailyRealizedSkews.put(key, delta);
        }
    }

    /** The commission report of {@code execution} as the gateway sends it (with a misreported realizedPNL, if any). */
    public synchronized CommissionReport reportedCommission(Execution execution) {
        CommissionReport report = execution.commissionReport();
        BigDecimal delta = realizedPnlMisreports.get(execution.execId());
        if (delta == null) {
            return report;
        }
        BigDecimal realized = report.realizedPnl() == null ? delta : report.realizedPnl().add(delta);
        return new CommissionReport(report.execId(), report.commission(), report.currency(), realized);
    }

    /** Corrects the price of an execution; see {@link #correctExecution(String, BigDecimal, BigDecimal)}. */
    public Execution correctExecution(String execId, BigDecimal newPrice) {
        return correctExecution(execId, newPrice, null);
    }

    /**
     * Corrects an execution: records {@code <base>.<nn+1>} with the new price and/or quantity ({@code null} keeps
     * the current one; same time and commission) and a fresh commission report, and recomputes the position as
     * if the fill had been so (unless the position was reset since, by {@link #setPosition} or
     * {@link #brokerClose}). Commission reports already sent for later fills are not re-issued, as at IB.
     */
    public synchronized Execution correctExecution(String execId, BigDecimal newPrice, BigDecimal newShares) {
        Execution original = execution(execId)
                .orElseThrow(() -> new IllegalArgumentException("no execution " + execId));
        String base = execIdBase(execId);
        Execution latest = executions.stream().filter(e -> execIdBase(e.execId()).equals(base))
                .reduce((a, b) -> execIdRevision(b.execId()) > execIdRevision(a.execId()) ? b : a)
                .orElse(original);
        BigDecimal price = newPrice == null ? latest.price() : newPrice;
        BigDecimal shares = newShares == null ? latest.shares() : newShares;
        if (price.signum() < 0) {
            throw new IllegalArgumentException("price must be >= 0, got " + newPrice);
        }
        if (shares.signum() <= 0) {
            throw new IllegalArgumentException("shares must be positive, got " + newShares);
        }
        Instrument instrument = requireInstrument(original.conId());
        String correctedId = String.format("%s.%02d", base, execIdRevision(latest.execId()) + 1);
        Ledger ledger = ledgers.get(new HoldingKey(original.account(), original.conId()));
        int index = -1;
        for (int i = 0; ledger != null && i < ledger.applied.size(); i++) {
            if (execIdBase(ledger.applied.get(i).execution().execId()).equals(base)) {
                index = i;
            }
        }
        Execution corrected = new Execution(correctedId, original.account(), original.conId(), original.side(),
                shares, price, original.time(), original.orderId(), original.permId(), original.clientId(),
                original.exchange(), shares, price,
                new CommissionReport(correctedId, latest.commission(), latest.commissionReport().currency(),
                        latest.realizedPnl()));
        if (index >= 0) {
            Applied replaced = ledger.applied.get(index);
            ledger.applied.set(index, new Applied(corrected, replaced.positionCommission()));
            BigDecimal realized = ledger.replay(instrument, index);
            corrected = withRealized(corrected, realized);
            ledger.applied.set(index, new Applied(corrected, replaced.positionCommission()));
        }
        executions.add(corrected);
        if (priorDayExecIds.contains(latest.execId())) {
            priorDayExecIds.add(correctedId);
        }
        BigDecimal cashChange = cashFlow(instrument, original.side(), shares, price)
                .subtract(cashFlow(instrument, original.side(), latest.shares(), latest.price()));
        cash.merge(original.account(), toBase(cashChange, instrument.currency()), BigDecimal::add);
        if (index >= 0) {
            notifyPosition(ledger.current, instrument);
        }
        notifyExecution(corrected);
        return corrected;
    }

    /**
     * A broker fault: the execution {@code execId} is reported from now on with another side and/or price
     * ({@code null} keeps the current one) under the same execId, with no correction ({@code .nn}). Positions, cash
     * and the commission report are not touched; a client that applied the fill must notice, not apply it again.
     */
    public synchronized Execution reportExecutionAs(String execId, Side newSide, BigDecimal newPrice) {
        int index = -1;
        for (int i = 0; i < executions.size(); i++) {
            if (executions.get(i).execId().equals(execId)) {
                index = i;
            }
        }
        if (index < 0) {
            throw new IllegalArgumentException("no execution " + execId);
        }
        Execution e = executions.get(index);
        Side side = newSide == null ? e.side() : newSide;
        BigDecimal price = newPrice == null ? e.price() : newPrice;
        if (price.signum() < 0) {
            throw new IllegalArgumentException("price must be >= 0, got " + newPrice);
        }
        Execution rewritten = new Execution(e.execId(), e.account(), e.conId(), side, e.shares(), price, e.time(),
                e.orderId(), e.permId(), e.clientId(), e.exchange(), e.cumQty(), price, e.commissionReport());
        executions.set(index, rewritten);
        return rewritten;
    }

    /**
     * The position vanishes at the broker without an execution (expiry, broker-side liquidation, transfer): its
     * quantity becomes 0 and no fill explains it. Cash and the day's realized P&L are not touched.
     */
    public synchronized Position brokerClose(String account, long conId) {
        Instrument instrument = requireInstrument(conId);
        Ledger ledger = ledgers.get(new HoldingKey(account, conId));
        if (ledger == null) {
            throw new IllegalArgumentException("account " + account + " holds no position in conId " + conId);
        }
        Position closed = new Position(account, conId, BigDecimal.ZERO, BigDecimal.ZERO,
                ledger.current.realizedPnlToday());
        ledger.reset(closed);
        notifyPosition(closed, instrument);
        return closed;
    }

    // ------------------------------------------------------------------ reads

    public synchronized List<String> accounts() {
        return List.copyOf(cash.keySet());
    }

    /** The accounts {@code managedAccounts} lists: every account but those {@linkplain #setManaged left out}. */
    public synchronized List<String> managedAccounts() {
        return cash.keySet().stream().filter(account -> !unmanaged.contains(account)).toList();
    }

    public synchronized boolean isManaged(String account) {
        return cash.containsKey(account) && !unmanaged.contains(account);
    }

    public synchronized boolean hasAccount(String account) {
        return cash.containsKey(account);
    }

    public synchronized BigDecimal cash(String account) {
        requireAccount(account);
        return cash.get(account);
    }

    public synchronized List<Instrument> instruments() {
        return List.copyOf(instruments.values());
    }

    public synchronized Optional<Instrument> instrument(long conId) {
        return Optional.ofNullable(instruments.get(conId));
    }

    public synchronized Optional<BigDecimal> marketPrice(long conId) {
        return Optional.ofNullable(prices.get(conId));
    }

    /** The position as it stands (quantity 0 once closed), whether or not it would be reported. */
    public synchronized Optional<Position> position(String account, long conId) {
        Ledger ledger = ledgers.get(new HoldingKey(account, conId));
        return ledger == null ? Optional.empty() : Optional.of(ledger.current);
    }

    /** The positions {@code reqPositions} reports: every account, flat ones only with {@link #reportsClosedAsZero}. */
    public synchronized List<Position> positions() {
        List<Position> out = new ArrayList<>();
        for (Ledger ledger : ledgers.values()) {
            if (isReported(ledger.current)) {
                out.add(ledger.current);
            }
        }
        return out;
    }

    /** The reported positions of one account. */
    public synchronized List<Position> positions(String account) {
        List<Position> out = new ArrayList<>();
        for (Ledger ledger : ledgersByAccount.getOrDefault(account, List.of())) {
            if (isReported(ledger.current)) {
                out.add(ledger.current);
            }
        }
        return List.copyOf(out);
    }

    private Ledger indexed(String account, Ledger ledger) {
        ledgersByAccount.computeIfAbsent(account, a -> new ArrayList<>()).add(ledger);
        return ledger;
    }

    public synchronized boolean isReported(Position position) {
        return !position.isFlat() || reportClosedAsZero;
    }

    /** Every execution recorded, corrections included, in the order they happened. */
    public synchronized List<Execution> executions() {
        return List.copyOf(executions);
    }

    public synchronized Optional<Execution> execution(String execId) {
        return executions.stream().filter(e -> e.execId().equals(execId)).findFirst();
    }

    /** The {@code updatePortfolio} lines of one account: its reported positions at market. */
    public synchronized List<PortfolioEntry> portfolio(String account) {
        List<PortfolioEntry> out = new ArrayList<>();
        for (Position position : positions(account)) {
            out.add(portfolioEntry(position));
        }
        return out;
    }

    /** One position valued at the current market price. */
    public synchronized PortfolioEntry portfolioEntry(Position position) {
        Instrument instrument = requireInstrument(position.conId());
        BigDecimal skew = dailyRealizedSkews.get(new HoldingKey(position.account(), position.conId()));
        if (skew != null) {
            position = new Position(position.account(), position.conId(), position.quantity(), position.avgCost(),
                    position.realizedPnlToday().add(skew));
        }
        BigDecimal price = prices.get(position.conId());
        if (price == null) {
            return new PortfolioEntry(position, instrument, null, null, null);
        }
        BigDecimal marketValue = position.quantity().multiply(price).multiply(instrument.effectiveMultiplier());
        BigDecimal unrealized = marketValue.subtract(position.quantity().multiply(position.avgCost()));
        return new PortfolioEntry(position, instrument, price, AverageCost.normalize(marketValue),
                AverageCost.normalize(unrealized));
    }

    /**
     * The {@code updateAccountValue} lines of one account, money in its base currency, then one
     * {@code ExchangeRate} line per currency with a rate (base currency per unit; the base currency itself 1).
     */
    public synchronized List<AccountValue> accountValues(String account) {
        BigDecimal cashBalance = cash(account);
        BigDecimal positionsValue = BigDecimal.ZERO;
        BigDecimal gross = BigDecimal.ZERO;
        BigDecimal unrealized = BigDecimal.ZERO;
        BigDecimal realized = BigDecimal.ZERO;
        for (PortfolioEntry entry : portfolio(account)) {
            String currency = entry.instrument().currency();
            BigDecimal value = toBase(entry.marketValue() != null ? entry.marketValue()
                    : entry.position().quantity().multiply(entry.position().avgCost()), currency);
            positionsValue = positionsValue.add(value);
            gross = gross.add(value.abs());
            if (entry.unrealizedPnl() != null) {
                unrealized = unrealized.add(toBase(entry.unrealizedPnl(), currency));
            }
            realized = realized.add(toBase(entry.position().realizedPnlToday(), currency));
        }
        List<AccountValue> values = new ArrayList<>(List.of(
                new AccountValue("AccountCode", account, ""),
                new AccountValue("NetLiquidation", money(cashBalance.add(positionsValue)), baseCurrency),
                new AccountValue("TotalCashValue", money(cashBalance), baseCurrency),
                new AccountValue("GrossPositionValue", money(gross), baseCurrency),
                new AccountValue("UnrealizedPnL", money(unrealized), baseCurrency),
                new AccountValue("RealizedPnL", money(realized), baseCurrency)));
        values.add(new AccountValue("ExchangeRate", money(BigDecimal.ONE), baseCurrency));
        for (Map.Entry<String, BigDecimal> rate : exchangeRates.entrySet()) {
            if (!rate.getKey().equals(baseCurrency)) {
                values.add(new AccountValue("ExchangeRate", AverageCost.normalize(rate.getValue()).toPlainString(),
                        rate.getKey()));
            }
        }
        return values;
    }

    /** Runs {@code action} with the state locked: a consistent read plus whatever must not interleave with changes. */
    synchronized <T> T withLock(Supplier<T> action) {
        return action.get();
    }

    // ------------------------------------------------------------------ internals

    /** An amount in {@code currency} in the base currency; a currency without a rate counts 1:1. */
    private BigDecimal toBase(BigDecimal amount, String currency) {
        return amount.multiply(exchangeRate(currency).orElse(BigDecimal.ONE));
    }

    /** {@code amount} in {@code from} expressed in {@code to}: {@code amount * rate(from) / rate(to)}. */
    private BigDecimal inCurrency(BigDecimal amount, String from, String to) {
        if (from.equals(to) || amount.signum() == 0) {
            return amount;
        }
        BigDecimal fromRate = exchangeRate(from).orElseThrow(() -> new IllegalArgumentException(
                "no exchange rate for " + from + " (a commission in " + from + " on a " + to + " instrument)"));
        BigDecimal toRate = exchangeRate(to).orElseThrow(() -> new IllegalArgumentException(
                "no exchange rate for " + to + " (a commission in " + from + " on a " + to + " instrument)"));
        return AverageCost.divide(amount.multiply(fromRate), toRate);
    }

    private static String money(BigDecimal value) {
        return value.setScale(MONEY_SCALE, RoundingMode.HALF_EVEN).toPlainString();
    }

    private void requireAccount(String account) {
        if (!cash.containsKey(account)) {
            throw new IllegalArgumentException("unknown account '" + account + "' (known: " + cash.keySet() + ")");
        }
    }

    private Instrument requireInstrument(long conId) {
        Instrument instrument = instruments.get(conId);
        if (instrument == null) {
            throw new IllegalArgumentException("unknown instrument conId " + conId);
        }
        return instrument;
    }

    private void notifyExecution(Execution execution) {
        for (StateListener listener : listeners) {
            listener.executionReported(execution);
        }
    }

    private void notifyPosition(Position position, Instrument instrument) {
        for (StateListener listener : listeners) {
            listener.positionChanged(position, instrument);
        }
    }

    private static String venue(Instrument instrument) {
        return instrument.primaryExchange().isEmpty() ? instrument.exchange() : instrument.primaryExchange();
    }

    /** Cash received (+) or paid (-) for the notional of a fill, before commission. */
    private static BigDecimal cashFlow(Instrument instrument, Side side, BigDecimal shares, BigDecimal price) {
        BigDecimal notional = shares.multiply(price).multiply(instrument.effectiveMultiplier());
        return side == Side.BOT ? notional.negate() : notional;
    }

    private static AverageCost.Outcome fill(Position before, Instrument instrument, Side side, BigDecimal shares,
            BigDecimal price, BigDecimal commission) {
        return AverageCost.apply(before.quantity(), before.avgCost(), instrument.effectiveMultiplier(), side, shares,
                price, commission);
    }

    private static Position next(Position before, AverageCost.Outcome outcome) {
        BigDecimal realized = outcome.realized() == null ? before.realizedPnlToday()
                : before.realizedPnlToday().add(outcome.realized());
        return new Position(before.account(), before.conId(), outcome.quantity(), outcome.avgCost(), realized);
    }

    private static Execution withRealized(Execution e, BigDecimal realized) {
        CommissionReport report = e.commissionReport();
        return new Execution(e.execId(), e.account(), e.conId(), e.side(), e.shares(), e.price(), e.time(),
                e.orderId(), e.permId(), e.clientId(), e.exchange(), e.cumQty(), e.avgPrice(),
                new CommissionReport(report.execId(), report.commission(), report.currency(), realized));
    }

    /** A fill as a ledger applies it: the execution and its commission in the position's currency. */
    private record Applied(Execution execution, BigDecimal positionCommission) {
    }

    /** One (account, conId): where it stood at the last reset and the fills applied since, latest revisions. */
    private static final class Ledger {
        Position opening;
        Position current;
        final List<Applied> applied = new ArrayList<>();

        Ledger() {
        }

        Ledger(Position opening) {
            reset(opening);
        }

        void reset(Position position) {
            opening = position;
            current = position;
            applied.clear();
        }

        /**
         * A new trading day: the day's realized P&L becomes {@code today}. The opening carries the offset, so a
         * later replay (a correction) keeps the new day's figure.
         */
        void startDay(BigDecimal today) {
            BigDecimal offset = today.subtract(current.realizedPnlToday());
            opening = new Position(opening.account(), opening.conId(), opening.quantity(), opening.avgCost(),
                    opening.realizedPnlToday().add(offset));
            current = new Position(current.account(), current.conId(), current.quantity(), current.avgCost(), today);
        }

        /** Recomputes {@link #current} from the opening and the applied fills; returns fill {@code index}'s realized P&L. */
        BigDecimal replay(Instrument instrument, int index) {
            Position position = opening;
            BigDecimal realizedAtIndex = null;
            for (int i = 0; i < applied.size(); i++) {
                Execution e = applied.get(i).execution();
                AverageCost.Outcome outcome = fill(position, instrument, e.side(), e.shares(), e.price(),
                        applied.get(i).positionCommission());
                if (i == index) {
                    realizedAtIndex = outcome.realized();
                }
                position = next(position, outcome);
            }
            current = position;
            return realizedAtIndex;
        }
    }

    /** One account's holding of one contract. */
    private record HoldingKey(String account, long conId) {
    }

    /** The simulator writes execution ids as {@code <base>.<nn>}, {@code nn} counting its corrections. */
    private static final java.util.regex.Pattern EXEC_ID = java.util.regex.Pattern.compile("(.+)\\.(\\d{1,9})");

    private static String execIdBase(String execId) {
        java.util.regex.Matcher m = EXEC_ID.matcher(execId);
        return m.matches() ? m.group(1) : execId;
    }

    private static int execIdRevision(String execId) {
        java.util.regex.Matcher m = EXEC_ID.matcher(execId);
        return m.matches() ? Integer.parseInt(m.group(2)) : 0;
    }
}

package io.positionsync.api;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.positionsync.store.BreakRepository;
import io.positionsync.store.CurrencyPnl;
import io.positionsync.store.PnlSummary;
import io.positionsync.store.PortfolioSummary;
import io.positionsync.store.PositionRepository;
import io.positionsync.sync.RealizedPnlSource;

/**
 * The meters whose values live in the database (Prometheus names):
 * <ul>
 * <li>{@code psync_database_up}: 1 when the last read answered within the timeout;</li>
 * <li>{@code psync_positions_open{account}}, {@code psync_realized_pnl{account}} (all rows) and
 * {@code psync_unrealized_pnl{account}} (open rows), in the account's currency as stored;</li>
 * <li>{@code psync_breaks_open{kind}}: open reconciliation breaks, every known kind present;</li>
 * <li>{@code psync_realized_pnl_positions{source}}: rows with a realized P&L by {@code realized_pnl_source};</li>
 * <li>{@code psync_realized_pnl_estimated_ratio}: the share of realized P&L that is an estimate, defined as rows
 * whose realized P&L is {@code MARKET_PRICE} / rows with a realized P&L (0 to 1; NaN while none has one). It counts
 * rows rather than summing amounts because the amounts are in each row's own currency.</li>
 * </ul>
 * A scrape reads every gauge in a row, so the figures are read together, at most once per {@code cacheFor}, on
 * a thread of their own: a scrape waits at most {@code timeout} for them. When the database does not answer in
 * time (or fails), {@code psync_database_up} is 0 and the other gauges are NaN (unknown, not zero) until it
 * answers again; once a wait for a read ran out, no gauge waits for that read again, so a scrape never takes
 * much longer than one {@code timeout}. Accounts get their gauges when first seen (their number is bounded by the
 * managed accounts); {@link #refresh} after each run finds them before a scrape asks.
 */
public final class DatabaseMetrics implements AutoCloseable {
    /** The break kinds the schema allows (V7); each has a series from the start. */
    public static final List<String> BREAK_KINDS = List.of("REALIZED_PNL_MISMATCH", "UNEXPLAINED_QUANTITY",
            "AVERAGE_MISMATCH", "COMMISSION_PENDING", "FX_RATE_MISSING");

    private static final Logger LOG = LoggerFactory.getLogger(DatabaseMetrics.class);

    /** One read of the figures; everything but {@code up} is null when the database did not answer. */
    record Figures(boolean up, Map<String, PnlSummary> accounts, Map<String, Long> breaksByKind,
            Map<RealizedPnlSource, Long> realizedBySource) {

        static final Figures UNKNOWN = new Figures(false, null, null, null);
    }

    private final MeterRegistry registry;
    private final PositionRepository positions;
    private final BreakRepository breaks;
    private final Duration cacheFor;
    private final Duration timeout;
    private final Clock clock;
    /** How long {@link #close} waits for a read in flight (reads are bounded by the statement timeout). */
    private static final long CLOSE_WAIT_SECONDS = 10;

    private final ExecutorService reader = Executors.newSingleThreadExecutor(r -> {
        Thread thread = new Thread(r, "psync-metrics-db");
        thread.setDaemon(true);
        return thread;
    });
    private final Set<String> accountsSeen = ConcurrentHashMap.newKeySet();
    private final Set<String> accountCurrenciesSeen = ConcurrentHashMap.newKeySet();
    private final Set<String> breakKindsSeen = ConcurrentHashMap.newKeySet();
    private final AtomicLong reads = new AtomicLong();

    private Figures current = Figures.UNKNOWN;
    private Instant lastAttempt;
    private CompletableFuture<Figures> pending;
    private CompletableFuture<Figures> gaveUpOn;

    /**
     * @param cacheFor how long one read serves the gauges
     * @param timeout  longest a scrape waits for a read
     */
    public DatabaseMetrics(MeterRegistry registry, PositionRepository positions, BreakRepository breaks,
            Duration cacheFor, Duration timeout, Clock clock) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.positions = Objects.requireNonNull(positions, "positions");
        this.breaks = Objects.requireNonNull(breaks, "breaks");
        this.cacheFor = Objects.requireNonNull(cacheFor, "cacheFor");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.clock = Objects.requireNonNull(clock, "clock");

        gauge("psync.database.up", "1 when the database answered the metrics' last read in time",
                f -> f.up() ? 1 : 0);
        for (String kind : BREAK_KINDS) {
            breakGauge(kind);
        }
        for (RealizedPnlSource source : RealizedPnlSource.values()) {
            Gauge.builder("psync.realized.pnl.positions", this,
                    m -> known(m.figures(), f -> f.realizedBySource().getOrDefault(source, 0L)))
                    .tag("source", source.name())
                    .description("Position rows with a realized P&L, by where it came from")
                    .strongReference(true)
                    .register(registry);
        }
        gauge("psync.realized.pnl.estimated.ratio",
                "Share of position rows with a realized P&L whose P&L is a market-price estimate (MARKET_PRICE)",
                figures -> known(figures, f -> {
                    long estimated = f.realizedBySource().getOrDefault(RealizedPnlSource.MARKET_PRICE, 0L);
                    long all = f.realizedBySource().values().stream().mapToLong(Long::longValue).sum();
                    return all == 0 ? Double.NaN : (double) estimated / all;
                }));
    }

    /** How many times the figures were read from the database. */
    long reads() {
        return reads.get();
    }

    /**
     * Reads the figures again in the background (joining a read under way), e.g. after a run changed them, so
     * that the next scrape finds them fresh and new accounts already have their series. Does not wait.
     */
    public synchronized void refresh() {
        lastAttempt = clock.instant();
        if (pending == null || pending.isDone()) {
            pending = CompletableFuture.supplyAsync(this::read, reader);
        }
    }

    /**
     * The figures for a gauge: the cached ones, or those of the read under way (started here when the cached ones
     * are older than {@code cacheFor}), waited for at most {@code timeout} once per read: after one wait ran out,
     * the gauges answer "unknown" at once until the read ends.
     */
    Figures figures() {
        CompletableFuture<Figures> read;
        synchronized (this) {
            Instant now = clock.instant();
            if (lastAttempt == null || Duration.between(lastAttempt, now).compareTo(cacheFor) >= 0) {
                lastAttempt = now;
                if (pending == null || pending.isDone()) {
                    pending = CompletableFuture.supplyAsync(this::read, reader);
                }
            }
            read = pending;
            if (read == null || read.isDone() || read == gaveUpOn) {
                return current;
            }
        }
        try {
            return read.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) { // read() answers rather than throws: only a timeout here
            LOG.debug("metrics: the database did not answer within {} ms", timeout.toMillis());
            return giveUp(read);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return giveUp(read);
        }
    }

    /** Marks the figures unknown unless the read answered meanwhile, and waits no more for it. */
    private synchronized Figures giveUp(CompletableFuture<Figures> read) {
        gaveUpOn = read;
        if (!read.isDone()) {
            current = Figures.UNKNOWN;
        }
        return current;
    }

    private Figures read() {
        reads.incrementAndGet();
        Figures figures;
        try {
            PortfolioSummary summary = positions.summary();
            Map<String, PnlSummary> accounts = new TreeMap<>();
            for (PnlSummary account : summary.accounts()) {
                accounts.put(account.account(), account);
            }
            figures = new Figures(true, accounts, breaks.openCountsByKind(), positions.realizedPnlCountsBySource());
        } catch (SQLException | RuntimeException e) {
            LOG.debug("metrics: database figures not read: {}", e.toString());
            figures = Figures.UNKNOWN;
        }
        synchronized (this) {
            current = figures;
        }
        if (figures.up()) {
            figures.accounts().values().forEach(this::accountGauges);
            figures.breaksByKind().keySet().forEach(this::breakGauge); // a kind added after V7
        }
        return figures;
    }

    private void accountGauges(PnlSummary summary) {
        String account = summary.account();
        if (accountsSeen.add(account)) {
            Gauge.builder("psync.positions.open", this, m -> known(m.figures(), f -> {
                        PnlSummary now = f.accounts().get(account);
                        return now == null ? 0 : now.openCount(); // every row gone: nothing open
                    }))
                    .tag("account", account)
                    .description("Open position lifecycles stored")
                    .strongReference(true)
                    .register(registry);
        }
        // amounts of different currencies never add up: one series per account and currency
        for (CurrencyPnl pnl : summary.byCurrency()) {
            if (accountCurrenciesSeen.add(account + "/" + pnl.currency())) {
                currencyGauge("psync.realized.pnl", account, pnl.currency(), "Realized P&L of all position rows",
                        CurrencyPnl::realizedPnl);
                currencyGauge("psync.unrealized.pnl", account, pnl.currency(), "Unrealized P&L of open positions",
                        CurrencyPnl::unrealizedPnl);
            }
        }
    }

    private void currencyGauge(String name, String account, String currency, String description,
            java.util.function.Function<CurrencyPnl, java.math.BigDecimal> value) {
        Gauge.builder(name, this, m -> known(m.figures(), f -> {
                    PnlSummary summary = f.accounts().get(account);
                    if (summary == null) {
                        return 0;
                    }
                    return summary.byCurrency().stream().filter(c -> c.currency().equals(currency)).findFirst()
                            .map(c -> value.apply(c).doubleValue()).orElse(0.0);
                }))
                .tag("account", account)
                .tag("currency", currency)
                .description(description + " (in the currency of the label)")
                .strongReference(true)
                .register(registry);
    }

    private void breakGauge(String kind) {
        if (!breakKindsSeen.add(kind)) {
            return;
        }
        Gauge.builder("psync.breaks.open", this, m -> known(m.figures(), f -> f.breaksByKind().getOrDefault(kind, 0L)))
                .tag("kind", kind)
                .description("Open reconciliation breaks by kind")
                .strongReference(true)
                .register(registry);
    }

    private void gauge(String name, String description, ToDoubleFunction<Figures> value) {
        Gauge.builder(name, this, m -> value.applyAsDouble(m.figures()))
                .description(description)
                .strongReference(true)
                .register(registry);
    }

    private static double known(Figures figures, ToDoubleFunction<Figures> value) {
        return figures.up() ? value.applyAsDouble(figures) : Double.NaN;
    }

    /** Stops the reader and waits for a read in flight, so nothing queries a database being shut down. */
    @Override
    public void close() {
        reader.shutdownNow();
        try {
            if (!reader.awaitTermination(CLOSE_WAIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS)) {
                LOG.warn("metrics: a database read was still running {} s after close", CLOSE_WAIT_SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

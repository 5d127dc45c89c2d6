package io.positionsync.api;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

import io.positionsync.ibkr.ConnectionState;
import io.positionsync.ibkr.ConnectionStatus;
import com.fasterxml.jackson.annotation.JsonInclude;

import io.positionsync.store.BaseCurrencyTotal;
import io.positionsync.store.CurrencyPnl;
import io.positionsync.store.PnlSummary;
import io.positionsync.store.PortfolioSummary;
import io.positionsync.store.AccountRepository;
import io.positionsync.store.PositionRepository;
import io.positionsync.store.SyncRun;
import io.positionsync.store.SyncRunRepository;

/**
 * {@code GET /api/portfolio/summary}: P&L and win rate per account and overall, always from PostgreSQL (so it
 * keeps answering while the gateway is unreachable), saying whether those figures are the broker's live
 * values ({@code LIVE}: the last successful sync is fresh and the gateway is UP) or the last ones stored
 * ({@code DATABASE}: any other case, e.g. while the gateway is down).
 */
public final class PortfolioApi {
    /** The figures mirror the broker as of a fresh sync over a working connection. */
    public static final String LIVE = "LIVE";
    /** The figures are the last ones stored; the broker may have moved since. */
    public static final String DATABASE = "DATABASE";

    private final PositionRepository positions;
    private final AccountRepository accounts;
    private final SyncRunRepository runs;
    private final Supplier<ConnectionStatus> gateway;
    private final ApiSettings settings;
    private final Clock clock;

    public PortfolioApi(PositionRepository positions, SyncRunRepository runs, Supplier<ConnectionStatus> gateway,
            ApiSettings settings, Clock clock) {
        this(positions, runs, null, gateway, settings, clock);
    }

    /** @param accounts the last exchange rates per account, for base-currency totals ({@code null}: none) */
    public PortfolioApi(PositionRepository positions, SyncRunRepository runs, AccountRepository accounts,
            Supplier<ConnectionStatus> gateway, ApiSettings settings, Clock clock) {
        this.accounts = accounts;
        this.positions = Objects.requireNonNull(positions, "positions");
        this.runs = Objects.requireNonNull(runs, "runs");
        this.gateway = Objects.requireNonNull(gateway, "gateway");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The answer of {@code GET /api/portfolio/summary}. */
    public record SummaryView(String source, String sourceReason, Instant lastSyncedAt, String gatewayState,
            String winRateDefinition, String totalPnlDefinition, PnlView overall, List<PnlView> accounts,
            List<BaseTotalView> baseTotals, List<PnlView> orphaned) {
    }

    /** P&amp;L and win rate of one account ({@code account} absent for the overall figures). */
    public record PnlView(@JsonInclude(JsonInclude.Include.NON_NULL) String account, BigDecimal totalPnl,
            BigDecimal realizedPnl, BigDecimal unrealizedPnl, BigDecimal winRate, long wins, long closedWithPnl,
            long openCount, long closedCount, List<String> currencies, List<CurrencyPnlView> byCurrency,
            Instant lastSyncedAt) {
        static PnlView of(PnlSummary s) {
            return new PnlView(s.account(), s.totalPnl(), s.realizedPnl(), s.unrealizedPnl(), s.winRate(), s.wins(),
                    s.closedWithPnl(), s.openCount(), s.closedCount(), List.copyOf(s.currencies()),
                    s.byCurrency().stream().map(CurrencyPnlView::of).toList(), s.lastSyncedAt());
        }
    }

    /** The figures of one currency. */
    public record CurrencyPnlView(String currency, BigDecimal totalPnl, BigDecimal realizedPnl, BigDecimal unrealizedPnl) {
        static CurrencyPnlView of(CurrencyPnl c) {
            return new CurrencyPnlView(c.currency(), c.totalPnl(), c.realizedPnl(), c.unrealizedPnl());
        }
    }

    /** An account's total in its base currency, and the rates that were missing for it. */
    public record BaseTotalView(String account, String baseCurrency, BigDecimal totalPnl, List<String> missingRates) {
        static BaseTotalView of(BaseCurrencyTotal t) {
            return new BaseTotalView(t.account(), t.baseCurrency(), t.totalPnl(), t.missingRates());
        }
    }

    public SummaryView summary() throws SQLException {
        Instant now = clock.instant();
        ConnectionStatus connection = gateway.get();
        PortfolioSummary summary = positions.summary(accounts == null ? Map.of() : accounts.latestRates());
        Instant lastSuccess = runs.lastSuccessful().map(SyncRun::finishedAt).orElse(null);
        Instant lastSyncedAt = lastSuccess != null ? lastSuccess : summary.overall().lastSyncedAt();
        boolean fresh = lastSuccess != null
                && Duration.between(lastSuccess, now).toSeconds() <= settings.staleAmberSeconds();
        boolean live = fresh && connection.state() == ConnectionState.UP;

        return new SummaryView(live ? LIVE : DATABASE,
                live ? "the last sync is fresh and the gateway is UP" : reason(connection.state(), lastSuccess, fresh),
                lastSyncedAt, connection.state().name(), PortfolioSummary.WIN_RATE_DEFINITION,
                PortfolioSummary.TOTAL_PNL_DEFINITION, PnlView.of(summary.overall()),
                summary.accounts().stream().map(PnlView::of).toList(),
                summary.baseTotals().stream().map(BaseTotalView::of).toList(),
                summary.orphaned().stream().map(PnlView::of).toList());
    }

    private String reason(ConnectionState state, Instant lastSuccess, boolean fresh) {
        if (state != ConnectionState.UP) {
            return "the gateway is " + state + ": figures are the last ones stored";
        }
        if (lastSuccess == null) {
            return "no sync has succeeded yet";
        }
        return fresh ? "figures are the last ones stored"
                : "the last successful sync is older than " + settings.staleAmberSeconds() + " s";
    }
}

package io.positionsync.api;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

import io.positionsync.ibkr.ConnectionState;
import io.positionsync.ibkr.ConnectionStatus;
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

    public Map<String, Object> summary() throws SQLException {
        Instant now = clock.instant();
        ConnectionStatus connection = gateway.get();
        PortfolioSummary summary = positions.summary(accounts == null ? Map.of() : accounts.latestRates());
        Instant lastSuccess = runs.lastSuccessful().map(SyncRun::finishedAt).orElse(null);
        Instant lastSyncedAt = lastSuccess != null ? lastSuccess : summary.overall().lastSyncedAt();
        boolean fresh = lastSuccess != null
                && Duration.between(lastSuccess, now).toSeconds() <= settings.staleAmberSeconds();
        boolean live = fresh && connection.state() == ConnectionState.UP;

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("source", live ? LIVE : DATABASE);
        json.put("sourceReason", live ? "the last sync is fresh and the gateway is UP"
                : reason(connection.state(), lastSuccess, fresh));
        json.put("lastSyncedAt", JsonViews.time(lastSyncedAt));
        json.put("gatewayState", connection.state().name());
        json.put("winRateDefinition", PortfolioSummary.WIN_RATE_DEFINITION);
        json.put("totalPnlDefinition", PortfolioSummary.TOTAL_PNL_DEFINITION);
        json.put("overall", JsonViews.pnl(summary.overall()));
        json.put("accounts", summary.accounts().stream().map(JsonViews::pnl).toList());
        json.put("baseTotals", summary.baseTotals().stream().map(JsonViews::baseTotal).toList());
        json.put("orphaned", summary.orphaned().stream().map(JsonViews::pnl).toList());
        return json;
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

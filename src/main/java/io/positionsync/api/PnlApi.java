package io.positionsync.api;

import java.math.BigDecimal;
import java.sql.SQLException;
import java.time.Clock;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import org.apache.camel.Header;

import io.positionsync.store.DailyPnl;
import io.positionsync.store.DailyPnlRepository;
import io.positionsync.sync.RealizedPnlSource;

/**
 * {@code GET /api/pnl/daily?from=&to=&account=}: realized P&L per day of the reporting time zone, account, currency
 * and source from the current fill ledger, with per-currency totals over the range. Execution-backed amounts and estimates
 * ({@code MARKET_PRICE}) stay apart, and amounts of different currencies are never added.
 */
public final class PnlApi {
    /** Without {@code from}: this many days up to {@code to}, both included. */
    static final int DEFAULT_DAYS = 30;
    /** A range longer than this (in days) is refused: a chart of more days is not readable. */
    static final int MAX_DAYS = 366;
    static final String DAY_DEFINITION = "realized P&L counts on the day (in timeZone) of the fill that realized it, "
            + "as the fill ledger holds it now (an estimate: the day of the run that booked it)";

    private final DailyPnlRepository daily;
    private final Clock clock;

    public PnlApi(DailyPnlRepository daily, Clock clock) {
        this.daily = Objects.requireNonNull(daily, "daily");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    public Map<String, Object> daily(@Header("from") Object from, @Header("to") Object to,
            @Header("account") Object account) throws SQLException {
        LocalDate toDay = day("to", to, LocalDate.ofInstant(clock.instant(), daily.zone()));
        LocalDate fromDay = day("from", from, toDay.minusDays(DEFAULT_DAYS - 1L));
        if (fromDay.isAfter(toDay)) {
            throw ApiException.badRequest("parameter 'from' must not be after 'to'");
        }
        if (ChronoUnit.DAYS.between(fromDay, toDay) + 1 > MAX_DAYS) {
            throw ApiException.badRequest("the range from 'from' to 'to' must be at most " + MAX_DAYS + " days");
        }
        String accountValue = QueryParameters.optionalCode("account", account, PositionsApi.ACCOUNT_MAX_LENGTH);

        List<DailyPnl> rows = daily.daily(fromDay, toDay, accountValue);
        Map<String, Map<RealizedPnlSource, BigDecimal>> totals = new TreeMap<>();
        for (DailyPnl row : rows) {
            totals.computeIfAbsent(row.currency(), c -> new TreeMap<>()).merge(row.source(), row.realizedPnl(),
                    BigDecimal::add);
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("from", fromDay.toString());
        json.put("to", toDay.toString());
        json.put("account", accountValue);
        json.put("timeZone", daily.zone().getId());
        json.put("dayDefinition", DAY_DEFINITION);
        json.put("days", rows.stream().map(PnlApi::row).toList());
        json.put("totals", totals.entrySet().stream().map(e -> total(e.getKey(), e.getValue())).toList());
        return json;
    }

    private static Map<String, Object> row(DailyPnl row) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("day", row.day().toString());
        json.put("account", row.account());
        json.put("currency", row.currency());
        json.put("source", row.source().name());
        json.put("realizedPnl", JsonViews.decimal(row.realizedPnl()));
        json.put("changes", row.changes());
        return json;
    }

    private static Map<String, Object> total(String currency, Map<RealizedPnlSource, BigDecimal> bySource) {
        BigDecimal executions = bySource.getOrDefault(RealizedPnlSource.EXECUTIONS, BigDecimal.ZERO);
        BigDecimal estimated = bySource.get(RealizedPnlSource.MARKET_PRICE);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("currency", currency);
        json.put("executions", JsonViews.decimal(executions));
        json.put("estimated", JsonViews.decimal(estimated == null ? BigDecimal.ZERO : estimated));
        json.put("realizedPnl", JsonViews.decimal(estimated == null ? executions : executions.add(estimated)));
        return json;
    }

    static LocalDate day(String name, Object raw, LocalDate defaultValue) {
        if (raw == null || raw.toString().isBlank()) {
            return defaultValue;
        }
        String text = raw.toString().trim();
        if (!text.matches("[0-9]{4}-[0-9]{2}-[0-9]{2}")) {
            throw ApiException.badRequest("parameter '" + name + "' must be a date (YYYY-MM-DD)");
        }
        try {
            return LocalDate.parse(text);
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest("parameter '" + name + "' must be a date (YYYY-MM-DD)");
        }
    }
}

package io.positionsync.api;

import java.math.BigDecimal;
import java.sql.SQLException;
import java.time.Clock;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
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

    /** The answer of {@code GET /api/pnl/daily}. */
    public record DailyView(String from, String to, String account, String timeZone, String dayDefinition,
            List<DayView> days, List<TotalView> totals) {
    }

    /** One day's realized P&amp;L of one account, currency and source, and how many changes made it. */
    public record DayView(LocalDate day, String account, String currency, RealizedPnlSource source,
            BigDecimal realizedPnl, long changes) {
        static DayView of(DailyPnl row) {
            return new DayView(row.day(), row.account(), row.currency(), row.source(), row.realizedPnl(), row.changes());
        }
    }

    /** A currency's total over the range: from executions, estimated, and both. */
    public record TotalView(String currency, BigDecimal executions, BigDecimal estimated, BigDecimal realizedPnl) {
    }

    public DailyView daily(@Header("from") Object from, @Header("to") Object to,
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
        return new DailyView(fromDay.toString(), toDay.toString(), accountValue, daily.zone().getId(), DAY_DEFINITION,
                rows.stream().map(DayView::of).toList(),
                totals.entrySet().stream().map(e -> total(e.getKey(), e.getValue())).toList());
    }

    private static TotalView total(String currency, Map<RealizedPnlSource, BigDecimal> bySource) {
        BigDecimal executions = bySource.getOrDefault(RealizedPnlSource.EXECUTIONS, BigDecimal.ZERO);
        BigDecimal estimated = bySource.get(RealizedPnlSource.MARKET_PRICE);
        return new TotalView(currency, executions, estimated == null ? BigDecimal.ZERO : estimated,
                estimated == null ? executions : executions.add(estimated));
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

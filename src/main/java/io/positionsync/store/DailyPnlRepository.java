package io.positionsync.store;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import javax.sql.DataSource;

import io.positionsync.sync.EntryKind;
import io.positionsync.sync.FillLedger;
import io.positionsync.sync.LedgerEntry;
import io.positionsync.sync.LedgerState;
import io.positionsync.sync.RealizedPnlSource;

/**
 * Realized P&L per day (in the reporting time zone), account, currency and source, read from the current fill
 * ledger: each lifecycle that has an entry in the range is folded over its entries as they are stored now, and what
 * each entry realized counts on the day of that entry (a fill's execution time; an estimate's, the run that booked
 * it; a carried-over balance's, its opening). An estimate replaced by real fills therefore leaves no estimated
 * amount behind, and a late correction changes the day of the fill it corrects, not the day it was learned.
 */
public final class DailyPnlRepository {
    /** Lifecycles with an entry in the range that can realize something; {@code ledger_entries_entry_time_idx}. */
    private static final String LIFECYCLES = """
            SELECT p.id, p.account, p.currency, p.multiplier
            FROM positions p
            WHERE p.id IN (SELECT e.position_id FROM ledger_entries e
                           WHERE e.entry_time >= ? AND e.entry_time < ? AND e.kind <> 'AVERAGE_RESET')
              AND (?::text IS NULL OR p.account = ?)
              AND p.status <> 'VOID'
            ORDER BY p.id
            """;

    private final DataSource dataSource;
    private final ZoneId zone;

    public DailyPnlRepository(DataSource dataSource) {
        this(dataSource, ZoneId.of("UTC"));
    }

    /** Days are those of {@code zone} (the reporting time zone). */
    public DailyPnlRepository(DataSource dataSource, ZoneId zone) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.zone = Objects.requireNonNull(zone, "zone");
    }

    /** The time zone whose days the amounts are counted on. */
    public ZoneId zone() {
        return zone;
    }

    private record Lifecycle(long id, String account, String currency, BigDecimal multiplier) {
    }

    private record Key(LocalDate day, String account, String currency, RealizedPnlSource source) {
    }

    /** Days {@code from} to {@code to}, both included; every account when {@code account} is null. */
    public List<DailyPnl> daily(LocalDate from, LocalDate to, String account) throws SQLException {
        Instant start = from.atStartOfDay(zone).toInstant();
        Instant end = to.plusDays(1).atStartOfDay(zone).toInstant();
        Map<Key, BigDecimal> amounts = new TreeMap<>(Comparator.comparing(Key::day).thenComparing(Key::account)
                .thenComparing(Key::currency).thenComparing(Key::source));
        Map<Key, Long> changes = new TreeMap<>(Comparator.comparing(Key::day).thenComparing(Key::account)
                .thenComparing(Key::currency).thenComparing(Key::source));
        try (Connection connection = dataSource.getConnection()) {
            List<Lifecycle> lifecycles = new ArrayList<>();
            try (PreparedStatement statement = connection.prepareStatement(LIFECYCLES)) {
                statement.setObject(1, start.atOffset(ZoneOffset.UTC));
                statement.setObject(2, end.atOffset(ZoneOffset.UTC));
                statement.setString(3, account);
                statement.setString(4, account);
                try (ResultSet rows = statement.executeQuery()) {
                    while (rows.next()) {
                        lifecycles.add(new Lifecycle(rows.getLong(1), rows.getString(2), rows.getString(3),
                                rows.getBigDecimal(4)));
                    }
                }
            }
            LedgerRepository ledger = new LedgerRepository(1);
            int batch = 1000;
            for (int i = 0; i < lifecycles.size(); i += batch) {
                List<Lifecycle> part = lifecycles.subList(i, Math.min(lifecycles.size(), i + batch));
                Map<Long, List<LedgerEntry>> entries = ledger.entries(connection,
                        part.stream().map(Lifecycle::id).toList());
                for (Lifecycle lifecycle : part) {
                    realized(lifecycle, entries.getOrDefault(lifecycle.id(), List.of()), start, end, amounts, changes);
                }
            }
        }
        List<DailyPnl> days = new ArrayList<>();
        amounts.forEach((key, amount) -> days.add(new DailyPnl(key.day(), key.account(), key.currency(), key.source(),
                FillLedger.stored(amount), changes.get(key))));
        return days;
    }

    /** What each entry of one lifecycle in the range realized, added to its day. */
    private void realized(Lifecycle lifecycle, List<LedgerEntry> entries, Instant start, Instant end,
            Map<Key, BigDecimal> amounts, Map<Key, Long> changes) {
        LedgerState state = LedgerState.FLAT;
        for (LedgerEntry entry : entries) {
            LedgerState next = FillLedger.apply(state, entry, lifecycle.multiplier());
            BigDecimal delta = next.realized().subtract(state.realized());
            boolean realizes = entry.kind() == EntryKind.OPENING_BALANCE ? entry.realizedOpening() != null
                    : entry.isTrade() && FillLedger.reduces(state, entry);
            // An estimate, a carried-over estimate, or a reduction of what an estimate priced (the state before
            // already carried an estimate): the amount is not backed by executions alone.
            boolean estimated = entry.kind() == EntryKind.OPENING_BALANCE ? entry.openingEstimated()
                    : entry.kind() == EntryKind.ESTIMATE || state.estimated();
            state = next;
            Instant time = entry.time();
            if (!realizes || time == null || time.isBefore(start) || !time.isBefore(end)) {
                continue;
            }
            Key key = new Key(LocalDate.ofInstant(time, zone), lifecycle.account(), lifecycle.currency(),
                    estimated ? RealizedPnlSource.MARKET_PRICE : RealizedPnlSource.EXECUTIONS);
            amounts.merge(key, delta, BigDecimal::add);
            changes.merge(key, 1L, Long::sum);
        }
    }
}

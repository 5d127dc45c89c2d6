package io.positionsync.store;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import javax.sql.DataSource;

import io.positionsync.sync.ExchangeRate;

/**
 * The {@code accounts} the service has synced (first sight, last reported) and the {@code exchange_rates}
 * each run saw.
 */
public final class AccountRepository {
    private final DataSource dataSource;

    public AccountRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Accounts synced before (their positions are not opening balances any more). */
    public Set<String> known(Connection connection) throws SQLException {
        return firstSeen(connection).keySet();
    }

    /** When each account synced before was first seen: fills older than that are in its opening balances. */
    public Map<String, Instant> firstSeen(Connection connection) throws SQLException {
        Map<String, Instant> accounts = new java.util.HashMap<>();
        try (PreparedStatement statement = connection.prepareStatement("SELECT account, first_seen_at FROM accounts");
                ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                accounts.put(rows.getString(1), Jdbc.instant(rows, "first_seen_at"));
            }
        }
        return accounts;
    }

    /** The run saw {@code accounts}: new ones are recorded with this run as their first, all as last reported. */
    public void reported(Connection connection, long runId, Collection<String> accounts, Instant at)
            throws SQLException {
        List<Object[]> rows = new ArrayList<>();
        for (String account : accounts) {
            rows.add(new Object[] {account});
        }
        ArrayColumns.executeChunked(connection, """
                INSERT INTO accounts (account, first_run_id, first_seen_at, last_reported_run_id, last_reported_at)
                SELECT u.account, ?, ?, ?, ? FROM unnest(?::text[]) AS u(account)
                ON CONFLICT (account) DO UPDATE SET last_reported_run_id = excluded.last_reported_run_id,
                                                    last_reported_at = excluded.last_reported_at
                """, 1, 5000, rows, runId, at, runId, at);
    }

    /** Stores the run's exchange rates. */
    public void saveRates(Connection connection, long runId, Collection<ExchangeRate> rates) throws SQLException {
        List<Object[]> rows = new ArrayList<>();
        for (ExchangeRate rate : rates) {
            rows.add(new Object[] {rate.account(), rate.currency(), rate.rate()});
        }
        ArrayColumns.executeChunked(connection, """
                INSERT INTO exchange_rates (run_id, account, currency, rate)
                SELECT ?, u.account, u.currency, u.rate FROM unnest(?::text[], ?::text[], ?::numeric[])
                    AS u(account, currency, rate)
                ON CONFLICT DO NOTHING
                """, 3, 5000, rows, runId);
    }

    /** The latest rates of each account (from the last run that stored any for it): account -> currency -> rate. */
    public Map<String, Map<String, BigDecimal>> latestRates() throws SQLException {
        Map<String, Map<String, BigDecimal>> rates = new LinkedHashMap<>();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement("""
                        SELECT r.account, r.currency, r.rate
                        FROM exchange_rates r
                        JOIN (SELECT account, max(run_id) AS run_id FROM exchange_rates GROUP BY account) l
                          ON l.account = r.account AND l.run_id = r.run_id
                        ORDER BY r.account, r.currency
                        """);
                ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                rates.computeIfAbsent(rows.getString(1), a -> new TreeMap<>()).put(rows.getString(2), rows.getBigDecimal(3));
            }
        }
        return rates;
    }

    /** When each account was last reported by a complete snapshot. */
    public Map<String, Instant> lastReported() throws SQLException {
        Map<String, Instant> reported = new TreeMap<>();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(
                        "SELECT account, last_reported_at FROM accounts");
                ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                reported.put(rows.getString(1), Jdbc.instant(rows, "last_reported_at"));
            }
        }
        return reported;
    }
}

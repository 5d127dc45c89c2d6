package io.positionsync.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import javax.sql.DataSource;

/**
 * Removes one account's rows and their history (its positions with their history and ledger entries, its
 * executions, reconciliation breaks and exchange rates, the gateways' claims on it, its {@code accounts} row), all in
 * one transaction, e.g. the demo positions that once landed in a real database. Sync runs are shared by all accounts and stay.
 *
 * <p>{@link #SCOPE} lists each table with the predicate that selects the account's rows, in delete order
 * (rows that others reference last): a new table holding per-account rows is one more line there.
 */
public final class AccountPurge {

    /** A table and the predicate selecting the account's rows; the predicate binds the account once. */
    record Scope(String table, String predicate) {
    }

    static final List<Scope> SCOPE = List.of(
            new Scope("position_history", "position_id IN (SELECT id FROM positions WHERE account = ?)"),
            new Scope("ledger_entries", "position_id IN (SELECT id FROM positions WHERE account = ?)"),
            new Scope("reconciliation_breaks", "account = ?"),
            new Scope("exchange_rates", "account = ?"),
            new Scope("executions", "account = ?"),
            new Scope("positions", "account = ?"),
            new Scope("gateway_accounts", "account = ?"),
            new Scope("accounts", "account = ?"));

    private final DataSource dataSource;

    public AccountPurge(DataSource dataSource) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /** Rows per table that {@link #purge} would remove (table -> count, in delete order); changes nothing. */
    public Map<String, Long> count(String account) throws SQLException {
        Map<String, Long> counts = new LinkedHashMap<>();
        try (Connection connection = dataSource.getConnection()) {
            for (Scope scope : SCOPE) {
                try (PreparedStatement statement = connection.prepareStatement(
                        "SELECT count(*) FROM " + scope.table() + " WHERE " + scope.predicate())) {
                    statement.setString(1, account);
                    try (ResultSet rows = statement.executeQuery()) {
                        rows.next();
                        counts.put(scope.table(), rows.getLong(1));
                    }
                }
            }
        }
        return counts;
    }

    /**
     * Removes the account's rows from every table of {@link #SCOPE} in one transaction, holding the sync run
     * lock so that no run writes the account meanwhile. Returns the rows removed per table.
     */
    public Map<String, Long> purge(String account) throws SQLException {
        Map<String, Long> removed = new LinkedHashMap<>();
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                new SyncRunRepository(dataSource).lockForRun(connection);
                for (Scope scope : SCOPE) {
                    try (PreparedStatement statement = connection.prepareStatement(
                            "DELETE FROM " + scope.table() + " WHERE " + scope.predicate())) {
                        statement.setString(1, account);
                        removed.put(scope.table(), (long) statement.executeUpdate());
                    }
                }
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(true);
            }
        }
        return removed;
    }

    /** The accounts the database knows, for telling a typo from an empty account. */
    public List<String> accounts() throws SQLException {
        List<String> accounts = new ArrayList<>();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(
                        "SELECT account FROM accounts UNION SELECT account FROM positions UNION SELECT account FROM executions "
                                + "ORDER BY 1");
                ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                accounts.add(rows.getString(1));
            }
        }
        return accounts;
    }
}

package io.positionsync.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/** Empties every table of a test schema between tests. */
final class StoreTables {
    private StoreTables() {
    }

    static void truncate(TestDatabase db) throws SQLException {
        try (Connection connection = db.connection(); Statement statement = connection.createStatement()) {
            statement.execute("TRUNCATE ledger_entries, exchange_rates, accounts, position_history, reconciliation_breaks, executions, positions, sync_runs, gateway_owners, gateway_accounts, sync_requests "
                    + "RESTART IDENTITY");
        }
    }

    static long count(TestDatabase db, String sqlFromWhere) throws SQLException {
        try (Connection connection = db.connection(); Statement statement = connection.createStatement();
                var rows = statement.executeQuery("SELECT count(*) " + sqlFromWhere)) {
            rows.next();
            return rows.getLong(1);
        }
    }
}

package io.positionsync.api;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;

import io.positionsync.store.TestDatabase;

/**
 * Rows of other gateways, written straight into the database as their owners (other instances) would have written
 * them: an owner in {@code gateway_owners}, finished runs in {@code sync_runs}. {@link #remove} takes them away again.
 */
final class GatewayRows {
    private GatewayRows() {
    }

    /** {@code liveSince} null: its owner's live connection is not up. */
    static void owner(TestDatabase db, String gateway, long epoch, String owner, Instant ownedSince, Instant liveSince)
            throws SQLException {
        try (Connection connection = db.connection(); PreparedStatement statement = connection.prepareStatement(
                "INSERT INTO gateway_owners (gateway, epoch, owner, owned_since, live_since) VALUES (?, ?, ?, ?, ?)")) {
            statement.setString(1, gateway);
            statement.setLong(2, epoch);
            statement.setString(3, owner);
            statement.setObject(4, time(ownedSince), Types.TIMESTAMP_WITH_TIMEZONE);
            statement.setObject(5, time(liveSince), Types.TIMESTAMP_WITH_TIMEZONE);
            statement.executeUpdate();
        }
    }

    /** A finished TIMER run of {@code gateway} that took a second; {@code accounts} null: every account. Its id. */
    static long run(TestDatabase db, String gateway, String instance, String status, Instant finishedAt,
            List<String> accounts) throws SQLException {
        try (Connection connection = db.connection(); PreparedStatement statement = connection.prepareStatement(
                "INSERT INTO sync_runs (trigger, status, started_at, finished_at, duration_ms, gateway, instance, epoch, "
                        + "accounts, error) VALUES ('TIMER', ?, ?, ?, 1000, ?, ?, 1, ?, ?) RETURNING id")) {
            statement.setString(1, status);
            statement.setObject(2, time(finishedAt.minusSeconds(1)), Types.TIMESTAMP_WITH_TIMEZONE);
            statement.setObject(3, time(finishedAt), Types.TIMESTAMP_WITH_TIMEZONE);
            statement.setString(4, gateway);
            statement.setString(5, instance);
            statement.setArray(6, accounts == null ? null : connection.createArrayOf("text", accounts.toArray()));
            statement.setString(7, "SUCCEEDED".equals(status) ? null : "gateway " + gateway + " answered nothing");
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    /** Every row of these gateways, owners and runs. */
    static void remove(TestDatabase db, String... gateways) throws SQLException {
        try (Connection connection = db.connection()) {
            for (String table : new String[] {"gateway_owners", "sync_runs"}) {
                try (PreparedStatement statement = connection.prepareStatement(
                        "DELETE FROM " + table + " WHERE gateway = ANY (?)")) {
                    statement.setArray(1, connection.createArrayOf("text", gateways));
                    statement.executeUpdate();
                }
            }
        }
    }

    private static OffsetDateTime time(Instant instant) {
        return instant == null ? null : OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }
}

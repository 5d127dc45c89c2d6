package io.positionsync.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

import javax.sql.DataSource;

import io.positionsync.sync.AccountClaims;

/**
 * The accounts each gateway reported in its last complete snapshot ({@code gateway_accounts}), and the claim a run
 * makes on them before it reads the stored state: an account two gateways report is reconciled by neither (see
 * {@link AccountClaims}).
 *
 * <p>Every claim is one short transaction of its own under a transaction-scoped advisory lock common to every
 * gateway of the schema, so two gateways claiming at once are serialized: the second sees the first's rows.
 */
public final class GatewayAccounts {
    /** First half of the two-part advisory lock key: "pacc" in ASCII; the second half is the schema's hash. */
    static final int CLAIM_LOCK_CLASS = 0x70616363;
    private static final String LOCK = "SELECT pg_advisory_xact_lock(?, hashtext(coalesce(current_schema(), '')))";

    private final DataSource dataSource;

    public GatewayAccounts(DataSource dataSource) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /**
     * Drops the claims of every gateway not in {@code configured} (one renamed or removed from PSYNC_GATEWAYS, or the
     * {@code default} gateway of a service that now names its gateways): no run of such a gateway will ever release
     * them, and an account they hold would stay in conflict for good. Called at start-up; returns how many went.
     */
    public int forgetAllBut(Collection<String> configured) throws SQLException {
        return underClaimLock(connection -> {
            try (PreparedStatement statement = connection.prepareStatement(
                    "DELETE FROM gateway_accounts WHERE gateway <> ALL (?::text[])")) {
                statement.setArray(1, connection.createArrayOf("text", configured.toArray(new String[0])));
                return statement.executeUpdate();
            }
        });
    }

    /**
     * Records that {@code gateway}'s run {@code runId} saw {@code accounts} in a complete snapshot taken at
     * {@code at} (new rows first seen then, every row last seen then by that run); for a run of every account
     * ({@code everyAccount}) also drops the gateway's rows of accounts it no longer reports (a run of some accounts
     * says nothing of the others and drops nothing). Returns the accounts of {@code accounts} another gateway holds a
     * row for, with those gateways, and the dropped accounts no two gateways hold any more. Committed before it
     * returns.
     */
    public AccountClaims claim(String gateway, long runId, Collection<String> accounts, boolean everyAccount,
            Instant at) throws SQLException {
        Objects.requireNonNull(gateway, "gateway");
        Objects.requireNonNull(at, "at");
        String[] reported = new LinkedHashSet<>(accounts).toArray(new String[0]);
        return underClaimLock(connection -> {
            upsert(connection, gateway, runId, reported, at);
            Set<String> released = everyAccount ? release(connection, gateway, reported) : Set.of();
            Map<String, SortedSet<String>> conflicting = othersHolding(connection, gateway, reported);
            Set<String> settled = new TreeSet<>(released);
            settled.removeAll(stillConflicting(connection, released));
            return new AccountClaims(gateway, conflicting, settled);
        });
    }

    /** Work on the claims in one transaction of its own, under the lock every claim takes; committed when it returns. */
    private <T> T underClaimLock(ClaimWork<T> work) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                try (PreparedStatement statement = connection.prepareStatement(LOCK)) {
                    statement.setInt(1, CLAIM_LOCK_CLASS);
                    statement.execute();
                }
                T result = work.apply(connection);
                connection.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }
    }

    @FunctionalInterface
    private interface ClaimWork<T> {
        T apply(Connection connection) throws SQLException;
    }

    private static void upsert(Connection connection, String gateway, long runId, String[] accounts, Instant at)
            throws SQLException {
        if (accounts.length == 0) {
            return;
        }
        try (PreparedStatement statement = connection.prepareStatement("""
                INSERT INTO gateway_accounts (gateway, account, first_seen_at, last_seen_at, last_run_id)
                SELECT ?, a.account, ?, ?, ? FROM unnest(?::text[]) AS a(account)
                ON CONFLICT (gateway, account) DO UPDATE SET last_seen_at = excluded.last_seen_at,
                                                             last_run_id = excluded.last_run_id
                """)) {
            statement.setString(1, gateway);
            Jdbc.setInstant(statement, 2, at);
            Jdbc.setInstant(statement, 3, at);
            statement.setLong(4, runId);
            statement.setArray(5, connection.createArrayOf("text", accounts));
            statement.executeUpdate();
        }
    }

    /** Drops the gateway's rows of accounts not in {@code accounts}; returns those accounts. */
    private static Set<String> release(Connection connection, String gateway, String[] accounts) throws SQLException {
        Set<String> released = new TreeSet<>();
        try (PreparedStatement statement = connection.prepareStatement("DELETE FROM gateway_accounts "
                + "WHERE gateway = ? AND account <> ALL (?::text[]) RETURNING account")) {
            statement.setString(1, gateway);
            statement.setArray(2, connection.createArrayOf("text", accounts));
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    released.add(rows.getString(1));
                }
            }
        }
        return released;
    }

    /** Each of {@code accounts} another gateway holds a row for -> those gateways. */
    private static Map<String, SortedSet<String>> othersHolding(Connection connection, String gateway,
            String[] accounts) throws SQLException {
        Map<String, SortedSet<String>> others = new TreeMap<>();
        if (accounts.length == 0) {
            return others;
        }
        try (PreparedStatement statement = connection.prepareStatement("SELECT account, gateway FROM gateway_accounts "
                + "WHERE account = ANY (?::text[]) AND gateway <> ? ORDER BY account, gateway")) {
            statement.setArray(1, connection.createArrayOf("text", accounts));
            statement.setString(2, gateway);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    others.computeIfAbsent(rows.getString(1), a -> new TreeSet<>()).add(rows.getString(2));
                }
            }
        }
        return others;
    }

    /** The accounts of {@code accounts} two gateways or more still hold rows for. */
    private static Set<String> stillConflicting(Connection connection, Set<String> accounts) throws SQLException {
        Set<String> conflicting = new TreeSet<>();
        if (accounts.isEmpty()) {
            return conflicting;
        }
        try (PreparedStatement statement = connection.prepareStatement("SELECT account FROM gateway_accounts "
                + "WHERE account = ANY (?::text[]) GROUP BY account HAVING count(*) > 1")) {
            statement.setArray(1, connection.createArrayOf("text", accounts.toArray(new String[0])));
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    conflicting.add(rows.getString(1));
                }
            }
        }
        return conflicting;
    }
}

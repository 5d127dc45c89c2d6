package io.positionsync.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

import javax.sql.DataSource;

/**
 * Who owns each gateway ({@code gateway_owners}) and the fence that keeps a former owner from writing.
 *
 * <p>Ownership itself is decided by the cluster service (a lock file, a ZooKeeper election, a Kubernetes Lease);
 * this table only records its outcome and numbers it. Every {@link #takeOver takeover} bumps the gateway's epoch,
 * and a run of the gateway commits only while the epoch it began under is still the gateway's: {@link #checkEpoch}
 * reads it {@code FOR SHARE} in the run's transaction, so a takeover waits for a commit in flight, and any later
 * commit of the former owner (one paused past its session, then resumed) finds the epoch moved and rolls back.
 */
public final class GatewayOwners {
    private final DataSource dataSource;

    public GatewayOwners(DataSource dataSource) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /** The owner of a gateway as recorded. */
    public record Owner(String gateway, long epoch, String owner, Instant ownedSince, Instant liveSince) {
    }

    /** A run whose gateway was taken over after it began: it must not commit. */
    public static final class FencedException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        public FencedException(String message) {
            super(message);
        }
    }

    /**
     * Records {@code instance} as the owner of {@code gateway} under a new epoch, and ends the gateway's runs still
     * RUNNING under an older epoch (their owner lost the gateway: they can never commit) as FAILED with the reason,
     * so no two runs of one gateway are ever in flight together in {@code sync_runs}. One transaction; waits for a
     * run of the former owner that is committing now. Returns the new epoch.
     */
    public long takeOver(String gateway, String instance, Instant now) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                // A former owner frozen inside its commit holds the row: give up after a while, the next run retries.
                try (java.sql.Statement statement = connection.createStatement()) {
                    statement.execute("SET LOCAL lock_timeout = '5s'");
                }
                long epoch;
                try (PreparedStatement statement = connection.prepareStatement("INSERT INTO gateway_owners "
                        + "(gateway, epoch, owner, owned_since, live_since) VALUES (?, 1, ?, ?, NULL) "
                        + "ON CONFLICT (gateway) DO UPDATE SET epoch = gateway_owners.epoch + 1, owner = EXCLUDED.owner, "
                        + "owned_since = EXCLUDED.owned_since, live_since = NULL RETURNING epoch")) {
                    statement.setString(1, gateway);
                    statement.setString(2, instance);
                    Jdbc.setInstant(statement, 3, now);
                    try (ResultSet rows = statement.executeQuery()) {
                        rows.next();
                        epoch = rows.getLong(1);
                    }
                }
                try (PreparedStatement statement = connection.prepareStatement("UPDATE sync_runs SET status = 'FAILED', "
                        + "finished_at = greatest(?, started_at), duration_ms = greatest(floor(extract(epoch FROM "
                        + "(?::timestamptz - started_at)) * 1000)::bigint, 0), error = ? "
                        + "WHERE gateway = ? AND status = 'RUNNING' AND epoch IS NOT NULL AND epoch < ?")) {
                    Jdbc.setInstant(statement, 1, now);
                    Jdbc.setInstant(statement, 2, now);
                    statement.setString(3, "superseded: gateway " + gateway + " was taken over by " + instance
                            + " (epoch " + epoch + "); this run cannot commit");
                    statement.setString(4, gateway);
                    statement.setLong(5, epoch);
                    statement.executeUpdate();
                }
                connection.commit();
                return epoch;
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }
    }

    /**
     * Without a cluster service: records {@code instance} as the owner of {@code gateway} under epoch 0 (its runs are
     * not fenced), for the status. A gateway a cluster service ever gave to an instance (epoch above 0) is left as
     * it is: a single instance started beside a cluster must not fence the cluster's owner.
     *
     * @return whether the row is this instance's now
     */
    public boolean recordUnfenced(String gateway, String instance, Instant now) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement("INSERT INTO gateway_owners "
                        + "(gateway, epoch, owner, owned_since, live_since) VALUES (?, 0, ?, ?, NULL) "
                        + "ON CONFLICT (gateway) DO UPDATE SET owner = EXCLUDED.owner, owned_since = EXCLUDED.owned_since, "
                        + "live_since = NULL WHERE gateway_owners.epoch = 0")) {
            connection.setAutoCommit(true);
            statement.setString(1, gateway);
            statement.setString(2, instance);
            Jdbc.setInstant(statement, 3, now);
            return statement.executeUpdate() == 1;
        }
    }

    /**
     * In a run's transaction: refuses (with {@link FencedException}) when {@code gateway}'s epoch is no longer
     * {@code epoch}, and holds the row shared until the transaction ends, so no takeover completes before it.
     */
    public static void checkEpoch(Connection connection, String gateway, long epoch, String instance) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT epoch, owner FROM gateway_owners WHERE gateway = ? FOR SHARE")) {
            statement.setString(1, gateway);
            try (ResultSet rows = statement.executeQuery()) {
                if (!rows.next()) {
                    throw new FencedException("gateway " + gateway + " has no recorded owner: nothing was written");
                }
                long current = rows.getLong(1);
                if (current != epoch) {
                    throw new FencedException("fenced: gateway " + gateway + " is owned by " + rows.getString(2)
                            + " since epoch " + current + ", this run of " + instance + " began under epoch " + epoch
                            + "; nothing was written");
                }
            }
        }
    }

    /** The owner sets (or clears, with null) since when its live connection is up; only while it holds the epoch. */
    public void live(String gateway, long epoch, Instant since) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(
                        "UPDATE gateway_owners SET live_since = ? WHERE gateway = ? AND epoch = ?")) {
            connection.setAutoCommit(true);
            Jdbc.setInstant(statement, 1, since);
            statement.setString(2, gateway);
            statement.setLong(3, epoch);
            statement.executeUpdate();
        }
    }

    /** The recorded owner of {@code gateway}, if any instance ever took it. */
    public Optional<Owner> owner(String gateway) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(
                        "SELECT gateway, epoch, owner, owned_since, live_since FROM gateway_owners WHERE gateway = ?")) {
            statement.setString(1, gateway);
            try (ResultSet rows = statement.executeQuery()) {
                if (!rows.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Owner(rows.getString(1), rows.getLong(2), rows.getString(3),
                        Jdbc.instant(rows, "owned_since"), Jdbc.instant(rows, "live_since")));
            }
        }
    }
}

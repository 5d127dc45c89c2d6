package io.positionsync.store;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This process as the owner of the sync runs it starts. It holds a session-level advisory lock
 * {@code (OWNER_LOCK_CLASS, key)} on a connection of its own for as long as it lives; PostgreSQL drops the
 * lock with the session when the process dies, however it dies. So "is the owner of this RUNNING run
 * still alive?" is a question the database answers itself ({@code pg_locks}), with no clock or heartbeat
 * to trust, and a second process (a {@code sync-once}, another instance) never fails a run still in flight.
 *
 * <p>If the database closes the owner's session (a server restart), the lock is gone and another process
 * may mark this process's RUNNING run failed; the run then cannot finish as anything else, which is the
 * truth about a run whose database went away under it.
 */
public final class RunOwner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RunOwner.class);

    /** First half of the two-part advisory lock key: "prun" in ASCII; the second half is the owner's key. */
    static final int OWNER_LOCK_CLASS = 0x7072756e;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Connection session;
    private final int key;

    private RunOwner(Connection session, int key) {
        this.session = session;
        this.key = key;
    }

    /**
     * Takes an owner key nobody holds, on {@code session}, which becomes this owner's (closed by {@link #close()}).
     * Give it a connection outside the pool: the pool would hand it out again or retire it.
     */
    public static RunOwner acquire(Connection session) throws SQLException {
        try {
            session.setAutoCommit(true);
            for (int attempt = 0; attempt < 16; attempt++) {
                int key = RANDOM.nextInt(Integer.MAX_VALUE); // positive: compared with pg_locks.objid (an oid)
                try (PreparedStatement statement = session.prepareStatement("SELECT pg_try_advisory_lock(?, ?)")) {
                    statement.setInt(1, OWNER_LOCK_CLASS);
                    statement.setInt(2, key);
                    try (var rows = statement.executeQuery()) {
                        rows.next();
                        if (rows.getBoolean(1)) {
                            LOG.debug("sync runs of this process are owned by key {}", key);
                            // The same session holds the service's lock: schema-changing commands refuse meanwhile.
                            ServiceLock.holdShared(session);
                            return new RunOwner(session, key);
                        }
                    }
                }
            }
            throw new SQLException("no free sync run owner key after 16 attempts");
        } catch (SQLException | RuntimeException e) {
            session.close();
            throw e;
        }
    }

    /** The key written into {@code sync_runs.owner_key}. */
    public int key() {
        return key;
    }

    /** Ends the session, and with it the lock: runs of this process still RUNNING count as interrupted. */
    @Override
    public void close() {
        try {
            session.close();
        } catch (SQLException e) {
            LOG.debug("closing the run owner's session: {}", e.getMessage());
        }
    }

    /**
     * SQL that is true when the run row in scope ({@code owner_key} column) has an owner alive: a session of
     * this database holds its lock. Binds {@link #OWNER_LOCK_CLASS} as its one parameter.
     */
    static final String OWNER_ALIVE = "EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted "
            + "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            + "AND l.classid = ?::integer::oid AND l.objid = owner_key::oid AND l.objsubid = 2)";
}

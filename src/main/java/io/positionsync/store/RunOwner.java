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
 * <p>Ownership is a property of a live session: if the database closes the owner's session (a server restart),
 * the lock is gone with it. {@link #ensureHeld()}, called before every run row is written or ended, notices a
 * session that is no longer there, opens a new one and takes the same key again, so a run this process starts
 * after the restart is owned like any other and a later start-up never takes it for interrupted. When the key
 * cannot be taken again (the database is still away, or another session holds it), nothing is written: the
 * caller gets the error, and a run that cannot be owned is not recorded.
 */
public final class RunOwner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RunOwner.class);

    /** First half of the two-part advisory lock key: "prun" in ASCII; the second half is the owner's key. */
    static final int OWNER_LOCK_CLASS = 0x7072756e;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Where a new session comes from when the old one is gone (a connection outside the pool). */
    @FunctionalInterface
    public interface Sessions {
        Connection open() throws SQLException;
    }

    private static final String HELD = "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
            + "AND pid = pg_backend_pid() AND classid = ?::integer::oid AND objid = ?::integer::oid AND objsubid = 2)";

    private final Sessions sessions;
    private final int key;
    private Connection session;
    private boolean closed;
    private long retaken;

    private RunOwner(Sessions sessions, Connection session, int key) {
        this.sessions = sessions;
        this.session = session;
        this.key = key;
    }

    /**
     * Takes an owner key nobody holds on a session from {@code sessions}, and takes it again on a new session from
     * there whenever the one that holds it is gone (see {@link #ensureHeld()}).
     */
    public static RunOwner acquire(Sessions sessions) throws SQLException {
        RunOwner owner = acquire(sessions.open(), sessions);
        return owner;
    }

    /**
     * Takes an owner key nobody holds, on {@code session}, which becomes this owner's (closed by {@link #close()}).
     * Give it a connection outside the pool: the pool would hand it out again or retire it.
     */
    public static RunOwner acquire(Connection session) throws SQLException {
        return acquire(session, null);
    }

    private static RunOwner acquire(Connection session, Sessions sessions) throws SQLException {
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
                            return new RunOwner(sessions, session, key);
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

    /**
     * Makes sure this process holds its key now: on the session it has when that one still answers and holds it,
     * else on a new session (the old one died with a server restart) where the same key is taken again.
     *
     * @throws SQLException when the key is not held and cannot be taken again; nothing may be written as owned then
     */
    public synchronized void ensureHeld() throws SQLException {
        if (closed) {
            throw new SQLException("the run owner was closed: this process starts and ends no more runs");
        }
        if (holds(session)) {
            return;
        }
        if (sessions == null) {
            throw new SQLException("the run owner's database session is gone and no new one can be opened");
        }
        closeQuietly(session);
        Connection fresh = sessions.open();
        try {
            fresh.setAutoCommit(true);
            try (PreparedStatement statement = fresh.prepareStatement("SELECT pg_try_advisory_lock(?, ?)")) {
                statement.setInt(1, OWNER_LOCK_CLASS);
                statement.setInt(2, key);
                try (var rows = statement.executeQuery()) {
                    rows.next();
                    if (!rows.getBoolean(1)) {
                        throw new SQLException("the sync run owner key " + key + " is held by another session");
                    }
                }
            }
        } catch (SQLException | RuntimeException e) {
            closeQuietly(fresh);
            throw e;
        }
        session = fresh;
        retaken++;
        LOG.warn("the database session holding this process's run owner lock was gone (a database restart): "
                + "key {} taken again on a new session", key);
    }

    /** How many times the key was taken again on a new session. */
    public synchronized long retaken() {
        return retaken;
    }

    private boolean holds(Connection connection) {
        try {
            if (connection.isClosed()) {
                return false;
            }
            try (PreparedStatement statement = connection.prepareStatement(HELD)) {
                statement.setQueryTimeout(10);
                statement.setInt(1, OWNER_LOCK_CLASS);
                statement.setInt(2, key);
                try (var rows = statement.executeQuery()) {
                    return rows.next() && rows.getBoolean(1);
                }
            }
        } catch (SQLException e) {
            LOG.debug("the run owner's session does not answer: {}", e.getMessage());
            return false;
        }
    }

    private static void closeQuietly(Connection connection) {
        try {
            connection.close();
        } catch (SQLException e) {
            LOG.debug("closing the run owner's old session: {}", e.getMessage());
        }
    }

    /** Ends the session, and with it the lock: runs of this process still RUNNING count as interrupted. */
    @Override
    public synchronized void close() {
        closed = true;
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

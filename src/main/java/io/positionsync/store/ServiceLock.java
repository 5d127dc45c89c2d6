package io.positionsync.store;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The service's lock on its schema of a database: every position-sync process that syncs (the service,
 * {@code sync-once}) holds it shared for as long as it lives, on its {@link RunOwner} session; a command that
 * changes the schema or removes data ({@code rollback}, {@code purge-account --execute}, {@code adopt}) takes it
 * exclusively for as long as it works, and so refuses while a service works on the same schema, naming it (host,
 * pid, since), and a service cannot start under it. A PostgreSQL advisory lock: it goes with the session when a
 * process dies, however it dies.
 */
public final class ServiceLock {
    /** First half of the two-part advisory lock key: "psvc" in ASCII; the second half is the schema's hash. */
    static final int SERVICE_LOCK_CLASS = 0x70737663;
    private static final String KEY = "(hashtext(coalesce(current_schema(), '')) & 2147483647)";
    /** The application name a position-sync session gives itself: "position-sync pid=1234 host=web1". */
    private static final Pattern APPLICATION_NAME = Pattern.compile("position-sync pid=(\\d+) host=(\\S*)");
    /** PostgreSQL keeps 63 bytes of an application name. */
    private static final int MAX_APPLICATION_NAME = 63;

    private ServiceLock() {
    }

    /** The application name of this process's sessions: its pid and host, for whoever finds them in pg_stat_activity. */
    public static String applicationName() {
        String name = "position-sync pid=" + ProcessHandle.current().pid() + " host=" + hostName();
        return name.length() > MAX_APPLICATION_NAME ? name.substring(0, MAX_APPLICATION_NAME) : name;
    }

    /**
     * Takes the lock shared on {@code session} (a session of the process's own, kept as long as it lives). Fails
     * while a schema-changing command holds it.
     */
    static void holdShared(Connection session) throws SQLException {
        try (PreparedStatement statement = session.prepareStatement("SELECT pg_try_advisory_lock_shared(?, " + KEY + ")")) {
            statement.setInt(1, SERVICE_LOCK_CLASS);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                if (!rows.getBoolean(1)) {
                    throw new SQLException("a command that changes the schema or removes data (rollback, purge-account "
                            + "--execute, adopt) is working on this database" + holders(session, " by ")
                            + "; start again when it has finished");
                }
            }
        }
    }

    /** Held exclusively until closed; {@link #NONE} holds nothing. */
    public interface Exclusive extends AutoCloseable {
        Exclusive NONE = () -> { };

        @Override
        void close();
    }

    /**
     * Takes the lock exclusively on a session of its own for {@code command}, or refuses with one line naming the
     * process that holds it: "rollback refused: position-sync pid 4242 on host web1 (since 2026-12-05T17:50:01Z) holds
     * the service's lock on jdbc:postgresql://db/bot; stop it first, then run rollback again".
     */
    public static Exclusive exclusive(Database database, String command) {
        Connection session;
        try {
            session = database.openSession();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot connect to PostgreSQL at " + database.displayUrl() + ": "
                    + Database.rootMessage(e), e);
        }
        try {
            try (PreparedStatement statement = session.prepareStatement("SELECT pg_try_advisory_lock(?, " + KEY + ")")) {
                statement.setInt(1, SERVICE_LOCK_CLASS);
                try (ResultSet rows = statement.executeQuery()) {
                    rows.next();
                    if (rows.getBoolean(1)) {
                        return () -> close(session);
                    }
                }
            }
            String holders = holders(session, "");
            close(session);
            throw new IllegalStateException(command + " refused: " + (holders.isEmpty() ? "another process" : holders)
                    + " holds the service's lock on " + database.displayUrl()
                    + database.serviceSchema().map(s -> " (schema " + s + ")").orElse("")
                    + "; stop it first (systemctl stop position-sync, or end that sync-once), then run " + command + " again");
        } catch (SQLException e) {
            close(session);
            throw new IllegalStateException(command + ": cannot take the service's lock on " + database.displayUrl() + ": "
                    + Database.rootMessage(e), e);
        }
    }

    /** Who holds the lock now, besides this session: "position-sync pid 4242 on host web1 (since ...)", comma-separated. */
    private static String holders(Connection session, String prefix) throws SQLException {
        List<String> holders = new ArrayList<>();
        try (PreparedStatement statement = session.prepareStatement("SELECT a.application_name, host(a.client_addr), "
                + "a.backend_start, l.pid FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
                + "WHERE l.locktype = 'advisory' AND l.granted "
                + "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                + "AND l.classid = ?::integer::oid AND l.objid = " + KEY + "::oid AND l.objsubid = 2 "
                + "AND l.pid <> pg_backend_pid() ORDER BY a.backend_start, l.pid")) {
            statement.setInt(1, SERVICE_LOCK_CLASS);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    holders.add(describe(rows.getString(1), rows.getString(2), rows.getTimestamp(3), rows.getInt(4)));
                }
            }
        }
        return holders.isEmpty() ? "" : prefix + String.join(", ", holders);
    }

    static String describe(String applicationName, String clientAddress, Timestamp since, int backendPid) {
        Matcher m = applicationName == null ? null : APPLICATION_NAME.matcher(applicationName);
        StringBuilder text = new StringBuilder();
        if (m != null && m.lookingAt()) {
            text.append("position-sync pid ").append(m.group(1)).append(" on host ").append(m.group(2));
        } else {
            text.append(applicationName == null || applicationName.isBlank() ? "a session" : "'" + applicationName + "'")
                    .append(" (database backend pid ").append(backendPid).append(')');
        }
        if (clientAddress != null) {
            text.append(" from ").append(clientAddress);
        }
        text.append(" (since ").append(since == null ? "an unknown time" : since.toInstant().toString()).append(')');
        return text.toString();
    }

    private static void close(Connection session) {
        try {
            session.close();
        } catch (SQLException ignored) {
            // the lock goes with the session either way
        }
    }

    private static String hostName() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env.trim();
        }
        try {
            Path kernel = Path.of("/proc/sys/kernel/hostname");
            if (Files.isReadable(kernel)) {
                return Files.readString(kernel, StandardCharsets.US_ASCII).trim();
            }
            return InetAddress.getLocalHost().getHostName().toLowerCase(Locale.ROOT);
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}

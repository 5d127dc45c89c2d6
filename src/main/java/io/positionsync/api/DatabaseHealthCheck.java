package io.positionsync.api;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import javax.sql.DataSource;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Readiness: the service is ready only while PostgreSQL answers a validation query within the timeout and the
 * service's tables are there (a database that answers without them fails every run until the operator migrates). The query runs on its own thread, so a pool that waits long for a connection cannot hold the
 * health endpoint longer than the timeout; a check that is still waiting is joined, not repeated, so slow probes
 * never pile up threads. Not a liveness check: a restart does not bring a database back.
 */
public final class DatabaseHealthCheck extends AbstractHealthCheck {
    private final DataSource dataSource;
    private final Duration timeout;
    /** The schema version this service runs on (0: not checked). */
    private final int schemaVersion;
    private final Executor executor = Executors.newCachedThreadPool(r -> {
        Thread thread = new Thread(r, "psync-health-db");
        thread.setDaemon(true);
        return thread;
    });

    private CompletableFuture<Void> pending;

    public DatabaseHealthCheck(DataSource dataSource, Duration timeout) {
        this(dataSource, timeout, 0);
    }

    /** Also not ready while the schema is below {@code schemaVersion}, the one the service migrated to at start-up. */
    public DatabaseHealthCheck(DataSource dataSource, Duration timeout, int schemaVersion) {
        super("position-sync", "database");
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.schemaVersion = schemaVersion;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        long started = System.nanoTime();
        CompletableFuture<Void> query = validation();
        try {
            query.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            builder.up().detail("database.responseMs", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        } catch (TimeoutException e) {
            builder.down().message("the database did not answer within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SchemaMissing missing) {
                builder.down().message(missing.getMessage());
                return;
            }
            Throwable cause = e.getCause() instanceof IllegalStateException && e.getCause().getCause() != null
                    ? e.getCause().getCause() : e.getCause();
            builder.down().message("the database is unreachable: " + cause.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            builder.down().message("interrupted while checking the database");
        }
    }

    /**
     * Why the database cannot be used right now, or empty when it answers: completes within the timeout
     * without blocking the caller (the check in progress is shared).
     */
    public CompletableFuture<Optional<String>> problem() {
        return validation().handle((ok, failure) -> {
            if (failure == null) {
                return Optional.<String>empty();
            }
            Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            if (cause instanceof TimeoutException) {
                return Optional.of("the database did not answer within " + timeout.toMillis() + " ms");
            }
            if (cause instanceof SchemaMissing) {
                return Optional.of(cause.getMessage());
            }
            if (cause instanceof IllegalStateException && cause.getCause() != null) {
                cause = cause.getCause();
            }
            return Optional.of("the database is unreachable: " + cause.getMessage());
        }).completeOnTimeout(Optional.of("the database did not answer within " + timeout.toMillis() + " ms"),
                timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private synchronized CompletableFuture<Void> validation() {
        if (pending == null || pending.isDone()) {
            pending = CompletableFuture.runAsync(this::validate, executor);
        }
        return pending;
    }

    private void validate() {
        String missing;
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            statement.setQueryTimeout((int) Math.max(1, timeout.toSeconds()));
            // The database answering is not enough: without the service's tables no run can succeed.
            try (var rows = statement.executeQuery(MISSING_TABLES)) {
                rows.next();
                missing = rows.getString(1);
            }
            if (missing == null && schemaVersion > 0) {
                try (var rows = statement.executeQuery("SELECT coalesce(max(version::integer), 0) FROM flyway_schema_history "
                        + "WHERE success AND version ~ '^[0-9]+$'")) {
                    rows.next();
                    int version = rows.getInt(1);
                    if (version < schemaVersion) {
                        throw new SchemaMissing("the database answers, but its schema is at version " + version
                                + " while the service runs on version " + schemaVersion + " (rolled back under it?): stop "
                                + "the service, run `migrate`, then start it again", true);
                    }
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        if (missing != null) {
            throw new SchemaMissing(missing);
        }
    }

    /** The service's tables a run needs, as the pool's connections see them (their search_path): one row, the
     * missing ones comma-separated, or null when all are there. */
    private static final String MISSING_TABLES = "SELECT string_agg(t, ', ' ORDER BY t) FROM unnest(ARRAY['sync_runs', "
            + "'positions', 'executions', 'reconciliation_breaks', 'flyway_schema_history']) AS t WHERE to_regclass(t) IS NULL";

    /** The database answered, but the service's tables are not there (dropped, rolled back): the operator must act. */
    static final class SchemaMissing extends RuntimeException {
        private static final long serialVersionUID = 1L;

        SchemaMissing(String tables) {
            super(message(tables));
        }

        SchemaMissing(String message, boolean whole) {
            super(message);
        }

        static String message(String tables) {
            return "the database answers, but the service's tables are missing (" + tables + "): the schema was rolled "
                    + "back or dropped; stop the service, run `migrate`, then start it again";
        }
    }
}

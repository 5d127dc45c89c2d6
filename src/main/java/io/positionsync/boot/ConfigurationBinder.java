package io.positionsync.boot;

import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import io.positionsync.api.ApiSettings;
import io.positionsync.api.EventStreamSettings;
import io.positionsync.ibkr.MessagePacer;
import io.positionsync.ibkr.SnapshotLimits;
import io.positionsync.ibkr.TwsGatewayConfig;
import io.positionsync.store.AdoptionSettings;
import io.positionsync.store.DatabaseConfig;
import io.positionsync.store.DatabaseUrl;
import io.positionsync.store.ProjectionSettings;
import io.positionsync.store.RunNotifier;

/**
 * Binds the {@code psync.*} keys, as Camel's properties component resolves them, into the typed settings of each area.
 * The keys and their meaning are those of {@code config/application.properties}; a value that does not read names
 * its environment variable ({@link ConfigurationValues}).
 */
public final class ConfigurationBinder {
    private ConfigurationBinder() {
    }

    /** Every area at once, for the service. */
    public static PositionSyncSettings bind(ConfigurationValues values) {
        return new PositionSyncSettings(database(values), gateway(values), sync(values), simulator(values), http(values),
                monitor(values));
    }

    /** {@code psync.db.*}, {@code psync.data.dir} and {@code psync.adopt.*}. */
    public static DatabaseSettings database(ConfigurationValues values) {
        return new DatabaseSettings(connection(values), values.getInt("psync.db.write-chunk-size"), adoption(values),
                projection(values));
    }

    /** Where the database is and how to reach it ({@code psync.db.*}, {@code psync.data.dir}). */
    public static DatabaseConfig connection(ConfigurationValues values) {
        Optional<String> url = values.find(DatabaseConfig.URL);
        Optional<String> user = values.find(DatabaseConfig.USER);
        Optional<String> password = values.find(DatabaseConfig.PASSWORD);
        if (url.isPresent()) {
            // The bot's own forms (postgresql://user:pw@host/db, postgresql+psycopg2://...) become the JDBC URL; the
            // user and password written in them count unless set on their own.
            DatabaseUrl parsed;
            try {
                parsed = DatabaseUrl.parse(url.get());
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException(values.variableOf(DatabaseConfig.URL) + " " + e.getMessage());
            }
            url = Optional.of(parsed.jdbcUrl());
            user = user.or(parsed::user);
            password = password.or(parsed::password);
        }
        return new DatabaseConfig(url, user, password, Path.of(values.get(DatabaseConfig.DATA_DIR)),
                values.getInt(DatabaseConfig.POOL_SIZE),
                values.getMillis(DatabaseConfig.CONNECTION_TIMEOUT_MS),
                values.getInt(DatabaseConfig.EMBEDDED_PORT),
                values.getMillis(DatabaseConfig.EMBEDDED_STARTUP_TIMEOUT_MS),
                values.getMillis(DatabaseConfig.STATEMENT_TIMEOUT_MS, DatabaseConfig.DEFAULT_STATEMENT_TIMEOUT),
                values.getMillis(DatabaseConfig.LOCK_TIMEOUT_MS, DatabaseConfig.DEFAULT_LOCK_TIMEOUT),
                values.getMillis(DatabaseConfig.SOCKET_TIMEOUT_MS, DatabaseConfig.DEFAULT_SOCKET_TIMEOUT));
    }

    /** How an adopted bot database is laid out ({@code psync.adopt.*}). */
    public static AdoptionSettings adoption(ConfigurationValues values) {
        Map<String, String> columns = new LinkedHashMap<>();
        for (String column : AdoptionSettings.COLUMN_KEYS) {
            values.find(AdoptionSettings.COLUMN_PREFIX + column).ifPresent(name -> columns.put(column, name));
        }
        return AdoptionSettings.of(values.find(AdoptionSettings.SCHEMA).orElse(AdoptionSettings.DEFAULT_SCHEMA),
                values.find("psync.adopt.bot-schema").orElse(null),
                values.find("psync.adopt.bot-table").orElse(AdoptionSettings.DEFAULT_TABLE), columns,
                values.find("psync.adopt.status-open").orElse(null), values.find("psync.adopt.status-closed").orElse(null));
    }

    /** How runs write an adopted bot's table. */
    public static ProjectionSettings projection(ConfigurationValues values) {
        ProjectionSettings defaults = ProjectionSettings.DEFAULTS;
        return new ProjectionSettings(
                values.find(ProjectionSettings.ADD_ROWS).isPresent() ? values.getBoolean(ProjectionSettings.ADD_ROWS)
                        : defaults.addRows(),
                values.getMillis(ProjectionSettings.NEW_ROW_GRACE, defaults.newRowGrace()),
                values.getMillis(ProjectionSettings.SYNCED_AT_REFRESH, defaults.syncedAtRefresh()));
    }

    static final String MAX_MESSAGES_PER_SECOND = "psync.ibkr.max-messages-per-second";

    /** The gateway ({@code psync.ibkr.*}). */
    public static GatewaySettings gateway(ConfigurationValues values) {
        return new GatewaySettings(values.find("psync.ibkr.host"), values.getInt("psync.ibkr.port"),
                values.getInt("psync.ibkr.client-id"), values.getMillis("psync.ibkr.connect-timeout-ms"),
                values.getMillis("psync.ibkr.request-timeout-ms"), values.getMillis("psync.ibkr.backoff-initial-ms"),
                values.getMillis("psync.ibkr.backoff-max-ms"),
                values.getMillis("psync.ibkr.commission-wait-ms", TwsGatewayConfig.DEFAULT_COMMISSION_WAIT),
                snapshotLimits(values), maxMessagesPerSecond(values));
    }

    /** The pace of each gateway connection ({@code psync.ibkr.max-messages-per-second}). */
    public static int maxMessagesPerSecond(ConfigurationValues values) {
        return values.find(MAX_MESSAGES_PER_SECOND).isPresent() ? values.getInt(MAX_MESSAGES_PER_SECOND)
                : MessagePacer.DEFAULT_PER_SECOND;
    }

    /** The bounds of one snapshot ({@code psync.ibkr.max-snapshot-*}). */
    public static SnapshotLimits snapshotLimits(ConfigurationValues values) {
        return new SnapshotLimits(values.getLong("psync.ibkr.max-snapshot-messages"),
                values.getInt("psync.ibkr.max-snapshot-positions"), values.getLong("psync.ibkr.max-snapshot-bytes"));
    }

    /** The timer and the runs ({@code psync.sync.*}). */
    public static SyncSettings sync(ConfigurationValues values) {
        return new SyncSettings(values.getMillis("psync.sync.period"), values.getMillis("psync.sync.initial-delay-ms"),
                values.getMillis("psync.sync.run-timeout-ms"), values.getDecimal("psync.sync.break-tolerance"),
                values.getMillis("psync.sync.failure-retry-ms"), values.getMillis("psync.sync.shutdown-grace-ms"),
                values.getBoolean("psync.sync.timer-enabled"), notifyChannel(values), values.getBoolean("psync.sync.live"),
                values.getMillis("psync.sync.event-debounce-ms"), values.getMillis("psync.sync.event-max-delay-ms"));
    }

    /** {@code psync.notify.channel}: empty sends no notification; otherwise a plain identifier, or start-up is refused. */
    static Optional<String> notifyChannel(ConfigurationValues values) {
        Optional<String> channel = values.find("psync.notify.channel");
        try {
            channel.ifPresent(RunNotifier::checkChannel);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(values.variableOf("psync.notify.channel") + " " + e.getMessage());
        }
        return channel;
    }

    /** The built-in simulator's demo ({@code psync.sim.*}). */
    public static SimulatorSettings simulator(ConfigurationValues values) {
        return new SimulatorSettings(values.getMillis("psync.sim.price-tick-ms"),
                values.getMillis("psync.sim.trade-interval-ms"), values.getInt("psync.sim.seed"),
                values.getInt("psync.sim.history-days"), values.getMillis("psync.sim.sync-period"));
    }

    /** The HTTP server, the API and its token ({@code psync.http.*}, {@code psync.api.*}, {@code psync.reporting.*}). */
    public static HttpSettings http(ConfigurationValues values) {
        return new HttpSettings(values.find("psync.api.token"), values.getMillis("psync.http.idle-timeout-ms"),
                values.getInt("psync.http.max-connections"), values.getInt("psync.http.max-connections-per-client"),
                values.getInt("psync.http.probe-reserve"), values.getMillis("psync.http.refused-log-interval-ms"),
                ZoneId.of(values.find("psync.reporting.time-zone").orElse("UTC")), api(values), events(values));
    }

    /** The event stream's tunables ({@code psync.api.events-*}). */
    public static EventStreamSettings events(ConfigurationValues values) {
        return new EventStreamSettings(values.getMillis("psync.api.events-heartbeat-ms"),
                values.getInt("psync.api.events-max-streams"), values.getInt("psync.api.events-max-queued"));
    }

    /** The API's tunables, and the timer's settings it reports. */
    public static ApiSettings api(ConfigurationValues values) {
        return new ApiSettings(values.getMillis("psync.api.sync-wait-ms"),
                values.getMillis("psync.api.idempotency-window-ms"),
                values.getInt("psync.api.stale-amber-seconds"),
                values.getInt("psync.api.stale-red-seconds"),
                values.getMillis("psync.api.health-db-timeout-ms"),
                values.getMillis("psync.sync.period"),
                values.getMillis("psync.sync.initial-delay-ms"));
    }

    /** Monitoring ({@code psync.monitor.*}). */
    public static MonitorSettings monitor(ConfigurationValues values) {
        return new MonitorSettings(values.getMillis("psync.monitor.database-cache-ms"),
                values.getMillis("psync.monitor.database-timeout-ms"),
                values.getInt("psync.monitor.executions-missing-runs"));
    }

}

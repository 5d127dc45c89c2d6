package io.positionsync.boot;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads every typed key of the configuration once, before anything starts (no database, no socket), so
 * that a wrong value fails in milliseconds with a message that names the environment variable the user
 * sets and says what it expects. Also spots {@code PSYNC_*} variables the service does not know, which are
 * usually a typo of one it does ({@code PSYNC_IBKR_HOTS}).
 */
public final class ConfigurationCheck {
    private static final int MAX_PORT = 65535;
    private static final int MAX_HISTORY_DAYS = 23;
    private static final int MAX_POOL_SIZE = 1000;
    private static final Duration MIN_SYNC_PERIOD = Duration.ofSeconds(1);
    private static final String DURATION_TEXT = "a duration (milliseconds such as 1500, or 30s, 5m, 1h30m)";

    /** Variables read outside config/application.properties (logback, the test database helper). */
    static final Set<String> OTHER_VARIABLES = Set.of("PSYNC_LOG_LEVEL", "PSYNC_LOG_FORMAT", "PSYNC_TEST_DB_URL",
            "PSYNC_TEST_DB_USER", "PSYNC_TEST_DB_PASSWORD", "PSYNC_BENCH_DB_URL", "PSYNC_BENCH_DB_USER",
            "PSYNC_BENCH_DB_PASSWORD");

    /** An integer key and its allowed range. */
    private record IntKey(String key, long min, long max, String expected) {
    }

    /** A duration key and its least value. */
    private record DurationKey(String key, Duration min) {
    }

    private static final List<IntKey> INTEGERS = List.of(
            new IntKey("psync.ibkr.max-messages-per-second", 1, Integer.MAX_VALUE, "a number of messages of at least 1"),
            // One run uses one or two connections; more than this starves the database's other clients.
            new IntKey("psync.db.pool-size", 1, MAX_POOL_SIZE, "an integer 1.." + MAX_POOL_SIZE),
            new IntKey("psync.db.connection-timeout-ms", 1, Integer.MAX_VALUE, "a number of milliseconds of at least 1"),
            new IntKey("psync.db.write-chunk-size", 1, Integer.MAX_VALUE, "an integer of at least 1"),
            new IntKey("psync.db.embedded-port", 0, MAX_PORT, "a port number 0.." + MAX_PORT + " (0 = any free port)"),
            new IntKey("psync.db.embedded-startup-timeout-ms", 1, Integer.MAX_VALUE, "a number of milliseconds of at least 1"),
            new IntKey("psync.ibkr.port", 1, MAX_PORT, "a port number 1.." + MAX_PORT),
            new IntKey("psync.ibkr.client-id", Integer.MIN_VALUE, Integer.MAX_VALUE, "an integer"),
            new IntKey("psync.http.port", 1, MAX_PORT, "a port number 1.." + MAX_PORT),
            new IntKey("psync.http.max-connections", 1, Integer.MAX_VALUE, "an integer of at least 1"),
            new IntKey("psync.http.max-connections-per-client", 1, Integer.MAX_VALUE, "an integer of at least 1"),
            new IntKey("psync.http.probe-reserve", 0, Integer.MAX_VALUE, "an integer of at least 0"),
            new IntKey("psync.api.stale-amber-seconds", 1, Integer.MAX_VALUE, "a number of seconds of at least 1"),
            new IntKey("psync.api.stale-red-seconds", 1, Integer.MAX_VALUE, "a number of seconds of at least 1"),
            new IntKey("psync.monitor.executions-missing-runs", 1, Integer.MAX_VALUE, "a number of runs of at least 1"),
            // Each history day is eight runs before the start-up run: a month of trading days at most.
            new IntKey("psync.sim.history-days", 0, MAX_HISTORY_DAYS, "a number of days 0.." + MAX_HISTORY_DAYS));

    private static final List<DurationKey> DURATIONS = List.of(
            new DurationKey("psync.ibkr.connect-timeout-ms", Duration.ofMillis(1)),
            new DurationKey("psync.ibkr.request-timeout-ms", Duration.ofMillis(1)),
            new DurationKey("psync.ibkr.commission-wait-ms", Duration.ZERO),
            new DurationKey("psync.ibkr.backoff-initial-ms", Duration.ofMillis(1)),
            new DurationKey("psync.ibkr.backoff-max-ms", Duration.ofMillis(1)),
            // A tight loop against the gateway would trip IB's pacing limits.
            new DurationKey("psync.sync.period", MIN_SYNC_PERIOD),
            new DurationKey("psync.sim.sync-period", MIN_SYNC_PERIOD),
            new DurationKey("psync.sync.initial-delay-ms", Duration.ZERO),
            new DurationKey("psync.sync.run-timeout-ms", Duration.ofMillis(1)),
            new DurationKey("psync.sim.price-tick-ms", Duration.ZERO),
            new DurationKey("psync.api.sync-wait-ms", Duration.ZERO),
            new DurationKey("psync.api.idempotency-window-ms", Duration.ZERO),
            new DurationKey("psync.api.health-db-timeout-ms", Duration.ofMillis(1)),
            new DurationKey("psync.monitor.database-cache-ms", Duration.ZERO),
            new DurationKey("psync.monitor.database-timeout-ms", Duration.ofMillis(1)),
            new DurationKey("psync.http.refused-log-interval-ms", Duration.ofMillis(1)),
            new DurationKey("psync.adopt.new-row-grace-ms", Duration.ZERO),
            new DurationKey("psync.adopt.synced-at-refresh-ms", Duration.ZERO));

    private static final List<String> BOOLEANS = List.of("psync.sync.timer-enabled", "psync.adopt.add-rows",
            "psync.sync.live");

    private ConfigurationCheck() {
    }

    /**
     * Throws {@link IllegalStateException} with one line for the first wrong value, e.g.
     * {@code PSYNC_IBKR_PORT must be an integer, got 'abc'}. Keys missing from the configuration are skipped.
     */
    public static void validate(ConfigurationValues values) {
        for (IntKey rule : INTEGERS) {
            Optional<String> value = values.find(rule.key());
            if (value.isEmpty()) {
                continue;
            }
            long number;
            try {
                number = Long.parseLong(value.get());
            } catch (NumberFormatException e) {
                throw new IllegalStateException(values.variableOf(rule.key()) + " must be an integer, got '"
                        + value.get() + "' (expected " + rule.expected() + ")");
            }
            if (number < rule.min() || number > rule.max()) {
                throw new IllegalStateException(values.variableOf(rule.key()) + " must be " + rule.expected()
                        + ", got '" + value.get() + "'");
            }
        }
        for (DurationKey rule : DURATIONS) {
            Optional<String> value = values.find(rule.key());
            if (value.isEmpty()) {
                continue;
            }
            Duration duration;
            try {
                duration = values.getMillis(rule.key());
            } catch (IllegalStateException e) {
                duration = null;
            }
            if (duration == null || duration.compareTo(rule.min()) < 0) {
                throw new IllegalStateException(values.variableOf(rule.key()) + " must be " + DURATION_TEXT
                        + " of at least " + text(rule.min()) + ", got '" + value.get() + "'");
            }
        }
        for (String key : BOOLEANS) {
            Optional<String> value = values.find(key);
            if (value.isPresent() && !value.get().equalsIgnoreCase("true") && !value.get().equalsIgnoreCase("false")) {
                throw new IllegalStateException(values.variableOf(key) + " must be true or false, got '" + value.get() + "'");
            }
        }
        values.find("psync.sync.break-tolerance").ifPresent(value -> {
            BigDecimal tolerance;
            try {
                tolerance = new BigDecimal(value);
            } catch (NumberFormatException e) {
                tolerance = null;
            }
            if (tolerance == null || tolerance.signum() < 0) {
                throw new IllegalStateException(values.variableOf("psync.sync.break-tolerance")
                        + " must be a decimal amount of at least 0 (such as 0.01), got '" + value + "'");
            }
        });
        values.find("psync.db.url").ifPresent(url -> {
            try {
                io.positionsync.store.DatabaseUrl.parse(url);
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException(values.variableOf("psync.db.url") + " " + e.getMessage());
            }
        });
        values.find("psync.reporting.time-zone").ifPresent(value -> {
            try {
                java.time.ZoneId.of(value.trim());
            } catch (java.time.DateTimeException e) {
                throw new IllegalStateException(values.variableOf("psync.reporting.time-zone")
                        + " must be a time zone such as UTC or America/New_York, got '" + value + "'");
            }
        });
        long amber = values.find("psync.api.stale-amber-seconds").map(Long::parseLong).orElse(1L);
        long red = values.find("psync.api.stale-red-seconds").map(Long::parseLong).orElse(Long.MAX_VALUE);
        if (red < amber) {
            throw new IllegalStateException(values.variableOf("psync.api.stale-red-seconds") + " must be at least "
                    + values.variableOf("psync.api.stale-amber-seconds") + " (" + amber + "), got '" + red + "'");
        }
    }

    /** The variables read outside the configuration file (by logback.xml), which the file's checks cannot see. */
    public static void validateEnvironment(Map<String, String> environment) {
        String format = environment.get("PSYNC_LOG_FORMAT");
        if (format != null && !format.isBlank() && !format.trim().equalsIgnoreCase("text")
                && !format.trim().equalsIgnoreCase("json")) {
            throw new IllegalStateException("PSYNC_LOG_FORMAT must be text or json, got '" + format + "'");
        }
        String level = environment.get("PSYNC_LOG_LEVEL");
        if (level != null && !level.isBlank()
                && !Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF").contains(level.trim().toUpperCase(Locale.ROOT))) {
            throw new IllegalStateException("PSYNC_LOG_LEVEL must be one of TRACE, DEBUG, INFO, WARN, ERROR, OFF, got '"
                    + level + "'");
        }
    }

    /** A {@code PSYNC_*} variable nothing reads, with the known variable it most resembles (if any is near). */
    public record UnknownVariable(String name, Optional<String> closest) {
    }

    /**
     * The refusal for variables nothing reads, one line: "environment variable PSYNC_DB_ULR is not a setting of
     * position-sync (did you mean PSYNC_DB_URL?): correct or unset it; nothing was started".
     */
    public static String refusal(List<UnknownVariable> unknown) {
        StringBuilder line = new StringBuilder(unknown.size() == 1 ? "environment variable " : "environment variables ");
        for (int i = 0; i < unknown.size(); i++) {
            UnknownVariable variable = unknown.get(i);
            line.append(i == 0 ? "" : ", ").append(variable.name())
                    .append(variable.closest().map(k -> " (did you mean " + k + "?)").orElse(""));
        }
        line.append(unknown.size() == 1 ? " is not a setting" : " are not settings")
                .append(" of position-sync: correct or unset ").append(unknown.size() == 1 ? "it" : "them")
                .append("; nothing was started");
        return line.toString();
    }

    /** The {@code PSYNC_*} variables of {@code environment} that nothing reads, by name. */
    public static List<UnknownVariable> unknownVariables(Map<String, String> environment, ConfigurationFile file) {
        Set<String> known = new TreeSet<>(file.knownVariables());
        known.addAll(OTHER_VARIABLES);
        List<UnknownVariable> unknown = new ArrayList<>();
        new TreeSet<>(environment.keySet()).stream()
                .filter(name -> name.startsWith("PSYNC_") && !known.contains(name))
                .forEach(name -> unknown.add(new UnknownVariable(name, closest(name, known))));
        return unknown;
    }

    /** The known name nearest to {@code name} by edit distance, if it is near enough to be a typo. */
    static Optional<String> closest(String name, Set<String> known) {
        String upper = name.toUpperCase(Locale.ROOT);
        return known.stream()
                .min(Comparator.comparingInt((String k) -> editDistance(upper, k)).thenComparing(k -> k))
                .filter(k -> editDistance(upper, k) <= Math.max(2, k.length() / 3));
    }

    /** Levenshtein distance, with a swap of two neighbours counted as one edit (the commonest typo). */
    static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    private static String text(Duration duration) {
        if (duration.isZero()) {
            return "0";
        }
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + "s" : duration.toMillis() + " ms";
    }
}

package io.positionsync.boot;

import java.time.Duration;
import java.util.Objects;

/**
 * Monitoring ({@code psync.monitor.*}).
 *
 * @param databaseCache         the database-backed gauges are read at most once per this window
 * @param databaseTimeout       a scrape waits at most this long for them
 * @param executionsMissingRuns successful runs in a row that estimated fills and applied none before the symptom shows
 */
public record MonitorSettings(Duration databaseCache, Duration databaseTimeout, int executionsMissingRuns) {
    public MonitorSettings {
        Objects.requireNonNull(databaseCache, "databaseCache");
        Objects.requireNonNull(databaseTimeout, "databaseTimeout");
    }
}

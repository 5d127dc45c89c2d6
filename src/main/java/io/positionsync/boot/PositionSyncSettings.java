package io.positionsync.boot;

import java.util.Objects;

/** The service's settings, one record per area, bound from the configuration by {@link ConfigurationBinder}. */
public record PositionSyncSettings(DatabaseSettings database, GatewaySettings gateway, SyncSettings sync,
        SimulatorSettings simulator, HttpSettings http, MonitorSettings monitor) {
    public PositionSyncSettings {
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(gateway, "gateway");
        Objects.requireNonNull(sync, "sync");
        Objects.requireNonNull(simulator, "simulator");
        Objects.requireNonNull(http, "http");
        Objects.requireNonNull(monitor, "monitor");
    }
}

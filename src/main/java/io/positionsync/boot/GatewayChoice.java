package io.positionsync.boot;

import java.util.List;

/** Which gateway the service talks to: decided from the configuration before anything starts. */
enum GatewayChoice {
    /** The configured TWS / IB Gateway ({@code PSYNC_IBKR_HOST}). */
    CONFIGURED,
    /** The built-in simulator with its demo portfolio. */
    SIMULATOR;

    /**
     * The simulator's demo positions may only be written where nothing real can be: into the embedded database with
     * no gateway configured, or when asked for by name. An external database without a gateway host is a mistake (a
     * misspelt variable, a forgotten export), never a reason for demo data.
     */
    static GatewayChoice of(ConfigurationValues values, List<ConfigurationCheck.UnknownVariable> unknownVariables) {
        String host = values.find("psync.ibkr.host").orElse(null);
        if (host != null) {
            return GatewaySettings.SIMULATOR_HOST.equalsIgnoreCase(host) ? SIMULATOR : CONFIGURED;
        }
        if (values.find("psync.db.url").isEmpty()) {
            return SIMULATOR;
        }
        String hostVariable = values.variableOf("psync.ibkr.host");
        String typo = unknownVariables.stream().filter(v -> v.closest().filter(hostVariable::equals).isPresent())
                .findFirst().map(v -> " (" + v.name() + " is set: a typo?)").orElse("");
        throw new IllegalStateException(values.variableOf("psync.db.url") + " is set but " + hostVariable + " is not"
                + typo + ": refusing to sync the built-in simulator's demo positions into that database; set "
                + "PSYNC_IBKR_HOST to your TWS / IB Gateway host, or PSYNC_IBKR_HOST=" + GatewaySettings.SIMULATOR_HOST
                + " to use the simulator on purpose");
    }
}

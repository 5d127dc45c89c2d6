package io.positionsync.boot;

import java.util.List;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.positionsync.api.ListenAddressPolicy;

/**
 * The first of the service's configuration classes: checks the whole configuration before anything starts (no
 * database, no socket; every refusal is one line and takes milliseconds), decides the gateway, logs the values in use
 * and binds the typed settings ({@code positionSyncSettings}) the other classes build their area from.
 */
public class SettingsConfiguration implements CamelConfiguration {
    private static final Logger LOG = LoggerFactory.getLogger(SettingsConfiguration.class);
    /** The settings of every area, as bound from the configuration. */
    static final String SETTINGS = "positionSyncSettings";
    /** The gateway the service talks to ({@link GatewayChoice}). */
    static final String GATEWAY_CHOICE = "gatewayChoice";
    /** Several gateways, several instances ({@link ClusterSettings}). */
    static final String CLUSTER = "clusterSettings";

    @Override
    public void configure(CamelContext context) throws Exception {
        ConfigurationValues values = ConfigurationValues.of(context);
        List<ConfigurationCheck.UnknownVariable> unknown = ConfigurationCheck.unknownVariables(System.getenv(),
                values.file());
        if (!unknown.isEmpty()) {
            // The command line refuses these before anything starts; a service started otherwise refuses here.
            throw new IllegalStateException(ConfigurationCheck.refusal(unknown));
        }
        ConfigurationCheck.validateEnvironment(System.getenv());
        ConfigurationCheck.validate(values);
        ClusterSettings cluster = ClusterSettings.bind(values);
        // Gateways named in PSYNC_GATEWAYS are the gateways: no built-in simulator, whatever PSYNC_IBKR_HOST says.
        GatewayChoice gatewayChoice = cluster.gateways().isEmpty() ? GatewayChoice.of(values, unknown)
                : GatewayChoice.CONFIGURED;
        if (gatewayChoice == GatewayChoice.SIMULATOR) {
            demoSyncPeriod(context, values);
        }
        // After the demo's period is set: the line shows the values the service runs with.
        LOG.info("configuration in use: {}", StartupReport.configuration(values));
        PositionSyncSettings settings = ConfigurationBinder.bind(values);
        // Refuse to listen beyond loopback without an API token, or on a port that is taken.
        ListenAddressPolicy.check(context, settings.http().token().orElse(null));
        StartupReport.refuseTakenHttpPort(context, values);
        context.getRegistry().bind(SETTINGS, settings);
        context.getRegistry().bind(GATEWAY_CHOICE, gatewayChoice);
        context.getRegistry().bind(CLUSTER, cluster);
    }

    /**
     * On the built-in simulator the timer runs at {@code psync.sim.sync-period} unless {@code psync.sync.period} was
     * set: the demo trades every few seconds, and one run a minute would hide what it shows. Set before the routes
     * read the period, so the timer, the scheduler status and the metrics all see the same value.
     */
    private static void demoSyncPeriod(CamelContext context, ConfigurationValues values) {
        String variable = values.variableOf("psync.sync.period");
        if (System.getenv(variable) != null || !values.isFileDefault("psync.sync.period")) {
            return;
        }
        String period = values.get("psync.sim.sync-period");
        context.getPropertiesComponent().addOverrideProperty("psync.sync.period", period);
        LOG.info("sync timer period {} on the built-in simulator ({} is not set; PSYNC_SIM_SYNC_PERIOD)", period, variable);
    }
}

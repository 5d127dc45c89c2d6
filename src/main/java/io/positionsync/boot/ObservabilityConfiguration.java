package io.positionsync.boot;

import java.time.Clock;

import javax.sql.DataSource;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.Registry;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.positionsync.api.DatabaseMetrics;
import io.positionsync.api.GatewayHealthCheck;
import io.positionsync.api.HttpRequestMetrics;
import io.positionsync.api.SplitPartsUnmetered;
import io.positionsync.api.SyncMetrics;
import io.positionsync.api.SyncStatistics;
import io.positionsync.api.SyncTimerWatch;
import io.positionsync.ibkr.TwsBrokerGateway;
import io.positionsync.run.SyncTriggers;
import io.positionsync.store.BreakRepository;
import io.positionsync.store.PositionRepository;
import io.positionsync.store.SyncRunRepository;

/**
 * The observability area: the service's meters beside Camel's on the Prometheus registry ({@code /observe/metrics}),
 * the pool's, the database-backed gauges, the HTTP request and timer watchers, and the gateway's health check.
 */
public class ObservabilityConfiguration implements CamelConfiguration {
    /** The watchers the API reports from (event notifiers, so kept out of the registry's autowiring by type). */
    static final String WATCHERS = "observabilityWatchers";

    /** The HTTP requests' meters and the sync timer's watch. */
    record Watchers(HttpRequestMetrics httpRequests, SyncTimerWatch timer) {
    }

    @Override
    public void configure(CamelContext context) throws Exception {
        PositionSyncSettings settings = Wiring.bean(context, SettingsConfiguration.SETTINGS, PositionSyncSettings.class);
        Wiring.Resources resources = Wiring.resources(context);
        Registry registry = context.getRegistry();
        Clock clock = Clock.systemUTC();
        SyncStatistics statistics = Wiring.bean(context, "syncStatistics", SyncStatistics.class);
        TwsBrokerGateway gateway = Wiring.bean(context, "brokerGateway", TwsBrokerGateway.class);
        SyncTriggers triggers = Wiring.bean(context, "syncTriggers", SyncTriggers.class);
        statistics.seed(Wiring.bean(context, "syncRunRepository", SyncRunRepository.class), SyncStatistics.SEED_LOOKBACK);

        // The registry camel-micrometer-prometheus scrapes at /observe/metrics (bound by camel.metrics.enabled).
        MeterRegistry meters = registry.lookupByNameAndType("metricsRegistry", MeterRegistry.class);
        if (meters == null) {
            meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            registry.bind("metricsRegistry", meters);
        }
        SyncMetrics metrics = new SyncMetrics(meters, statistics, gateway::status, triggers.coordinator()::inFlight,
                settings.sync().period());
        metrics.bindPacing(gateway.pacingStatistics());
        io.positionsync.run.LiveRuns live = context.getRegistry().lookupByNameAndType(SyncConfiguration.LIVE_RUNS,
                io.positionsync.run.LiveRuns.class);
        if (live != null) {
            metrics.bindLive(live);
        }
        statistics.addListener(metrics::recordRun);
        io.positionsync.run.Gateways gateways = Wiring.bean(context, io.positionsync.run.Gateways.BEAN,
                io.positionsync.run.Gateways.class);
        for (io.positionsync.run.GatewaySync each : gateways.all()) {
            metrics.bindGateway(each.name(), each::owned, each.broker()::liveSince);
            each.triggers().addRunListener(run -> metrics.recordGatewayRun(each.name(), run));
        }
        // The sync steps report each successful run's fills here (recordFills); metrics and status follow.
        statistics.addFillsListener(metrics::recordFills);
        DatabaseMetrics databaseMetrics = resources.add(new DatabaseMetrics(meters,
                Wiring.bean(context, "positionRepository", PositionRepository.class),
                Wiring.bean(context, "breakRepository", BreakRepository.class), settings.monitor().databaseCache(),
                settings.monitor().databaseTimeout(), clock));
        statistics.addListener(run -> databaseMetrics.refresh());
        // The pool's own meters (hikaricp_connections_*), set once on the running pool.
        Wiring.bean(context, "dataSource", DataSource.class).unwrap(HikariDataSource.class)
                .setMetricsTrackerFactory(new MicrometerMetricsTrackerFactory(meters));
        HttpRequestMetrics httpMetrics = new HttpRequestMetrics(meters);
        context.getManagementStrategy().addEventNotifier(httpMetrics);
        SyncTimerWatch timerWatch = new SyncTimerWatch("sync-timer", clock);
        context.getManagementStrategy().addEventNotifier(timerWatch);
        // Camel's exchange timers count runs, not the split's one exchange per instrument (see SplitPartsUnmetered).
        context.addStartupListener(new SplitPartsUnmetered());
        registry.bind(WATCHERS, new Watchers(httpMetrics, timerWatch));
        registry.bind("gatewayHealthCheck", new GatewayHealthCheck(gateway::status));
    }
}

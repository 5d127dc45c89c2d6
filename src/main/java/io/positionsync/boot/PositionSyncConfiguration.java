package io.positionsync.boot;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.platform.http.PlatformHttpComponent;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.positionsync.api.ApiJson;
import io.positionsync.api.ApiSettings;
import io.positionsync.api.AsyncHttpEngine;
import io.positionsync.api.BreaksApi;
import io.positionsync.api.DashboardAssets;
import io.positionsync.api.DatabaseHealthCheck;
import io.positionsync.api.DatabaseMetrics;
import io.positionsync.api.GatewayHealthCheck;
import io.positionsync.api.HttpRequestMetrics;
import io.positionsync.api.HttpResponses;
import io.positionsync.api.HttpConnectionLimits;
import io.positionsync.api.ListenAddressPolicy;
import io.positionsync.api.ManualTrigger;
import io.positionsync.api.RequestGuards;
import io.positionsync.api.PortfolioApi;
import io.positionsync.api.PnlApi;
import io.positionsync.api.PositionsApi;
import io.positionsync.api.ResponseHeaderFilter;
import io.positionsync.api.SchedulerApi;
import io.positionsync.api.SyncApi;
import io.positionsync.api.SyncMetrics;
import io.positionsync.api.SyncStatistics;
import io.positionsync.api.SyncTimerWatch;
import io.positionsync.api.TokenGuard;
import io.positionsync.api.UnmatchedRequests;
import io.positionsync.ibkr.SnapshotLimits;
import io.positionsync.ibkr.TwsBrokerGateway;
import io.positionsync.ibkr.TwsGatewayConfig;
import io.positionsync.ibkr.sim.DemoClock;
import io.positionsync.ibkr.sim.DemoTrading;
import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.ibkr.sim.Scenario;
import io.positionsync.ibkr.sim.SimulatorOptions;
import io.positionsync.ibkr.sim.SimulatorState;
import io.positionsync.store.AccountRepository;
import io.positionsync.store.Adoption;
import io.positionsync.store.AdoptionSettings;
import io.positionsync.store.BreakRepository;
import io.positionsync.store.Database;
import io.positionsync.store.DailyPnlRepository;
import io.positionsync.store.ExecutionRepository;
import io.positionsync.store.Migrations;
import io.positionsync.store.PositionProjection;
import io.positionsync.store.PositionRepository;
import io.positionsync.store.RunOwner;
import io.positionsync.store.SyncRunRepository;
import io.positionsync.ibkr.sim.DemoHistory;
import io.positionsync.run.ReconcileProcessor;
import io.positionsync.run.RunResultAggregation;
import io.positionsync.sync.SnapshotTransformer;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.sync.SyncTrigger;
import io.positionsync.run.SyncCoordinator;
import io.positionsync.run.GracefulStop;
import io.positionsync.run.PendingRunFailures;
import io.positionsync.run.SyncRunSteps;
import io.positionsync.run.SyncTriggers;

/**
 * Builds the service's beans from the configuration and binds them for the routes: the database (migrated
 * before any route starts), the gateway (or the built-in simulator when no host is configured), the
 * repositories, and the sync pipeline's steps. Everything it starts is stopped with the CamelContext.
 */
public class PositionSyncConfiguration implements CamelConfiguration {
    private static final Logger LOG = LoggerFactory.getLogger(PositionSyncConfiguration.class);
    /** Run failures kept while the database is away (one per failed run; runs are at least a second apart). */
    private static final int PENDING_FAILURES_CAPACITY = 10_000;

    @Override
    public void configure(CamelContext context) throws Exception {
        Settings settings = Settings.fromCamel(context);
        // Before anything starts (no database, no socket): every refusal is one line and takes milliseconds.
        List<ConfigurationCheck.UnknownVariable> unknown = ConfigurationCheck.unknownVariables(System.getenv(), settings);
        if (!unknown.isEmpty()) {
            // The command line refuses these before anything starts; a service started otherwise refuses here.
            throw new IllegalStateException(ConfigurationCheck.refusal(unknown));
        }
        ConfigurationCheck.validateEnvironment(System.getenv());
        ConfigurationCheck.validate(settings);
        GatewayChoice gatewayChoice = GatewayChoice.of(settings, unknown);
        if (gatewayChoice == GatewayChoice.SIMULATOR) {
            settings = demoSyncPeriod(context, settings);
        }
        // After the demo's period is set: the line shows the values the service runs with.
        LOG.info("configuration in use: {}", StartupReport.configuration(settings));
        // Refuse to listen beyond loopback without an API token.
        TokenGuard tokenGuard = new TokenGuard(settings.find("psync.api.token").orElse(null));
        ListenAddressPolicy.check(context, settings.find("psync.api.token").orElse(null));
        StartupReport.refuseTakenHttpPort(context, settings);
        Resources resources = new Resources();
        context.addService(resources, true, true);
        // The HTTP server's Vert.x (found in the registry): idle connections closed, open ones capped.
        HttpConnectionLimits connectionLimits = new HttpConnectionLimits(settings.getMillis("psync.http.idle-timeout-ms"),
                settings.getInt("psync.http.max-connections"), settings.getInt("psync.http.max-connections-per-client"),
                settings.getInt("psync.http.probe-reserve"), settings.getMillis("psync.http.refused-log-interval-ms"));
        if (context.getPropertiesComponent().resolveProperty("camel.server.enabled").map(Boolean::parseBoolean).orElse(false)) {
            io.vertx.core.Vertx vertx = connectionLimits.vertx();
            // Closed once the context has stopped: the HTTP server stops on it first.
            context.getManagementStrategy().addEventNotifier(new org.apache.camel.support.EventNotifierSupport() {
                @Override
                public boolean isEnabled(org.apache.camel.spi.CamelEvent event) {
                    return event instanceof org.apache.camel.spi.CamelEvent.CamelContextStoppedEvent;
                }

                @Override
                public void notify(org.apache.camel.spi.CamelEvent event) throws Exception {
                    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
                }
            });
            context.getRegistry().bind("vertx", vertx);
            context.getRegistry().bind("httpConnectionLimits", connectionLimits);
        }

        Database database = resources.add(Database.start(settings));
        DataSource dataSource = database.dataSource();
        int schemaVersion = Migrations.migrate(dataSource).toVersion();

        String host;
        int port;
        // The clock of the gateway's snapshots and of the runs: the demo's while it lives through its history.
        Clock syncClock = Clock.systemUTC();
        DemoHistory demoHistory = null;
        if (gatewayChoice == GatewayChoice.SIMULATOR) {
            Scenario demo = Scenario.demo();
            Duration tick = settings.getMillis("psync.sim.price-tick-ms");
            Duration tradeInterval = settings.getMillis("psync.sim.trade-interval-ms");
            int seed = settings.getInt("psync.sim.seed");
            SimulatorOptions options = demo.simulatorOptions().withPort(0)
                    .withPriceTickInterval(tick.isZero() ? null : tick);
            int historyDays = settings.getInt("psync.sim.history-days");
            // A history only where nothing was synced yet, with a demo that trades and a timer to start it.
            boolean replayHistory = historyDays > 0 && !tradeInterval.isZero()
                    && Boolean.parseBoolean(settings.get("psync.sync.timer-enabled"))
                    && new SyncRunRepository(dataSource).latest().isEmpty();
            GatewaySimulator simulator;
            if (replayHistory) {
                List<LocalDate> days = DemoHistory.tradingDaysBefore(LocalDate.now(ZoneOffset.UTC), historyDays);
                DemoClock demoClock = DemoClock.startingAt(DemoHistory.start(days));
                SimulatorState state = demo.toState(demoClock);
                // Nobody trades on the simulator's own timer: the history's trader goes on live when it is over.
                GatewaySimulator started = resources.add(new GatewaySimulator(state, options.withTrading(null, seed))
                        .start());
                DemoTrading trader = new DemoTrading(state, seed);
                demoHistory = new DemoHistory(demoClock, state, trader, days,
                        () -> started.startTrading(trader, tradeInterval));
                syncClock = demoClock;
                simulator = started;
            } else {
                // A restart on the same data directory: the demo goes on from what it synced, not from its scenario.
                SimulatorState state = demo.toState();
                DemoRestore.fromDatabase(dataSource, state).ifPresent(restored -> LOG.info("built-in simulator: the "
                        + "demo portfolio goes on from the database ({} open positions, {} of the scenario flat)",
                        restored.positions(), restored.flattened()));
                simulator = resources.add(new GatewaySimulator(state, options.withTrading(tradeInterval, seed)).start());
            }
            host = simulator.host();
            port = simulator.port();
            context.getRegistry().bind("gatewaySimulator", simulator);
            LOG.info("gateway: the built-in simulator with its demo scenario on {}:{} ({})", host, port,
                    settings.find("psync.ibkr.host").isPresent() ? "PSYNC_IBKR_HOST=" + GatewayChoice.SIMULATOR_HOST
                            : "nothing external configured");
        } else {
            host = settings.get("psync.ibkr.host");
            port = settings.getInt("psync.ibkr.port");
        }
        TwsBrokerGateway gateway = resources.add(new TwsBrokerGateway(TwsGatewayConfig.fromSettings(settings, host, port),
                SnapshotLimits.fromSettings(settings), syncClock, Clock.systemUTC()));

        int chunk = settings.getInt("psync.db.write-chunk-size");
        ExecutionRepository executions = new ExecutionRepository(dataSource, chunk);
        PositionRepository positions = new PositionRepository(dataSource, executions, chunk);
        // This process owns its runs for as long as it lives (its lock taken again after a database restart);
        // start-up fails only runs whose owner is gone.
        RunOwner owner = resources.add(RunOwner.acquire(database::openSession));
        SyncRunRepository runs = new SyncRunRepository(dataSource, owner);
        BreakRepository breaks = new BreakRepository(dataSource);
        SyncStatistics statistics = new SyncStatistics(Clock.systemUTC(),
                settings.getInt("psync.monitor.executions-missing-runs"), settings.getInt("psync.ibkr.client-id"));
        PendingRunFailures pendingFailures = resources.add(new PendingRunFailures(runs, dataSource,
                settings.getMillis("psync.sync.failure-retry-ms"), PENDING_FAILURES_CAPACITY));
        PositionProjection projection = Adoption.projection(database, AdoptionSettings.from(settings),
                io.positionsync.store.ProjectionSettings.from(settings));
        SyncRunSteps steps = new SyncRunSteps(gateway, dataSource, positions, executions, runs, breaks,
                new SnapshotTransformer(), new BigDecimal(settings.get("psync.sync.break-tolerance")), syncClock,
                statistics, pendingFailures, projection);
        steps.failInterruptedRuns();

        SyncTriggers triggers = resources.add(new SyncTriggers(context, settings.getMillis("psync.sync.run-timeout-ms")));
        if (demoHistory != null) {
            DemoHistory history = demoHistory;
            triggers.beforeStartupRun((coordinator, runTimeout) -> history.replay(() -> {
                SyncRunSummary summary = coordinator.runAndWait(SyncTrigger.TIMER, runTimeout);
                if (summary.status() != SyncRunStatus.SUCCEEDED) {
                    LOG.warn("demo history: run {} ended {}: {}", summary.runId(), summary.status(), summary.error());
                }
                return summary.status() == SyncRunStatus.SUCCEEDED;
            }));
        }

        var registry = context.getRegistry();
        registry.bind("dataSource", dataSource);
        registry.bind("database", database);
        registry.bind("brokerGateway", gateway);
        registry.bind("positionRepository", positions);
        registry.bind("executionRepository", executions);
        registry.bind("syncRunRepository", runs);
        registry.bind("breakRepository", breaks);
        registry.bind("syncRunSteps", steps);
        registry.bind("positionProjection", projection);
        registry.bind("reconcileProcessor", new ReconcileProcessor());
        registry.bind("runResultAggregation", new RunResultAggregation());
        registry.bind("syncTriggers", triggers);

        // --- HTTP API, dashboard, health checks and metrics (io.positionsync.api, routes/api*.camel.yaml) ---
        Clock clock = Clock.systemUTC();
        ApiSettings api = ApiSettings.from(settings);
        statistics.seed(runs, SyncStatistics.SEED_LOOKBACK);
        // The registry camel-micrometer-prometheus scrapes at /observe/metrics (bound by camel.metrics.enabled).
        MeterRegistry meters = registry.lookupByNameAndType("metricsRegistry", MeterRegistry.class);
        if (meters == null) {
            meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            registry.bind("metricsRegistry", meters);
        }
        SyncMetrics metrics = new SyncMetrics(meters, statistics, gateway::status, triggers.coordinator()::inFlight,
                settings.getMillis("psync.sync.period"));
        statistics.addListener(metrics::recordRun);
        statistics.addFillsListener(metrics::recordFills);
        // The sync steps report each successful run's fills here (recordFills); metrics and status follow.
        registry.bind("syncStatistics", statistics);
        DatabaseMetrics databaseMetrics = resources.add(new DatabaseMetrics(meters, positions, breaks,
                settings.getMillis("psync.monitor.database-cache-ms"), settings.getMillis("psync.monitor.database-timeout-ms"),
                clock));
        statistics.addListener(run -> databaseMetrics.refresh());
        // The pool's own meters (hikaricp_connections_*), set once on the running pool.
        dataSource.unwrap(HikariDataSource.class).setMetricsTrackerFactory(new MicrometerMetricsTrackerFactory(meters));
        HttpRequestMetrics httpMetrics = new HttpRequestMetrics(meters);
        context.getManagementStrategy().addEventNotifier(httpMetrics);
        SyncTimerWatch timerWatch = new SyncTimerWatch("sync-timer", clock);
        context.getManagementStrategy().addEventNotifier(timerWatch);
        // Camel's exchange timers count runs, not the split's one exchange per instrument (see SplitPartsUnmetered).
        context.addStartupListener(new io.positionsync.api.SplitPartsUnmetered());
        ProducerTemplate manualTrigger = context.createProducerTemplate();
        DatabaseHealthCheck databaseHealth = new DatabaseHealthCheck(dataSource, api.dbHealthTimeout(), schemaVersion);
        SyncApi syncApi = resources.add(new SyncApi(
                key -> manualTrigger.requestBodyAndHeader("direct:sync-manual", null, SyncRunSteps.IDEMPOTENCY_HEADER, key,
                        SyncCoordinator.InFlightRun.class),
                tokenGuard, runs, breaks, gateway::status, triggers.coordinator()::inFlight, statistics, api, clock,
                Boolean.parseBoolean(settings.get("psync.sync.timer-enabled")), databaseHealth::problem));
        registry.bind("syncApi", syncApi);
        if (demoHistory != null) {
            syncApi.demoHistory(demoHistory::progress);
        }
        // SIGTERM: answer waiting callers, give the run in flight its grace, then cut its snapshot short.
        context.getManagementStrategy().addEventNotifier(new GracefulStop(triggers.coordinator(),
                settings.getMillis("psync.sync.shutdown-grace-ms"), syncApi::close, gateway::close));
        registry.bind("schedulerApi", new SchedulerApi(context, timerWatch, statistics, runs, api, clock));
        registry.bind("positionsApi", new PositionsApi(positions));
        registry.bind("portfolioApi", new PortfolioApi(positions, runs, new AccountRepository(dataSource),
                gateway::status, api, clock));
        registry.bind("pnlApi", new PnlApi(new DailyPnlRepository(dataSource,
                java.time.ZoneId.of(settings.find("psync.reporting.time-zone").orElse("UTC").trim())), clock));
        registry.bind("breaksApi", new BreaksApi());
        registry.bind("dashboardAssets", new DashboardAssets("web"));
        registry.bind("unmatchedRequests", new UnmatchedRequests(context));
        // The one ObjectMapper (configured in ApiJson, as the command line's JSON): the routes' marshal: json and the
        // answers the request guards give before any route.
        ObjectMapper jsonMapper = ApiJson.create();
        registry.bind(ApiJson.BEAN, jsonMapper);
        HttpResponses httpResponses = new HttpResponses(jsonMapper);
        registry.bind("httpResponses", httpResponses);
        // The manual trigger's route: waiting callers hold no HTTP worker (see AsyncHttpEngine, ManualTrigger).
        registry.bind("asyncHttpEngine", new AsyncHttpEngine());
        registry.bind("manualTrigger", new ManualTrigger(syncApi,
                context.getExecutorServiceManager().newThreadPool(syncApi, "manual-trigger-start", 1, 4)));
        // Security headers everywhere, HEAD, the token for reads off loopback, bodies over the limit.
        context.addStartupListener(new RequestGuards(httpResponses, tokenGuard, connectionLimits).installer());
        // Lets the API's own Cache-Control through (Camel's HTTP header filter drops it by default).
        context.getComponent("platform-http", PlatformHttpComponent.class).setHeaderFilterStrategy(new ResponseHeaderFilter());
        registry.bind("databaseHealthCheck", databaseHealth);
        registry.bind("gatewayHealthCheck", new GatewayHealthCheck(gateway::status));
        StartupReport.logListenAddressWhenStarted(context);
    }

    /**
     * On the built-in simulator the timer runs at {@code psync.sim.sync-period} unless {@code psync.sync.period} was
     * set: the demo trades every few seconds, and one run a minute would hide what it shows. Set before the routes
     * read the period, so the timer, the scheduler status and the metrics all see the same value.
     */
    private static Settings demoSyncPeriod(CamelContext context, Settings settings) {
        String variable = settings.variableOf("psync.sync.period");
        if (System.getenv(variable) != null || !settings.isFileDefault("psync.sync.period")) {
            return settings;
        }
        String period = settings.get("psync.sim.sync-period");
        context.getPropertiesComponent().addOverrideProperty("psync.sync.period", period);
        LOG.info("sync timer period {} on the built-in simulator ({} is not set; PSYNC_SIM_SYNC_PERIOD)", period, variable);
        return Settings.fromCamel(context);
    }

    /** Which gateway the service talks to: decided from the configuration before anything starts. */
    enum GatewayChoice {
        /** The configured TWS / IB Gateway ({@code PSYNC_IBKR_HOST}). */
        CONFIGURED,
        /** The built-in simulator with its demo portfolio. */
        SIMULATOR;

        /** {@code PSYNC_IBKR_HOST} value that asks for the built-in simulator on purpose. */
        static final String SIMULATOR_HOST = "simulator";

        /**
         * The simulator's demo positions may only be written where nothing real can be: into the embedded
         * database with no gateway configured, or when asked for by name. An external database without a
         * gateway host is a mistake (a misspelt variable, a forgotten export), never a reason for demo data.
         */
        static GatewayChoice of(Settings settings, List<ConfigurationCheck.UnknownVariable> unknownVariables) {
            String host = settings.find("psync.ibkr.host").orElse(null);
            if (host != null) {
                return SIMULATOR_HOST.equalsIgnoreCase(host) ? SIMULATOR : CONFIGURED;
            }
            if (settings.find("psync.db.url").isEmpty()) {
                return SIMULATOR;
            }
            String hostVariable = settings.variableOf("psync.ibkr.host");
            String typo = unknownVariables.stream().filter(v -> v.closest().filter(hostVariable::equals).isPresent())
                    .findFirst().map(v -> " (" + v.name() + " is set: a typo?)").orElse("");
            throw new IllegalStateException(settings.variableOf("psync.db.url") + " is set but "
                    + hostVariable + " is not" + typo + ": refusing to sync the built-in "
                    + "simulator's demo positions into that database; set PSYNC_IBKR_HOST to your TWS / IB Gateway host, "
                    + "or PSYNC_IBKR_HOST=" + SIMULATOR_HOST + " to use the simulator on purpose");
        }
    }

    /** Closes what the configuration started, last started first, when the CamelContext stops. */
    static final class Resources extends ServiceSupport {
        private final Deque<AutoCloseable> started = new ArrayDeque<>();

        synchronized <T extends AutoCloseable> T add(T resource) {
            started.push(resource);
            return resource;
        }

        @Override
        protected synchronized void doStop() {
            while (!started.isEmpty()) {
                AutoCloseable resource = started.pop();
                try {
                    resource.close();
                } catch (Exception e) {
                    LOG.warn("closing {} failed: {}", resource.getClass().getSimpleName(), e.getMessage());
                }
            }
        }
    }

}

package io.positionsync.boot;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import javax.sql.DataSource;

import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.Registry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.positionsync.api.SyncStatistics;
import io.positionsync.ibkr.TwsBrokerGateway;
import io.positionsync.ibkr.sim.DemoHistory;
import io.positionsync.run.GatewaySync;
import io.positionsync.run.Gateways;
import io.positionsync.run.LiveRuns;
import io.positionsync.run.RunState;
import io.positionsync.run.PendingRunFailures;
import io.positionsync.run.ReconcileProcessor;
import io.positionsync.run.RunResultAggregation;
import io.positionsync.run.SyncRunSteps;
import io.positionsync.run.SyncTriggers;
import io.positionsync.store.BreakRepository;
import io.positionsync.store.Database;
import io.positionsync.store.ExecutionRepository;
import io.positionsync.store.GatewayOwners;
import io.positionsync.store.PositionProjection;
import io.positionsync.store.PositionRepository;
import io.positionsync.store.RunNotifier;
import io.positionsync.store.RunOwner;
import io.positionsync.store.SyncRunRepository;
import io.positionsync.sync.SnapshotTransformer;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.sync.SyncTrigger;

/**
 * The sync area: the pipeline's steps ({@code routes/sync.camel.yaml} calls them by these names), the triggers that
 * start runs (timer, start-up, manual), the runs' repository under this process's ownership, the run statistics, and the failures kept while the database is away.
 */
public class SyncConfiguration implements CamelConfiguration {
    private static final Logger LOG = LoggerFactory.getLogger(SyncConfiguration.class);
    /** Run failures kept while the database is away (one per failed run; runs are at least a second apart). */
    private static final int PENDING_FAILURES_CAPACITY = 10_000;
    /** The registry name of the live mode's {@link LiveRuns} (bound only when live mode is on). */
    public static final String LIVE_RUNS = "liveRuns";

    @BindToRegistry("reconcileProcessor")
    public ReconcileProcessor reconcileProcessor() {
        return new ReconcileProcessor();
    }

    @BindToRegistry("runResultAggregation")
    public RunResultAggregation runResultAggregation() {
        return new RunResultAggregation();
    }

    @Override
    public void configure(CamelContext context) throws Exception {
        PositionSyncSettings settings = Wiring.bean(context, SettingsConfiguration.SETTINGS, PositionSyncSettings.class);
        Wiring.Resources resources = Wiring.resources(context);
        DataSource dataSource = Wiring.bean(context, "dataSource", DataSource.class);
        // This process owns its runs for as long as it lives (its lock taken again after a database restart);
        // start-up fails only runs whose owner is gone.
        RunOwner owner = resources.add(RunOwner.acquire(Wiring.bean(context, "database", Database.class)::openSession));
        ClusterSettings cluster = Wiring.bean(context, SettingsConfiguration.CLUSTER, ClusterSettings.class);
        SyncRunRepository runs = new SyncRunRepository(dataSource, owner, cluster.instance());
        TwsBrokerGateway gateway = Wiring.bean(context, "brokerGateway", TwsBrokerGateway.class);
        @SuppressWarnings("unchecked")
        Map<String, TwsBrokerGateway> brokers = Wiring.bean(context, GatewayConfiguration.BROKERS, Map.class);
        Clock syncClock = Wiring.bean(context, GatewayConfiguration.SYNC_CLOCK, Clock.class);

        SyncStatistics statistics = new SyncStatistics(Clock.systemUTC(), settings.monitor().executionsMissingRuns(),
                settings.gateway().clientId());
        PendingRunFailures pendingFailures = resources.add(new PendingRunFailures(runs, dataSource,
                settings.sync().failureRetry(), PENDING_FAILURES_CAPACITY));
        SyncRunSteps steps = new SyncRunSteps(gateway, dataSource,
                Wiring.bean(context, "positionRepository", PositionRepository.class),
                Wiring.bean(context, "executionRepository", ExecutionRepository.class), runs,
                Wiring.bean(context, "breakRepository", BreakRepository.class), new SnapshotTransformer(),
                settings.sync().breakTolerance(), syncClock, statistics, pendingFailures,
                Wiring.bean(context, "positionProjection", PositionProjection.class),
                RunNotifier.on(settings.sync().notifyChannel().orElse(null)));
        steps.failInterruptedRuns();

        String firstName = brokers.keySet().iterator().next();
        SyncTriggers triggers = resources.add(new SyncTriggers(context, settings.sync().runTimeout(), firstName));
        DemoHistory demoHistory = context.getRegistry().lookupByNameAndType(GatewayConfiguration.DEMO_HISTORY,
                DemoHistory.class);
        if (demoHistory != null) {
            // The demo's days of history, each run through the coordinator, before the start-up run.
            triggers.beforeStartupRun((coordinator, runTimeout) -> demoHistory.replay(() -> {
                SyncRunSummary summary = coordinator.runAndWait(SyncTrigger.TIMER, runTimeout);
                if (summary.status() != SyncRunStatus.SUCCEEDED) {
                    LOG.warn("demo history: run {} ended {}: {}", summary.runId(), summary.status(), summary.error());
                }
                return summary.status() == SyncRunStatus.SUCCEEDED;
            }));
        }
        Registry registry = context.getRegistry();
        Gateways gateways = resources.add(new Gateways(cluster.instance(), cluster.clustered()));
        GatewayOwners owners = new GatewayOwners(dataSource);
        ExecutorService ownership = Executors.newSingleThreadExecutor(r -> {
            Thread thread = new Thread(r, "psync-ownership");
            thread.setDaemon(true);
            return thread;
        });
        resources.add((AutoCloseable) ownership::shutdownNow);
        for (Map.Entry<String, TwsBrokerGateway> broker : brokers.entrySet()) {
            String name = broker.getKey();
            boolean first = name.equals(firstName);
            steps.addGateway(name, broker.getValue());
            SyncTriggers gatewayTriggers = first ? triggers
                    : resources.add(new SyncTriggers(context, settings.sync().runTimeout(), name));
            GatewaySync sync = new GatewaySync(name, broker.getValue(), gatewayTriggers, owners, cluster.instance(),
                    cluster.clustered(), Clock.systemUTC(), ownership);
            gateways.add(sync);
            if (settings.sync().live()) {
                LiveRuns live = resources.add(new LiveRuns(gatewayTriggers.coordinator(), settings.sync().eventDebounce(),
                        settings.sync().eventMaxDelay()));
                gatewayTriggers.addRunListener(live::runFinished); // its own gateway's runs only
                if (first) {
                    registry.bind(LIVE_RUNS, live);
                }
                sync.liveListener(live);
                if (!cluster.clustered()) {
                    startLiveAfterStartupRun(context, settings, gatewayTriggers, sync::startLive);
                }
            }
        }
        steps.fencing(gateways);
        int forgotten = new io.positionsync.store.GatewayAccounts(dataSource).forgetAllBut(gateways.names());
        if (forgotten > 0) {
            LOG.info("{} account claim(s) of gateways no longer configured dropped (configured: {})", forgotten,
                    gateways.names());
        }
        Ownership.bind(context, cluster, gateways, settings.sync().timerEnabled());
        registry.bind(Gateways.BEAN, gateways);
        registry.bind("syncRunRepository", runs);
        registry.bind("syncStatistics", statistics);
        registry.bind("syncRunSteps", steps);
        registry.bind("syncTriggers", triggers);
    }

    /**
     * Live mode starts once the start-up run has ended, whatever its outcome (the client then reconnects on its
     * own): the built-in demo's history is built by then, and the first catch-up run does not race the start-up
     * run. Without the timer there is no start-up run: it starts with the context.
     */
    private static void startLiveAfterStartupRun(CamelContext context, PositionSyncSettings settings,
            SyncTriggers triggers, Runnable start) throws Exception {
        if (settings.sync().timerEnabled()) {
            triggers.afterStartupRun(start);
        } else {
            context.addStartupListener((camelContext, alreadyStarted) -> start.run());
        }
    }
}

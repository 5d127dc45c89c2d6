package io.positionsync;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

import javax.sql.DataSource;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.positionsync.ibkr.TwsBrokerGateway;
import io.positionsync.ibkr.TwsGatewayConfig;
import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.ibkr.sim.Scenario;
import io.positionsync.ibkr.sim.SimulatorOptions;
import io.positionsync.store.BreakRepository;
import io.positionsync.store.Database;
import io.positionsync.store.ExecutionRepository;
import io.positionsync.store.Migrations;
import io.positionsync.store.PositionRepository;
import io.positionsync.store.SyncRunRepository;
import io.positionsync.sync.ReconcileProcessor;
import io.positionsync.sync.SnapshotTransformer;
import io.positionsync.sync.SyncRunSteps;
import io.positionsync.sync.SyncTriggers;

/**
 * Builds the service's beans from the configuration and binds them for the routes: the database (migrated
 * before any route starts), the gateway (or the built-in simulator when no host is configured), the
 * repositories, and the sync pipeline's steps. Everything it starts is stopped with the CamelContext.
 */
public class PositionSyncConfiguration implements CamelConfiguration {
    private static final Logger LOG = LoggerFactory.getLogger(PositionSyncConfiguration.class);

    @Override
    public void configure(CamelContext context) throws Exception {
        Settings settings = Settings.fromCamel(context);
        Resources resources = new Resources();
        context.addService(resources, true, true);

        Database database = resources.add(Database.start(settings));
        DataSource dataSource = database.dataSource();
        Migrations.migrate(dataSource);

        String host = settings.find("psync.ibkr.host").orElse(null);
        int port;
        if (host == null) {
            Scenario demo = Scenario.demo();
            Duration tick = settings.getMillis("psync.sim.price-tick-ms");
            SimulatorOptions options = demo.simulatorOptions().withPort(0)
                    .withPriceTickInterval(tick.isZero() ? null : tick);
            GatewaySimulator simulator = resources.add(new GatewaySimulator(demo.toState(), options).start());
            host = simulator.host();
            port = simulator.port();
            context.getRegistry().bind("gatewaySimulator", simulator);
            LOG.info("no gateway configured (PSYNC_IBKR_HOST): using the built-in simulator with the demo scenario on {}:{}",
                    host, port);
        } else {
            port = settings.getInt("psync.ibkr.port");
        }
        TwsBrokerGateway gateway = resources.add(new TwsBrokerGateway(TwsGatewayConfig.fromSettings(settings, host, port)));

        int chunk = settings.getInt("psync.db.write-chunk-size");
        ExecutionRepository executions = new ExecutionRepository(dataSource, chunk);
        PositionRepository positions = new PositionRepository(dataSource, executions, chunk);
        SyncRunRepository runs = new SyncRunRepository(dataSource);
        BreakRepository breaks = new BreakRepository(dataSource);
        SyncRunSteps steps = new SyncRunSteps(gateway, dataSource, positions, executions, runs, breaks,
                new SnapshotTransformer(), new BigDecimal(settings.get("psync.sync.break-tolerance")), Clock.systemUTC(),
                null);
        steps.failInterruptedRuns();

        SyncTriggers triggers = resources.add(new SyncTriggers(context, settings.getMillis("psync.sync.run-timeout-ms")));

        var registry = context.getRegistry();
        registry.bind("dataSource", dataSource);
        registry.bind("database", database);
        registry.bind("brokerGateway", gateway);
        registry.bind("positionRepository", positions);
        registry.bind("executionRepository", executions);
        registry.bind("syncRunRepository", runs);
        registry.bind("breakRepository", breaks);
        registry.bind("syncRunSteps", steps);
        registry.bind("reconcileProcessor", new ReconcileProcessor());
        registry.bind("syncTriggers", triggers);
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

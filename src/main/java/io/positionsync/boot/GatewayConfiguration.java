package io.positionsync.boot;

import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.positionsync.ibkr.TwsBrokerGateway;
import io.positionsync.ibkr.sim.DemoClock;
import io.positionsync.ibkr.sim.DemoHistory;
import io.positionsync.ibkr.sim.DemoTrading;
import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.ibkr.sim.Scenario;
import io.positionsync.ibkr.sim.SimulatorOptions;
import io.positionsync.ibkr.sim.SimulatorState;
import io.positionsync.store.SyncRunRepository;

/**
 * The gateway area: the configured TWS / IB Gateway, or the built-in simulator with its demo portfolio (and, on an
 * empty database, the demo's days of history lived through on a clock set back before the start-up run).
 */
public class GatewayConfiguration implements CamelConfiguration {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayConfiguration.class);
    /** The clock of the gateway's snapshots and of the runs: the demo's while it lives through its history. */
    static final String SYNC_CLOCK = "syncClock";
    /** The demo's history, when the built-in simulator replays one before the start-up run. */
    static final String DEMO_HISTORY = "demoHistory";
    /** Every gateway's client by name, in order ({@code Map<String, TwsBrokerGateway>}); the first is brokerGateway. */
    static final String BROKERS = "brokerGateways";

    /** The gateways of {@code PSYNC_GATEWAYS}, each with its own client id; the first is also brokerGateway. */
    private static void bindNamed(CamelContext context, Wiring.Resources resources, GatewaySettings settings,
            List<ClusterSettings.Endpoint> named) {
        Map<String, TwsBrokerGateway> brokers = new LinkedHashMap<>();
        for (ClusterSettings.Endpoint endpoint : named) {
            GatewaySettings one = new GatewaySettings(java.util.Optional.of(endpoint.host()), endpoint.port(),
                    endpoint.clientId(), settings.connectTimeout(), settings.requestTimeout(), settings.backoffInitial(),
                    settings.backoffMax(), settings.commissionWait(), settings.limits(), settings.maxMessagesPerSecond());
            brokers.put(endpoint.name(), resources.add(new TwsBrokerGateway(one.client(), settings.limits(),
                    Clock.systemUTC(), Clock.systemUTC())));
        }
        LOG.info("gateways: {}", named.stream().map(ClusterSettings.Endpoint::toString).toList());
        context.getRegistry().bind(SYNC_CLOCK, Clock.systemUTC());
        context.getRegistry().bind("brokerGateway", brokers.values().iterator().next());
        context.getRegistry().bind(BROKERS, brokers);
    }

    @Override
    public void configure(CamelContext context) throws Exception {
        PositionSyncSettings settings = Wiring.bean(context, SettingsConfiguration.SETTINGS, PositionSyncSettings.class);
        GatewayChoice choice = Wiring.bean(context, SettingsConfiguration.GATEWAY_CHOICE, GatewayChoice.class);
        Wiring.Resources resources = Wiring.resources(context);
        GatewaySettings gatewaySettings = settings.gateway();
        String host;
        int port;
        Clock syncClock = Clock.systemUTC();
        if (choice == GatewayChoice.SIMULATOR) {
            SimulatorSettings sim = settings.simulator();
            DataSource dataSource = Wiring.bean(context, "dataSource", DataSource.class);
            Scenario demo = Scenario.demo();
            SimulatorOptions options = demo.simulatorOptions().withPort(0)
                    .withPriceTickInterval(sim.priceTick().isZero() ? null : sim.priceTick());
            // A history only where nothing was synced yet, with a demo that trades and a timer to start it.
            boolean replayHistory = sim.historyDays() > 0 && !sim.tradeInterval().isZero()
                    && settings.sync().timerEnabled() && new SyncRunRepository(dataSource).latest().isEmpty();
            GatewaySimulator simulator;
            if (replayHistory) {
                List<LocalDate> days = DemoHistory.tradingDaysBefore(LocalDate.now(ZoneOffset.UTC), sim.historyDays());
                DemoClock demoClock = DemoClock.startingAt(DemoHistory.start(days));
                SimulatorState state = demo.toState(demoClock);
                // Nobody trades on the simulator's own timer: the history's trader goes on live when it is over.
                GatewaySimulator started = resources.add(new GatewaySimulator(state,
                        options.withTrading(null, sim.seed())).start());
                DemoTrading trader = new DemoTrading(state, sim.seed());
                DemoHistory demoHistory = new DemoHistory(demoClock, state, trader, days,
                        () -> started.startTrading(trader, sim.tradeInterval()));
                context.getRegistry().bind(DEMO_HISTORY, demoHistory);
                syncClock = demoClock;
                simulator = started;
            } else {
                // A restart on the same data directory: the demo goes on from what it synced, not from its scenario.
                SimulatorState state = demo.toState();
                DemoRestore.fromDatabase(dataSource, state).ifPresent(restored -> LOG.info("built-in simulator: the "
                        + "demo portfolio goes on from the database ({} open positions, {} of the scenario flat)",
                        restored.positions(), restored.flattened()));
                simulator = resources.add(new GatewaySimulator(state, options.withTrading(sim.tradeInterval(),
                        sim.seed())).start());
            }
            host = simulator.host();
            port = simulator.port();
            context.getRegistry().bind("gatewaySimulator", simulator);
            LOG.info("gateway: the built-in simulator with its demo scenario on {}:{} ({})", host, port,
                    gatewaySettings.host().isPresent() ? "PSYNC_IBKR_HOST=" + GatewaySettings.SIMULATOR_HOST
                            : "nothing external configured");
        } else {
            List<ClusterSettings.Endpoint> named = Wiring.bean(context, SettingsConfiguration.CLUSTER,
                    ClusterSettings.class).gateways();
            if (!named.isEmpty()) {
                bindNamed(context, resources, gatewaySettings, named);
                return;
            }
            host = gatewaySettings.host().orElseThrow();
            port = gatewaySettings.port();
        }
        TwsBrokerGateway gateway = resources.add(new TwsBrokerGateway(gatewaySettings.client(host, port),
                gatewaySettings.limits(), syncClock, Clock.systemUTC()));
        context.getRegistry().bind(SYNC_CLOCK, syncClock);
        context.getRegistry().bind("brokerGateway", gateway);
        Map<String, TwsBrokerGateway> brokers = new LinkedHashMap<>();
        brokers.put(io.positionsync.run.RunState.Started.DEFAULT_GATEWAY, gateway);
        context.getRegistry().bind(BROKERS, brokers);
    }
}

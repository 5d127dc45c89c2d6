package io.positionsync.boot;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.PropertyInject;
import org.apache.camel.component.platform.http.PlatformHttpComponent;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.EventNotifierSupport;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.core.instrument.MeterRegistry;

import io.positionsync.api.ApiJson;
import io.positionsync.api.ApiSettings;
import io.positionsync.api.AsyncHttpEngine;
import io.positionsync.api.BreaksApi;
import io.positionsync.api.DashboardAssets;
import io.positionsync.api.DatabaseHealthCheck;
import io.positionsync.api.ForwardedTriggers;
import io.positionsync.api.HttpConnectionLimits;
import io.positionsync.api.HttpResponses;
import io.positionsync.api.ManualTrigger;
import io.positionsync.api.PnlApi;
import io.positionsync.api.PortfolioApi;
import io.positionsync.api.PositionsApi;
import io.positionsync.api.RequestGuards;
import io.positionsync.api.ResponseHeaderFilter;
import io.positionsync.api.RunEvents;
import io.positionsync.api.SchedulerApi;
import io.positionsync.api.SyncApi;
import io.positionsync.api.SyncStatistics;
import io.positionsync.api.TokenGuard;
import io.positionsync.api.UnmatchedRequests;
import io.positionsync.ibkr.TwsBrokerGateway;
import io.positionsync.ibkr.sim.DemoHistory;
import io.positionsync.run.Gateways;
import io.positionsync.run.GracefulStop;
import io.positionsync.run.RequestTaker;
import io.positionsync.run.SyncCoordinator;
import io.positionsync.run.SyncRunSteps;
import io.positionsync.run.SyncTriggers;
import io.positionsync.store.AccountRepository;
import io.positionsync.store.BreakRepository;
import io.positionsync.store.DailyPnlRepository;
import io.positionsync.store.Database;
import io.positionsync.store.GatewayOwners;
import io.positionsync.store.GatewayStatusRepository;
import io.positionsync.store.SyncRequests;
import io.positionsync.store.PositionRepository;
import io.positionsync.store.RunListener;
import io.positionsync.store.SyncRunRepository;

/**
 * The HTTP area: the API's beans ({@code routes/api*.camel.yaml} calls them by these names), the dashboard, the
 * guards every request passes (token, Host, connection limits, security headers), the event stream of committed runs
 * ({@code GET /api/events} and the session that listens for them), and the graceful stop that answers waiting callers
 * on SIGTERM.
 */
public class ApiConfiguration implements CamelConfiguration {
    /** The first wait before the events' LISTEN session is opened again after a loss; it doubles up to the max. */
    private static final Duration LISTEN_BACKOFF_INITIAL = Duration.ofMillis(250);
    private static final Duration LISTEN_BACKOFF_MAX = Duration.ofSeconds(10);
    /** How often the owner looks for forwarded triggers it missed (a notification lost, or notifications off). */
    private static final Duration TAKER_POLL = Duration.ofSeconds(1);
    /** How often a forwarded trigger's request and run are read while its caller waits. */
    private static final Duration FORWARDED_POLL = Duration.ofMillis(250);

    /** Whether camel-main runs the embedded HTTP server (off for one-shot commands). */
    @PropertyInject(value = "camel.server.enabled", defaultValue = "false")
    private boolean httpServer;

    @BindToRegistry("dashboardAssets")
    public DashboardAssets dashboardAssets() {
        return new DashboardAssets("web");
    }

    /** The one ObjectMapper of the service's JSON ({@link ApiJson}): the routes' {@code marshal: json} and the guards' answers. */
    @BindToRegistry(ApiJson.BEAN)
    public ObjectMapper jsonMapper() {
        return ApiJson.create();
    }

    /** The answers the handlers and the request guards write, with that mapper. */
    @BindToRegistry("httpResponses")
    public HttpResponses httpResponses(@org.apache.camel.BeanInject(ApiJson.BEAN) ObjectMapper jsonMapper) {
        return new HttpResponses(jsonMapper);
    }

    @Override
    public void configure(CamelContext context) throws Exception {
        PositionSyncSettings settings = Wiring.bean(context, SettingsConfiguration.SETTINGS, PositionSyncSettings.class);
        HttpSettings http = settings.http();
        ApiSettings api = http.api();
        Wiring.Resources resources = Wiring.resources(context);
        Registry registry = context.getRegistry();
        Clock clock = Clock.systemUTC();
        TokenGuard tokenGuard = new TokenGuard(http.token().orElse(null));
        // The HTTP server's Vert.x (found in the registry): idle connections closed, open ones capped.
        HttpConnectionLimits connectionLimits = new HttpConnectionLimits(http.idleTimeout(), http.maxConnections(),
                http.maxConnectionsPerClient(), http.probeReserve(), http.refusedLogInterval());
        if (httpServer) {
            bindVertx(context, connectionLimits);
        }

        DataSource dataSource = Wiring.bean(context, "dataSource", DataSource.class);
        SyncRunRepository runs = Wiring.bean(context, "syncRunRepository", SyncRunRepository.class);
        BreakRepository breaks = Wiring.bean(context, "breakRepository", BreakRepository.class);
        GatewayStatusRepository gatewayStatus = new GatewayStatusRepository(dataSource);
        PositionRepository positions = Wiring.bean(context, "positionRepository", PositionRepository.class);
        TwsBrokerGateway gateway = Wiring.bean(context, "brokerGateway", TwsBrokerGateway.class);
        SyncTriggers triggers = Wiring.bean(context, "syncTriggers", SyncTriggers.class);
        SyncStatistics statistics = Wiring.bean(context, "syncStatistics", SyncStatistics.class);
        DatabaseHealthCheck databaseHealth = Wiring.bean(context, "databaseHealthCheck", DatabaseHealthCheck.class);
        ObservabilityConfiguration.Watchers watchers = Wiring.bean(context, ObservabilityConfiguration.WATCHERS,
                ObservabilityConfiguration.Watchers.class);

        ProducerTemplate manualTrigger = context.createProducerTemplate();
        SyncApi syncApi = resources.add(new SyncApi(
                (gatewayName, key, accounts) -> {
                    java.util.Map<String, Object> headers = new java.util.HashMap<>();
                    headers.put(SyncRunSteps.GATEWAY_HEADER, gatewayName);
                    headers.put(SyncRunSteps.IDEMPOTENCY_HEADER, key);
                    headers.put(SyncRunSteps.ACCOUNTS_HEADER, accounts);
                    return manualTrigger.requestBodyAndHeaders("direct:sync-manual", null, headers,
                            SyncCoordinator.InFlightRun.class);
                },
                tokenGuard, runs, breaks, gatewayStatus, gateway::status, triggers.coordinator()::inFlight, statistics, api, clock,
                settings.sync().timerEnabled(), databaseHealth::problem));
        registry.bind("syncApi", syncApi);
        ForwardedRequests forwardedRequests = forwardedRequests(context, settings, syncApi, dataSource, runs, resources);
        DemoHistory demoHistory = registry.lookupByNameAndType(GatewayConfiguration.DEMO_HISTORY, DemoHistory.class);
        if (demoHistory != null) {
            // The history is over when the start-up run after it has ended: until then its old runs are the newest
            // (a dashboard refreshed by the last history run's event must not call them stale).
            java.util.concurrent.atomic.AtomicBoolean startupRunEnded = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.AtomicReference<java.util.Map<String, Object>> lastDay =
                    new java.util.concurrent.atomic.AtomicReference<>();
            triggers.afterStartupRun(() -> startupRunEnded.set(true));
            syncApi.demoHistory(() -> {
                java.util.Map<String, Object> day = demoHistory.progress();
                if (day != null) {
                    lastDay.set(day);
                    return day;
                }
                return startupRunEnded.get() ? null : lastDay.get();
            });
        }
        syncApi.liveSince(gateway::liveSince);
        // SIGTERM: answer waiting callers, give the run in flight its grace, then cut its snapshot short.
        io.positionsync.run.Gateways everyGateway = Wiring.bean(context, io.positionsync.run.Gateways.BEAN,
                io.positionsync.run.Gateways.class);
        context.getManagementStrategy().addEventNotifier(new GracefulStop(everyGateway.all().stream()
                .map(g -> g.triggers().coordinator()).toList(), settings.sync().shutdownGrace(), syncApi::close,
                () -> everyGateway.all().forEach(g -> g.broker().close())));
        registry.bind("schedulerApi", new SchedulerApi(context, watchers.timer(), statistics, runs, gatewayStatus,
                api, clock));
        registry.bind("positionsApi", new PositionsApi(positions));
        registry.bind("portfolioApi", new PortfolioApi(positions, runs, new AccountRepository(dataSource),
                gateway::status, api, clock));
        registry.bind("pnlApi", new PnlApi(new DailyPnlRepository(dataSource, http.reportingZone()), clock));
        registry.bind("breaksApi", new BreaksApi());
        registry.bind("unmatchedRequests", new UnmatchedRequests(context));
        HttpResponses httpResponses = Wiring.bean(context, "httpResponses", HttpResponses.class);
        // The manual trigger's route: waiting callers hold no HTTP worker (see AsyncHttpEngine, ManualTrigger).
        registry.bind("asyncHttpEngine", new AsyncHttpEngine());
        registry.bind("manualTrigger", new ManualTrigger(syncApi,
                context.getExecutorServiceManager().newThreadPool(syncApi, "manual-trigger-start", 1, 4)));
        RequestGuards guards = new RequestGuards(httpResponses, tokenGuard, connectionLimits);
        if (httpServer) {
            guards.events(runEvents(context, settings, httpResponses, resources, forwardedRequests));
        }
        // Security headers everywhere, HEAD, the token for reads off loopback, bodies over the limit; /api/events.
        context.addStartupListener(guards.installer());
        // Lets the API's own Cache-Control through (Camel's HTTP header filter drops it by default).
        context.getComponent("platform-http", PlatformHttpComponent.class).setHeaderFilterStrategy(new ResponseHeaderFilter());
        StartupReport.logListenAddressWhenStarted(context);
    }

    /**
     * {@code GET /api/events}: the runs a session of its own hears with {@code LISTEN} on the notify channel, fanned out
     * to the open streams; every stream is ended as soon as the service starts to stop, so the HTTP server's stop never
     * waits for one. With the channel empty there is nothing to hear: the stream answers 503 and says why.
     */
    private static RunEvents runEvents(CamelContext context, PositionSyncSettings settings, HttpResponses responses,
            Wiring.Resources resources, ForwardedRequests forwardedRequests) {
        String channel = settings.sync().notifyChannel().map(String::trim).filter(c -> !c.isEmpty()).orElse(null);
        RunEvents events = new RunEvents(responses, Wiring.bean(context, ApiJson.BEAN, ObjectMapper.class),
                settings.http().events(), channel == null ? "live events are off: PSYNC_NOTIFY_CHANNEL is empty, so "
                        + "committed runs are not announced; poll GET /api/sync/status instead" : null);
        MeterRegistry meters = context.getRegistry().lookupByNameAndType("metricsRegistry", MeterRegistry.class);
        if (meters != null) {
            events.bindMetrics(meters);
        }
        if (channel != null) {
            Database database = Wiring.bean(context, "database", Database.class);
            // The same session hears the forwarded triggers' channel (one LISTEN session per instance).
            java.util.Map<String, RunListener.Channel> others = forwardedRequests == null
                    || forwardedRequests.requests().channel() == null ? java.util.Map.of()
                            : java.util.Map.of(forwardedRequests.requests().channel(), forwardedRequests);
            RunListener listener = resources.add(RunListener.start(database::openSession, channel, new RunListener.Events() {
                @Override
                public void run(String payload) {
                    events.publish(payload);
                }

                @Override
                public void listening(boolean again) {
                    if (again) {
                        events.resync("the service's LISTEN session was lost and is back: runs committed meanwhile "
                                + "were not heard");
                    }
                }

                @Override
                public void lost(String reason, Duration retryIn) {
                    // logged by the listener; the streams stay open and get a resync once it listens again
                }
            }, others, LISTEN_BACKOFF_INITIAL, LISTEN_BACKOFF_MAX));
            if (meters != null) {
                RunEvents.bindListenerMetrics(meters, listener);
            }
            context.getRegistry().bind("runListener", listener);
        }
        context.getManagementStrategy().addEventNotifier(new EventNotifierSupport() {
            @Override
            public boolean isEnabled(CamelEvent event) {
                return event instanceof CamelEvent.CamelContextStoppingEvent;
            }

            @Override
            public void notify(CamelEvent event) {
                events.close();
            }
        });
        context.getRegistry().bind("runEvents", events);
        return events;
    }

    /**
     * Manual triggers across instances: a trigger for a gateway another instance owns goes to that owner through
     * {@code sync_requests} ({@link ForwardedTriggers}), and this instance takes the requests for the gateways it owns
     * ({@link RequestTaker}); both are woken by the requests channel ({@code psync.notify.channel} followed by
     * {@code _requests}, heard on the events' LISTEN session) and look on their own too. Only a clustered service with
     * the HTTP server takes part (not {@code sync-once}; without a cluster service every gateway is owned here). Null
     * when it does not.
     */
    private ForwardedRequests forwardedRequests(CamelContext context, PositionSyncSettings settings, SyncApi syncApi,
            DataSource dataSource, SyncRunRepository runs, Wiring.Resources resources) {
        Gateways gateways = Wiring.bean(context, Gateways.BEAN, Gateways.class);
        String instance = gateways.instance();
        SyncRequests requests = new SyncRequests(dataSource,
                SyncRequests.channelFor(settings.sync().notifyChannel().orElse(null)));
        if (!httpServer || !gateways.clustered()) {
            // Without a cluster service this instance owns every gateway: nothing to forward, nothing to take.
            syncApi.gateways(gateways, instance, requests, null);
            return null;
        }
        Clock clock = Clock.systemUTC();
        ForwardedTriggers forwarded = resources.add(new ForwardedTriggers(requests, runs, new GatewayOwners(dataSource),
                instance, settings.http().api().syncWait(), FORWARDED_POLL, clock));
        RequestTaker taker = resources.add(RequestTaker.start(gateways, requests, syncApi::startForwarded, clock,
                TAKER_POLL));
        syncApi.gateways(gateways, instance, requests, forwarded);
        context.getRegistry().bind("requestTaker", taker);
        context.getRegistry().bind("forwardedTriggers", forwarded);
        return new ForwardedRequests(requests, forwarded, taker);
    }

    /** The two sides of forwarded triggers, and what the requests channel tells them. */
    private record ForwardedRequests(SyncRequests requests, ForwardedTriggers forwarded, RequestTaker taker)
            implements RunListener.Channel {
        @Override
        public void heard(String payload) {
            taker.heard(payload);
            forwarded.heard(payload);
        }

        @Override
        public void listening(boolean again) {
            // requests announced while nobody listened were not heard: look now
            taker.wake();
            forwarded.wake();
        }
    }

    /** The Vert.x the HTTP server runs on, closed once the context has stopped (the server stops on it first). */
    private static void bindVertx(CamelContext context, HttpConnectionLimits connectionLimits) {
        io.vertx.core.Vertx vertx = connectionLimits.vertx();
        context.getManagementStrategy().addEventNotifier(new EventNotifierSupport() {
            @Override
            public boolean isEnabled(CamelEvent event) {
                return event instanceof CamelEvent.CamelContextStoppedEvent;
            }

            @Override
            public void notify(CamelEvent event) throws Exception {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        });
        context.getRegistry().bind("vertx", vertx);
        context.getRegistry().bind("httpConnectionLimits", connectionLimits);
    }
}

package io.positionsync.boot;

import java.util.concurrent.TimeUnit;

import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.cluster.CamelClusterEventListener;
import org.apache.camel.cluster.CamelClusterMember;
import org.apache.camel.cluster.CamelClusterService;
import org.apache.camel.cluster.CamelClusterView;
import org.apache.camel.component.file.cluster.FileLockClusterService;
import org.apache.camel.component.kubernetes.cluster.KubernetesClusterService;
import org.apache.camel.component.zookeeper.cluster.ZooKeeperClusterService;
import org.apache.camel.impl.cluster.ClusteredRoutePolicy;
import org.apache.camel.support.RoutePolicySupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.positionsync.run.GatewaySync;
import io.positionsync.run.Gateways;
import io.positionsync.run.RunState;

/**
 * Who runs each gateway's timer route: the route template {@code gateway-timer} (routes/sync.camel.yaml) is
 * instantiated once per gateway with the gateway's ownership policy, a {@link ClusteredRoutePolicy} of the gateway's
 * own namespace ({@value #NAMESPACE_PREFIX}NAME) on the configured cluster service, or, without one, a policy that
 * leaves the route to its autoStartup (this process owns every gateway).
 *
 * <p>The cluster service is registered from here ({@code context.addService}): camel-main collects cluster services
 * before beans bound by configuration are visible. Each gateway's view also tells {@link GatewaySync} when this
 * instance leads it (epoch, live mode).
 */
final class Ownership {
    private static final Logger LOG = LoggerFactory.getLogger(Ownership.class);
    /** A gateway's namespace in the cluster service: one lock, election or Lease per gateway. */
    static final String NAMESPACE_PREFIX = "psync-gateway-";
    /** Registry name of a gateway's ownership policy: this prefix and the gateway's name. */
    static final String POLICY_PREFIX = "psyncOwnership-";
    /** The per-gateway timer routes' template (routes/sync.camel.yaml). */
    static final String TEMPLATE = "gateway-timer";

    private Ownership() {
    }

    static void bind(CamelContext context, ClusterSettings settings, Gateways gateways, boolean timerEnabled)
            throws Exception {
        CamelClusterService service = settings.clustered() ? clusterService(settings) : null;
        if (service != null) {
            context.addService(service);
            LOG.info("cluster: {} as instance {}; each gateway is owned by one instance ({})", settings.type()
                    .name().toLowerCase(java.util.Locale.ROOT), settings.instance(), describe(settings));
        }
        for (GatewaySync gateway : gateways.all()) {
            String policy = POLICY_PREFIX + gateway.name();
            if (service == null) {
                context.getRegistry().bind(policy, new SingleInstance());
                continue;
            }
            String namespace = NAMESPACE_PREFIX + gateway.name();
            context.getRegistry().bind(policy, ClusteredRoutePolicy.forNamespace(service, namespace));
            CamelClusterView view = service.getView(namespace);
            view.addEventListener((CamelClusterEventListener.Leadership) (v, leader) -> gateway
                    .leadershipChanged(leads(leader)));
        }
        if (service == null && timerEnabled) {
            // One instance owns every gateway: said in gateway_owners for the status (its runs are not fenced).
            context.addStartupListener((camelContext, alreadyStarted) -> gateways.all()
                    .forEach(GatewaySync::recordSingleOwner));
        }
        context.getRegistry().bind("gatewayTimerRoutes", new RouteBuilder() {
            @Override
            public void configure() {
                for (GatewaySync gateway : gateways.all()) {
                    boolean defaultGateway = RunState.Started.DEFAULT_GATEWAY.equals(gateway.name());
                    templatedRoute(TEMPLATE)
                            .routeId(defaultGateway ? "sync-timer" : "sync-timer-" + gateway.name())
                            .parameter("gateway", gateway.name())
                            .parameter("timerName", defaultGateway ? "position-sync" : "position-sync-" + gateway.name())
                            .parameter("ownershipPolicy", POLICY_PREFIX + gateway.name());
                }
            }
        });
    }

    private static boolean leads(CamelClusterMember leader) {
        return leader != null && leader.isLocal();
    }

    private static String describe(ClusterSettings settings) {
        return switch (settings.type()) {
            case FILE -> "lock files under " + settings.fileRoot() + ", taken over after "
                    + settings.fileInterval().toMillis() * settings.fileHeartbeatMultiplier() + " ms of silence";
            case ZOOKEEPER -> "ZooKeeper " + settings.zookeeper() + settings.zookeeperBasePath() + ", session "
                    + settings.zookeeperSessionTimeout().toMillis() + " ms";
            case KUBERNETES -> "Kubernetes Leases in " + settings.kubernetesNamespace().orElse("the pod's namespace")
                    + ", lease " + settings.kubernetesLease().toMillis() + " ms";
            case NONE -> "none";
        };
    }

    /** The cluster service the settings name. */
    static CamelClusterService clusterService(ClusterSettings settings) {
        switch (settings.type()) {
            case FILE -> {
                FileLockClusterService file = new FileLockClusterService();
                file.setId(settings.instance());
                file.setRoot(settings.fileRoot().toAbsolutePath().toString());
                file.setAcquireLockDelay(1, TimeUnit.MILLISECONDS); // at once (Camel refuses 0)
                file.setAcquireLockInterval(settings.fileInterval().toMillis(), TimeUnit.MILLISECONDS);
                file.setHeartbeatTimeoutMultiplier(settings.fileHeartbeatMultiplier());
                return file;
            }
            case ZOOKEEPER -> {
                ZooKeeperClusterService zookeeper = new ZooKeeperClusterService();
                zookeeper.setId(settings.instance());
                zookeeper.setNodes(settings.zookeeper());
                zookeeper.setBasePath(settings.zookeeperBasePath());
                zookeeper.setSessionTimeout(settings.zookeeperSessionTimeout().toMillis());
                return zookeeper;
            }
            case KUBERNETES -> {
                KubernetesClusterService kubernetes = new KubernetesClusterService();
                kubernetes.setId(settings.instance());
                kubernetes.setPodName(settings.instance());
                settings.kubernetesNamespace().ifPresent(kubernetes::setKubernetesNamespace);
                kubernetes.setLeaseDurationMillis(settings.kubernetesLease().toMillis());
                kubernetes.setRenewDeadlineMillis(settings.kubernetesRenew().toMillis());
                kubernetes.setRetryPeriodMillis(settings.kubernetesRetry().toMillis());
                return kubernetes;
            }
            default -> throw new IllegalArgumentException("no cluster service for " + settings.type());
        }
    }

    /** Without a cluster service: the route starts as its autoStartup says (this process owns every gateway). */
    static final class SingleInstance extends RoutePolicySupport {
        @Override
        public void onInit(Route route) {
            // nothing to decide: one instance
        }
    }
}

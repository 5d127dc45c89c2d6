package io.positionsync.run;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeoutException;

import org.apache.camel.Header;

import io.positionsync.sync.SyncRunSummary;
import io.positionsync.sync.SyncTrigger;

/**
 * The service's gateways by name (registry name {@value #BEAN}), in the order they were configured: the per-gateway
 * timer routes ({@code routes/sync.camel.yaml}, template {@code gateway-timer}) run through it, and the sync steps
 * take the epoch a run begins under from it.
 */
public final class Gateways implements SyncRunSteps.Fencing, AutoCloseable {
    /** The registry name. */
    public static final String BEAN = "gateways";

    private final Map<String, GatewaySync> byName = new LinkedHashMap<>();
    private final String instance;
    private final boolean clustered;

    public Gateways(String instance, boolean clustered) {
        this.instance = Objects.requireNonNull(instance, "instance");
        this.clustered = clustered;
    }

    public synchronized void add(GatewaySync gateway) {
        if (byName.putIfAbsent(gateway.name(), gateway) != null) {
            throw new IllegalArgumentException("gateway " + gateway.name() + " is added twice");
        }
    }

    public synchronized List<GatewaySync> all() {
        return List.copyOf(byName.values());
    }

    public synchronized Optional<GatewaySync> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The gateway named {@code name}, or an {@link IllegalArgumentException} naming the ones there are. */
    public GatewaySync get(String name) {
        return find(name).orElseThrow(() -> new IllegalArgumentException("no gateway named '" + name
                + "'; configured: " + String.join(", ", names())));
    }

    public synchronized Set<String> names() {
        return new LinkedHashSet<>(byName.keySet());
    }

    /** Whether a cluster service decides who owns each gateway. */
    public boolean clustered() {
        return clustered;
    }

    @Override
    public String instance() {
        return instance;
    }

    @Override
    public long epochOf(String gateway) {
        return get(gateway).epoch();
    }

    @Override
    public void fenced(String gateway, long epoch) {
        find(gateway).ifPresent(g -> g.fenced(epoch));
    }

    /** The timer of one gateway (its route from the template): starts or joins that gateway's run and waits. */
    public SyncRunSummary runAndWait(@Header(SyncRunSteps.GATEWAY_HEADER) String gateway,
            @Header(SyncRunSteps.TRIGGER_HEADER) SyncTrigger trigger) throws TimeoutException, InterruptedException {
        return get(gateway).triggers().runAndWait(trigger);
    }

    /**
     * Starts or joins a run of {@code gateway} (none: the first configured) without waiting, of {@code accounts} (every
     * account when empty): the manual trigger route ({@code direct:sync-manual}) calls it with its headers.
     */
    public SyncCoordinator.InFlightRun request(@Header(SyncRunSteps.GATEWAY_HEADER) String gateway,
            @Header(SyncRunSteps.TRIGGER_HEADER) SyncTrigger trigger,
            @Header(SyncRunSteps.IDEMPOTENCY_HEADER) String idempotencyKey,
            @Header(SyncRunSteps.ACCOUNTS_HEADER) Collection<String> accounts) {
        GatewaySync target = gateway == null ? all().get(0) : get(gateway);
        return target.triggers().request(trigger, idempotencyKey, accounts);
    }

    @Override
    public void close() {
        for (GatewaySync gateway : all()) {
            gateway.close();
        }
    }
}

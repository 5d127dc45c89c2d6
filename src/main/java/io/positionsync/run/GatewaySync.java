package io.positionsync.run;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.positionsync.ibkr.BrokerEvent;
import io.positionsync.ibkr.BrokerException;
import io.positionsync.ibkr.TwsBrokerGateway;
import io.positionsync.store.GatewayOwners;

/**
 * One gateway of the service: its client, its triggers (one single-flight coordinator per gateway), its live mode,
 * and whether this instance owns it now.
 *
 * <p>Without a cluster service this instance owns the gateway for as long as it runs, and its runs are not fenced.
 * With one, the cluster service's view of the gateway's namespace says when this instance leads
 * ({@link #leadershipChanged}); the first run (or the takeover itself) then records the instance as the owner under a
 * new epoch ({@link GatewayOwners#takeOver}), the runs begin under that epoch and commit only while it holds. Losing
 * the lead stops live mode and closes the connection (the new owner's client id must be free); a run in flight
 * commits only if no other instance has taken the gateway over by then (the epoch decides).
 */
public final class GatewaySync implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GatewaySync.class);

    private final String name;
    private final TwsBrokerGateway broker;
    private final SyncTriggers triggers;
    private final GatewayOwners owners;
    private final String instance;
    private final boolean clustered;
    private final Clock clock;
    /** Where leadership changes are acted on (a database write, a connection closed): off the cluster's thread. */
    private final Executor ownershipExecutor;
    private volatile Consumer<BrokerEvent> liveListener;
    private volatile boolean leader;
    /** The epoch of this lead; 0: not taken yet (or not leading). Guarded by {@code this}. */
    private long epoch;

    public GatewaySync(String name, TwsBrokerGateway broker, SyncTriggers triggers, GatewayOwners owners, String instance,
            boolean clustered, Clock clock, Executor ownershipExecutor) {
        this.name = Objects.requireNonNull(name, "name");
        this.broker = Objects.requireNonNull(broker, "broker");
        this.triggers = Objects.requireNonNull(triggers, "triggers");
        this.owners = Objects.requireNonNull(owners, "owners");
        this.instance = Objects.requireNonNull(instance, "instance");
        this.clustered = clustered;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.ownershipExecutor = Objects.requireNonNull(ownershipExecutor, "ownershipExecutor");
        // A run that began while this instance owned the gateway may have connected after the lead was lost: once it
        // ends, the connection goes, so the owner can have the client id.
        triggers.addRunListener(run -> {
            if (!owned()) {
                ownershipExecutor.execute(broker::stopLive);
            }
        });
    }

    public String name() {
        return name;
    }

    public TwsBrokerGateway broker() {
        return broker;
    }

    public SyncTriggers triggers() {
        return triggers;
    }

    /** Whether this instance owns the gateway now (always, without a cluster service). */
    public boolean owned() {
        return !clustered || leader;
    }

    /**
     * The epoch a run of this gateway begins under: 0 without a cluster service (not fenced); with one, this lead's
     * epoch, taken now if the lead is new.
     *
     * @throws GatewayOwners.FencedException when this instance does not own the gateway
     * @throws IllegalStateException when its ownership cannot be recorded
     */
    public synchronized long epoch() {
        if (!clustered) {
            return 0;
        }
        if (!leader) {
            throw new GatewayOwners.FencedException("this instance (" + instance + ") does not own gateway " + name
                    + " now: the run is left to its owner");
        }
        if (epoch == 0) {
            try {
                epoch = owners.takeOver(name, instance, now());
            } catch (SQLException e) {
                throw new IllegalStateException("gateway " + name + ": the takeover could not be recorded: "
                        + e.getMessage(), e);
            }
            LOG.info("gateway {}: owned by this instance ({}) from epoch {}", name, instance, epoch);
            ownershipExecutor.execute(this::startLive); // a lead taken here, by a run: live mode too (idempotent)
        }
        return epoch;
    }

    /** Live mode's events go to {@code listener} (with {@code live_since} kept in {@code gateway_owners}). */
    public void liveListener(Consumer<BrokerEvent> listener) {
        this.liveListener = listener;
    }

    /**
     * Starts live mode on this gateway (when it is on), recording since when it is live for every instance to see.
     * Without a cluster service the service calls it after the start-up run; with one, every lead starts it.
     */
    public void startLive() {
        Consumer<BrokerEvent> listener = liveListener;
        if (listener == null || !owned()) {
            return;
        }
        try {
            broker.startLive(event -> {
                if (event instanceof BrokerEvent.LiveStarted || event instanceof BrokerEvent.LiveLost) {
                    Instant since = event instanceof BrokerEvent.LiveStarted ? now() : null;
                    ownershipExecutor.execute(() -> recordLive(since));
                }
                listener.accept(event);
            });
        } catch (BrokerException e) {
            LOG.warn("gateway {}: live mode could not start: {}; the timer's runs go on", name, e.getMessage());
        }
    }

    private void recordLive(Instant since) {
        long current;
        synchronized (this) {
            current = epoch; // 0 without a cluster service: this instance's unfenced row, never a cluster owner's
        }
        try {
            if (clustered && current == 0) {
                return; // not leading: nothing of ours to record
            }
            owners.live(name, current, since);
        } catch (SQLException | RuntimeException e) {
            LOG.debug("gateway {}: live state not recorded: {}", name, e.getMessage());
        }
    }

    /**
     * Without a cluster service: records this instance as the gateway's owner (for the status; its runs are not
     * fenced). Called once, when the service starts.
     */
    public void recordSingleOwner() {
        if (clustered) {
            return;
        }
        try {
            if (!owners.recordUnfenced(name, instance, now())) {
                LOG.warn("gateway {}: a cluster service's instance owns it in this database ({}); this instance, "
                        + "started without one (PSYNC_CLUSTER=none), syncs it beside that owner", name,
                        owners.owner(name).map(GatewayOwners.Owner::owner).orElse("unknown"));
            }
        } catch (SQLException | RuntimeException e) {
            LOG.warn("gateway {}: this instance could not be recorded as its owner: {}", name, e.getMessage());
        }
    }

    /**
     * The cluster service's view says whether this instance leads the gateway's namespace. Acted on off the caller's
     * thread, in order: a new lead takes its epoch and starts live mode; a lost lead stops live mode and closes the
     * connection at once (runs can no longer begin; one in flight cannot commit).
     */
    public void leadershipChanged(boolean leads) {
        if (!leads) {
            synchronized (this) {
                if (!leader) {
                    return;
                }
                leader = false;
                epoch = 0;
            }
            LOG.warn("gateway {}: this instance ({}) no longer owns it", name, instance);
            ownershipExecutor.execute(broker::stopLive);
            return;
        }
        synchronized (this) {
            if (leader) {
                return;
            }
            leader = true;
        }
        LOG.info("gateway {}: this instance ({}) leads it", name, instance);
        ownershipExecutor.execute(() -> {
            try {
                epoch();
            } catch (RuntimeException e) {
                // the next run takes the epoch (and starts live mode) when the database answers
                LOG.warn("gateway {}: {}", name, e.getMessage());
            }
        });
    }

    /**
     * A run found in the database that the gateway was taken over after this instance took it under {@code fencedEpoch}:
     * whatever the cluster service says yet (one that was paused past its session may not have said it), this
     * instance no longer owns the gateway: it stops live mode and lets the connection go (the owner needs the client
     * id), and starts no run until the cluster service gives it the gateway again.
     */
    public void fenced(long fencedEpoch) {
        synchronized (this) {
            if (!clustered || !leader || epoch != fencedEpoch) {
                return;
            }
            leader = false;
            epoch = 0;
        }
        LOG.warn("gateway {}: this instance ({}) no longer owns it: another instance took it over after epoch {}",
                name, instance, fencedEpoch);
        ownershipExecutor.execute(broker::stopLive);
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    @Override
    public void close() {
        triggers.close();
    }
}

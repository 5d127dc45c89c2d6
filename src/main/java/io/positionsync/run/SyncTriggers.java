package io.positionsync.run;

import io.positionsync.sync.SyncRunSummary;
import io.positionsync.sync.SyncTrigger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.TimeoutException;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.support.DefaultExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bridge between the trigger routes and the {@code direct:sync-run} route: every trigger goes
 * through one {@link SyncCoordinator}, so runs never overlap and a trigger during a run joins it.
 */
public final class SyncTriggers implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SyncTriggers.class);
    /** Endpoint of the run route. */
    public static final String RUN_ENDPOINT = "direct:sync-run";

    private final SyncCoordinator coordinator;
    private final Duration runTimeout;
    private final String gateway;
    private final List<java.util.function.Consumer<SyncRunSummary>> runListeners =
            new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile Prelude prelude;
    private final List<Runnable> afterStartup = new ArrayList<>();
    private boolean startupEnded;

    /** Runs before the start-up run, once (the built-in demo's pre-dated history). */
    @FunctionalInterface
    public interface Prelude {
        /** Runs whatever runs it needs through {@code coordinator}, each awaited for at most {@code runTimeout}. */
        void run(SyncCoordinator coordinator, Duration runTimeout) throws Exception;
    }

    public SyncTriggers(CamelContext context, Duration runTimeout) {
        this(context, runTimeout, RunState.Started.DEFAULT_GATEWAY);
    }

    /** The triggers of one gateway: its runs, one at a time, never overlap; other gateways' runs do. */
    public SyncTriggers(CamelContext context, Duration runTimeout, String gateway) {
        this.runTimeout = runTimeout;
        this.gateway = gateway;
        ProducerTemplate producer = context.createProducerTemplate();
        this.coordinator = new SyncCoordinator((trigger, inFlight) -> {
            Exchange exchange = new DefaultExchange(context);
            exchange.getMessage().setHeader(SyncRunSteps.GATEWAY_HEADER, gateway);
            exchange.getMessage().setHeader(SyncRunSteps.TRIGGER_HEADER, trigger);
            exchange.getMessage().setHeader(SyncRunSteps.IDEMPOTENCY_HEADER, inFlight.idempotencyKey());
            exchange.setProperty(SyncRunSteps.IN_FLIGHT_PROPERTY, inFlight);
            Exchange done = producer.send(RUN_ENDPOINT, exchange);
            if (done.getException() != null) {
                throw new IllegalStateException("sync run route failed: " + done.getException().getMessage(), done.getException());
            }
            SyncRunSummary summary = done.getMessage().getBody(SyncRunSummary.class);
            if (summary == null) {
                throw new IllegalStateException("sync run route ended without a run summary");
            }
            for (java.util.function.Consumer<SyncRunSummary> listener : runListeners) {
                try {
                    listener.accept(summary);
                } catch (RuntimeException e) {
                    LOG.warn("run listener of gateway {} failed: {}", gateway, e.toString());
                }
            }
            return summary;
        });
    }

    /** Starts or joins a run and waits for it (timer); the start-up run comes after the prelude, if one is set. */
    public SyncRunSummary runAndWait(@Header(SyncRunSteps.TRIGGER_HEADER) SyncTrigger trigger)
            throws TimeoutException, InterruptedException {
        if (trigger != SyncTrigger.STARTUP) {
            return coordinator.runAndWait(trigger, runTimeout);
        }
        try {
            runPrelude();
            return coordinator.runAndWait(trigger, runTimeout);
        } finally {
            startupRunEnded();
        }
    }

    /**
     * Runs {@code then} once the start-up run has ended, whatever its outcome (it failed, it joined another run, or
     * it outlasted the wait), or at once if that has happened already.
     */
    public void afterStartupRun(Runnable then) {
        synchronized (afterStartup) {
            if (!startupEnded) {
                afterStartup.add(then);
                return;
            }
        }
        then.run();
    }

    private void startupRunEnded() {
        List<Runnable> due;
        synchronized (afterStartup) {
            if (startupEnded) {
                return;
            }
            startupEnded = true;
            due = List.copyOf(afterStartup);
            afterStartup.clear();
        }
        for (Runnable then : due) {
            try {
                then.run();
            } catch (RuntimeException e) {
                LOG.warn("after the start-up run: {}", e.toString());
            }
        }
    }

    /**
     * Sets what runs once before the start-up run. A prelude that fails is logged and the start-up run goes on:
     * the service's own runs never wait on it.
     */
    public void beforeStartupRun(Prelude before) {
        this.prelude = before;
    }

    private void runPrelude() throws InterruptedException {
        Prelude before;
        synchronized (this) {
            before = prelude;
            prelude = null;
        }
        if (before == null) {
            return;
        }
        try {
            before.run(coordinator, runTimeout);
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            LOG.warn("before the start-up run: {}", e.toString());
        }
    }

    /**
     * Starts or joins a run without waiting (manual triggers decide how long to wait): of the accounts the
     * {@value SyncRunSteps#ACCOUNTS_HEADER} header names, every managed account without it.
     */
    public SyncCoordinator.InFlightRun request(@Header(SyncRunSteps.TRIGGER_HEADER) SyncTrigger trigger,
            @Header(SyncRunSteps.IDEMPOTENCY_HEADER) String idempotencyKey,
            @Header(SyncRunSteps.ACCOUNTS_HEADER) Collection<String> accounts) {
        return coordinator.request(trigger, idempotencyKey, accounts == null ? Set.of() : new LinkedHashSet<>(accounts));
    }

    /** Told of every run of this gateway that ended (on the run's thread; must be quick). */
    public void addRunListener(java.util.function.Consumer<SyncRunSummary> listener) {
        runListeners.add(listener);
    }

    /** The gateway these triggers run. */
    public String gateway() {
        return gateway;
    }

    public SyncCoordinator coordinator() {
        return coordinator;
    }

    @Override
    public void close() {
        coordinator.close();
    }
}

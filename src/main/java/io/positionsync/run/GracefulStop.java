package io.positionsync.run;

import java.time.Duration;
import java.util.Objects;

import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.EventNotifierSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What SIGTERM (any stop of the CamelContext) does first, before routes and the HTTP server stop: no new run
 * starts, every HTTP caller still waiting for a run is answered (503 with the reason), and the run in flight
 * gets {@code grace} to finish. A run still taking its snapshot then has the snapshot cut short, so it ends
 * {@code SKIPPED_INCOMPLETE} with that reason and nothing written; a run already writing rolls back if it has
 * not committed when the process exits, and the next start-up records it as interrupted. Either way the run
 * is recorded truthfully, and the stop takes about {@code grace}, within what process managers wait.
 */
public final class GracefulStop extends EventNotifierSupport {
    private static final Logger LOG = LoggerFactory.getLogger(GracefulStop.class);
    /** After the snapshot is cut short: time for the run to record how it ended. */
    static final Duration AFTER_CUT = Duration.ofMillis(1_500);

    private final java.util.List<SyncCoordinator> coordinators;
    private final Duration grace;
    private final Runnable answerWaitingCallers;
    private final Runnable cutSnapshotShort;

    /**
     * @param answerWaitingCallers answers every caller still waiting for a run (at once)
     * @param cutSnapshotShort     ends a snapshot in flight, incomplete (closing the gateway connection)
     */
    public GracefulStop(SyncCoordinator coordinator, Duration grace, Runnable answerWaitingCallers,
            Runnable cutSnapshotShort) {
        this(java.util.List.of(coordinator), grace, answerWaitingCallers, cutSnapshotShort);
    }

    /** Every gateway's coordinator at once: none accepts a run any more, all share the grace. */
    public GracefulStop(java.util.List<SyncCoordinator> coordinators, Duration grace, Runnable answerWaitingCallers,
            Runnable cutSnapshotShort) {
        this.coordinators = java.util.List.copyOf(coordinators);
        this.grace = Objects.requireNonNull(grace, "grace");
        this.answerWaitingCallers = Objects.requireNonNull(answerWaitingCallers, "answerWaitingCallers");
        this.cutSnapshotShort = Objects.requireNonNull(cutSnapshotShort, "cutSnapshotShort");
    }

    @Override
    public boolean isEnabled(CamelEvent event) {
        return event instanceof CamelEvent.CamelContextStoppingEvent;
    }

    @Override
    public void notify(CamelEvent event) {
        coordinators.forEach(SyncCoordinator::stopAccepting);
        answerWaitingCallers.run();
        if (coordinators.stream().noneMatch(SyncCoordinator::inFlight)) {
            return;
        }
        LOG.info("stopping: waiting up to {} ms for the sync run in flight", grace.toMillis());
        if (awaitIdle(grace)) {
            return;
        }
        LOG.warn("stopping: the sync run is still going after {} ms; cutting its snapshot short", grace.toMillis());
        cutSnapshotShort.run();
        if (!awaitIdle(AFTER_CUT)) {
            LOG.warn("stopping: the sync run is still writing; its transaction rolls back when the process exits and "
                    + "the next start records it as interrupted");
        }
    }

    /** Every coordinator idle within {@code timeout} in all. */
    private boolean awaitIdle(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean idle = true;
        for (SyncCoordinator coordinator : coordinators) {
            idle &= coordinator.awaitIdle(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        return idle;
    }
}

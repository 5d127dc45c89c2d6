package io.positionsync.api;

import java.time.Clock;
import java.time.Instant;
import java.util.Objects;

import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.EventNotifierSupport;

/**
 * Notes when the sync timer route last fired (an exchange created by its consumer), so that the scheduler
 * status can tell the next fire time without touching the route.
 */
public final class SyncTimerWatch extends EventNotifierSupport {
    private final String routeId;
    private final Clock clock;
    private volatile Instant lastFiredAt;

    public SyncTimerWatch(String routeId, Clock clock) {
        this.routeId = Objects.requireNonNull(routeId, "routeId");
        this.clock = Objects.requireNonNull(clock, "clock");
        // Only "exchange created" matters: don't make Camel emit the rest for us.
        setIgnoreCamelContextEvents(true);
        setIgnoreRouteEvents(true);
        setIgnoreServiceEvents(true);
        setIgnoreExchangeCompletedEvent(true);
        setIgnoreExchangeFailedEvents(true);
        setIgnoreExchangeRedeliveryEvents(true);
        setIgnoreExchangeSentEvents(true);
        setIgnoreExchangeSendingEvents(true);
        setIgnoreStepEvents(true);
    }

    public String routeId() {
        return routeId;
    }

    /** When the timer last fired in this process, or null. */
    public Instant lastFiredAt() {
        return lastFiredAt;
    }

    @Override
    public boolean isEnabled(CamelEvent event) {
        return event instanceof CamelEvent.ExchangeCreatedEvent;
    }

    @Override
    public void notify(CamelEvent event) {
        if (event instanceof CamelEvent.ExchangeCreatedEvent created
                && routeId.equals(created.getExchange().getFromRouteId())) {
            lastFiredAt = clock.instant();
        }
    }
}

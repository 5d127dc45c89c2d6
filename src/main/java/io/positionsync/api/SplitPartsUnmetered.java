package io.positionsync.api;

import java.util.function.Predicate;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePropertyKey;
import org.apache.camel.StartupListener;
import org.apache.camel.component.micrometer.eventnotifier.MicrometerExchangeEventNotifier;
import org.apache.camel.spi.EventNotifier;

/**
 * Keeps the parts of a split out of Camel's Micrometer exchange timers ({@code camel_exchange_event_notifier_*}).
 * The sync route splits a run into one exchange per instrument: timed one by one they cost about a fifth of a
 * run's CPU (each one's completion searches the whole meter registry for the "last exchange" gauge) and they
 * blur the route's own timer, whose count would grow with the portfolio instead of with the runs. The run
 * itself is still timed, split included.
 *
 * <p>A part is a copy Camel made of another exchange: its correlation id names that other exchange. The exchange
 * a split returns to carries its parts' properties, so its correlation id names itself and it stays timed.
 */
public final class SplitPartsUnmetered implements StartupListener {
    /** A copy Camel made of another exchange (a split's part). */
    public static final Predicate<Exchange> SPLIT_PART = exchange -> {
        String parent = exchange.getProperty(ExchangePropertyKey.CORRELATION_ID, String.class);
        return parent != null && !parent.equals(exchange.getExchangeId());
    };

    @Override
    public void onCamelContextStarting(CamelContext context, boolean alreadyStarted) {
        install(context); // before the routes start: no run is timed part by part
    }

    @Override
    public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
        install(context); // a notifier added while the context started
    }

    /** Sets the rule on every Micrometer exchange notifier of {@code context}; how many there were. */
    public static int install(CamelContext context) {
        int installed = 0;
        for (EventNotifier notifier : context.getManagementStrategy().getEventNotifiers()) {
            if (notifier instanceof MicrometerExchangeEventNotifier micrometer) {
                micrometer.setIgnoreExchanges(SPLIT_PART);
                installed++;
            }
        }
        return installed;
    }
}

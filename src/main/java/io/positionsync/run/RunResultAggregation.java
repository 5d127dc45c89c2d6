package io.positionsync.run;

import java.util.ArrayList;
import java.util.List;

import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;

import io.positionsync.sync.InstrumentResult;
import io.positionsync.sync.RunResult;

/**
 * Gathers the split's results (each exchange a chunk of instruments, see {@link InstrumentChunks}) into the run's
 * {@link RunResult}, in the order of the instruments. The list being built lives in the aggregated exchange only
 * (one per run); when the split completes it becomes the immutable result.
 */
public final class RunResultAggregation implements AggregationStrategy {
    private static final String COLLECTED = "psyncInstrumentResults";

    @Override
    public Exchange aggregate(Exchange oldExchange, Exchange newExchange) {
        Exchange target = oldExchange == null ? newExchange : oldExchange;
        @SuppressWarnings("unchecked")
        List<InstrumentResult> collected = target.getProperty(COLLECTED, List.class);
        if (collected == null) {
            collected = new ArrayList<>();
            target.setProperty(COLLECTED, collected);
        }
        Object body = newExchange.getMessage().getBody();
        if (body instanceof InstrumentResult result) {
            collected.add(result);
        } else if (body instanceof List<?> results) {
            for (Object result : results) {
                if (!(result instanceof InstrumentResult instrument)) {
                    throw new IllegalStateException("the reconcile step returned no instrument result");
                }
                collected.add(instrument);
            }
        } else {
            throw new IllegalStateException("the reconcile step returned no instrument result");
        }
        return target;
    }

    @Override
    public void onCompletion(Exchange exchange, Exchange inputExchange) {
        if (exchange == null) {
            // nothing was split (no instrument can change): the route's next step sees the split's input
            return;
        }
        @SuppressWarnings("unchecked")
        List<InstrumentResult> collected = exchange.getProperty(COLLECTED, List.class);
        exchange.removeProperty(COLLECTED);
        exchange.getMessage().setBody(new RunResult(collected == null ? List.of() : collected));
    }
}

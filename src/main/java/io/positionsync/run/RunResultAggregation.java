package io.positionsync.run;

import java.util.ArrayList;
import java.util.List;

import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;

import io.positionsync.sync.InstrumentResult;
import io.positionsync.sync.RunResult;

/**
 * Gathers the split's results (each exchange a {@link RunState.Part}'s instruments' results) into the run's
 * {@link RunResult}, in the order of the instruments, and hands on the run with it: the split's
 * {@link RunState.Prepared} becomes a {@link RunState.Reconciled}. The list being built lives in the aggregated
 * exchange only (one per run); when the split completes it becomes the immutable result.
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
        RunState.Prepared prepared = inputExchange.getMessage().getBody(RunState.Prepared.class);
        if (exchange == null) {
            // nothing was split (no instrument can change): the run goes on with no instrument result
            inputExchange.getMessage().setBody(prepared.reconciled(RunResult.EMPTY));
            return;
        }
        @SuppressWarnings("unchecked")
        List<InstrumentResult> collected = exchange.getProperty(COLLECTED, List.class);
        if (collected == null) {
            // a part failed: the route's error handler has recorded the run's failure, its summary is the body
            return;
        }
        exchange.removeProperty(COLLECTED);
        exchange.getMessage().setBody(prepared.reconciled(new RunResult(collected)));
    }
}

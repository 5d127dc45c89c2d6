package io.positionsync.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

import io.positionsync.sync.ExecutionConflicts;
import io.positionsync.sync.InstrumentResult;
import io.positionsync.sync.PositionKey;
import io.positionsync.sync.RunInputs;
import io.positionsync.sync.RunResult;
import io.positionsync.sync.SyncTrigger;

class RunResultAggregationTest {
    private final CamelContext context = new DefaultCamelContext();

    private Exchange part(Object body) {
        Exchange exchange = new DefaultExchange(context);
        exchange.getMessage().setBody(body);
        return exchange;
    }

    private static InstrumentResult result(long conId) {
        return InstrumentResult.nothing(new PositionKey("DU1", conId));
    }

    private static RunState.Prepared prepared() {
        Instant at = Instant.parse("2026-01-05T15:00:00Z");
        return new RunState.Prepared(new RunState.Started(7, SyncTrigger.MANUAL, at, null), null,
                new RunInputs(7, at, BigDecimal.ZERO, null), new InstrumentChunks(List.of()), 2, 5,
                ExecutionConflicts.NONE);
    }

    @Test
    void chunksOfResultsBecomeOneRunResultInTheOrderOfTheInstruments() {
        RunResultAggregation aggregation = new RunResultAggregation();
        RunState.Prepared prepared = prepared();
        Exchange input = part(prepared);
        Exchange aggregated = aggregation.aggregate(null, part(List.of(result(1), result(2))));
        aggregated = aggregation.aggregate(aggregated, part(List.of(result(3))));
        aggregated = aggregation.aggregate(aggregated, part(List.of()));
        aggregation.onCompletion(aggregated, input);

        RunState.Reconciled run = aggregated.getMessage().getBody(RunState.Reconciled.class);
        assertThat(run.prepared()).isSameAs(prepared);
        assertThat(run.result().instruments()).extracting(r -> r.key().conId()).containsExactly(1L, 2L, 3L);
    }

    @Test
    void nothingSplitIsARunWithoutInstrumentResultsAndAFailedPartKeepsTheFailuresSummary() {
        RunResultAggregation aggregation = new RunResultAggregation();
        RunState.Prepared prepared = prepared();
        Exchange input = part(prepared);
        aggregation.onCompletion(null, input);
        RunState.Reconciled run = input.getMessage().getBody(RunState.Reconciled.class);
        assertThat(run.prepared()).isSameAs(prepared);
        assertThat(run.result()).isEqualTo(RunResult.EMPTY);

        // the route's error handler recorded the failed part's run and left its summary as the part's body
        Object summary = "the failed run's summary";
        Exchange failed = part(summary);
        aggregation.onCompletion(failed, part(prepared));
        assertThat(failed.getMessage().getBody()).isSameAs(summary);
    }

    @Test
    void aPartWithoutInstrumentResultsIsAnError() {
        RunResultAggregation aggregation = new RunResultAggregation();
        assertThatThrownBy(() -> aggregation.aggregate(null, part(null))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> aggregation.aggregate(null, part(List.of("not a result"))))
                .isInstanceOf(IllegalStateException.class);
    }
}

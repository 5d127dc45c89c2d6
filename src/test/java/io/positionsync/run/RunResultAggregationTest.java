package io.positionsync.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

import io.positionsync.sync.InstrumentResult;
import io.positionsync.sync.PositionKey;
import io.positionsync.sync.RunResult;

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

    @Test
    void chunksOfResultsBecomeOneRunResultInTheOrderOfTheInstruments() {
        RunResultAggregation aggregation = new RunResultAggregation();
        Exchange input = part("the chunks");
        Exchange aggregated = aggregation.aggregate(null, part(List.of(result(1), result(2))));
        aggregated = aggregation.aggregate(aggregated, part(List.of(result(3))));
        aggregated = aggregation.aggregate(aggregated, part(List.of()));
        aggregation.onCompletion(aggregated, input);

        RunResult run = aggregated.getMessage().getBody(RunResult.class);
        assertThat(run.instruments()).extracting(r -> r.key().conId()).containsExactly(1L, 2L, 3L);
    }

    @Test
    void aPartWithoutInstrumentResultsIsAnError() {
        RunResultAggregation aggregation = new RunResultAggregation();
        assertThatThrownBy(() -> aggregation.aggregate(null, part(null))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> aggregation.aggregate(null, part(List.of("not a result"))))
                .isInstanceOf(IllegalStateException.class);
    }
}

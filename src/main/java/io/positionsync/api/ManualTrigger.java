package io.positionsync.api;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;

/**
 * The asynchronous step of {@code POST /api/sync/positions}: hands the request to {@link SyncApi#triggerAsync}
 * (start, join or replay a run) and completes the exchange with the answer when the run ends or the wait is over
 * (200 / 202), holding no thread meanwhile. The short start of a run (it may look an idempotency key up in the
 * database) runs on {@code starter}.
 */
public final class ManualTrigger extends AsyncProcessorSupport {
    /** The query parameter naming the gateway to run. */
    static final String GATEWAY_PARAMETER = "gateway";
    private final SyncApi api;
    private final Executor starter;

    public ManualTrigger(SyncApi api, Executor starter) {
        this.api = Objects.requireNonNull(api, "api");
        this.starter = Objects.requireNonNull(starter, "starter");
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        String query = exchange.getMessage().getHeader(Exchange.HTTP_QUERY, String.class);
        CompletableFuture<ApiResponse> answer;
        try {
            answer = api.triggerAsync(exchange.getMessage().getHeader("Authorization", String.class),
                    keys(exchange.getMessage().getHeader("Idempotency-Key")), TriggerAccounts.fromQuery(query),
                    TriggerAccounts.fromQuery(query, GATEWAY_PARAMETER), starter);
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        answer.whenComplete((response, failure) -> {
            if (failure != null) {
                exchange.setException(failure);
            } else {
                exchange.getMessage().setBody(response);
            }
            callback.done(false);
        });
        return false;
    }

    /** The header's values: platform-http gives a list for a header sent more than once. */
    private static List<String> keys(Object header) {
        if (header == null) {
            return List.of();
        }
        if (header instanceof List<?> values) {
            return values.stream().map(v -> v == null ? null : v.toString()).toList();
        }
        return List.of(header.toString());
    }
}

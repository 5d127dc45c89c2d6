package io.positionsync.ibkr;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Everything the broker says the managed accounts hold, taken on one connection: positions, portfolio
 * values per account, and today's executions joined with their commissions (deduplicated by execId,
 * corrections applied).
 *
 * <p>{@code complete} is true only when every request reached its end marker on one connection with no
 * connectivity loss in between; otherwise {@code incompleteReason} says what was missing. An incomplete
 * snapshot must never be used to open, change or close a stored position.
 */
public record BrokerSnapshot(
        int serverVersion,
        boolean complete,
        String incompleteReason,
        Instant takenAt,
        Instant serverTime,
        List<String> accounts,
        List<BrokerPosition> positions,
        List<PortfolioValue> portfolio,
        List<BrokerExecution> executions) {

    public BrokerSnapshot {
        Objects.requireNonNull(takenAt, "takenAt");
        accounts = List.copyOf(accounts);
        positions = List.copyOf(positions);
        portfolio = List.copyOf(portfolio);
        executions = List.copyOf(executions);
        if (complete && incompleteReason != null) {
            throw new IllegalArgumentException("a complete snapshot has no incomplete reason");
        }
        if (!complete && (incompleteReason == null || incompleteReason.isBlank())) {
            throw new IllegalArgumentException("an incomplete snapshot must say why");
        }
    }
}

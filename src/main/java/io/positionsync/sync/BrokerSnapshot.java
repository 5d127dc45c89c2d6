package io.positionsync.sync;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Everything the broker says the managed accounts hold, taken on one connection: positions, portfolio
 * values per account, and today's executions joined with their commissions (deduplicated by execId,
 * corrections applied), and the accounts' {@code ExchangeRate} values.
 *
 * <p>{@code complete} is true only when every request reached its end marker on one connection with no
 * connectivity loss in between; otherwise {@code incompleteReason} says what was missing. An incomplete
 * snapshot must never be used to open, change or close a stored position.
 *
 * <p>Rows of an account that is not in {@code accounts} (the gateway's {@code managedAccounts}) are not in
 * the lists: {@code unmanaged} counts them per account. They do not make a snapshot incomplete.
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
        List<BrokerExecution> executions,
        List<ExchangeRate> exchangeRates,
        UnmanagedRows unmanaged) {

    /** A snapshot that left no row of an unmanaged account out. */
    public BrokerSnapshot(int serverVersion, boolean complete, String incompleteReason, Instant takenAt,
            Instant serverTime, List<String> accounts, List<BrokerPosition> positions, List<PortfolioValue> portfolio,
            List<BrokerExecution> executions, List<ExchangeRate> exchangeRates) {
        this(serverVersion, complete, incompleteReason, takenAt, serverTime, accounts, positions, portfolio, executions,
                exchangeRates, UnmanagedRows.NONE);
    }

    /** A snapshot without exchange rates. */
    public BrokerSnapshot(int serverVersion, boolean complete, String incompleteReason, Instant takenAt,
            Instant serverTime, List<String> accounts, List<BrokerPosition> positions, List<PortfolioValue> portfolio,
            List<BrokerExecution> executions) {
        this(serverVersion, complete, incompleteReason, takenAt, serverTime, accounts, positions, portfolio, executions,
                List.of());
    }

    public BrokerSnapshot {
        Objects.requireNonNull(takenAt, "takenAt");
        accounts = List.copyOf(accounts);
        positions = List.copyOf(positions);
        portfolio = List.copyOf(portfolio);
        executions = List.copyOf(executions);
        exchangeRates = exchangeRates == null ? List.of() : List.copyOf(exchangeRates);
        unmanaged = unmanaged == null ? UnmanagedRows.NONE : unmanaged;
        if (complete && incompleteReason != null) {
            throw new IllegalArgumentException("a complete snapshot has no incomplete reason");
        }
        if (!complete && (incompleteReason == null || incompleteReason.isBlank())) {
            throw new IllegalArgumentException("an incomplete snapshot must say why");
        }
    }

    /**
     * The same snapshot as if the broker had not reported {@code left} at all: none of their rows (positions,
     * portfolio values, executions, exchange rates) and not among its accounts. A run reconciles nothing of them:
     * their stored rows are left as they are, as for any account a snapshot does not hold.
     */
    public BrokerSnapshot without(Set<String> left) {
        if (left.isEmpty()) {
            return this;
        }
        return new BrokerSnapshot(serverVersion, complete, incompleteReason, takenAt, serverTime,
                accounts.stream().filter(a -> !left.contains(a)).toList(),
                positions.stream().filter(p -> !left.contains(p.account())).toList(),
                portfolio.stream().filter(p -> !left.contains(p.account())).toList(),
                executions.stream().filter(e -> !left.contains(e.account())).toList(),
                exchangeRates.stream().filter(r -> !left.contains(r.account())).toList(),
                unmanaged);
    }

    /**
     * Consistent with the record's {@code equals} but without walking every position: a snapshot travels as a
     * message body, and routing hashes a body (a {@code ${body.complete}} choice does) once per run.
     */
    @Override
    public int hashCode() {
        return Objects.hash(serverVersion, complete, takenAt, serverTime, accounts, positions.size(), portfolio.size(),
                executions.size(), exchangeRates.size());
    }
}

package io.positionsync.sync;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The rows a snapshot left out because their account is not in {@code managedAccounts}: distinct positions,
 * portfolio values and executions, per account. Such rows belong to no account a run reconciles; they are
 * counted here so that the run can say so, and never make a snapshot incomplete.
 */
public record UnmanagedRows(Map<String, Counts> byAccount) {
    /** No row left out. */
    public static final UnmanagedRows NONE = new UnmanagedRows(Map.of());

    /** The rows of one account that were left out. */
    public record Counts(int positions, int portfolioValues, int executions) {
        public Counts {
            if (positions < 0 || portfolioValues < 0 || executions < 0) {
                throw new IllegalArgumentException("counts are never negative");
            }
        }

        public int total() {
            return positions + portfolioValues + executions;
        }

        /** {@code "1 position, 2 portfolio values, 0 executions"}. */
        @Override
        public String toString() {
            return plural(positions, "position") + ", " + plural(portfolioValues, "portfolio value") + ", "
                    + plural(executions, "execution");
        }

        private static String plural(int count, String noun) {
            return count + " " + noun + (count == 1 ? "" : "s");
        }
    }

    public UnmanagedRows {
        byAccount = byAccount == null ? Map.of()
                : Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(byAccount)));
    }

    public boolean isEmpty() {
        return byAccount.isEmpty();
    }

    /** Every row left out, all accounts together. */
    public int total() {
        return byAccount.values().stream().mapToInt(Counts::total).sum();
    }

    public int positions() {
        return byAccount.values().stream().mapToInt(Counts::positions).sum();
    }

    public int portfolioValues() {
        return byAccount.values().stream().mapToInt(Counts::portfolioValues).sum();
    }

    public int executions() {
        return byAccount.values().stream().mapToInt(Counts::executions).sum();
    }

    /** {@code "DU999: 1 position, 0 portfolio values, 1 execution"}, accounts separated by {@code "; "}. */
    @Override
    public String toString() {
        return byAccount.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue())
                .collect(Collectors.joining("; "));
    }
}

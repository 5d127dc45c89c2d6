package io.positionsync.ibkr.sim;

/** One {@code updateAccountValue} line: key, value text, currency (empty for non-money keys). */
public record AccountValue(String key, String value, String currency) {
}

package io.positionsync.sync;

/** A position's identity at the broker: account and contract id. */
public record PositionKey(String account, long conId) {
}

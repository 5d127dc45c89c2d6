package io.positionsync.ibkr;

/** The gateway connection as the service sees it. */
public enum ConnectionState {
    /** No connection; reconnecting with backoff. */
    DOWN,
    /** Socket open, handshake or {@code nextValidId} still pending. */
    CONNECTING,
    /** Connected and usable. */
    UP,
    /** Connected to the gateway, but the gateway lost IB (error 1100): data may be stale. */
    DEGRADED
}

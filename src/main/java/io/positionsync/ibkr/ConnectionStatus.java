package io.positionsync.ibkr;

import java.time.Instant;
import java.util.Objects;

/**
 * The gateway connection as a status API shows it: the state, since when, a short human-readable
 * detail (what happened last), and while reconnecting is held back by the backoff, when the next attempt
 * may be made ({@code null} otherwise).
 */
public record ConnectionStatus(ConnectionState state, Instant since, String detail, Instant nextAttemptAt) {
    public ConnectionStatus {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(since, "since");
    }
}

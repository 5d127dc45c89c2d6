package io.positionsync.ibkr;

import io.positionsync.sync.BrokerSnapshot;

import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The broker as the sync pipeline sees it: one call that takes a complete snapshot. Wire details stay
 * behind this interface so that another client library could be adapted later.
 */
public interface BrokerGateway extends AutoCloseable {

    /**
     * Takes a snapshot of every managed account. Faults while it is taken (a drop, error 1100, a missing
     * end marker, a timeout, a malformed frame) produce a snapshot with {@code complete == false} and a
     * reason, never a silently partial one.
     *
     * @throws BrokerException when no usable connection could be made at all
     */
    BrokerSnapshot snapshot() throws BrokerException;

    /**
     * Takes a snapshot of the named accounts only (all managed accounts when {@code accounts} is empty): complete
     * for each of them (positions, portfolio values, today's executions), and holding nothing of any other account.
     * {@link BrokerSnapshot#accounts()} is then the named accounts that are managed. The same completeness rule
     * holds as for {@link #snapshot()}.
     */
    default BrokerSnapshot snapshot(Set<String> accounts) throws BrokerException {
        if (accounts.isEmpty()) {
            return snapshot();
        }
        throw new BrokerException("this gateway client takes only whole snapshots");
    }

    /**
     * Keeps the connection and its subscriptions (the positions stream; fills arrive as pushes, every client's when
     * this client is the gateway's Master API client) and tells {@code listener} what the gateway pushes, reconnecting
     * and subscribing again on its own after a drop. Portfolio values are not subscribed: each run takes them, one
     * account at a time as the protocol allows. Idempotent.
     */
    default void startLive(Consumer<BrokerEvent> listener) throws BrokerException {
        throw new BrokerException("this gateway client has no live mode");
    }

    /** Since when the live subscriptions are in place; empty while they are not (or live mode is off). */
    default Optional<Instant> liveSince() {
        return Optional.empty();
    }

    /** Current connection state. */
    ConnectionState state();

    /** When the connection entered its current state. */
    Instant stateSince();

    @Override
    void close();
}

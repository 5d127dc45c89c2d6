package io.positionsync.ibkr;

import io.positionsync.sync.BrokerSnapshot;

import java.time.Instant;

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

    /** Current connection state. */
    ConnectionState state();

    /** When the connection entered its current state. */
    Instant stateSince();

    @Override
    void close();
}

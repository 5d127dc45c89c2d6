package io.positionsync.ibkr.sim;

import java.math.BigDecimal;

/**
 * Told about every change of a {@link SimulatorState}, on the thread that made it and while the state is
 * locked, so a listener sees changes in order and can read the state consistently. Listeners must not block.
 */
public interface StateListener {

    /** A position changed (opened, changed, closed to 0, or vanished by a broker-side close). */
    void positionChanged(Position position, Instrument instrument);

    /** A contract's market price changed. */
    void marketPriceChanged(Instrument instrument, BigDecimal price);
}

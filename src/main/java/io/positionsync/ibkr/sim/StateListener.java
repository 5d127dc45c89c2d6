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

    /**
     * An execution was recorded (a fill or a correction), or one withheld from {@code reqExecutions} was
     * released: it may be reported from now on (unless withheld or of a prior day, which the listener checks).
     */
    default void executionReported(Execution execution) {
    }

    /** The withheld commission report of {@code execution} was released. */
    default void commissionReleased(Execution execution) {
    }
}

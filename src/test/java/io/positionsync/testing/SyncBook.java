package io.positionsync.testing;

import java.math.BigDecimal;
import java.time.Instant;

import io.positionsync.ibkr.sim.Instrument;
import io.positionsync.ibkr.sim.SimulatorState;

/**
 * The broker of the pipeline tests ({@link PositionSyncService.Gateway#BOOK}): two empty accounts and a few
 * instruments with their prices set, closed positions reported as zero.
 */
public final class SyncBook {
    public static final String ACCOUNT = "DU5550001";
    public static final String ACCOUNT_2 = "DU5550002";
    public static final long AAPL = 265598L;
    public static final long XYZ = 111111L;
    public static final long ES = 495512563L;
    public static final long OPT = 700001L;
    public static final long ABC = 222222L;

    private SyncBook() {
    }

    /** A fresh broker state of the book. */
    public static SimulatorState state() {
        SimulatorState state = new SimulatorState()
                .addAccount(ACCOUNT)
                .addAccount(ACCOUNT_2)
                .addInstrument(Instrument.stock(AAPL, "AAPL", "NASDAQ"))
                .addInstrument(Instrument.stock(XYZ, "XYZ", "NYSE"))
                .addInstrument(Instrument.stock(ABC, "ABC", "NYSE"))
                .addInstrument(Instrument.future(ES, "ES", "ESZ6", "20261218", "CME", new BigDecimal("50"), new BigDecimal("0.25")))
                .reportClosedAsZero(true);
        state.setMarketPrice(AAPL, new BigDecimal("150.00"));
        state.setMarketPrice(XYZ, new BigDecimal("20.00"));
        state.setMarketPrice(ABC, new BigDecimal("9.00"));
        state.setMarketPrice(ES, new BigDecimal("5000.00"));
        return state;
    }

    public static BigDecimal dec(String value) {
        return new BigDecimal(value);
    }

    public static Instant instant(Object value) {
        return (Instant) value;
    }
}

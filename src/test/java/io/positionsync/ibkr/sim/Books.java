package io.positionsync.ibkr.sim;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

/** A small, fixed book for tests: two accounts, a stock long, a future, a short, an option; a fixed clock. */
final class Books {
    static final String ACC1 = "DU1000001";
    static final String ACC2 = "DU1000002";
    static final long AAPL = 265598;
    static final long TSLA = 76792991;
    static final long ES = 495512563;
    static final long AAPL_CALL = 700000001;
    static final Instant NOW = Instant.parse("2026-11-24T15:00:00Z");

    private Books() {
    }

    static BigDecimal d(String value) {
        return new BigDecimal(value);
    }

    /** Instruments and accounts, no positions. */
    static SimulatorState empty() {
        SimulatorState state = new SimulatorState(Clock.fixed(NOW, ZoneOffset.UTC));
        state.addAccount(ACC1, d("100000.00")).addAccount(ACC2, d("50000.00"));
        state.addInstrument(Instrument.stock(AAPL, "AAPL", "NASDAQ"));
        state.addInstrument(Instrument.stock(TSLA, "TSLA", "NASDAQ"));
        state.addInstrument(Instrument.future(ES, "ES", "ESZ6", "20261218", "CME", d("50"), d("0.25")));
        state.addInstrument(Instrument.option(AAPL_CALL, "AAPL", "AAPL  261218C00200000", "20261218", d("200"), "C",
                d("100")));
        return state;
    }

    /** ACC1: AAPL 100 @ 150.01, ES 2 @ 250002.40; ACC2: TSLA -30 @ 242.05. Prices for all three. */
    static SimulatorState book() {
        SimulatorState state = empty();
        state.setMarketPrice(AAPL, d("160.00"));
        state.setMarketPrice(ES, d("5010.00"));
        state.setMarketPrice(TSLA, d("240.00"));
        state.setPosition(ACC1, AAPL, d("100"), d("150.01"));
        state.setPosition(ACC1, ES, d("2"), d("250002.40"));
        state.setPosition(ACC2, TSLA, d("-30"), d("242.05"));
        return state;
    }

    static GatewaySimulator start(SimulatorState state) throws Exception {
        return new GatewaySimulator(state, SimulatorOptions.defaults()).start();
    }

    static GatewaySimulator start(SimulatorState state, int maxServerVersion) throws Exception {
        return new GatewaySimulator(state, SimulatorOptions.defaults().withMaxServerVersion(maxServerVersion)).start();
    }
}

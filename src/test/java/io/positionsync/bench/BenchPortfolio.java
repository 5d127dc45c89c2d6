package io.positionsync.bench;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import io.positionsync.ibkr.sim.Fill;
import io.positionsync.ibkr.sim.Instrument;
import io.positionsync.ibkr.sim.Side;
import io.positionsync.ibkr.sim.SimulatorState;

/**
 * A generated broker portfolio for the benchmark: {@code positions} holdings spread round-robin over
 * {@code accounts} accounts, six in ten stocks, two futures, two options, one in five short, each on a contract of
 * its own, market prices set. {@link #churn} trades it the way a busy day does. Seeded, so every run of the
 * benchmark measures the same portfolio.
 */
final class BenchPortfolio {
    private static final long FIRST_CON_ID = 10_000_000L;
    private static final BigDecimal FUTURE_MULTIPLIER = new BigDecimal("50");
    private static final BigDecimal OPTION_MULTIPLIER = new BigDecimal("100");
    private static final BigDecimal FUTURE_TICK = new BigDecimal("0.25");

    /** One holding the generator knows of: where it is and how many are held (sign = direction). */
    private static final class Holding {
        final String account;
        final Instrument instrument;
        final BigDecimal price;
        BigDecimal quantity;

        Holding(String account, Instrument instrument, BigDecimal price, BigDecimal quantity) {
            this.account = account;
            this.instrument = instrument;
            this.price = price;
            this.quantity = quantity;
        }
    }

    /** What one {@link #churn} did. */
    record Churn(int changed, int closed, int opened, int fills) {
    }

    private final SimulatorState state;
    private final List<String> accounts;
    private final Random random;
    private final List<Holding> held = new ArrayList<>();
    private long nextConId = FIRST_CON_ID;

    private BenchPortfolio(SimulatorState state, List<String> accounts, long seed) {
        this.state = state;
        this.accounts = accounts;
        this.random = new Random(seed);
    }

    /** A simulator state holding {@code positions} positions over {@code accounts} accounts. */
    static BenchPortfolio generate(int positions, int accounts, long seed) {
        List<String> codes = new ArrayList<>(accounts);
        SimulatorState state = new SimulatorState().reportClosedAsZero(false);
        for (int a = 0; a < accounts; a++) {
            String code = String.format("DU%07d", 3_000_000 + a);
            codes.add(code);
            state.addAccount(code, new BigDecimal("1000000.00"));
        }
        BenchPortfolio portfolio = new BenchPortfolio(state, List.copyOf(codes), seed);
        for (int i = 0; i < positions; i++) {
            Holding h = portfolio.newHolding(codes.get(i % accounts));
            BigDecimal quantity = portfolio.startingQuantity(h.instrument);
            state.setPosition(h.account, h.instrument.conId(), quantity,
                    h.price.multiply(h.instrument.effectiveMultiplier()));
            h.quantity = quantity;
            portfolio.held.add(h);
        }
        return portfolio;
    }

    SimulatorState state() {
        return state;
    }

    List<String> accounts() {
        return accounts;
    }

    int size() {
        return held.size();
    }

    /**
     * One trading day's changes: {@code changedShare} of the positions change quantity through interleaved buys and
     * sells (every other one with a round trip first), {@code closedShare} close in two fills, and as many new ones
     * open through a buy, a partial sale and another buy; every fill with its commission.
     */
    Churn churn(double changedShare, double closedShare, double openedShare) {
        int n = held.size();
        int changed = (int) Math.round(n * changedShare);
        int closed = (int) Math.round(n * closedShare);
        int opened = (int) Math.round(n * openedShare);
        List<Holding> order = new ArrayList<>(held);
        Collections.shuffle(order, random);
        int fills = 0;
        for (int i = 0; i < changed; i++) {
            Holding h = order.get(i);
            Side add = h.quantity.signum() > 0 ? Side.BOT : Side.SLD;
            Side reduce = add == Side.BOT ? Side.SLD : Side.BOT;
            BigDecimal size = h.quantity.abs();
            if (i % 2 == 0) { // a round trip inside the day
                BigDecimal trip = lot(h.instrument);
                fills += trade(h, add, trip) + trade(h, reduce, trip);
            }
            BigDecimal more = lot(h.instrument);
            fills += trade(h, add, more);
            BigDecimal less = BigDecimal.valueOf(1 + random.nextInt(size.add(more).intValue() - 1)); // never flat
            if (less.compareTo(more) != 0) { // the quantity does change
                fills += trade(h, reduce, less);
            }
        }
        java.util.Set<Holding> gone = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (int i = changed; i < changed + closed; i++) {
            Holding h = order.get(i);
            Side reduce = h.quantity.signum() > 0 ? Side.SLD : Side.BOT;
            BigDecimal size = h.quantity.abs();
            if (size.compareTo(BigDecimal.ONE) > 0) {
                BigDecimal part = size.divide(BigDecimal.valueOf(2), 0, RoundingMode.DOWN);
                fills += trade(h, reduce, part);
            }
            fills += trade(h, reduce, h.quantity.abs());
            gone.add(h);
        }
        held.removeIf(gone::contains);
        for (int i = 0; i < opened; i++) {
            Holding h = newHolding(accounts.get(random.nextInt(accounts.size())));
            Side side = random.nextInt(5) == 0 ? Side.SLD : Side.BOT;
            Side back = side == Side.BOT ? Side.SLD : Side.BOT;
            BigDecimal first = lot(h.instrument).add(BigDecimal.ONE);
            fills += trade(h, side, first);
            fills += trade(h, back, BigDecimal.ONE);
            fills += trade(h, side, lot(h.instrument));
            held.add(h);
        }
        return new Churn(changed, closed, opened, fills);
    }

    private int trade(Holding h, Side side, BigDecimal shares) {
        BigDecimal price = near(h.instrument, h.price);
        state.trade(Fill.of(h.account, h.instrument.conId(), side, shares, price, commission(h.instrument, shares)));
        h.quantity = side == Side.BOT ? h.quantity.add(shares) : h.quantity.subtract(shares);
        return 1;
    }

    private Holding newHolding(String account) {
        long conId = nextConId++;
        int kind = (int) (conId % 10);
        Instrument instrument;
        BigDecimal price;
        if (kind < 6) {
            instrument = Instrument.stock(conId, "S" + conId, kind % 2 == 0 ? "NYSE" : "NASDAQ");
            price = BigDecimal.valueOf(500 + random.nextInt(50_000), 2);
        } else if (kind < 8) {
            instrument = Instrument.future(conId, "F" + conId, "F" + conId + "Z6", "20261218", "CME", FUTURE_MULTIPLIER,
                    FUTURE_TICK);
            price = BigDecimal.valueOf(4000 + random.nextInt(2000)).add(FUTURE_TICK.multiply(BigDecimal.valueOf(random.nextInt(4))));
        } else {
            instrument = Instrument.option(conId, "O" + conId, "O" + conId + " 261218C00100000", "20261218",
                    new BigDecimal("100"), kind == 8 ? "C" : "P", OPTION_MULTIPLIER);
            price = BigDecimal.valueOf(50 + random.nextInt(2000), 2);
        }
        state.addInstrument(instrument);
        state.setMarketPrice(conId, price);
        return new Holding(account, instrument, price, BigDecimal.ZERO);
    }

    private BigDecimal startingQuantity(Instrument instrument) {
        BigDecimal size = lot(instrument).multiply(BigDecimal.valueOf(2));
        return random.nextInt(5) == 0 ? size.negate() : size;
    }

    /** A trade size: shares for stocks, contracts for derivatives. */
    private BigDecimal lot(Instrument instrument) {
        return switch (instrument.secType()) {
            case "STK" -> BigDecimal.valueOf(10 * (1 + random.nextInt(50)));
            case "FUT" -> BigDecimal.valueOf(1 + random.nextInt(10));
            default -> BigDecimal.valueOf(1 + random.nextInt(20));
        };
    }

    /** A price within about 2% of {@code price}, on the instrument's tick. */
    private BigDecimal near(Instrument instrument, BigDecimal price) {
        BigDecimal tick = instrument.minTick();
        long ticks = price.divide(tick, 0, RoundingMode.HALF_EVEN).longValue();
        long step = Math.max(1, ticks / 50);
        long moved = Math.max(1, ticks + (long) (random.nextInt((int) Math.min(Integer.MAX_VALUE, 2 * step + 1)) - step));
        return tick.multiply(BigDecimal.valueOf(moved));
    }

    private static BigDecimal commission(Instrument instrument, BigDecimal shares) {
        return switch (instrument.secType()) {
            case "STK" -> new BigDecimal("1.00").max(shares.multiply(new BigDecimal("0.005"))).setScale(2, RoundingMode.HALF_EVEN);
            case "FUT" -> shares.multiply(new BigDecimal("2.25"));
            default -> shares.multiply(new BigDecimal("0.65"));
        };
    }
}

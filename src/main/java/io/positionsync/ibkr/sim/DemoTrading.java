package io.positionsync.ibkr.sim;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.Predicate;

/**
 * The demo's own trader: each {@link #step()} is one move on a {@link SimulatorState}, chosen and sized from a
 * seeded random sequence, so the same seed on the same state gives the same fills. Every round of moves (in an
 * order the seed shuffles) has a buy, a partial sale, a flip, a round trip, a short sale or cover, a future, an
 * option, a fill in a foreign currency (its commission at times charged in the base currency), a fill whose
 * commission report is withheld, a sale whose execution report is withheld (the position moves at once, the
 * fill that explains it is reported later), and a price correction of an earlier fill. Positions and realized
 * P&L follow IB's arithmetic because every move is a {@link SimulatorState#trade} (or a correction); nothing is
 * set directly, so positions always equal the fold of the fills.
 *
 * <p>Reports are withheld only once some client has asked for executions (a report nobody has been waiting for
 * is not late). A withheld report is released by the first move after an executions reply has gone out since it
 * was withheld: a client taking snapshots sees the fill with its commission pending (or the position change with no
 * fill to explain it) in one snapshot and the missing report in a later one, however fast it polls. The first
 * round opens with those two moves and a round trip, so that a sync starting with the demo shows a late fill, a
 * pending commission and a closed lifecycle within its first few runs.
 *
 * <p>Prices are the current market price moved by at most {@value #MAX_SLIPPAGE_TICKS} ticks. The trader only
 * touches instruments with a market price; without stocks it does nothing.
 */
public final class DemoTrading {
    /** The moves of one round; the seed shuffles their order each round. */
    enum Move {
        BUY, PARTIAL_SALE, FLIP, ROUND_TRIP, SHORT, FUTURE, OPTION, FOREIGN, LATE_COMMISSION, LATE_EXECUTION, CORRECTION
    }

    /** How the first round starts; the seed shuffles the rest of it, and every later round. */
    private static final List<Move> OPENING = List.of(Move.LATE_EXECUTION, Move.LATE_COMMISSION, Move.ROUND_TRIP);

    /** A report held back, and how many executions requests had arrived when it was. */
    private record Withheld(String execId, boolean wholeExecution, int executionsRequestsThen) {
    }

    private static final int MAX_SLIPPAGE_TICKS = 4;
    private static final BigDecimal STOCK_COMMISSION_PER_SHARE = new BigDecimal("0.005");
    private static final BigDecimal MIN_STOCK_COMMISSION = new BigDecimal("1.00");
    private static final BigDecimal FUTURE_COMMISSION = new BigDecimal("2.25");
    private static final BigDecimal OPTION_COMMISSION = new BigDecimal("0.65");
    private static final int STOCK_LOTS = 10;
    private static final BigDecimal STOCK_LOT = new BigDecimal("5");
    private static final int DERIVATIVE_LOTS = 3;

    private final SimulatorState state;
    private final Random random;
    private final List<Move> round = new ArrayList<>();
    private final List<Withheld> withheld = new ArrayList<>();
    private boolean opened;
    private Execution lastFill;

    public DemoTrading(SimulatorState state, long seed) {
        this.state = state;
        this.random = new Random(seed);
    }

    /**
     * One move: releases the reports withheld earlier that an executions reply has shown missing since, then
     * trades; returns the new fills.
     */
    public List<Execution> step() {
        synchronized (state) {
            releaseSeenReports();
            if (stocks().isEmpty() || state.accounts().isEmpty()) {
                return List.of();
            }
            if (round.isEmpty()) {
                List<Move> moves = new ArrayList<>(List.of(Move.values()));
                if (!opened) {
                    moves.removeAll(OPENING);
                }
                Collections.shuffle(moves, random);
                if (!opened) {
                    moves.addAll(0, OPENING);
                    opened = true;
                }
                round.addAll(moves);
            }
            Move move = round.remove(0);
            List<Execution> fills = new ArrayList<>();
            switch (move) {
                case BUY -> fills.add(trade(account(), pick(stocks()), Side.BOT, stockQuantity(), false));
                case PARTIAL_SALE -> partialSale(fills);
                case FLIP -> flip(fills);
                case ROUND_TRIP -> roundTrip(fills);
                case SHORT -> shortSaleOrCover(fills);
                case FUTURE -> derivative(fills, "FUT");
                case OPTION -> derivative(fills, "OPT");
                case FOREIGN -> foreign(fills);
                case LATE_COMMISSION -> lateCommission(fills);
                case LATE_EXECUTION -> lateExecution(fills);
                case CORRECTION -> correction(fills);
                default -> throw new IllegalStateException("unknown move " + move);
            }
            // A correction of a fill nobody has been told of yet would arrive before what it corrects.
            fills.stream().filter(f -> !state.isExecutionWithheld(f.execId())).reduce((a, b) -> b)
                    .ifPresent(f -> lastFill = f);
            return fills;
        }
    }

    /**
     * The end of a trading day: every report still withheld is released now, so the day's last executions reply
     * has the whole day (a report is late by minutes, never by a day); returns how many were released.
     */
    public int settle() {
        synchronized (state) {
            int released = 0;
            for (Withheld report : withheld) {
                boolean done = report.wholeExecution() ? state.releaseExecution(report.execId())
                        : state.releaseCommission(report.execId());
                if (done) {
                    released++;
                }
            }
            withheld.clear();
            return released;
        }
    }

    /**
     * The next moves open a round again: the late fill, the late commission and the round trip first, then the rest
     * of a round in an order the seed shuffles. For a demo going live after its history, so that someone watching
     * sees those within the first minute, as at a start without history.
     */
    public void openRound() {
        synchronized (state) {
            round.clear();
            opened = false;
        }
    }

    /** Whether this trader moves {@code simulatorState}. */
    public boolean trades(SimulatorState simulatorState) {
        return state == simulatorState;
    }

    private void releaseSeenReports() {
        int requests = state.executionsRequests();
        for (Iterator<Withheld> it = withheld.iterator(); it.hasNext();) {
            Withheld report = it.next();
            if (requests > report.executionsRequestsThen()) {
                if (report.wholeExecution()) {
                    state.releaseExecution(report.execId());
                } else {
                    state.releaseCommission(report.execId());
                }
                it.remove();
            }
        }
    }

    /** A sale of part of a long (a buy when none is held) whose commission report comes later. */
    private void lateCommission(List<Execution> fills) {
        boolean watched = state.executionsRequests() > 0;
        Optional<Position> longPosition = held(1, stocks());
        Execution fill = longPosition.isPresent()
                ? trade(longPosition.get().account(), instrument(longPosition.get()), Side.SLD,
                        half(longPosition.get().quantity()), watched)
                : trade(account(), pick(stocks()), Side.BOT, stockQuantity(), watched);
        if (watched) {
            withheld.add(new Withheld(fill.execId(), false, state.executionsRequests()));
        }
        fills.add(fill);
    }

    /**
     * A reduction of a held position (part of a long sold, part of a short covered) reported late: until then a
     * client sees the quantity change with no fill to explain it.
     */
    private void lateExecution(List<Execution> fills) {
        Optional<Position> open = held(0, stocks());
        if (open.isEmpty()) {
            fills.add(trade(account(), pick(stocks()), Side.BOT, stockQuantity(), false));
            return;
        }
        Position p = open.get();
        Execution fill = trade(p.account(), instrument(p), p.quantity().signum() > 0 ? Side.SLD : Side.BOT,
                half(p.quantity().abs()), false);
        if (state.executionsRequests() > 0) {
            state.withholdExecution(fill.execId());
            withheld.add(new Withheld(fill.execId(), true, state.executionsRequests()));
        }
        fills.add(fill);
    }

    private static BigDecimal half(BigDecimal quantity) {
        return quantity.divide(BigDecimal.valueOf(2), 0, RoundingMode.DOWN).max(BigDecimal.ONE).min(quantity);
    }

    private void partialSale(List<Execution> fills) {
        Optional<Position> longPosition = held(1, stocks());
        if (longPosition.isEmpty()) {
            fills.add(trade(account(), pick(stocks()), Side.BOT, stockQuantity(), false));
            return;
        }
        Position p = longPosition.get();
        BigDecimal half = p.quantity().divide(BigDecimal.valueOf(2), 0, RoundingMode.DOWN).max(BigDecimal.ONE);
        fills.add(trade(p.account(), instrument(p), Side.SLD, half.min(p.quantity()), false));
    }

    private void flip(List<Execution> fills) {
        Optional<Position> open = held(0, stocks());
        if (open.isEmpty()) {
            fills.add(trade(account(), pick(stocks()), Side.BOT, stockQuantity(), false));
            return;
        }
        Position p = open.get();
        Side side = p.quantity().signum() > 0 ? Side.SLD : Side.BOT;
        fills.add(trade(p.account(), instrument(p), side, p.quantity().abs().add(stockQuantity()), false));
    }

    /** Buys and sells the same quantity, where nothing is held if it can: a lifecycle opened and closed at once. */
    private void roundTrip(List<Execution> fills) {
        Unheld where = unheld().orElseGet(() -> new Unheld(account(), pick(stocks())));
        BigDecimal quantity = stockQuantity();
        fills.add(trade(where.account(), where.stock(), Side.BOT, quantity, false));
        fills.add(trade(where.account(), where.stock(), Side.SLD, quantity, false));
    }

    private void shortSaleOrCover(List<Execution> fills) {
        Optional<Position> shortPosition = held(-1, stocks());
        if (shortPosition.isPresent()) {
            Position p = shortPosition.get();
            BigDecimal cover = random.nextBoolean() ? p.quantity().abs()
                    : p.quantity().abs().divide(BigDecimal.valueOf(2), 0, RoundingMode.DOWN).max(BigDecimal.ONE);
            fills.add(trade(p.account(), instrument(p), Side.BOT, cover, false));
            return;
        }
        // Short where nothing is held, so the sale opens a short instead of reducing a long.
        Unheld where = unheld().orElseGet(() -> new Unheld(account(), pick(stocks())));
        fills.add(trade(where.account(), where.stock(), Side.SLD, stockQuantity(), false));
    }

    /** An account and a stock it holds none of. */
    private record Unheld(String account, Instrument stock) {
    }

    /** A random account and stock with nothing held, if there is one. */
    private Optional<Unheld> unheld() {
        for (String account : shuffled(state.accounts())) {
            for (Instrument stock : shuffled(stocks())) {
                if (quantity(account, stock).signum() == 0) {
                    return Optional.of(new Unheld(account, stock));
                }
            }
        }
        return Optional.empty();
    }

    private void derivative(List<Execution> fills, String secType) {
        List<Instrument> candidates = priced(i -> secType.equals(i.secType()));
        if (candidates.isEmpty()) {
            fills.add(trade(account(), pick(stocks()), Side.BOT, stockQuantity(), false));
            return;
        }
        String account = account();
        Instrument instrument = pick(candidates);
        BigDecimal held = quantity(account, instrument);
        BigDecimal lots = BigDecimal.valueOf(1 + random.nextInt(DERIVATIVE_LOTS));
        Side side = held.signum() > 0 ? Side.SLD : held.signum() < 0 ? Side.BOT
                : random.nextBoolean() ? Side.BOT : Side.SLD;
        fills.add(trade(account, instrument, side, lots, false));
    }

    private void foreign(List<Execution> fills) {
        List<Instrument> candidates = priced(i -> !i.currency().equals(state.baseCurrency())
                && state.exchangeRate(i.currency()).isPresent() && "STK".equals(i.secType()));
        if (candidates.isEmpty()) {
            fills.add(trade(account(), pick(stocks()), Side.BOT, stockQuantity(), false));
            return;
        }
        String account = account();
        Instrument instrument = pick(candidates);
        Side side = quantity(account, instrument).signum() > 0 && random.nextBoolean() ? Side.SLD : Side.BOT;
        BigDecimal held = quantity(account, instrument);
        BigDecimal shares = side == Side.SLD ? held.min(stockQuantity()) : stockQuantity();
        Fill fill = fill(account, instrument, side, shares);
        if (random.nextBoolean()) {
            // A commission charged in the base currency on a foreign stock, as IB does for some venues.
            fill = fill.withCommissionCurrency(state.baseCurrency());
        }
        fills.add(state.trade(fill));
    }

    private void correction(List<Execution> fills) {
        if (lastFill == null) {
            fills.add(trade(account(), pick(stocks()), Side.BOT, stockQuantity(), false));
            return;
        }
        Instrument instrument = state.instrument(lastFill.conId()).orElseThrow();
        BigDecimal moved = lastFill.price().add(instrument.minTick().multiply(BigDecimal.valueOf(
                random.nextBoolean() ? 1 : -1)));
        fills.add(state.correctExecution(lastFill.execId(), moved.max(instrument.minTick())));
    }

    private Execution trade(String account, Instrument instrument, Side side, BigDecimal shares, boolean withhold) {
        Fill fill = fill(account, instrument, side, shares);
        return state.trade(withhold ? fill.withCommissionWithheld() : fill);
    }

    private Fill fill(String account, Instrument instrument, Side side, BigDecimal shares) {
        BigDecimal market = state.marketPrice(instrument.conId()).orElseThrow();
        BigDecimal tick = instrument.minTick();
        int ticks = random.nextInt(2 * MAX_SLIPPAGE_TICKS + 1) - MAX_SLIPPAGE_TICKS;
        BigDecimal price = AverageCost.normalize(market.add(tick.multiply(BigDecimal.valueOf(ticks))).max(tick));
        return Fill.of(account, instrument.conId(), side, shares, price, commission(instrument, shares));
    }

    private static BigDecimal commission(Instrument instrument, BigDecimal shares) {
        return switch (instrument.secType()) {
            case "FUT" -> FUTURE_COMMISSION.multiply(shares);
            case "OPT" -> OPTION_COMMISSION.multiply(shares);
            default -> STOCK_COMMISSION_PER_SHARE.multiply(shares).max(MIN_STOCK_COMMISSION)
                    .setScale(2, RoundingMode.HALF_UP);
        };
    }

    private BigDecimal stockQuantity() {
        return STOCK_LOT.multiply(BigDecimal.valueOf(1 + random.nextInt(STOCK_LOTS)));
    }

    private String account() {
        return pick(state.accounts());
    }

    private List<Instrument> stocks() {
        return priced(i -> "STK".equals(i.secType()) && i.currency().equals(state.baseCurrency()));
    }

    private List<Instrument> priced(Predicate<Instrument> which) {
        return state.instruments().stream().filter(which)
                .filter(i -> state.marketPrice(i.conId()).isPresent()).toList();
    }

    /** A random held position among {@code instruments}: long (sign 1), short (-1) or either (0). */
    private Optional<Position> held(int sign, List<Instrument> instruments) {
        List<Position> candidates = new ArrayList<>();
        for (Instrument instrument : instruments) {
            for (String account : state.accounts()) {
                state.position(account, instrument.conId()).filter(p -> sign == 0
                        ? p.quantity().signum() != 0 : p.quantity().signum() == sign).ifPresent(candidates::add);
            }
        }
        return candidates.isEmpty() ? Optional.empty() : Optional.of(pick(candidates));
    }

    private BigDecimal quantity(String account, Instrument instrument) {
        return state.position(account, instrument.conId()).map(Position::quantity).orElse(BigDecimal.ZERO);
    }

    private Instrument instrument(Position position) {
        return state.instrument(position.conId()).orElseThrow();
    }

    private <T> T pick(List<T> items) {
        return items.get(random.nextInt(items.size()));
    }

    private <T> List<T> shuffled(List<T> items) {
        List<T> copy = new ArrayList<>(items);
        Collections.shuffle(copy, random);
        return copy;
    }
}

package io.positionsync.ibkr.sim;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The built-in demo's pre-dated history: at the first start on an empty database, before the start-up run, the
 * demo lives through its last few trading days (weekdays) on a {@link DemoClock} set back to the first of them.
 * Each day the demo's trader makes its moves and the service syncs between them, through the real pipeline
 * (snapshot over the socket, reconcile, persist) as if its timer had been running on those days: runs, fills,
 * lifecycles, history and daily P&amp;L all carry those days' times, and the first sight of the accounts is the
 * first day's first run, so everything traded since is applied from executions. At the end of a day every
 * withheld report is released and synced, then the broker's trading day rolls over. Then the clock catches up
 * with the present and the trader goes on trading live from where its history left it, starting a round with the
 * moves the demo opens with (a late fill, a late commission, a round trip).
 *
 * <p>Nothing here writes a row itself: whatever the history shows, the service computed from the simulator.
 */
public final class DemoHistory {
    private static final Logger LOG = LoggerFactory.getLogger(DemoHistory.class);

    /** When a history day's first run takes place (UTC): half an hour after the New York open. */
    static final LocalTime DAY_OPENS = LocalTime.of(14, 0);
    /** Clock time between two runs of a history day. */
    static final Duration BETWEEN_RUNS = Duration.ofMinutes(45);
    /** Runs of a history day with moves before them (after the day's first run, before its closing run). */
    static final int TRADING_RUNS_PER_DAY = 6;
    /** Moves of the trader before each trading run. */
    static final int MOVES_PER_RUN = 2;

    private final DemoClock clock;
    private final SimulatorState state;
    private final DemoTrading trader;
    private final List<LocalDate> days;
    private final Runnable afterwards;
    /** The history day being played (1-based; 0 before the first), or -1 once the history is over. */
    private volatile int dayNumber;

    /**
     * @param clock      the clock of the simulator's state and of the sync runs, now at {@link #start(List)}
     * @param afterwards runs once the history is over (or failed): the trader starts trading live
     */
    public DemoHistory(DemoClock clock, SimulatorState state, DemoTrading trader, List<LocalDate> days,
            Runnable afterwards) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.state = Objects.requireNonNull(state, "state");
        this.trader = Objects.requireNonNull(trader, "trader");
        if (days.isEmpty()) {
            throw new IllegalArgumentException("a history has at least one day");
        }
        this.days = List.copyOf(days);
        this.afterwards = Objects.requireNonNull(afterwards, "afterwards");
    }

    /** The {@code count} weekdays before {@code today}, oldest first. */
    public static List<LocalDate> tradingDaysBefore(LocalDate today, int count) {
        List<LocalDate> days = new ArrayList<>();
        LocalDate day = today.minusDays(1);
        while (days.size() < count) {
            if (day.getDayOfWeek() != DayOfWeek.SATURDAY && day.getDayOfWeek() != DayOfWeek.SUNDAY) {
                days.add(0, day);
            }
            day = day.minusDays(1);
        }
        return days;
    }

    /**
     * Where the demo clock starts: the first day's opening, half an hour before its first run, so the demo
     * scenario's own executions (made when the simulator's state is built) come before the accounts' first sight.
     */
    public static Instant start(List<LocalDate> days) {
        return opening(days.get(0)).minus(Duration.ofMinutes(30));
    }

    private static Instant opening(LocalDate day) {
        return day.atTime(DAY_OPENS).toInstant(ZoneOffset.UTC);
    }

    /**
     * One sync run of the service, awaited: whether it succeeded. The history runs the service's own runs through
     * it, one after each step of its clock.
     */
    @FunctionalInterface
    public interface SyncRun {
        boolean runAndWait() throws Exception;
    }

    public void replay(SyncRun syncRun) throws Exception {
        int runs = 0;
        int failed = 0;
        try {
            LOG.info("demo history: {} trading days from {} to {}, synced as they happen", days.size(), days.get(0),
                    days.get(days.size() - 1));
            for (LocalDate day : days) {
                dayNumber++;
                clock.advanceTo(opening(day));
                failed += sync(syncRun);
                runs++;
                for (int run = 0; run < TRADING_RUNS_PER_DAY; run++) {
                    clock.advance(BETWEEN_RUNS);
                    for (int move = 0; move < MOVES_PER_RUN; move++) {
                        trader.step();
                    }
                    failed += sync(syncRun);
                    runs++;
                }
                clock.advance(BETWEEN_RUNS);
                trader.settle();
                failed += sync(syncRun);
                runs++;
                state.rollTradingDay();
            }
            LOG.info("demo history: {} runs over {} days ({} did not succeed)", runs, days.size(), failed);
        } finally {
            dayNumber = -1;
            clock.catchUp();
            trader.openRound();
            afterwards.run();
        }
    }

    /**
     * While the history is being built (from start-up until it is over): the day being played and how many there
     * are, for the status API (the runs of those days are dated then, which is not staleness); null afterwards.
     */
    public Map<String, Object> progress() {
        int day = dayNumber;
        if (day < 0) {
            return null;
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("building", true);
        json.put("day", Math.max(day, 1));
        json.put("days", days.size());
        json.put("date", days.get(Math.max(day, 1) - 1).toString());
        return json;
    }

    /** One run of the history; returns 1 when it did not succeed (the history goes on). */
    private static int sync(SyncRun syncRun) throws Exception {
        return syncRun.runAndWait() ? 0 : 1;
    }
}

package io.positionsync.ibkr.sim;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The demo's clock: the system clock shifted back by an offset that can only shrink, so the demo can live
 * through a few past trading days (its pre-dated history) and then catch up with the present. Time runs at the
 * system clock's pace throughout and never goes backwards: {@link #advance} and {@link #catchUp} only move it
 * forward. Always UTC.
 */
public final class DemoClock extends Clock {
    private final Clock system;
    private volatile Duration behind;

    private DemoClock(Clock system, Duration behind) {
        this.system = system;
        this.behind = behind;
    }

    /** A clock that reads {@code start} now and runs on from there at the system clock's pace. */
    public static DemoClock startingAt(Instant start) {
        return startingAt(Clock.systemUTC(), start);
    }

    /** As {@link #startingAt(Instant)} on {@code system}; {@code start} must not be in {@code system}'s future. */
    public static DemoClock startingAt(Clock system, Instant start) {
        Duration behind = Duration.between(start, system.instant());
        if (behind.isNegative()) {
            throw new IllegalArgumentException("the demo clock cannot start in the future: " + start);
        }
        return new DemoClock(system.withZone(ZoneOffset.UTC), behind);
    }

    /** A clock that reads the system time (nothing to live through). */
    public static DemoClock present() {
        return new DemoClock(Clock.systemUTC(), Duration.ZERO);
    }

    /** Moves the clock forward by {@code step}, at most up to the present. */
    public synchronized void advance(Duration step) {
        if (step.isNegative()) {
            throw new IllegalArgumentException("the demo clock only moves forward, got " + step);
        }
        Duration left = behind.minus(step);
        behind = left.isNegative() ? Duration.ZERO : left;
    }

    /** Moves the clock forward to {@code at} (at most up to the present); an earlier instant changes nothing. */
    public synchronized void advanceTo(Instant at) {
        Duration step = Duration.between(instant(), at);
        if (!step.isNegative()) {
            advance(step);
        }
    }

    /** From now on the clock reads the system time. */
    public void catchUp() {
        behind = Duration.ZERO;
    }

    /** How far behind the system clock this one is. */
    public Duration behind() {
        return behind;
    }

    @Override
    public Instant instant() {
        return system.instant().minus(behind);
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    /** Always UTC: times in this project are UTC. */
    @Override
    public Clock withZone(ZoneId zone) {
        if (!ZoneOffset.UTC.normalized().equals(zone.normalized())) {
            throw new UnsupportedOperationException("the demo clock is UTC only, asked for " + zone);
        }
        return this;
    }
}

package io.positionsync.api;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;

import io.positionsync.store.SyncRun;
import io.positionsync.store.SyncRunRepository;
import io.positionsync.run.SyncCoordinator.InFlightRun;
import io.positionsync.sync.SyncRunSummary;

/**
 * Manual triggers with an optional idempotency key: the same key within the window answers with the same run
 * instead of starting another. A key is remembered with the run it started or joined (so a key that joined
 * the timer's run in flight keeps pointing at it); after a restart, {@code sync_runs.idempotency_key} still
 * finds the runs a key started. Lookup and start happen under one lock, so two requests racing with the same
 * key cannot start two runs.
 */
final class ManualRuns {
    /** What a trigger got: a run to wait for, or a finished run it replays. */
    record Outcome(InFlightRun inFlight, SyncRunSummary finished, boolean replayed) {
    }

    private record Remembered(InFlightRun run, Instant at) {
    }

    private final BiFunction<String, Set<String>, InFlightRun> start;
    private final SyncRunRepository runs;
    private final Duration window;
    private final Clock clock;
    private final Map<String, Remembered> byKey = new HashMap<>();

    /**
     * @param start starts or joins a run, recording the key with it if it starts one (the manual trigger route)
     */
    ManualRuns(Function<String, InFlightRun> start, SyncRunRepository runs, Duration window, Clock clock) {
        this((key, accounts) -> start.apply(key), runs, window, clock);
    }

    /**
     * @param start starts or joins a run of the accounts (every managed account when empty), recording the key with
     *              it if it starts one (the manual trigger route)
     */
    ManualRuns(BiFunction<String, Set<String>, InFlightRun> start, SyncRunRepository runs, Duration window,
            Clock clock) {
        this.start = Objects.requireNonNull(start, "start");
        this.runs = Objects.requireNonNull(runs, "runs");
        this.window = Objects.requireNonNull(window, "window");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    Outcome request(String key) throws SQLException {
        return request(key, Set.of());
    }

    /** A trigger for {@code accounts} (every managed account when empty); a known key answers with its run whatever it names. */
    synchronized Outcome request(String key, Set<String> accounts) throws SQLException {
        if (key == null) {
            return new Outcome(start.apply(null, accounts), null, false);
        }
        Instant now = clock.instant();
        Instant since = now.minus(window);
        byKey.values().removeIf(remembered -> remembered.at().isBefore(since));
        Remembered known = byKey.get(key);
        if (known != null) {
            return new Outcome(known.run(), null, true);
        }
        Optional<SyncRun> stored = runs.findByIdempotencyKey(key, since);
        if (stored.isPresent() && stored.get().status().finished()) {
            return new Outcome(null, stored.get().toSummary(), true);
        }
        // Unknown key, or its run is still RUNNING: that is the run in flight, which this request joins.
        InFlightRun run = start.apply(key, accounts);
        byKey.put(key, new Remembered(run, now));
        return new Outcome(run, null, stored.isPresent());
    }
}

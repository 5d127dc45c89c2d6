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
import io.positionsync.run.RunState;
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
    /**
     * What a trigger got: a run to wait for (of {@code gateway}), or a finished run it replays ({@code gateway} null:
     * the run's row says).
     */
    record Outcome(InFlightRun inFlight, SyncRunSummary finished, boolean replayed, String gateway) {
        Outcome(InFlightRun inFlight, SyncRunSummary finished, boolean replayed) {
            this(inFlight, finished, replayed, null);
        }
    }

    /** Starts or joins a run of a gateway's accounts (every managed account when empty), recording the key if it starts one. */
    @FunctionalInterface
    interface Start {
        InFlightRun start(String gateway, String key, Set<String> accounts);
    }

    private record Remembered(InFlightRun run, String gateway, Instant at) {
    }

    private final Start start;
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
        this((gateway, key, accounts) -> start.apply(key, accounts), runs, window, clock);
    }

    /**
     * @param start starts or joins a run of a gateway's accounts, recording the key with it if it starts one (the
     *              manual trigger route); a key is one request whichever gateway it names again
     */
    ManualRuns(Start start, SyncRunRepository runs, Duration window, Clock clock) {
        this.start = Objects.requireNonNull(start, "start");
        this.runs = Objects.requireNonNull(runs, "runs");
        this.window = Objects.requireNonNull(window, "window");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    Outcome request(String key) throws SQLException {
        return request(key, Set.of());
    }

    /** A trigger for {@code accounts} (every managed account when empty); a known key answers with its run whatever it names. */
    Outcome request(String key, Set<String> accounts) throws SQLException {
        return request(RunState.Started.DEFAULT_GATEWAY, key, accounts);
    }

    /**
     * A trigger for {@code accounts} of {@code gateway} (every managed account when empty); a known key answers with
     * its run whatever it names (another gateway, other accounts).
     */
    synchronized Outcome request(String gateway, String key, Set<String> accounts) throws SQLException {
        if (key == null) {
            return new Outcome(start.start(gateway, null, accounts), null, false, gateway);
        }
        Instant now = clock.instant();
        Instant since = now.minus(window);
        byKey.values().removeIf(remembered -> remembered.at().isBefore(since));
        Remembered known = byKey.get(key);
        if (known != null) {
            return new Outcome(known.run(), null, true, known.gateway());
        }
        Optional<SyncRun> stored = runs.findByIdempotencyKey(key, since);
        if (stored.isPresent() && stored.get().status().finished()) {
            return new Outcome(null, stored.get().toSummary(), true);
        }
        // Unknown key, or its run is still RUNNING: that is the run in flight, which this request joins.
        InFlightRun run = start.start(gateway, key, accounts);
        byKey.put(key, new Remembered(run, gateway, now));
        return new Outcome(run, null, stored.isPresent(), gateway);
    }
}

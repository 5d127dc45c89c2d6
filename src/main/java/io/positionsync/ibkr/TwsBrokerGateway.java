package io.positionsync.ibkr;

import io.positionsync.sync.UnmanagedRows;

import io.positionsync.sync.BrokerSnapshot;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link BrokerGateway} over the TWS API socket protocol. It connects on demand (the first
 * {@link #snapshot()}, or the first after a drop), keeps the connection between snapshots, and takes
 * each snapshot on one connection (see {@link SnapshotSession} for the exchange).
 *
 * <p>Connection state: {@code DOWN} (no connection), {@code CONNECTING}, {@code UP}, {@code DEGRADED}
 * (the gateway reported error 1100: it lost IB). 1101/1102 bring it back to {@code UP}; a drop makes it
 * {@code DOWN}; 1300 (socket port reset) closes the connection so that the next snapshot reconnects.
 * Failed connects are retried no sooner than a capped exponential {@link Backoff} allows: a snapshot
 * asked for inside that window fails at once, saying when the next attempt will be. State changes go to
 * the listeners added with {@link #addStatusListener}.
 *
 * <p>Rows of an account outside {@code managedAccounts} that a snapshot left out are logged at WARN once per
 * account for the life of this client (the account and what was left out), then at DEBUG.
 *
 * <p>One snapshot at a time: {@link #snapshot()} is synchronized. {@link #close()} may be called from
 * any thread; a snapshot in flight then ends incomplete.
 *
 * <p>Live mode ({@link #startLive}): a keeper thread keeps the connection and its subscriptions and the reader
 * turns what the gateway pushes into {@link BrokerEvent}s (see {@link LiveSubscriptions}). Snapshots then share
 * that connection: they leave the positions subscription open, and its pushes count in a snapshot only as that
 * snapshot's positions once it has asked for them.
 */
public final class TwsBrokerGateway implements BrokerGateway {
    private static final Logger log = LoggerFactory.getLogger(TwsBrokerGateway.class);

    /**
     * Messages the reader may queue ahead of the snapshot; when full the reader waits (and TCP pushes back
     * on the gateway), so a gateway that floods cannot fill the heap with queued messages.
     */
    static final int EVENT_QUEUE_CAPACITY = 4096;
    /** Request ids one snapshot may use at most (a few per account). */
    private static final int RESERVED_REQUEST_IDS = 1_000_000;
    /** How long the reader waits per attempt to queue a message before checking the snapshot still wants it. */
    private static final long OFFER_WAIT_MS = 50;
    /**
     * At most this many unmanaged accounts are remembered as warned about: a gateway naming ever new accounts
     * cannot grow the set without bound (past it, each such account is warned about every time).
     */
    static final int MAX_WARNED_ACCOUNTS = 1000;

    private final TwsGatewayConfig config;
    private final SnapshotLimits limits;
    private final Clock clock;
    private final Clock statusClock;
    private final Backoff backoff;
    private final List<Consumer<ConnectionStatus>> statusListeners = new CopyOnWriteArrayList<>();

    private final Object stateLock = new Object();
    private ConnectionStatus status;
    /** When the gateway was last seen going away (or this client started without it); null while connected. */
    private Instant downSince;
    /** The DOWN lines of a gateway that stays down: said once, then counted. */
    private final FailureRepeats downRepeats = new FailureRepeats();
    private boolean ibConnectivityLost;

    private volatile TwsConnection connection;
    private volatile BlockingQueue<SnapshotSession.Event> sessionEvents;
    private volatile int generation;
    private volatile boolean closed;
    /** Written under {@code this}; read by the live reader: a reqId at or above it was asked by nobody. */
    private volatile int nextRequestId = 1;
    /** The accounts the snapshot in flight is for; {@code null}: all. Guarded by {@code this}. */
    private Set<String> scope;
    /** The pacing waits of every connection of this gateway. */
    private final PacingStatistics pacing = new PacingStatistics();
    private BrokerException lastConnectFailure;
    /** What live mode heard (zero while it is off). */
    private final LiveStatistics liveStatistics = new LiveStatistics();
    /** Live mode, once started. */
    private volatile LiveSubscriptions live;
    /** Unmanaged accounts already warned about (see the class comment). Guarded by {@code this}. */
    private final Set<String> warnedUnmanaged = new HashSet<>();

    public TwsBrokerGateway(TwsGatewayConfig config) {
        this(config, Clock.systemUTC());
    }

    /** With the clock that stamps snapshots and state changes and times the backoff. */
    public TwsBrokerGateway(TwsGatewayConfig config, Clock clock) {
        this(config, SnapshotLimits.DEFAULTS, clock);
    }

    /** With the bounds of one snapshot and the clock that stamps snapshots and state changes and times the backoff. */
    public TwsBrokerGateway(TwsGatewayConfig config, SnapshotLimits limits, Clock clock) {
        this(config, limits, clock, clock);
    }

    /**
     * With a clock for the snapshots ({@code clock}: the demo's, set back while it builds its history) and the real
     * one ({@code statusClock}) for the connection's state changes and the backoff: the gateway is up since when it
     * connected, not since a day the demo plays back.
     */
    public TwsBrokerGateway(TwsGatewayConfig config, SnapshotLimits limits, Clock clock, Clock statusClock) {
        this.config = Objects.requireNonNull(config, "config");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.statusClock = Objects.requireNonNull(statusClock, "statusClock");
        this.backoff = new Backoff(config.backoffInitial(), config.backoffMax());
        this.status = new ConnectionStatus(ConnectionState.DOWN, statusClock.instant(), "not connected yet", null);
        this.downSince = status.since();
    }

    public TwsGatewayConfig config() {
        return config;
    }

    /**
     * Adds a listener for state changes. It is called with the lock that orders state changes held, on
     * whichever thread made the change (often the connection's reader): keep it quick, never block.
     */
    public void addStatusListener(Consumer<ConnectionStatus> listener) {
        statusListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** The current state with its detail. */
    public ConnectionStatus status() {
        synchronized (stateLock) {
            return status;
        }
    }

    @Override
    public ConnectionState state() {
        return status().state();
    }

    @Override
    public Instant stateSince() {
        return status().since();
    }

    /**
     * Connects now unless already connected, without taking a snapshot (e.g. at startup, so the status
     * shows {@code UP} early). Honours the backoff like {@link #snapshot()}.
     *
     * @throws BrokerException when the connect fails or the backoff does not allow an attempt yet
     */
    public synchronized void connect() throws BrokerException {
        if (closed) {
            throw new BrokerException("the gateway client is closed");
        }
        ensureConnected();
    }

    @Override
    public synchronized BrokerSnapshot snapshot() throws BrokerException {
        if (closed) {
            throw new BrokerException("the gateway client is closed");
        }
        TwsConnection conn = ensureConnected();
        long started = System.nanoTime();
        Instant takenAt = clock.instant();
        BlockingQueue<SnapshotSession.Event> events = new LinkedBlockingQueue<>(EVENT_QUEUE_CAPACITY);
        sessionEvents = events;
        SnapshotSession.Result result;
        try {
            String degraded = degradedReason();
            if (degraded != null) {
                result = new SnapshotSession.Result(
                        new SnapshotAssembler().incomplete(conn.serverVersion(), takenAt, null, List.of(), degraded), false);
            } else {
                result = runSession(conn, events, takenAt);
            }
        } finally {
            sessionEvents = null;
        }
        BrokerSnapshot snapshot = result.snapshot();
        long millis = Duration.ofNanos(System.nanoTime() - started).toMillis();
        logUnmanaged(snapshot);
        if (snapshot.complete()) {
            log.info("snapshot complete: {} accounts, {} positions, {} portfolio values, {} executions in {} ms{}",
                    snapshot.accounts().size(), snapshot.positions().size(), snapshot.portfolio().size(),
                    snapshot.executions().size(), millis, snapshot.unmanaged().isEmpty() ? ""
                            : "; " + snapshot.unmanaged().total() + " rows of accounts outside managedAccounts left out");
        } else {
            log.warn("snapshot incomplete after {} ms: {}", millis, snapshot.incompleteReason());
            if (result.connectionSpoiled() && conn.isOpen()) {
                // A request may still be open and its end marker on the way: start clean next time.
                conn.abort(new BrokerException("dropped after an incomplete snapshot: " + snapshot.incompleteReason()));
            }
        }
        return snapshot;
    }

    /**
     * A snapshot of the named accounts only (see {@link SnapshotSession} for the requests): positions through
     * {@code reqPositionsMulti}, account updates and executions of those accounts. Named accounts that are not
     * managed are left out of {@link BrokerSnapshot#accounts()} (and logged); none of them managed: incomplete.
     */
    @Override
    public synchronized BrokerSnapshot snapshot(Set<String> accounts) throws BrokerException {
        if (accounts.isEmpty()) {
            return snapshot();
        }
        scope = Set.copyOf(accounts);
        try {
            return snapshot();
        } finally {
            scope = null;
        }
    }

    /** Runs one snapshot's exchange, of the accounts in {@link #scope} when set, and moves the reqIds on. */
    private SnapshotSession.Result runSession(TwsConnection conn, BlockingQueue<SnapshotSession.Event> events,
            Instant takenAt) {
        int firstReqId = nextRequestId;
        SnapshotSession session = scope == null
                ? new SnapshotSession(conn, events, config.requestTimeout(), config.commissionWait(), firstReqId, limits)
                : new SnapshotSession(conn, events, config.requestTimeout(), config.commissionWait(), firstReqId, limits,
                        scope);
        LiveSubscriptions liveNow = live;
        if (liveNow != null) {
            session.inLiveMode(liveNow::positionsRequested, liveNow.positionsSubscribedOn(conn));
        }
        // The session's request ids are reserved while it runs (it knows how many it used only at its end): the live
        // reader takes an execDetails of a reqId at or above nextRequestId for a push, never one of these.
        nextRequestId = firstReqId + RESERVED_REQUEST_IDS;
        try {
            return session.run(takenAt);
        } finally {
            nextRequestId = firstReqId + session.requestIdsUsed();
        }
    }

    /** The rows left out for accounts outside {@code managedAccounts}: WARN the first time per account, then DEBUG. */
    private void logUnmanaged(BrokerSnapshot snapshot) {
        for (Map.Entry<String, UnmanagedRows.Counts> entry : snapshot.unmanaged().byAccount().entrySet()) {
            String account = entry.getKey();
            boolean first = !warnedUnmanaged.contains(account);
            if (first && warnedUnmanaged.size() < MAX_WARNED_ACCOUNTS) {
                warnedUnmanaged.add(account);
            }
            if (first) {
                log.warn("account '{}' is not among the managed accounts {}: its rows are left out ({}); "
                        + "this is logged once per account", account, snapshot.accounts(), entry.getValue());
            } else {
                log.debug("account '{}' is not among the managed accounts {}: its rows are left out ({})", account,
                        snapshot.accounts(), entry.getValue());
            }
        }
    }

    /** How often, and how long in all, this gateway's sends waited for the pace (every connection so far). */
    public PacingStatistics pacingStatistics() {
        return pacing;
    }

    /**
     * Starts live mode (see {@link BrokerGateway#startLive}): a keeper thread (a daemon) connects as the backoff
     * allows, subscribes to positions (left open; not when more than
     * {@value LiveSubscriptions#MAX_POSITIONS_SUBSCRIPTION_ACCOUNTS} accounts are managed, which IB refuses: then only
     * fills are heard) and tells {@code listener}: {@link BrokerEvent.LiveStarted} once subscribed (reason
     * {@code connected}, {@code reconnected}, {@code error 1101 ...}, or {@code error 1102 ...} after an 1100),
     * {@link BrokerEvent.Fill} for every {@code execDetails} no snapshot asked for (this client's fills; every
     * client's when this client's id is the gateway's Master API client ID), {@link BrokerEvent.PositionChanged}
     * for every position the subscription pushes, {@link BrokerEvent.LiveLost} when the connection drops (the
     * keeper then reconnects and subscribes again) or the gateway reports error 1100. Fills and position changes
     * are told on the connection's reader thread, LiveStarted on the keeper's (or the reader's, for 1102): the
     * listener must be quick, thread-safe and never block. Idempotent: a second call changes nothing.
     * {@link #close()} stops the keeper.
     *
     * @throws BrokerException when this client is closed
     */
    @Override
    public void startLive(Consumer<BrokerEvent> listener) throws BrokerException {
        Objects.requireNonNull(listener, "listener");
        LiveSubscriptions started;
        synchronized (stateLock) {
            if (closed) {
                throw new BrokerException("the gateway client is closed");
            }
            if (live != null) {
                return;
            }
            started = new LiveSubscriptions(new LiveSubscriptions.Connector() {
                @Override
                public void withConnection(LiveSubscriptions.Subscriber action) throws BrokerException {
                    subscribeLive(action);
                }

                @Override
                public Duration untilNextAttempt() {
                    return TwsBrokerGateway.this.untilNextAttempt();
                }
            }, listener, liveStatistics, statusClock, config.requestTimeout(), config.backoffInitial(),
                    () -> nextRequestId, config.endpoint());
            live = started;
        }
        started.start();
    }

    /**
     * Stops live mode (if it runs) and closes the connection, so the gateway's client id is free for another process
     * (the instance that took the gateway over); the client stays usable: a later snapshot or {@link #startLive}
     * connects again. Idempotent.
     */
    public void stopLive() {
        LiveSubscriptions stopping;
        synchronized (stateLock) {
            stopping = live;
            live = null;
        }
        if (stopping != null) {
            stopping.stop();
        }
        TwsConnection current = connection;
        if (current != null) {
            current.close();
        }
    }

    @Override
    public Optional<Instant> liveSince() {
        LiveSubscriptions current = live;
        return current == null ? Optional.empty() : current.since();
    }

    /** Counts of what live mode heard, by kind of event (all zero while it is off). */
    public LiveStatistics liveStatistics() {
        return liveStatistics;
    }

    /** The keeper's subscribing: between snapshots, on the open connection (made now if the backoff allows). */
    private synchronized void subscribeLive(LiveSubscriptions.Subscriber action) throws BrokerException {
        if (closed) {
            throw new BrokerException("the gateway client is closed");
        }
        action.subscribe(ensureConnected());
    }

    private synchronized Duration untilNextAttempt() {
        Instant now = statusClock.instant();
        return backoff.nextAttemptAt().filter(now::isBefore).map(next -> Duration.between(now, next))
                .orElse(Duration.ZERO);
    }

    /** The unmanaged accounts warned about so far. */
    synchronized Set<String> warnedUnmanagedAccounts() {
        return Set.copyOf(warnedUnmanaged);
    }

    private String degradedReason() {
        synchronized (stateLock) {
            if (ibConnectivityLost) {
                return "the gateway has no connectivity to IB (error 1100, state " + status.state() + " since "
                        + status.since() + ")";
            }
            return null;
        }
    }

    /** The open connection, or a new one if the backoff allows an attempt now. Guarded by {@code this}. */
    private TwsConnection ensureConnected() throws BrokerException {
        TwsConnection current = connection;
        if (current != null && current.isOpen()) {
            return current;
        }
        Instant now = statusClock.instant();
        if (!backoff.mayAttempt(now)) {
            Instant next = backoff.nextAttemptAt().orElse(now);
            throw new BrokerException("not reconnecting to " + config.endpoint() + " before " + next + " (in "
                    + Duration.between(now, next).toMillis() + " ms; backoff after " + backoff.consecutiveFailures()
                    + " failed attempt(s)); last failure: " + lastConnectFailure.getMessage(),
                    lastConnectFailure.errorCode(), lastConnectFailure);
        }
        int attempt = ++generation;
        synchronized (stateLock) {
            ibConnectivityLost = false;
            changeState(ConnectionState.CONNECTING, "connecting to " + config.endpoint() + " as clientId "
                    + config.clientId(), null);
        }
        TwsConnection opened;
        try {
            opened = TwsConnection.connect(config.host(), config.port(), config.clientId(), config.connectTimeout(),
                    new MessagePacer(config.maxMessagesPerSecond(), pacing),
                    new ConnectionEvents(attempt));
        } catch (BrokerException e) {
            lastConnectFailure = e;
            Instant next = backoff.recordFailure(statusClock.instant());
            synchronized (stateLock) {
                changeState(ConnectionState.DOWN, e.getMessage(), next);
            }
            throw e;
        }
        backoff.recordSuccess();
        lastConnectFailure = null;
        connection = opened;
        synchronized (stateLock) {
            if (!opened.isOpen()) {
                changeState(ConnectionState.DOWN, "connection lost right after connecting: "
                        + TwsConnection.describe(opened.closeReason()), null);
            } else {
                String detail = "connected to " + config.endpoint() + " as clientId " + config.clientId()
                        + ", server version " + opened.serverVersion();
                changeState(ibConnectivityLost ? ConnectionState.DEGRADED : ConnectionState.UP, detail, null);
            }
        }
        if (closed) {
            opened.close();
            throw new BrokerException("the gateway client was closed while connecting");
        }
        return opened;
    }

    /** Guarded by {@code stateLock}. */
    private void changeState(ConnectionState state, String detail, Instant nextAttemptAt) {
        Instant since = state == status.state() ? status.since() : statusClock.instant();
        if (state == ConnectionState.DOWN && status.state() == ConnectionState.CONNECTING && downSince != null) {
            since = downSince; // a failed retry: still down since the gateway went away, not since this attempt
        }
        if (state == ConnectionState.UP || state == ConnectionState.DEGRADED) {
            downSince = null;
        } else if (state == ConnectionState.DOWN && downSince == null) {
            downSince = since;
        }
        ConnectionStatus changed = new ConnectionStatus(state, since, detail, nextAttemptAt);
        boolean stateChanged = state != status.state();
        status = changed;
        if (stateChanged) {
            String retry = nextAttemptAt == null ? "" : " (next attempt not before " + nextAttemptAt + ")";
            // A close we asked for is routine; losing the gateway is not.
            boolean ourClose = closed && state == ConnectionState.DOWN;
            if (state == ConnectionState.DOWN && !ourClose) {
                // Said once, then counted: a gateway that stays down fails every attempt the same way.
                FailureRepeats.Decision repeat = downRepeats.failed(detail, "attempt", clock.instant());
                if (repeat.logFull()) {
                    log.warn("gateway connection {}: {}{}", state, detail, retry);
                } else if (repeat.logSummary()) {
                    log.warn("gateway connection still DOWN: {} failed attempts in a row since {}, each as logged "
                            + "first{}", repeat.count(), repeat.since(), retry);
                } else {
                    log.debug("gateway connection {}: {}{}", state, detail, retry);
                }
            } else if (state == ConnectionState.DEGRADED && !ourClose) {
                log.warn("gateway connection {}: {}{}", state, detail, retry);
            } else if (state == ConnectionState.CONNECTING && downSince != null) {
                log.debug("gateway connection {}: {}", state, detail); // a retry while down: the DOWN lines count them
            } else if (state == ConnectionState.UP) {
                FailureRepeats.Decision ended = downRepeats.succeeded();
                log.info("gateway connection {}: {}{}", state, detail, ended.count() == 0 ? ""
                        : " (after " + ended.count() + " failed attempt(s) since " + ended.since() + ")");
            } else {
                log.info("gateway connection {}: {}", state, detail);
            }
        }
        for (Consumer<ConnectionStatus> listener : statusListeners) {
            try {
                listener.accept(changed);
            } catch (RuntimeException e) {
                log.error("status listener failed", e);
            }
        }
    }

    /** Closes the connection; further snapshots fail. Idempotent. */
    @Override
    public void close() {
        closed = true;
        LiveSubscriptions liveNow = live;
        if (liveNow != null) {
            liveNow.stop();
        }
        TwsConnection current = connection;
        if (current != null) {
            current.close();
        }
        synchronized (stateLock) {
            if (status.state() != ConnectionState.DOWN) {
                changeState(ConnectionState.DOWN, "closed", null);
            }
        }
    }

    /** Events of one connection attempt; ignored once a newer attempt has begun. */
    private final class ConnectionEvents implements TwsConnection.Listener {
        private final int attempt;

        ConnectionEvents(int attempt) {
            this.attempt = attempt;
        }

        private boolean current() {
            return attempt == generation;
        }

        @Override
        public void onMessage(IncomingMessage message) {
            if (!current()) {
                return;
            }
            // State first, so that a snapshot which ends on this message already sees the new state.
            if (message instanceof IncomingMessage.ErrorMessage error) {
                onGatewayError(error);
            }
            LiveSubscriptions liveNow = live;
            if (liveNow != null) {
                liveNow.onMessage(message);
            }
            deliver(new SnapshotSession.Received(message));
        }

        private void onGatewayError(IncomingMessage.ErrorMessage error) {
            switch (error.code()) {
                case ErrorCodes.CONNECTIVITY_LOST:
                    synchronized (stateLock) {
                        ibConnectivityLost = true;
                        if (status.state() == ConnectionState.UP) {
                            changeState(ConnectionState.DEGRADED, "error 1100: the gateway lost its connection to IB: "
                                    + error.message(), null);
                        }
                    }
                    break;
                case ErrorCodes.CONNECTIVITY_RESTORED_DATA_LOST:
                case ErrorCodes.CONNECTIVITY_RESTORED:
                    synchronized (stateLock) {
                        ibConnectivityLost = false;
                        if (status.state() == ConnectionState.DEGRADED) {
                            changeState(ConnectionState.UP, "error " + error.code() + ": connectivity to IB restored: "
                                    + error.message(), null);
                        }
                    }
                    break;
                case ErrorCodes.SOCKET_PORT_RESET:
                    TwsConnection current = connection;
                    if (current != null) {
                        current.abort(new BrokerException("the gateway reset its socket port (error 1300); "
                                + "reconnecting on the next snapshot", ErrorCodes.SOCKET_PORT_RESET, null));
                    }
                    break;
                default:
                    break;
            }
        }

        @Override
        public void onClosed(Exception reason) {
            if (!current()) {
                return;
            }
            synchronized (stateLock) {
                // While connecting, the connecting thread reports the failure itself.
                if (status.state() != ConnectionState.CONNECTING && status.state() != ConnectionState.DOWN) {
                    changeState(ConnectionState.DOWN, closed ? "closed" : "connection lost: "
                            + TwsConnection.describe(reason), null);
                }
            }
            LiveSubscriptions liveNow = live;
            if (liveNow != null) {
                liveNow.onClosed(reason);
            }
            deliver(new SnapshotSession.Closed(reason));
        }

        /**
         * Hands an event to the snapshot in flight, waiting while its queue is full; gives up once that
         * snapshot has ended (nobody reads the queue any more).
         */
        private void deliver(SnapshotSession.Event event) {
            BlockingQueue<SnapshotSession.Event> events = sessionEvents;
            if (events == null) {
                return;
            }
            try {
                while (!events.offer(event, OFFER_WAIT_MS, TimeUnit.MILLISECONDS)) {
                    if (sessionEvents != events) {
                        return;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}

package io.positionsync.ibkr;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.IntSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live mode of a {@link TwsBrokerGateway}: one keeper thread (a daemon) keeps a connection with its
 * subscriptions, and the connection's reader hands every message here, which turns what the gateway pushes into
 * {@link BrokerEvent}s.
 *
 * <ul>
 *   <li>Subscriptions: {@code reqPositions}, left open (never cancelled), when the gateway manages at most
 *       {@value #MAX_POSITIONS_SUBSCRIPTION_ACCOUNTS} accounts (above that IB refuses it: only fills are heard).
 *       Fills need no request: the gateway pushes {@code execDetails} (reqId -1) of this client's orders, and of
 *       every client's when this client's id is the gateway's Master API client ID. Account updates are not
 *       subscribed: a snapshot walks the accounts one at a time with that one subscription.</li>
 *   <li>Events: an {@code execDetails} no snapshot asked for is a {@link BrokerEvent.Fill}; a {@code position}
 *       outside the answer to a positions request (between the request and its {@code positionEnd}) is a
 *       {@link BrokerEvent.PositionChanged}. Both go out on the connection's reader thread.</li>
 *   <li>Once subscribed: {@link BrokerEvent.LiveStarted} ({@code connected}, {@code reconnected}, or after error
 *       1101 {@code error 1101 ...}), on the keeper thread. A drop: {@link BrokerEvent.LiveLost}, then the keeper
 *       reconnects (as the gateway's backoff allows) and subscribes again. Error 1101 (connectivity restored, data
 *       lost): subscribed again on the same connection. Error 1100: LiveLost; 1102 after it (data maintained):
 *       LiveStarted again with the subscriptions kept.</li>
 * </ul>
 * The listener is called on those threads, one event at a time per thread: it must be quick and never block.
 */
final class LiveSubscriptions {
    private static final Logger log = LoggerFactory.getLogger(LiveSubscriptions.class);

    /** Above this many managed accounts IB refuses {@code reqPositions}: only fills are heard then. */
    static final int MAX_POSITIONS_SUBSCRIPTION_ACCOUNTS = 50;
    static final String CONNECTED = "connected";
    static final String RECONNECTED = "reconnected";

    /** What the keeper needs from the gateway; called with the gateway's lock held, between snapshots. */
    interface Connector {
        /** Connects when needed (honouring the backoff) and runs {@code action} on the open connection. */
        void withConnection(Subscriber action) throws BrokerException;

        /** How long until the backoff allows the next connection attempt (zero when it does now). */
        Duration untilNextAttempt();
    }

    interface Subscriber {
        void subscribe(TwsConnection connection) throws BrokerException;
    }

    private final Connector connector;
    private final Consumer<BrokerEvent> listener;
    private final LiveStatistics statistics;
    private final Clock clock;
    private final Duration requestTimeout;
    private final Duration minimumRetry;
    /** The next reqId the gateway will use: an execDetails of a reqId below 1 or not below it is a push. */
    private final IntSupplier nextRequestId;
    private final String endpoint;

    private final Object lock = new Object();
    /** Guarded by {@code lock}: the connection subscribed on, null while none is. */
    private TwsConnection subscribedOn;
    private boolean positionsSubscribed;
    /** When the current subscriptions were made; null while not live. */
    private Instant since;
    /** The subscriptions' time while error 1100 holds (restored by 1102). */
    private Instant sinceBeforeOutage;
    /** Why the subscriptions must be made (again); null while they stand. */
    private String pending = CONNECTED;
    private boolean stopped;
    private Thread keeper;

    /** Positions requests (the keeper's or a snapshot's) whose positionEnd has not arrived: their positions are answers. */
    private final AtomicInteger positionAnswersPending = new AtomicInteger();
    private volatile CountDownLatch positionEnd;
    /** The keeper's positions request was refused (error 321, as IB refuses it to masters of many accounts). */
    private volatile boolean positionsRefused;
    private volatile CompletableFuture<List<String>> accountsAnswer;

    LiveSubscriptions(Connector connector, Consumer<BrokerEvent> listener, LiveStatistics statistics, Clock clock,
            Duration requestTimeout, Duration minimumRetry, IntSupplier nextRequestId, String endpoint) {
        this.connector = connector;
        this.listener = Objects.requireNonNull(listener, "listener");
        this.statistics = statistics;
        this.clock = clock;
        this.requestTimeout = requestTimeout;
        this.minimumRetry = minimumRetry;
        this.nextRequestId = nextRequestId;
        this.endpoint = endpoint;
    }

    void start() {
        Thread thread = new Thread(this::keep, "tws-live-" + endpoint);
        thread.setDaemon(true);
        synchronized (lock) {
            keeper = thread;
        }
        thread.start();
    }

    /** Stops the keeper; no further events. */
    void stop() {
        Thread thread;
        synchronized (lock) {
            stopped = true;
            since = null;
            thread = keeper;
            lock.notifyAll();
        }
        CountDownLatch end = positionEnd;
        if (end != null) {
            end.countDown();
        }
        if (thread != null && thread != Thread.currentThread()) {
            thread.interrupt();
        }
    }

    Optional<Instant> since() {
        synchronized (lock) {
            return Optional.ofNullable(since);
        }
    }

    /** Whether {@code connection} carries the live positions subscription: a snapshot on it must not cancel it. */
    boolean positionsSubscribedOn(TwsConnection connection) {
        synchronized (lock) {
            return positionsSubscribed && subscribedOn == connection;
        }
    }

    /** A snapshot is about to send its positions request: the positions until its positionEnd are its answer. */
    void positionsRequested() {
        positionAnswersPending.incrementAndGet();
    }

    // ------------------------------------------------------------------ the keeper

    private void keep() {
        while (true) {
            String reason;
            synchronized (lock) {
                while (!stopped && pending == null) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        if (stopped) {
                            return;
                        }
                    }
                }
                if (stopped) {
                    return;
                }
                reason = pending;
            }
            try {
                connector.withConnection(connection -> subscribe(connection, reason));
            } catch (BrokerException e) {
                Duration wait = connector.untilNextAttempt();
                if (wait.compareTo(minimumRetry) < 0) {
                    wait = minimumRetry;
                }
                log.debug("live subscriptions not in place ({}); next attempt in {} ms", e.getMessage(), wait.toMillis());
                pause(wait);
            } catch (RuntimeException e) {
                log.error("live keeper failed; trying again", e);
                pause(minimumRetry);
            }
        }
    }

    private void pause(Duration wait) {
        long until = System.nanoTime() + wait.toNanos();
        synchronized (lock) {
            long left;
            while (!stopped && (left = until - System.nanoTime()) > 0) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    if (stopped) {
                        return;
                    }
                }
            }
        }
    }

    /** Makes the subscriptions on {@code connection} (with the gateway's lock held: no snapshot runs meanwhile). */
    private void subscribe(TwsConnection connection, String reason) throws BrokerException {
        positionAnswersPending.set(0);
        List<String> accounts = connection.managedAccounts().orElse(null);
        if (accounts == null) {
            CompletableFuture<List<String>> answer = new CompletableFuture<>();
            accountsAnswer = answer;
            send(connection, RequestEncoder.reqManagedAccts());
            accounts = await(connection, answer, "managedAccounts");
        }
        boolean positions = accounts.size() <= MAX_POSITIONS_SUBSCRIPTION_ACCOUNTS;
        if (positions) {
            CountDownLatch end = new CountDownLatch(1);
            positionsRefused = false;
            positionEnd = end;
            positionAnswersPending.incrementAndGet();
            send(connection, RequestEncoder.reqPositions());
            try {
                if (!end.await(requestTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    BrokerException failure = new BrokerException("positionEnd of the live positions subscription not "
                            + "received within " + requestTimeout.toMillis() + " ms");
                    connection.abort(failure);
                    throw failure;
                }
            } catch (InterruptedException e) {
                throw new BrokerException("interrupted while subscribing to positions");
            } finally {
                positionEnd = null;
            }
            if (positionsRefused) {
                positions = false;
                log.info("the gateway refused the positions subscription; live mode hears fills only");
            }
        } else {
            log.info("{} managed accounts: more than {}, so positions are not subscribed (IB refuses it); live mode "
                    + "hears fills only", accounts.size(), MAX_POSITIONS_SUBSCRIPTION_ACCOUNTS);
        }
        synchronized (lock) {
            if (stopped) {
                return;
            }
            if (!connection.isOpen()) {
                throw new BrokerException("the connection was lost while subscribing: "
                        + TwsConnection.describe(connection.closeReason()));
            }
            subscribedOn = connection;
            positionsSubscribed = positions;
            since = clock.instant();
            sinceBeforeOutage = null;
            if (Objects.equals(pending, reason)) {
                pending = null;
            }
            log.info("live subscriptions in place ({}): {}", reason, positions ? "positions and fills" : "fills only");
            emit(new BrokerEvent.LiveStarted(reason, since));
        }
    }

    private static void send(TwsConnection connection, byte[] frame) throws BrokerException {
        try {
            connection.send(frame);
        } catch (IOException e) {
            throw new BrokerException("could not subscribe: " + TwsConnection.describe(e));
        }
    }

    private <T> T await(TwsConnection connection, CompletableFuture<T> answer, String what) throws BrokerException {
        try {
            return answer.get(requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            BrokerException failure = new BrokerException(what + " not received within " + requestTimeout.toMillis()
                    + " ms");
            connection.abort(failure);
            throw failure;
        } catch (ExecutionException e) {
            throw new BrokerException(what + " failed: " + TwsConnection.describe(e.getCause()));
        } catch (InterruptedException e) {
            throw new BrokerException("interrupted while waiting for " + what);
        }
    }

    // ------------------------------------------------------------------ the reader's side

    /** Every message of the gateway's current connection, on its reader thread. */
    void onMessage(IncomingMessage message) {
        if (message instanceof IncomingMessage.ExecDetails execution) {
            int reqId = execution.reqId();
            if (reqId < 1 || reqId >= nextRequestId.getAsInt()) {
                emitIfLive(new BrokerEvent.Fill(execution.account(), execution.execId(), execution.time(),
                        clock.instant()));
            }
        } else if (message instanceof IncomingMessage.Position position) {
            if (positionAnswersPending.get() == 0) {
                emitIfLive(new BrokerEvent.PositionChanged(position.account(), (int) position.contract().conId(),
                        position.position(), clock.instant()));
            }
        } else if (message instanceof IncomingMessage.PositionEnd) {
            positionAnswersPending.updateAndGet(n -> Math.max(0, n - 1));
            CountDownLatch end = positionEnd;
            if (end != null) {
                end.countDown();
            }
        } else if (message instanceof IncomingMessage.ManagedAccounts accounts) {
            CompletableFuture<List<String>> answer = accountsAnswer;
            if (answer != null) {
                answer.complete(accounts.accounts());
            }
        } else if (message instanceof IncomingMessage.ErrorMessage error) {
            onError(error);
        }
    }

    private void onError(IncomingMessage.ErrorMessage error) {
        synchronized (lock) {
            if (stopped) {
                return;
            }
            switch (error.code()) {
                case ErrorCodes.CONNECTIVITY_LOST:
                    if (since != null) {
                        sinceBeforeOutage = since;
                        since = null;
                        emit(new BrokerEvent.LiveLost("error 1100: the gateway lost its connection to IB",
                                clock.instant()));
                    }
                    break;
                case ErrorCodes.CONNECTIVITY_RESTORED:
                    if (sinceBeforeOutage != null && pending == null) {
                        since = sinceBeforeOutage;
                        sinceBeforeOutage = null;
                        emit(new BrokerEvent.LiveStarted("error 1102: connectivity to IB restored, data maintained",
                                clock.instant()));
                    }
                    break;
                case ErrorCodes.CONNECTIVITY_RESTORED_DATA_LOST:
                    if (subscribedOn != null) {
                        since = null;
                        sinceBeforeOutage = null;
                        pending = "error 1101: connectivity to IB restored, data lost";
                        lock.notifyAll();
                    }
                    break;
                case ErrorCodes.VALIDATION_ERROR:
                    CountDownLatch end = positionEnd;
                    if (end != null && error.reqId() < 1) {
                        // the answer to the keeper's reqPositions, which has no request id: refused
                        positionsRefused = true;
                        positionAnswersPending.updateAndGet(n -> Math.max(0, n - 1));
                        end.countDown();
                    }
                    break;
                default:
                    break;
            }
        }
    }

    /** The current connection closed (on its reader thread). */
    void onClosed(Exception reason) {
        CountDownLatch end = positionEnd;
        if (end != null) {
            end.countDown();
        }
        CompletableFuture<List<String>> answer = accountsAnswer;
        if (answer != null) {
            answer.completeExceptionally(new BrokerException("connection closed"));
        }
        synchronized (lock) {
            if (stopped) {
                return;
            }
            boolean wasSubscribed = subscribedOn != null;
            if (since != null || sinceBeforeOutage != null) {
                emit(new BrokerEvent.LiveLost("connection lost: " + TwsConnection.describe(reason), clock.instant()));
            }
            subscribedOn = null;
            positionsSubscribed = false;
            since = null;
            sinceBeforeOutage = null;
            if (wasSubscribed || !CONNECTED.equals(pending)) {
                pending = RECONNECTED; // CONNECTED stays until the first subscriptions were made
            }
            lock.notifyAll();
        }
    }

    private void emitIfLive(BrokerEvent event) {
        synchronized (lock) {
            if (!stopped) {
                emit(event);
            }
        }
    }

    /** Guarded by {@code lock}. */
    private void emit(BrokerEvent event) {
        statistics.record(event);
        try {
            listener.accept(event);
        } catch (RuntimeException e) {
            log.error("live event listener failed on {}", event, e);
        }
    }
}

package io.positionsync.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hears the runs {@link RunNotifier} announces: one session of its own (outside the pool) that {@code LISTEN}s on the
 * channel and hands each notification's payload to {@link Events#run}, on one daemon thread. Every instance of the
 * service that runs one hears every commit on the database, whichever instance made it.
 *
 * <p>When the session is lost (the database restarted, the connection was cut or terminated), it says so once
 * ({@link Events#lost}, a WARN line), opens a new one with a back-off and {@code LISTEN}s again; PostgreSQL keeps
 * nothing for a session that was not listening, so {@link Events#listening} with {@code again == true} tells the
 * caller that commits in between may have been missed. A session that has heard nothing for a while is checked, so a
 * connection dropped without a reset is noticed too.
 */
public final class RunListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RunListener.class);
    /** Longest wait for a notification in one call: also how soon {@link #close()} is noticed. */
    private static final int WAIT_MILLIS = 250;
    /** A session that heard nothing for this long is checked ({@code SELECT 1}). */
    private static final Duration CHECK_IDLE = Duration.ofSeconds(5);
    private static final int CHECK_TIMEOUT_SECONDS = 3;

    /** What the listener tells its owner. */
    public interface Events {
        /** A notification's payload, in commit order. */
        void run(String payload);

        /** The session listens; {@code again}: after a loss (commits in between were not heard). */
        void listening(boolean again);

        /** The session was lost; a new one is tried after {@code retryIn}. */
        void lost(String reason, Duration retryIn);
    }

    /**
     * Another channel the same session listens on (one LISTEN session per instance): its notifications go to
     * {@link #heard}, in order, on the listener's thread; {@link #listening} says when the session listens (again).
     */
    public interface Channel {
        /** A notification's payload. */
        void heard(String payload);

        /** The session listens; {@code again}: after a loss (notifications in between were not heard). */
        default void listening(boolean again) {
        }
    }

    /** Opens a session of its own (see {@link Database#openSession()}). */
    @FunctionalInterface
    public interface Sessions {
        Connection open() throws SQLException;
    }

    private final Sessions sessions;
    private final String channel;
    private final Events events;
    /** The other channels, by name. */
    private final java.util.Map<String, Channel> others;
    private final Duration backoffInitial;
    private final Duration backoffMax;
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicLong reconnects = new AtomicLong();
    private volatile boolean running = true;
    private volatile boolean listening;
    private volatile int backendPid;

    private RunListener(Sessions sessions, String channel, Events events, java.util.Map<String, Channel> others,
            Duration backoffInitial, Duration backoffMax) {
        this.sessions = Objects.requireNonNull(sessions, "sessions");
        // LISTEN takes no bind parameter: the name goes into the statement, so only a plain identifier is accepted.
        this.channel = RunNotifier.checkChannel(Objects.requireNonNull(channel, "channel"));
        this.events = Objects.requireNonNull(events, "events");
        this.others = java.util.Map.copyOf(others);
        for (String other : this.others.keySet()) {
            RunNotifier.checkChannel(other);
            if (other.equals(this.channel)) {
                throw new IllegalArgumentException("channel " + other + " is the runs' channel");
            }
        }
        this.backoffInitial = backoffInitial;
        this.backoffMax = backoffMax;
        this.thread = new Thread(this::loop, "psync-run-listener");
        this.thread.setDaemon(true);
    }

    /**
     * Starts listening on {@code channel} (a plain identifier, {@link RunNotifier#checkChannel}) on a thread of its
     * own; a first session that cannot be opened is retried like a lost one.
     */
    public static RunListener start(Sessions sessions, String channel, Events events, Duration backoffInitial,
            Duration backoffMax) {
        return start(sessions, channel, events, java.util.Map.of(), backoffInitial, backoffMax);
    }

    /** As above, the same session also listening on {@code others} (plain identifiers, by name). */
    public static RunListener start(Sessions sessions, String channel, Events events, java.util.Map<String, Channel> others,
            Duration backoffInitial, Duration backoffMax) {
        RunListener listener = new RunListener(sessions, channel, events, others, backoffInitial, backoffMax);
        listener.thread.start();
        return listener;
    }

    public String channel() {
        return channel;
    }

    /** Whether the session listens now. */
    public boolean listening() {
        return listening;
    }

    /** Sessions opened again after a loss, since the start. */
    public long reconnects() {
        return reconnects.get();
    }

    /** The server process of the current session (0 while there is none): what {@code pg_stat_activity} shows. */
    public int backendPid() {
        return backendPid;
    }

    private void loop() {
        Duration backoff = backoffInitial;
        boolean lostBefore = false;
        try {
            while (running) {
                try (Connection session = sessions.open()) {
                    session.setAutoCommit(true); // notifications reach a session between its transactions
                    try (Statement statement = session.createStatement()) {
                        statement.execute("LISTEN " + channel);
                        for (String other : others.keySet()) {
                            statement.execute("LISTEN " + other);
                        }
                    }
                    PGConnection pg = session.unwrap(PGConnection.class);
                    backendPid = pg.getBackendPID();
                    listening = true;
                    if (lostBefore) {
                        reconnects.incrementAndGet();
                        LOG.info("listening on channel {} again (session {})", channel, backendPid);
                    } else {
                        LOG.info("listening on channel {} for committed runs{} (session {})", channel,
                                others.isEmpty() ? "" : " and on " + String.join(", ", others.keySet()), backendPid);
                    }
                    events.listening(lostBefore);
                    for (Channel other : others.values()) {
                        try {
                            other.listening(lostBefore);
                        } catch (RuntimeException e) {
                            LOG.warn("a listener of another channel failed: {}", e.getMessage());
                        }
                    }
                    backoff = backoffInitial;
                    hear(session, pg);
                } catch (SQLException | RuntimeException e) {
                    if (!running) {
                        break;
                    }
                    String reason = e.getMessage() == null ? e.getClass().getSimpleName()
                            : e.getMessage().replaceAll("\\s+", " ").trim();
                    if (listening || !lostBefore) {
                        LOG.warn("lost the session listening on channel {} ({}); live events pause, retrying in {} ms",
                                channel, reason, backoff.toMillis());
                    } else {
                        LOG.debug("listening on channel {} still fails ({}); retrying in {} ms", channel, reason,
                                backoff.toMillis());
                    }
                    listening = false;
                    backendPid = 0;
                    lostBefore = true;
                    events.lost(reason, backoff);
                    pause(backoff);
                    backoff = backoff.multipliedBy(2).compareTo(backoffMax) > 0 ? backoffMax : backoff.multipliedBy(2);
                }
            }
        } finally {
            listening = false;
            backendPid = 0;
            stopped.countDown();
        }
    }

    /** Hands on what the session hears until it is lost or the listener closes. */
    private void hear(Connection session, PGConnection pg) throws SQLException {
        long quietSince = System.nanoTime();
        while (running) {
            PGNotification[] notifications = pg.getNotifications(WAIT_MILLIS);
            if (notifications != null && notifications.length > 0) {
                quietSince = System.nanoTime();
                for (PGNotification notification : notifications) {
                    if (channel.equals(notification.getName())) {
                        try {
                            events.run(notification.getParameter());
                        } catch (RuntimeException e) {
                            LOG.warn("a run notification could not be handed on: {}", e.getMessage());
                        }
                    } else if (others.containsKey(notification.getName())) {
                        try {
                            others.get(notification.getName()).heard(notification.getParameter());
                        } catch (RuntimeException e) {
                            LOG.warn("a notification on {} could not be handed on: {}", notification.getName(),
                                    e.getMessage());
                        }
                    }
                }
            } else if (System.nanoTime() - quietSince > CHECK_IDLE.toNanos()) {
                if (!session.isValid(CHECK_TIMEOUT_SECONDS)) {
                    throw new SQLException("the session does not answer");
                }
                quietSince = System.nanoTime();
            }
        }
    }

    private void pause(Duration wait) {
        long until = System.nanoTime() + wait.toNanos();
        while (running && System.nanoTime() < until) {
            try {
                Thread.sleep(Math.min(WAIT_MILLIS, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Stops listening and closes the session (within about a quarter of a second). */
    @Override
    public void close() {
        running = false;
        try {
            if (!stopped.await(5, TimeUnit.SECONDS)) {
                thread.interrupt();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

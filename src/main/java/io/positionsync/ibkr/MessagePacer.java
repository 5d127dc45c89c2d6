package io.positionsync.ibkr;

import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Paces what one connection sends: at most {@code perSecond} messages in any rolling second, never a burst above
 * it. It remembers when each of the last {@code perSecond} messages went out (a sliding-window log): a message may go
 * once the one sent {@code perSecond} messages before it is at least a second old. The first {@code perSecond}
 * messages go at once; after that the pace is {@code perSecond} a second. Every message the connection writes
 * (the handshake included) takes its permit here first.
 *
 * <p>Waiting never runs past the caller's deadline: when the permits would only come after it, nothing is
 * sent, nothing is recorded, and {@link #acquire} throws {@link PacingDeadlineException} at once. Waits are
 * counted in a {@link PacingStatistics}, which may be shared by the connections of one gateway.
 *
 * <p>The time source and the sleeper are injectable, so tests drive it without sleeping. Thread-safe: senders
 * queue on the pacer (one waits while another is waiting).
 */
public final class MessagePacer {
    /** IB's own ceiling per client connection: more messages in one second and the gateway disconnects. */
    public static final int GATEWAY_LIMIT_PER_SECOND = 50;
    /** The default pace, with a margin below the gateway's ceiling. */
    public static final int DEFAULT_PER_SECOND = 45;
    private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** Sleeps for a number of nanoseconds (a test's sleeper advances its clock instead). */
    @FunctionalInterface
    public interface Sleeper {
        void sleepNanos(long nanos) throws InterruptedException;
    }

    private static final Sleeper THREAD_SLEEPER = nanos -> TimeUnit.NANOSECONDS.sleep(nanos);

    private final int perSecond;
    private final LongSupplier nanoTime;
    private final Sleeper sleeper;
    private final PacingStatistics statistics;
    /** When the last {@code perSecond} messages went out, oldest at {@code next} once full. */
    private final long[] sentAt;
    private int next;
    private long sent;

    /** Real time ({@link System#nanoTime()}), real sleeps. */
    public MessagePacer(int perSecond, PacingStatistics statistics) {
        this(perSecond, System::nanoTime, THREAD_SLEEPER, statistics);
    }

    /**
     * @param nanoTime a monotonic time in nanoseconds, the same base as the deadlines given to {@link #acquire}
     */
    public MessagePacer(int perSecond, LongSupplier nanoTime, Sleeper sleeper, PacingStatistics statistics) {
        if (perSecond < 1) {
            throw new IllegalArgumentException("messages per second must be at least 1, got " + perSecond);
        }
        this.perSecond = perSecond;
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
        this.statistics = Objects.requireNonNull(statistics, "statistics");
        this.sentAt = new long[perSecond];
    }

    /** The pace: messages in any rolling second. */
    public int perSecond() {
        return perSecond;
    }

    /** The waits of this pacer (shared with others when given so). */
    public PacingStatistics statistics() {
        return statistics;
    }

    /**
     * Waits until {@code messages} more may go out, then records them as sent now. The caller writes them right
     * after (under the same ordering: call it while holding the lock of the write when writes can race).
     *
     * @param deadline a time of the pacer's clock past which the caller will not wait
     * @throws PacingDeadlineException when the permits would come only after {@code deadline} (nothing recorded)
     * @throws InterruptedIOException  when interrupted while waiting (nothing recorded)
     */
    public synchronized void acquire(int messages, long deadline) throws PacingDeadlineException, InterruptedIOException {
        if (messages < 1) {
            return;
        }
        if (messages > perSecond) {
            throw new IllegalArgumentException(messages + " messages in one write exceed the pace of " + perSecond
                    + " a second");
        }
        long now = nanoTime.getAsLong();
        long allowedAt = allowedAt(messages, now);
        if (allowedAt - now > 0) {
            if (allowedAt - deadline > 0) {
                throw new PacingDeadlineException(messages, perSecond, Duration.ofNanos(allowedAt - now));
            }
            long started = now;
            try {
                while (allowedAt - now > 0) {
                    sleeper.sleepNanos(allowedAt - now);
                    now = nanoTime.getAsLong();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                InterruptedIOException interrupted = new InterruptedIOException("interrupted while pacing messages");
                interrupted.initCause(e);
                throw interrupted;
            } finally {
                statistics.recordWait(nanoTime.getAsLong() - started);
            }
        }
        for (int i = 0; i < messages; i++) {
            sentAt[next] = now;
            next = (next + 1) % perSecond;
        }
        sent += messages;
    }

    /**
     * How long from now until {@code messages} more could go at once (0: now); for at most {@code perSecond}
     * messages. Sends nothing, records nothing.
     */
    public synchronized long nanosUntilFree(int messages) {
        if (messages < 1) {
            return 0;
        }
        if (messages > perSecond) {
            throw new IllegalArgumentException(messages + " messages in one write exceed the pace of " + perSecond
                    + " a second");
        }
        long now = nanoTime.getAsLong();
        return Math.max(0, allowedAt(messages, now) - now);
    }

    /**
     * How long from now until {@code messages} more, sent one after the other as fast as this pace allows, would
     * all have gone: the pacing floor of that many messages (0 when they may all go at once). Records nothing.
     */
    public synchronized long nanosToSend(long messages) {
        if (messages < 1) {
            return 0;
        }
        // The k-th message waits for the one perSecond before it to be a second old: the last one goes whole
        // seconds after the first of its round, which waits only for the log of what was sent before.
        int firstRound = (int) ((messages - 1) % perSecond) + 1;
        long rounds = (messages - 1) / perSecond;
        long now = nanoTime.getAsLong();
        return Math.max(0, allowedAt(firstRound, now) - now) + rounds * WINDOW_NANOS;
    }

    /** Messages let through so far. */
    public synchronized long sent() {
        return sent;
    }

    /**
     * When {@code messages} more may go: once the message that would then be {@code perSecond} back is a second
     * old; {@code now} when they may go at once (times compare by difference only: {@code nanoTime} may wrap).
     */
    private long allowedAt(int messages, long now) {
        long alreadyInLog = Math.min(sent, perSecond);
        // After these messages, the log must not hold more than perSecond inside one window: the entry that drops
        // out last is the (messages)-th oldest, if the log is (or becomes) full.
        long overflow = alreadyInLog + messages - perSecond;
        if (overflow <= 0) {
            return now;
        }
        int oldest = sent >= perSecond ? next : 0;
        long binding = sentAt[(int) ((oldest + overflow - 1) % perSecond)];
        return binding + WINDOW_NANOS;
    }
}

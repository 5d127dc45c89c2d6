package io.positionsync.ibkr.sim;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One armed fault of a {@link GatewaySimulator}. One-shot by default: the first snapshot phase it applies to
 * consumes it, so the next snapshot succeeds; {@link #always()} keeps it armed, {@link #times(int)} sets a
 * count. Tests can wait for it with {@link #awaitTriggered(Duration)}.
 */
public final class Fault {
    private static final int UNLIMITED = -1;

    /** What the fault does. */
    public enum Kind {
        /** Close the connection after {@code afterMessages} data messages of the phase (clipped: before the end marker). */
        DROP_CONNECTION,
        /** Send error {@code code} (reqId -1) after {@code afterMessages} data messages, then carry on. */
        CONNECTIVITY_ERROR,
        /** Send the phase's end marker {@code delay} late. */
        DELAY_END,
        /** Never send the phase's end marker. */
        WITHHOLD_END,
        /** Data message number {@code afterMessages} (0-based) carries a non-numeric int field (conId). */
        MALFORMED_FRAME,
        /** Instead of data message number {@code afterMessages}, a frame header announcing more than 0xFFFFFF bytes. */
        OVERSIZED_FRAME,
        /** After a client reconnects with the same clientId, re-send (reqId -1) every execution sent to it before. */
        REPLAY_EXECUTIONS,
        /** Send the commission reports {@code delay} after execDetailsEnd instead of after each execDetails. */
        LATE_COMMISSION_REPORTS
    }

    private final Kind kind;
    private final SnapshotPhase phase;
    private final int afterMessages;
    private final int code;
    private final Duration delay;
    private volatile String account;
    private volatile boolean cancelled;
    private final AtomicInteger remaining = new AtomicInteger(1);
    private final AtomicInteger triggered = new AtomicInteger();
    private final CountDownLatch firstTrigger = new CountDownLatch(1);

    Fault(Kind kind, SnapshotPhase phase, int afterMessages, int code, Duration delay) {
        this(kind, phase, afterMessages, code, delay, null);
    }

    Fault(Kind kind, SnapshotPhase phase, int afterMessages, int code, Duration delay, String account) {
        this.account = account;
        this.kind = kind;
        this.phase = phase;
        this.afterMessages = afterMessages;
        this.code = code;
        this.delay = delay;
    }

    public Kind kind() {
        return kind;
    }

    /** The phase it strikes in; {@code null} for {@link Kind#REPLAY_EXECUTIONS}, which strikes at connect. */
    public SnapshotPhase phase() {
        return phase;
    }

    public int afterMessages() {
        return afterMessages;
    }

    public int code() {
        return code;
    }

    public Duration delay() {
        return delay;
    }

    public String account() {
        return account;
    }

    /** Stays armed for every matching phase until cancelled. */
    public Fault always() {
        remaining.set(UNLIMITED);
        return this;
    }

    /** Strikes {@code count} times. */
    public Fault times(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("count must be >= 1");
        }
        remaining.set(count);
        return this;
    }

    /** Only strikes in phases about this account (account updates of it). */
    public Fault forAccount(String accountCode) {
        this.account = accountCode;
        return this;
    }

    public void cancel() {
        cancelled = true;
    }

    /** Whether it can still strike. */
    public boolean isArmed() {
        return !cancelled && remaining.get() != 0;
    }

    public int triggerCount() {
        return triggered.get();
    }

    /** Waits until the fault has struck at least once. */
    public boolean awaitTriggered(Duration timeout) throws InterruptedException {
        return firstTrigger.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    boolean matches(SnapshotPhase candidatePhase, String candidateAccount) {
        String only = account;
        return phase == candidatePhase && (only == null || only.equals(candidateAccount));
    }

    /** Takes one strike if any is left. */
    boolean claim() {
        while (!cancelled) {
            int left = remaining.get();
            if (left == 0) {
                return false;
            }
            if (left == UNLIMITED || remaining.compareAndSet(left, left - 1)) {
                triggered.incrementAndGet();
                firstTrigger.countDown();
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "Fault[" + kind + (phase == null ? "" : " in " + phase) + (account == null ? "" : " of " + account)
                + ", triggered " + triggered.get() + "]";
    }
}

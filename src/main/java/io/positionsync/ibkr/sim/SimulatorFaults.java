package io.positionsync.ibkr.sim;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

import io.positionsync.ibkr.wire.FrameDecoder;

/**
 * The faults a test can arm on a running {@link GatewaySimulator}, while clients are connected. Each method
 * arms one {@link Fault} (one-shot unless told otherwise) that strikes in the next matching snapshot phase of
 * any client; "now" methods act at once on every connected client.
 */
public final class SimulatorFaults {
    private static final int FIRST_MESSAGE = 0;
    private static final int AFTER_FIRST_MESSAGE = 1;

    private final GatewaySimulator simulator;
    private final List<Fault> faults = new CopyOnWriteArrayList<>();

    SimulatorFaults(GatewaySimulator simulator) {
        this.simulator = simulator;
    }

    /** Drops the connection after {@code afterMessages} data messages of the phase (0: before the first). */
    public Fault dropConnection(SnapshotPhase phase, int afterMessages) {
        return arm(new Fault(Fault.Kind.DROP_CONNECTION, phase, requireCount(afterMessages), 0, null));
    }

    /** Drops the connection after every data message of the phase, just before its end marker. */
    public Fault dropBeforeEnd(SnapshotPhase phase) {
        return dropConnection(phase, Integer.MAX_VALUE);
    }

    /** Drops the connection after the first message of {@code account}'s account updates. */
    public Fault dropDuringAccountUpdates(String account) {
        Objects.requireNonNull(account, "account");
        return arm(new Fault(Fault.Kind.DROP_CONNECTION, SnapshotPhase.ACCOUNT_UPDATES, AFTER_FIRST_MESSAGE, 0, null,
                account));
    }

    /** Sends error {@code code} (e.g. 1100, 1101, 1102) after the first data message of the next such phase. */
    public Fault connectivityError(int code, SnapshotPhase phase) {
        return connectivityError(code, phase, AFTER_FIRST_MESSAGE);
    }

    /** Sends error {@code code} after {@code afterMessages} data messages of the next such phase. */
    public Fault connectivityError(int code, SnapshotPhase phase, int afterMessages) {
        return arm(new Fault(Fault.Kind.CONNECTIVITY_ERROR, phase, requireCount(afterMessages), code, null));
    }

    /** Sends error {@code code} (reqId -1) to every connected client now; returns how many got it. */
    public int connectivityErrorNow(int code) {
        return simulator.sendErrorToAll(code);
    }

    /** Sends the end marker of the next such phase {@code delay} late. */
    public Fault delayEnd(SnapshotPhase phase, Duration delay) {
        Objects.requireNonNull(delay, "delay");
        return arm(new Fault(Fault.Kind.DELAY_END, phase, 0, 0, delay));
    }

    /** Never sends the end marker of the next such phase. */
    public Fault withholdEnd(SnapshotPhase phase) {
        return arm(new Fault(Fault.Kind.WITHHOLD_END, phase, 0, 0, null));
    }

    /** The first data message of the next such phase carries a non-numeric conId (the end marker if there is none). */
    public Fault malformedFrame(SnapshotPhase phase) {
        return arm(new Fault(Fault.Kind.MALFORMED_FRAME, phase, FIRST_MESSAGE, 0, null));
    }

    /**
     * Instead of the first data message of the next such phase, sends a frame header announcing
     * {@code 0xFFFFFF + 1} bytes (and a few bytes of it); the rest of that phase is not sent.
     */
    public Fault oversizedFrame(SnapshotPhase phase) {
        return arm(new Fault(Fault.Kind.OVERSIZED_FRAME, phase, FIRST_MESSAGE, 0, null));
    }

    /** When a client next connects with a clientId seen before, re-sends every execution already sent to it. */
    public Fault replayExecutionsOnReconnect() {
        return arm(new Fault(Fault.Kind.REPLAY_EXECUTIONS, null, 0, 0, null));
    }

    /** The next executions answer sends its commission reports {@code delay} after execDetailsEnd. */
    public Fault lateCommissionReports(Duration delay) {
        Objects.requireNonNull(delay, "delay");
        return arm(new Fault(Fault.Kind.LATE_COMMISSION_REPORTS, SnapshotPhase.EXECUTIONS, 0, 0, delay));
    }

    /**
     * The commission report of {@code execId} carries IB's realizedPNL off by {@code delta} from now on (the
     * broker disagrees with the fold of the fills for that one execution); {@code null} or 0 reports it right again.
     * A correction of it ({@code <base>.02}) is reported right. Not a one-shot {@link Fault}: it holds until changed.
     */
    public void misreportRealizedPnl(String execId, java.math.BigDecimal delta) {
        simulator.state().misreportRealizedPnl(execId, delta);
    }

    /**
     * {@code updatePortfolio}'s realized P&L of the day for one contract is off by {@code delta} from the day's
     * executions from now on; {@code null} or 0 removes the skew. Holds until changed.
     */
    public void skewDailyRealizedPnl(String account, long conId, java.math.BigDecimal delta) {
        simulator.state().skewDailyRealizedPnl(account, conId, delta);
    }

    /** Drops every client connection now (the listener stays open). */
    public int dropAllConnectionsNow() {
        return simulator.dropAllClients();
    }

    /** The faults that can still strike. */
    public List<Fault> armed() {
        return faults.stream().filter(Fault::isArmed).toList();
    }

    /** Disarms everything. */
    public void clear() {
        faults.forEach(Fault::cancel);
        faults.clear();
    }

    /** The announced length of an oversized frame: one byte over the protocol's ceiling. */
    static int oversizedLength() {
        return FrameDecoder.PROTOCOL_MAX_PAYLOAD + 1;
    }

    /** Claims, for one phase about to be answered, the first armed fault of each kind that matches. */
    Map<Fault.Kind, Fault> claim(SnapshotPhase phase, String account) {
        Map<Fault.Kind, Fault> claimed = new EnumMap<>(Fault.Kind.class);
        for (Fault fault : faults) {
            if (!claimed.containsKey(fault.kind()) && fault.matches(phase, account) && fault.claim()) {
                claimed.put(fault.kind(), fault);
            }
        }
        faults.removeIf(f -> !f.isArmed());
        return claimed;
    }

    /** Claims the replay fault when one is armed. */
    boolean claimReplay() {
        for (Fault fault : faults) {
            if (fault.kind() == Fault.Kind.REPLAY_EXECUTIONS && fault.claim()) {
                faults.removeIf(f -> !f.isArmed());
                return true;
            }
        }
        return false;
    }

    private Fault arm(Fault fault) {
        Objects.requireNonNull(fault.kind());
        faults.add(fault);
        return fault;
    }

    private static int requireCount(int afterMessages) {
        if (afterMessages < 0) {
            throw new IllegalArgumentException("afterMessages must be >= 0");
        }
        return afterMessages;
    }
}

package io.positionsync.ibkr;

import io.positionsync.ibkr.wire.ProtocolException;

import io.positionsync.sync.BrokerSnapshot;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request/response exchange of one snapshot on one connection: managed accounts, server time,
 * positions until {@code positionEnd}, account updates per account until {@code accountDownloadEnd},
 * executions until {@code execDetailsEnd}, then a {@code reqCurrentTime} round trip as a barrier so that
 * commission reports the gateway sent after {@code execDetailsEnd} are joined. The whole exchange has ONE
 * deadline (the request timeout, counted from the start of the snapshot), however many accounts there are.
 * Commission reports can trail their executions by more than that barrier: while some execution still has
 * none, reading goes on until they are all in, for at most the commission wait (and never past the deadline).
 * That wait is short and separate from the deadline: a gateway may hold a report back for minutes (IB sends some
 * only once the order is fully priced), and a snapshot that waited for it until its deadline would stall every
 * run by the whole request timeout. Those left without one are listed with a {@code null} commission and logged;
 * the sync books the commission when a later snapshot carries it. Messages come from the connection's reader
 * thread through {@code events}. Requests go out at the connection's pace ({@link MessagePacer}); a request that
 * could go only after the deadline ends the snapshot incomplete at once.
 *
 * <p>Bounded: more messages, records or bytes than {@link SnapshotLimits} allow end the snapshot incomplete.
 *
 * <p>Positions, portfolio values and executions of an account that is not in {@code managedAccounts} (an account
 * unlinked during the day whose executions the gateway still reports, say) belong to no account a run reconciles:
 * they are left out of the snapshot and counted per account ({@link BrokerSnapshot#unmanaged()}), and so are
 * that account's values (its exchange rates); the snapshot stays complete. Such a row arriving before the managed
 * accounts are known still ends the snapshot incomplete: it cannot be told apart.
 */
final class SnapshotSession {
    private static final Logger log = LoggerFactory.getLogger(SnapshotSession.class);

    /** What the reader thread hands over. */
    sealed interface Event {
    }

    record Received(IncomingMessage message) implements Event {
    }

    record Closed(Exception reason) implements Event {
    }

    /**
     * The snapshot, and whether the connection is left in an unknown state (a request still open, a
     * late end marker possibly on its way) and must be dropped before the next snapshot.
     */
    record Result(BrokerSnapshot snapshot, boolean connectionSpoiled) {
    }

    /** Ends the exchange early with a reason. */
    private static final class Aborted extends Exception {
        private static final long serialVersionUID = 1L;
        private final boolean spoiled;

        Aborted(String reason, boolean spoiled) {
            super(reason, null, false, false);
            this.spoiled = spoiled;
        }
    }

    private final TwsConnection connection;
    private final BlockingQueue<Event> events;
    private final Duration requestTimeout;
    private final Duration commissionWait;
    private final int executionsReqId;
    private final SnapshotLimits limits;
    private final SnapshotAssembler assembler = new SnapshotAssembler();
    private long deadline;
    private long startBytes;
    private long messages;
    private Set<String> managed;
    private String phase = "snapshot start";
    private String connectivityProblem;
    /** In live mode: called just before the positions request. */
    private Runnable beforePositionsRequest;
    /** The connection's positions subscription is live: not cancelled, and its earlier pushes are not this snapshot's. */
    private boolean keepPositions;
    private boolean positionsRequested;

    SnapshotSession(TwsConnection connection, BlockingQueue<Event> events, Duration requestTimeout,
            Duration commissionWait, int executionsReqId, SnapshotLimits limits) {
        this.connection = connection;
        this.events = events;
        this.requestTimeout = requestTimeout;
        this.commissionWait = commissionWait;
        this.executionsReqId = executionsReqId;
        this.limits = limits;
    }

    /**
     * In live mode: {@code beforeRequest} runs just before this snapshot's positions request (the positions until
     * its {@code positionEnd} are its answer, not pushes). When {@code keepSubscription} (the connection's positions
     * subscription is live) the request is not cancelled after its {@code positionEnd} (that would end the live
     * subscription), positions pushed before the request are left out (its answer holds them), and those after it
     * are this snapshot's (the latest one of a contract wins).
     */
    SnapshotSession inLiveMode(Runnable beforeRequest, boolean keepSubscription) {
        this.beforePositionsRequest = beforeRequest;
        this.keepPositions = keepSubscription;
        return this;
    }

    Result run(Instant takenAt) {
        int version = connection.serverVersion();
        List<String> accounts = null;
        Instant serverTime = null;
        deadline = System.nanoTime() + requestTimeout.toNanos();
        startBytes = connection.bytesReceived();
        try {
            if (!connection.isOpen()) {
                throw new Aborted("connection lost before the snapshot started: "
                        + TwsConnection.describe(connection.closeReason()), true);
            }
            accounts = connection.managedAccounts().orElse(null);
            if (accounts == null) {
                phase = "managed accounts";
                send(RequestEncoder.reqManagedAccts());
                accounts = await("managedAccounts", IncomingMessage.ManagedAccounts.class, m -> true).accounts();
            }
            if (accounts.isEmpty()) {
                throw new Aborted("the gateway reported no managed accounts", false);
            }
            managed = new LinkedHashSet<>(accounts);

            phase = "server time";
            send(RequestEncoder.reqCurrentTime());
            serverTime = await("currentTime", IncomingMessage.CurrentTime.class, m -> true).instant();

            phase = "positions";
            if (beforePositionsRequest != null) {
                beforePositionsRequest.run();
            }
            positionsRequested = true;
            send(RequestEncoder.reqPositions());
            await("positionEnd", IncomingMessage.PositionEnd.class, m -> true);
            if (!keepPositions) {
                send(RequestEncoder.cancelPositions());
            }

            // One account subscribed at a time, as the protocol requires: each account's unsubscribe goes out once
            // its accountDownloadEnd is in, in the same write as the next request (one write and one wake-up of
            // the gateway per account rather than two).
            byte[] unsubscribe = null;
            for (String account : accounts) {
                phase = "account updates for " + account;
                send(unsubscribe, RequestEncoder.reqAccountUpdates(true, account));
                await("accountDownloadEnd for " + account, IncomingMessage.AccountDownloadEnd.class,
                        m -> account.equals(m.account()));
                unsubscribe = RequestEncoder.reqAccountUpdates(false, account);
            }

            phase = "executions";
            send(unsubscribe, RequestEncoder.reqExecutions(executionsReqId, ExecutionFilter.none()));
            await("execDetailsEnd", IncomingMessage.ExecDetailsEnd.class, m -> m.reqId() == executionsReqId);

            // Commission reports may trail execDetailsEnd; the gateway answers in order, so every report
            // sent before this reply has been read once the reply is here.
            phase = "commission reports";
            send(RequestEncoder.reqCurrentTime());
            await("currentTime (commission barrier)", IncomingMessage.CurrentTime.class, m -> true);
            awaitMissingCommissionReports();
        } catch (Aborted e) {
            String reason = connectivityProblem == null ? e.getMessage() : connectivityProblem + "; then " + e.getMessage();
            return new Result(assembler.incomplete(version, takenAt, serverTime, accounts, reason), e.spoiled);
        }
        if (connectivityProblem != null) {
            return new Result(assembler.incomplete(version, takenAt, serverTime, accounts, connectivityProblem), false);
        }
        return new Result(assembler.complete(version, takenAt, serverTime, accounts), false);
    }

    /** Sends {@code first} (when not {@code null}) and {@code then} as one write, in that order. */
    private void send(byte[] first, byte[] then) throws Aborted {
        if (first == null) {
            send(then);
            return;
        }
        byte[] both = new byte[first.length + then.length];
        System.arraycopy(first, 0, both, 0, first.length);
        System.arraycopy(then, 0, both, first.length, then.length);
        send(both);
    }

    private void send(byte[] frame) throws Aborted {
        try {
            connection.send(frame, deadline);
        } catch (PacingDeadlineException e) {
            // The previous answers are in, but what was subscribed before may still be: start clean next time.
            throw new Aborted("requests of " + phase + " could not be sent within " + requestTimeout.toMillis()
                    + " ms at the pace of " + connection.pacer().perSecond() + " messages a second: " + e.getMessage(),
                    true);
        } catch (IOException e) {
            throw new Aborted("connection lost during " + phase + ": " + TwsConnection.describe(e), true);
        }
    }

    /** Reads events until a message of {@code type} matching {@code done} arrives, collecting data on the way. */
    private <T extends IncomingMessage> T await(String what, Class<T> type, Predicate<T> done) throws Aborted {
        while (true) {
            IncomingMessage message = next(what, deadline);
            if (message == null) {
                // The deadline counts from the start of the snapshot, not of this request.
                throw new Aborted(what + " not received within " + requestTimeout.toMillis() + " ms", true);
            }
            handle(message);
            if (type.isInstance(message) && done.test(type.cast(message))) {
                return type.cast(message);
            }
        }
    }

    /**
     * A gateway may send commission reports well after {@code execDetailsEnd} (and after the barrier's
     * reply): waits for those still missing, for at most the commission wait and never past the snapshot's
     * deadline. Reports that do not come in time leave their executions without a commission, which the
     * snapshot shows as {@code null} rather than as zero.
     */
    private void awaitMissingCommissionReports() throws Aborted {
        List<String> missing = assembler.execIdsWithoutCommission();
        long waitEnd = System.nanoTime() + commissionWait.toNanos();
        long until = waitEnd - deadline < 0 ? waitEnd : deadline;
        while (!missing.isEmpty()) {
            IncomingMessage message = next("commission reports", until);
            if (message == null) {
                log.warn("no commission report within {} ms for {} execution(s): {}; listed without commission",
                        commissionWait.toMillis(), missing.size(), missing);
                return;
            }
            handle(message);
            missing = assembler.execIdsWithoutCommission();
        }
    }

    /** The next message, or {@code null} once {@code deadline} (a {@link System#nanoTime()}) has passed. */
    private IncomingMessage next(String what, long deadline) throws Aborted {
        while (true) {
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                return null;
            }
            Event event;
            try {
                event = events.poll(remaining, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Aborted("interrupted while waiting for " + what, true);
            }
            if (event == null) {
                continue;
            }
            if (event instanceof Closed closed) {
                throw new Aborted(closeReason(closed.reason()), true);
            }
            checkVolume();
            return ((Received) event).message();
        }
    }

    private void handle(IncomingMessage message) throws Aborted {
        if (message instanceof IncomingMessage.ExecDetails execution) {
            if (execution.reqId() == executionsReqId) {
                if (isManaged("execution " + execution.execId(), execution.account(), message)) {
                    assembler.addExecution(execution);
                    requireWithin(assembler.executionCount(), "executions");
                }
            }
        } else if (message instanceof IncomingMessage.ErrorMessage error) {
            handleError(error);
        } else if (message instanceof IncomingMessage.Position position) {
            if (keepPositions && !positionsRequested) {
                return; // a live push before this snapshot's request: its answer holds the position
            }
            if (isManaged("position of conId " + position.contract().conId(), position.account(), message)) {
                assembler.addPosition(position);
                requireWithin(assembler.positionCount(), "positions");
            }
        } else if (message instanceof IncomingMessage.UpdatePortfolio update) {
            if (isManaged("portfolio value of conId " + update.contract().conId(), update.account(), message)) {
                assembler.addPortfolio(update);
                requireWithin(assembler.portfolioCount(), "portfolio values");
            }
        } else if (message instanceof IncomingMessage.UpdateAccountValue value) {
            // An unmanaged account's values (its exchange rates) are of no account this snapshot is for.
            if (managed != null && managed.contains(value.account())) {
                assembler.addAccountValue(value);
            }
        } else {
            assembler.add(message);
        }
    }

    /** Counts one more message and the bytes read so far against the limits. */
    private void checkVolume() throws Aborted {
        messages++;
        if (messages > limits.maxMessages()) {
            throw new Aborted("more than " + limits.maxMessages() + " messages in one snapshot (limit "
                    + "psync.ibkr.max-snapshot-messages) during " + phase, true);
        }
        long bytes = connection.bytesReceived() - startBytes;
        if (bytes > limits.maxBytes()) {
            throw new Aborted("more than " + limits.maxBytes() + " bytes in one snapshot (limit "
                    + "psync.ibkr.max-snapshot-bytes) during " + phase, true);
        }
    }

    private void requireWithin(int count, String what) throws Aborted {
        if (count > limits.maxRecords()) {
            throw new Aborted("more than " + limits.maxRecords() + " distinct " + what + " in one snapshot (limit "
                    + "psync.ibkr.max-snapshot-positions) during " + phase, true);
        }
    }

    /**
     * Whether a row belongs to a managed account. A row of another account is left out and counted (it is not
     * an error: such rows are reported, say, for an account unlinked during the day); a row that arrives before
     * the managed accounts are known cannot be placed, and ends the snapshot incomplete.
     */
    private boolean isManaged(String what, String account, IncomingMessage row) throws Aborted {
        if (managed == null) {
            throw new Aborted(what + " of account '" + account + "' arrived before the managed accounts were known",
                    true);
        }
        if (managed.contains(account)) {
            return true;
        }
        if (assembler.leaveOut(row)) {
            log.debug("{} of account '{}', which is not among the managed accounts {}: left out", what, account,
                    managed);
            requireWithin(assembler.leftOutCount(), "rows of unmanaged accounts");
        }
        return false;
    }

    private void handleError(IncomingMessage.ErrorMessage error) throws Aborted {
        switch (error.code()) {
            case ErrorCodes.CONNECTIVITY_LOST:
                // Keep reading to the end markers so the connection stays in step; the result is incomplete.
                markConnectivityProblem("error 1100 (connectivity lost) during snapshot");
                break;
            case ErrorCodes.CONNECTIVITY_RESTORED_DATA_LOST:
                markConnectivityProblem("error 1101 (connectivity restored, data lost) during snapshot");
                break;
            case ErrorCodes.MAX_RATE_EXCEEDED:
                // The gateway drops the connection next; say why the snapshot ends.
                markConnectivityProblem("error 100 (max rate of messages per second exceeded: the gateway "
                        + "disconnects) during " + phase);
                break;
            case ErrorCodes.SOCKET_PORT_RESET:
                throw new Aborted("error 1300 (socket port reset) during " + phase, true);
            default:
                if (error.reqId() == executionsReqId && !error.isWarning()) {
                    throw new Aborted("error " + error.code() + " on the executions request: " + error.message(), false);
                }
        }
    }

    private void markConnectivityProblem(String problem) {
        if (connectivityProblem == null) {
            connectivityProblem = problem;
        }
    }

    private String closeReason(Exception reason) {
        if (reason instanceof ProtocolException) {
            return "malformed frame: " + reason.getMessage();
        }
        return "connection lost during " + phase + ": " + TwsConnection.describe(reason);
    }
}

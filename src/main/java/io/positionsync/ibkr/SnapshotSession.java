package io.positionsync.ibkr;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request/response exchange of one snapshot on one connection: managed accounts, server time,
 * positions until {@code positionEnd}, account updates per account until {@code accountDownloadEnd},
 * executions until {@code execDetailsEnd}, then a {@code reqCurrentTime} round trip as a barrier so that
 * commission reports the gateway sent after {@code execDetailsEnd} are joined. Every wait has the
 * per-request timeout. Commission reports can trail their executions by more than that barrier: while
 * some execution still has none, reading goes on until they are all in or the request timeout has passed
 * (those left without one are listed with a {@code null} commission and logged). Messages come from the
 * connection's reader thread through {@code events}.
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
    private final int executionsReqId;
    private final SnapshotAssembler assembler = new SnapshotAssembler();
    private String phase = "snapshot start";
    private String connectivityProblem;

    SnapshotSession(TwsConnection connection, BlockingQueue<Event> events, Duration requestTimeout, int executionsReqId) {
        this.connection = connection;
        this.events = events;
        this.requestTimeout = requestTimeout;
        this.executionsReqId = executionsReqId;
    }

    Result run(Instant takenAt) {
        int version = connection.serverVersion();
        List<String> accounts = null;
        Instant serverTime = null;
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

            phase = "server time";
            send(RequestEncoder.reqCurrentTime());
            serverTime = await("currentTime", IncomingMessage.CurrentTime.class, m -> true).instant();

            phase = "positions";
            send(RequestEncoder.reqPositions());
            await("positionEnd", IncomingMessage.PositionEnd.class, m -> true);
            send(RequestEncoder.cancelPositions());

            for (String account : accounts) {
                phase = "account updates for " + account;
                send(RequestEncoder.reqAccountUpdates(true, account));
                await("accountDownloadEnd for " + account, IncomingMessage.AccountDownloadEnd.class,
                        m -> account.equals(m.account()));
                send(RequestEncoder.reqAccountUpdates(false, account));
            }

            phase = "executions";
            send(RequestEncoder.reqExecutions(executionsReqId, ExecutionFilter.none()));
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

    private void send(byte[] frame) throws Aborted {
        try {
            connection.send(frame);
        } catch (IOException e) {
            throw new Aborted("connection lost during " + phase + ": " + TwsConnection.describe(e), true);
        }
    }

    /** Reads events until a message of {@code type} matching {@code done} arrives, collecting data on the way. */
    private <T extends IncomingMessage> T await(String what, Class<T> type, Predicate<T> done) throws Aborted {
        long deadline = System.nanoTime() + requestTimeout.toNanos();
        while (true) {
            IncomingMessage message = next(what, deadline);
            if (message == null) {
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
     * reply): waits for those still missing, up to the request timeout. Reports that never come leave their
     * executions without a commission, which the snapshot shows as {@code null} rather than as zero.
     */
    private void awaitMissingCommissionReports() throws Aborted {
        long deadline = System.nanoTime() + requestTimeout.toNanos();
        List<String> missing = assembler.execIdsWithoutCommission();
        while (!missing.isEmpty()) {
            IncomingMessage message = next("commission reports", deadline);
            if (message == null) {
                log.warn("no commission report within {} ms for {} execution(s): {}; listed without commission",
                        requestTimeout.toMillis(), missing.size(), missing);
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
            return ((Received) event).message();
        }
    }

    private void handle(IncomingMessage message) throws Aborted {
        if (message instanceof IncomingMessage.ExecDetails execution) {
            if (execution.reqId() == executionsReqId) {
                assembler.addExecution(execution);
            }
        } else if (message instanceof IncomingMessage.ErrorMessage error) {
            handleError(error);
        } else {
            assembler.add(message);
        }
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

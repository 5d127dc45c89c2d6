package io.positionsync.ibkr;

import io.positionsync.ibkr.wire.ProtocolException;

import io.positionsync.sync.BrokerSnapshot;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
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
 *
 * <p>FA mode: when more than {@value #MAX_REQ_POSITIONS_ACCOUNTS} accounts are managed, or the gateway refuses
 * {@code reqPositions} (error {@value ErrorCodes#VALIDATION_ERROR} while it is the open request, as IB refuses it to
 * masters of more than 50 sub-accounts), positions come per account through {@code reqPositionsMulti}, each
 * subscription cancelled once its {@code positionMultiEnd} is in. Those requests are pipelined (up to
 * {@value #MAX_OPEN_POSITIONS_MULTI} open at once) and interleaved with the account updates, which go one account at
 * a time: a new {@code reqAccountUpdates} replaces the previous subscription, so only the last account is
 * unsubscribed. Every request waits for the pace, never for another account's round trip.
 *
 * <p>Scoped snapshots (a set of accounts named): positions through {@code reqPositionsMulti} for each named managed
 * account, account updates for those only, executions filtered by account ({@code acctCode}) when they are at most
 * {@value #MAX_EXECUTION_FILTERS}, else one unfiltered request of which only theirs are kept. Rows of any other
 * account are left out without being counted as unmanaged. {@link BrokerSnapshot#accounts()} is the named accounts
 * that are managed; named accounts that are not are left out and logged (none managed: incomplete).
 *
 * <p>The deadline includes the pacing floor: the request timeout plus how long the messages the snapshot will send
 * take at the connection's pace ({@link MessagePacer#nanosToSend}; nothing while they fit in one second's burst).
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

    /** More managed accounts than this and positions come per account ({@code reqPositionsMulti}), as IB requires. */
    static final int MAX_REQ_POSITIONS_ACCOUNTS = 50;
    /** {@code reqPositionsMulti} requests awaiting their end marker at once, at most. */
    static final int MAX_OPEN_POSITIONS_MULTI = 50;
    /** A scoped snapshot of at most this many accounts asks executions per account; of more, once unfiltered. */
    static final int MAX_EXECUTION_FILTERS = 5;

    private final TwsConnection connection;
    private final BlockingQueue<Event> events;
    private final Duration requestTimeout;
    private final Duration commissionWait;
    private final int executionsReqId;
    private final SnapshotLimits limits;
    /** The accounts named for a scoped snapshot; {@code null}: every managed account. */
    private final Set<String> scope;
    private final SnapshotAssembler assembler = new SnapshotAssembler();
    /** The accounts this snapshot is for: the managed ones, or the named ones that are managed. */
    private Set<String> wanted;
    /** The reqIds of this snapshot's executions requests. */
    private final Set<Integer> executionsReqIds = new HashSet<>();
    /** The reqIds of this snapshot's {@code reqPositionsMulti} requests, with their account. */
    private final Map<Integer, String> positionsMultiReqIds = new LinkedHashMap<>();
    private int nextReqId;
    private long started;
    private long deadline;
    private long pacingFloor;
    private long plannedMessages;
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
    /** The positions answer ended: on a live connection, positions pushed from now on are later than it. */
    private boolean positionsAnswered;

    SnapshotSession(TwsConnection connection, BlockingQueue<Event> events, Duration requestTimeout,
            Duration commissionWait, int executionsReqId, SnapshotLimits limits) {
        this.connection = connection;
        this.events = events;
        this.requestTimeout = requestTimeout;
        this.commissionWait = commissionWait;
        this.executionsReqId = executionsReqId;
        this.limits = limits;
        this.scope = null;
        this.executionsReqIds.add(executionsReqId);
        this.nextReqId = executionsReqId + 1;
    }

    /**
     * A snapshot of the named accounts only ({@code accounts} not empty). Its requests use the reqIds from
     * {@code firstReqId} on; {@link #requestIdsUsed()} says how many.
     */
    SnapshotSession(TwsConnection connection, BlockingQueue<Event> events, Duration requestTimeout,
            Duration commissionWait, int firstReqId, SnapshotLimits limits, Set<String> accounts) {
        this.connection = connection;
        this.events = events;
        this.requestTimeout = requestTimeout;
        this.commissionWait = commissionWait;
        this.executionsReqId = firstReqId;
        this.limits = limits;
        this.scope = Set.copyOf(accounts);
        this.nextReqId = firstReqId;
    }

    /** How many reqIds from the first one given this snapshot used (at least one). */
    int requestIdsUsed() {
        return Math.max(1, nextReqId - executionsReqId);
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
        started = System.nanoTime();
        deadline = started + requestTimeout.toNanos();
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
            if (scope != null) {
                List<String> all = accounts;
                accounts = List.of(); // none of them, should the named ones not be among them
                accounts = scoped(all);
            }
            wanted = new LinkedHashSet<>(accounts);
            boolean perAccountPositions = scope != null || accounts.size() > MAX_REQ_POSITIONS_ACCOUNTS;
            List<ExecutionFilter> executionFilters = executionFilters(accounts);
            // server time, positions (reqPositions and its cancel, or two per account), account updates (one per
            // account and the last one's unsubscribe), executions, the commission barrier
            planPacing(1 + (perAccountPositions ? 2L * accounts.size() : 2) + accounts.size() + 1
                    + executionFilters.size() + 1, perAccountPositions);

            phase = "server time";
            send(RequestEncoder.reqCurrentTime());
            serverTime = await("currentTime", IncomingMessage.CurrentTime.class, m -> true).instant();

            if (!perAccountPositions) {
                phase = "positions";
                if (beforePositionsRequest != null) {
                    beforePositionsRequest.run();
                }
                positionsRequested = true;
                send(RequestEncoder.reqPositions());
                IncomingMessage answer = await("positionEnd", IncomingMessage.class, m -> isPositionsAnswer(m));
                if (answer instanceof IncomingMessage.ErrorMessage refused) {
                    log.info("reqPositions refused (error {}: {}); positions of the {} accounts per account",
                            refused.code(), refused.message(), accounts.size());
                    perAccountPositions = true;
                    // two per account instead of reqPositions' cancel
                    planPacing(2L * accounts.size() - 1, true);
                } else {
                    positionsAnswered = true;
                    if (!keepPositions) {
                        send(RequestEncoder.cancelPositions());
                    }
                }
            }

            String lastSubscribed = accountData(accounts, perAccountPositions ? accounts : List.of());

            phase = "executions";
            byte[] unsubscribe = lastSubscribed == null ? null : RequestEncoder.reqAccountUpdates(false, lastSubscribed);
            executions(unsubscribe, executionFilters);

            // Commission reports may trail execDetailsEnd; the gateway answers in order, so every report
            // sent before this reply has been read once the reply is here.
            phase = "commission reports";
            send(RequestEncoder.reqCurrentTime());
            await("currentTime (commission barrier)", IncomingMessage.CurrentTime.class, m -> true);
            awaitMissingCommissionReports();
        } catch (Aborted e) {
            String reason = connectivityProblem == null ? e.getMessage() : connectivityProblem + "; then " + e.getMessage();
            return new Result(assembler.incomplete(version, takenAt, serverTime, accounts, deadlineSaid(reason)),
                    e.spoiled);
        }
        if (connectivityProblem != null) {
            return new Result(assembler.incomplete(version, takenAt, serverTime, accounts, connectivityProblem), false);
        }
        return new Result(assembler.complete(version, takenAt, serverTime, accounts), false);
    }

    /** The named managed accounts, in the order of {@code managedAccounts}; the others are left out and logged. */
    private List<String> scoped(List<String> accounts) throws Aborted {
        List<String> named = accounts.stream().filter(scope::contains).toList();
        Set<String> notManaged = new LinkedHashSet<>(scope);
        notManaged.removeAll(managed);
        if (named.isEmpty()) {
            throw new Aborted("none of the named accounts " + notManaged + " is among the " + accounts.size()
                    + " managed accounts", false);
        }
        if (!notManaged.isEmpty()) {
            log.warn("named accounts {} are not among the managed accounts: left out of the snapshot", notManaged);
        }
        return named;
    }

    /** One unfiltered request, or (a scoped snapshot of few accounts) one per account. */
    private List<ExecutionFilter> executionFilters(List<String> accounts) {
        if (scope == null || accounts.size() > MAX_EXECUTION_FILTERS) {
            return List.of(ExecutionFilter.none());
        }
        return accounts.stream().map(a -> new ExecutionFilter(0, a, "", "", "", "", "")).toList();
    }

    /**
     * Moves the deadline out by the pacing floor of {@code messages} more: how long they take at the connection's
     * pace; evenly spaced ({@code smooth}, see {@link #accountData}) or beyond the burst the pacer lets go at once.
     */
    private void planPacing(long messages, boolean smooth) {
        long floor = smooth ? messages * spacing() : connection.pacer().nanosToSend(messages);
        plannedMessages += messages;
        pacingFloor += floor;
        deadline += floor;
    }

    /** The reason, saying how the deadline was made up when a pacing floor extended it. */
    private String deadlineSaid(String reason) {
        if (pacingFloor == 0 || !reason.contains(" not received within ")) {
            return reason;
        }
        return reason + " plus a pacing floor of " + Duration.ofNanos(pacingFloor).toMillis() + " ms for "
                + plannedMessages + " messages at " + connection.pacer().perSecond() + " a second";
    }

    /** The interval between two evenly spaced messages at the connection's pace. */
    private long spacing() {
        int perSecond = connection.pacer().perSecond();
        return (TimeUnit.SECONDS.toNanos(1) + perSecond - 1) / perSecond;
    }

    /** The end of a {@code reqPositions} answer: {@code positionEnd}, or the error refusing it. */
    private static boolean isPositionsAnswer(IncomingMessage message) {
        return message instanceof IncomingMessage.PositionEnd
                || message instanceof IncomingMessage.ErrorMessage error
                        && error.code() == ErrorCodes.VALIDATION_ERROR && error.reqId() < 0;
    }

    /**
     * Account updates of {@code accounts}, one at a time (a new subscription replaces the previous one, so none is
     * unsubscribed in between), and {@code reqPositionsMulti} of {@code multiAccounts}, pipelined: up to
     * {@value #MAX_OPEN_POSITIONS_MULTI} open, each cancelled once its end marker is in. Whatever may go next goes
     * as soon as the pace lets it; while the pace holds it back, the answers are read. The next account's
     * subscription goes first (the round trips of account updates are the chain that cannot be pipelined), then the
     * cancels, then new requests. Returns the account still subscribed ({@code null}: none).
     */
    private String accountData(List<String> accounts, List<String> multiAccounts) throws Aborted {
        Deque<String> toSubscribe = new ArrayDeque<>(accounts);
        Deque<String> toRequest = new ArrayDeque<>(multiAccounts);
        Map<Integer, String> open = new LinkedHashMap<>();
        Deque<Integer> toCancel = new ArrayDeque<>();
        String downloading = null;
        String subscribed = null;
        MessagePacer pacer = connection.pacer();
        // Pipelined requests go evenly spaced, never in bursts: the gateway counts messages as it reads them, and a
        // burst read a little late lands in the same second as the next one (the pacer lets a second's worth go at
        // once). A chain of round trips cannot do that: each request is read before the next is sent.
        long spacing = multiAccounts.isEmpty() ? 0 : spacing();
        long lastSent = System.nanoTime() - spacing;
        long heldSince = 0;
        boolean held = false;
        while (downloading != null || !toSubscribe.isEmpty() || !toRequest.isEmpty() || !open.isEmpty()
                || !toCancel.isEmpty()) {
            byte[] request = null;
            if (downloading == null && !toSubscribe.isEmpty()) {
                request = RequestEncoder.reqAccountUpdates(true, toSubscribe.peek());
            } else if (!toCancel.isEmpty()) {
                request = RequestEncoder.cancelPositionsMulti(toCancel.peek());
            } else if (!toRequest.isEmpty() && open.size() < MAX_OPEN_POSITIONS_MULTI) {
                request = RequestEncoder.reqPositionsMulti(nextReqId, toRequest.peek(), "");
            }
            if (request == null) {
                held = false;
            }
            long wait = request == null ? Long.MAX_VALUE
                    : Math.max(pacer.nanosUntilFree(1), lastSent + spacing - System.nanoTime());
            if (request != null && (wait == 0 || System.nanoTime() + wait - deadline > 0)) {
                // Sent now, or (past the deadline) refused by the pacer at once with the reason.
                lastSent = System.nanoTime();
                if (held) {
                    pacer.statistics().recordWait(lastSent - heldSince);
                    held = false;
                }
                if (downloading == null && !toSubscribe.isEmpty()) {
                    downloading = toSubscribe.poll();
                    phase = "account updates for " + downloading;
                    send(request);
                    subscribed = downloading;
                } else if (!toCancel.isEmpty()) {
                    send(request);
                    toCancel.poll();
                } else {
                    String account = toRequest.poll();
                    int reqId = nextReqId++;
                    phase = "positions of " + account;
                    positionsMultiReqIds.put(reqId, account);
                    open.put(reqId, account);
                    send(request);
                }
                continue;
            }
            if (request != null && !held) {
                held = true;
                heldSince = System.nanoTime();
            }
            String what = downloading != null ? "accountDownloadEnd for " + downloading
                    : open.isEmpty() ? "the pace" : "positionMultiEnd for " + open.values().iterator().next();
            long until = wait == Long.MAX_VALUE ? deadline : Math.min(deadline, System.nanoTime() + wait);
            IncomingMessage message = next(what, until);
            if (message == null) {
                if (System.nanoTime() - deadline >= 0) {
                    throw new Aborted(what + " not received within " + requestTimeout.toMillis() + " ms", true);
                }
                continue;
            }
            handle(message);
            if (message instanceof IncomingMessage.AccountDownloadEnd end && end.account().equals(downloading)) {
                downloading = null;
            } else if (message instanceof IncomingMessage.PositionMultiEnd end && open.remove(end.reqId()) != null) {
                toCancel.add(end.reqId());
            }
        }
        return subscribed;
    }

    /** The executions requests (the first one in the same write as {@code first}), until every end marker is in. */
    private void executions(byte[] first, List<ExecutionFilter> filters) throws Aborted {
        Set<Integer> open = new LinkedHashSet<>();
        byte[] before = first;
        for (ExecutionFilter filter : filters) {
            int reqId = filters.size() == 1 && scope == null ? executionsReqId : nextReqId++;
            executionsReqIds.add(reqId);
            open.add(reqId);
            send(before, RequestEncoder.reqExecutions(reqId, filter));
            before = null;
        }
        while (!open.isEmpty()) {
            IncomingMessage.ExecDetailsEnd end = await("execDetailsEnd", IncomingMessage.ExecDetailsEnd.class,
                    m -> open.contains(m.reqId()));
            open.remove(end.reqId());
        }
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
            readLastWords();
            throw new Aborted("connection lost during " + phase + ": " + TwsConnection.describe(e), true);
        }
    }

    /**
     * The errors the gateway sent before it closed the connection (error 100 says why), already read but not yet
     * handled when a request could not be written: noted for the reason, without waiting.
     */
    private void readLastWords() {
        Event event;
        while ((event = events.poll()) instanceof Received received) {
            if (received.message() instanceof IncomingMessage.ErrorMessage error) {
                try {
                    handleError(error);
                } catch (Aborted ignored) {
                    // the connection is lost either way; that is the reason given
                }
            }
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
            if (executionsReqIds.contains(execution.reqId())) {
                if (isManaged("execution " + execution.execId(), execution.account(), message)) {
                    assembler.addExecution(execution);
                    requireWithin(assembler.executionCount(), "executions");
                }
            }
        } else if (message instanceof IncomingMessage.ErrorMessage error) {
            handleError(error);
        } else if (message instanceof IncomingMessage.Position position) {
            if (keepPositions && (!positionsRequested || positionsAnswered)) {
                // A live push before this snapshot's request (its answer holds the position), or after its answer
                // ended: the positions must be as old as the positions answer, older than the executions answer, or a
                // fill made meanwhile would show as a change no execution explains. The live stream hears it and
                // its account's next run takes it.
                return;
            }
            if (isManaged("position of conId " + position.contract().conId(), position.account(), message)) {
                assembler.addPosition(position);
                requireWithin(assembler.positionCount(), "positions");
            }
        } else if (message instanceof IncomingMessage.PositionMulti row) {
            // Rows of an earlier snapshot's subscriptions (a push before their cancel was read) are not this one's.
            if (positionsMultiReqIds.containsKey(row.reqId())
                    && isManaged("position of conId " + row.contract().conId(), row.account(), row.asPosition())) {
                assembler.addPosition(row.asPosition());
                requireWithin(assembler.positionCount(), "positions");
            }
        } else if (message instanceof IncomingMessage.UpdatePortfolio update) {
            if (isManaged("portfolio value of conId " + update.contract().conId(), update.account(), message)) {
                assembler.addPortfolio(update);
                requireWithin(assembler.portfolioCount(), "portfolio values");
            }
        } else if (message instanceof IncomingMessage.UpdateAccountValue value) {
            // An unmanaged account's values (its exchange rates) are of no account this snapshot is for.
            if (wanted != null && wanted.contains(value.account())) {
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
        if (wanted != null ? wanted.contains(account) : managed.contains(account)) {
            return true;
        }
        if (scope != null) {
            // Another account than those named: not this snapshot's, and not unmanaged either.
            return false;
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
                if (executionsReqIds.contains(error.reqId()) && !error.isWarning()) {
                    throw new Aborted("error " + error.code() + " on the executions request: " + error.message(), false);
                }
                String account = positionsMultiReqIds.get(error.reqId());
                if (account != null && !error.isWarning()) {
                    throw new Aborted("error " + error.code() + " on reqPositionsMulti for " + account + ": "
                            + error.message(), true);
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

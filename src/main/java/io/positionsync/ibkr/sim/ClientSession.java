package io.positionsync.ibkr.sim;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.positionsync.ibkr.wire.FieldReader;
import io.positionsync.ibkr.wire.FrameDecoder;
import io.positionsync.ibkr.wire.MessageIds;
import io.positionsync.ibkr.wire.ProtocolException;

/**
 * One API client connected to the simulator. A reader thread decodes requests and answers them from the state;
 * everything sent goes through one queue drained by a writer thread, so answers, pushed updates, delayed end
 * markers and fault actions (including "close now") reach the socket in the order they were decided.
 */
final class ClientSession {
    private static final Logger LOG = LoggerFactory.getLogger(ClientSession.class);
    private static final byte[] API_PREFIX = {'A', 'P', 'I', 0};
    /** Queue marker: close the connection once everything before it is written. */
    private static final byte[] CLOSE = new byte[0];
    private static final int READ_BUFFER = 8192;
    private static final int WRITE_BUFFER = 64 * 1024;
    /** A few bytes after an oversized header, so the client has something to choke on. */
    private static final byte[] OVERSIZED_TAIL = "61\0".getBytes(StandardCharsets.US_ASCII);
    private static final long NOT_TIED_TO_REQUEST = -1;

    private final GatewaySimulator simulator;
    private final SimulatorState state;
    private final Socket socket;
    private final long connection;
    private final BlockingQueue<byte[]> outbox = new LinkedBlockingQueue<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile GatewayMessages messages;
    private volatile Integer clientId;
    private volatile boolean started;
    private volatile boolean positionsSubscribed;
    private volatile String accountSubscribed;
    /** The pacing this client is held to, or {@code null} when not enforced. Reader thread only. */
    private final PacingWatch pacing;
    /** Set once the client went over the pace: what it sends after that is not answered. */
    private volatile boolean overPace;
    /** Open {@code reqPositionsMulti} subscriptions: reqId to account. */
    private final Map<Long, String> positionsMulti = new ConcurrentHashMap<>();
    /** Requests waiting out the simulated latency, in arrival order; {@code null} when there is none. */
    private final BlockingQueue<Delayed> delayed;
    /** When the last request queued there is due (reader thread only): a later one is never due before it. */
    private long lastDueAt;

    /** A request and when it is answered ({@link System#nanoTime()}). */
    private record Delayed(long dueAt, byte[] payload) {
    }

    /** Queue marker: the connection closed, the answering thread ends. */
    private static final Delayed STOP = new Delayed(0, new byte[0]);

    ClientSession(GatewaySimulator simulator, Socket socket, long connection) {
        this.simulator = simulator;
        this.state = simulator.state();
        this.socket = socket;
        this.connection = connection;
        int limit = simulator.options().pacingLimit();
        this.pacing = limit > 0 ? new PacingWatch(limit) : null;
        this.delayed = simulator.options().hasLatency() ? new LinkedBlockingQueue<>() : null;
    }

    void start() {
        Thread reader = new Thread(this::readLoop, "gateway-sim-" + connection + "-in");
        Thread writer = new Thread(this::writeLoop, "gateway-sim-" + connection + "-out");
        reader.setDaemon(true);
        writer.setDaemon(true);
        writer.start();
        if (delayed != null) {
            Thread answerer = new Thread(this::answerLoop, "gateway-sim-" + connection + "-latency");
            answerer.setDaemon(true);
            answerer.start();
        }
        reader.start();
    }

    Integer clientId() {
        return clientId;
    }

    boolean isStarted() {
        return started && !closed.get();
    }

    int serverVersion() {
        GatewayMessages current = messages;
        return current == null ? 0 : current.serverVersion();
    }

    /** Closes the socket now, dropping whatever is still queued. */
    void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                socket.close();
            } catch (IOException e) {
                LOG.debug("connection {}: close failed: {}", connection, e.getMessage());
            }
            outbox.offer(CLOSE);
            if (delayed != null) {
                delayed.offer(STOP);
            }
            simulator.sessionClosed(this);
            LOG.info("connection {} (clientId {}) closed", connection, clientId);
        }
    }

    /** Sends error {@code code} not tied to a request (connectivity notices). */
    void sendError(int code) {
        GatewayMessages current = messages;
        if (current != null) {
            enqueue(current.error(NOT_TIED_TO_REQUEST, code, GatewaySimulator.errorText(code)).frame());
        }
    }

    // ------------------------------------------------------------------ state changes (state locked)

    void positionChanged(Position position, Instrument instrument) {
        if (!isStarted()) {
            return;
        }
        if (positionsSubscribed) {
            enqueue(messages.position(position, instrument).frame());
        }
        positionsMulti.forEach((reqId, account) -> {
            if (account.equals(position.account())) {
                enqueue(messages.positionMulti(reqId, position, instrument).frame());
            }
        });
        if (position.account().equals(accountSubscribed)) {
            enqueue(messages.portfolio(state.portfolioEntry(position)).frame());
            sendAccountValues(position.account());
        }
    }

    void marketPriceChanged(Instrument instrument) {
        String account = accountSubscribed;
        if (!isStarted() || account == null) {
            return;
        }
        state.position(account, instrument.conId()).filter(state::isReported).ifPresent(position -> {
            enqueue(messages.portfolio(state.portfolioEntry(position)).frame());
            sendAccountValues(account);
        });
    }

    /**
     * Pushes an execution as IB does when an order fills: {@code execDetails} with reqId -1, then its commission
     * report, to a started client that may see it (the Master API client sees every client's; others their own).
     */
    void pushExecution(Execution execution, Instrument instrument, boolean details, boolean report) {
        Integer id = clientId;
        if (!isStarted() || id == null || !state.isVisibleTo(execution, id)) {
            return;
        }
        if (details) {
            enqueue(messages.execDetails(NOT_TIED_TO_REQUEST, execution, instrument).frame());
            simulator.recordSent(id, List.of(execution.execId()));
        }
        if (report) {
            enqueue(messages.commissionReport(state.reportedCommission(execution)).frame());
        }
    }

    private void sendAccountValues(String account) {
        for (AccountValue value : state.accountValues(account)) {
            enqueue(messages.accountValue(value, account).frame());
        }
    }

    // ------------------------------------------------------------------ reading

    private void readLoop() {
        try (InputStream in = socket.getInputStream()) {
            byte[] prefix = in.readNBytes(API_PREFIX.length);
            if (!Arrays.equals(prefix, API_PREFIX)) {
                LOG.warn("connection {}: no API prefix, closing", connection);
                return;
            }
            FrameDecoder decoder = new FrameDecoder();
            byte[] buffer = new byte[READ_BUFFER];
            int count;
            while ((count = in.read(buffer)) >= 0) {
                for (byte[] payload : decoder.feed(buffer, 0, count)) {
                    simulator.messageReceived();
                    if (overPace || !withinPace()) {
                        continue;
                    }
                    if (messages == null) {
                        if (!handshake(payload)) {
                            return;
                        }
                    } else if (delayed != null) {
                        delay(payload);
                    } else {
                        handle(payload);
                    }
                }
            }
        } catch (ProtocolException e) {
            LOG.warn("connection {}: protocol error from client, closing: {}", connection, e.getMessage());
        } catch (IOException e) {
            LOG.debug("connection {}: read ended: {}", connection, e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("connection {}: unexpected failure, closing", connection, e);
        } finally {
            close();
        }
    }

    /**
     * Counts one more message against the pace when pacing is enforced. The first one too many gets error 100 and
     * the connection is closed once that is written; the client's further messages are read and ignored.
     */
    private boolean withinPace() {
        if (pacing == null) {
            return true;
        }
        if (pacing.admit(System.nanoTime())) {
            return true;
        }
        overPace = true;
        simulator.pacingViolated();
        LOG.warn("connection {} (clientId {}): more than {} messages within one second, disconnecting", connection,
                clientId, pacing.limit());
        GatewayMessages current = messages;
        if (current != null) {
            enqueue(current.error(NOT_TIED_TO_REQUEST, GatewaySimulator.MAX_RATE_EXCEEDED,
                    GatewaySimulator.errorText(GatewaySimulator.MAX_RATE_EXCEEDED) + ":max=" + pacing.limit())
                    .frame());
        }
        enqueue(CLOSE);
        return false;
    }

    /**
     * Queues a request to be answered after the simulated latency: a random time in the options' range from now,
     * but never before the request queued ahead of it, so that answers keep their order.
     */
    private void delay(byte[] payload) {
        SimulatorOptions options = simulator.options();
        long min = options.latencyMin().toNanos();
        long max = options.latencyMax().toNanos();
        long latency = max > min ? ThreadLocalRandom.current().nextLong(min, max + 1) : min;
        long dueAt = System.nanoTime() + latency;
        if (lastDueAt != 0 && dueAt - lastDueAt < 0) {
            dueAt = lastDueAt;
        }
        lastDueAt = dueAt;
        delayed.offer(new Delayed(dueAt, payload));
    }

    /** Answers the delayed requests one after the other, each once it is due. */
    private void answerLoop() {
        try {
            while (true) {
                Delayed next = delayed.take();
                if (next == STOP || closed.get()) {
                    return;
                }
                long wait;
                while ((wait = next.dueAt() - System.nanoTime()) > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                handle(next.payload());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ProtocolException e) {
            LOG.warn("connection {}: protocol error from client, closing: {}", connection, e.getMessage());
            close();
        } catch (RuntimeException e) {
            LOG.error("connection {}: unexpected failure, closing", connection, e);
            close();
        }
    }

    /** Reads {@code v<min>..<max>[ options]} and answers with the highest version both sides speak. */
    private boolean handshake(byte[] payload) {
        String text = new String(payload, StandardCharsets.UTF_8).replace("\0", "").trim();
        int[] range = parseVersionRange(text);
        if (range == null) {
            LOG.warn("connection {}: unreadable version range '{}', closing", connection, text);
            return false;
        }
        SimulatorOptions options = simulator.options();
        int chosen = Math.min(range[1], options.maxServerVersion());
        if (chosen < Math.max(range[0], options.minServerVersion())) {
            LOG.warn("connection {}: client versions {}..{} do not overlap {}..{}, closing", connection, range[0],
                    range[1], options.minServerVersion(), options.maxServerVersion());
            return false;
        }
        messages = new GatewayMessages(chosen, options.timeZone());
        enqueue(messages.handshake(state.clock().instant()).frame());
        LOG.info("connection {}: server version {} (client asked {})", connection, chosen, text);
        return true;
    }

    static int[] parseVersionRange(String text) {
        if (!text.startsWith("v")) {
            return null;
        }
        String range = text.substring(1).split(" ", 2)[0];
        try {
            int dots = range.indexOf("..");
            int min = Integer.parseInt(dots < 0 ? range : range.substring(0, dots));
            int max = dots < 0 ? min : Integer.parseInt(range.substring(dots + 2));
            return min <= max ? new int[] {min, max} : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private void handle(byte[] payload) {
        FieldReader reader = new FieldReader(payload);
        int id = reader.readInt();
        if (id == MessageIds.START_API) {
            reader.readInt();
            startApi(reader.readInt());
            return;
        }
        if (!started) {
            LOG.info("connection {}: request {} before startApi ignored", connection, id);
            return;
        }
        switch (id) {
            case MessageIds.REQ_CURRENT_TIME:
                enqueue(messages.currentTime(state.clock().instant()).frame());
                break;
            case MessageIds.REQ_MANAGED_ACCTS:
                enqueue(messages.managedAccounts(state.managedAccounts()).frame());
                break;
            case MessageIds.REQ_POSITIONS:
                positions();
                break;
            case MessageIds.CANCEL_POSITIONS:
                positionsSubscribed = false;
                break;
            case MessageIds.REQ_POSITIONS_MULTI:
                reader.readInt();
                long multiReqId = reader.readInt();
                String multiAccount = next(reader);
                positionsMulti(multiReqId, multiAccount, next(reader));
                break;
            case MessageIds.CANCEL_POSITIONS_MULTI:
                reader.readInt();
                positionsMulti.remove((long) reader.readInt());
                break;
            case MessageIds.REQ_ACCOUNT_UPDATES:
                reader.readInt();
                String subscribe = reader.readString().trim();
                accountUpdates("1".equals(subscribe) || "true".equalsIgnoreCase(subscribe),
                        reader.hasMore() ? reader.readString().trim() : "");
                break;
            case MessageIds.REQ_EXECUTIONS:
                reader.readInt();
                Integer reqId = reader.readIntOrAbsent();
                executions(reqId == null ? 0 : reqId, readFilter(reader));
                break;
            default:
                LOG.info("connection {}: unknown request id {} ignored", connection, id);
        }
    }

    // ------------------------------------------------------------------ answers

    private void startApi(int requestedClientId) {
        if (started) {
            LOG.info("connection {}: repeated startApi ignored", connection);
            return;
        }
        GatewaySimulator.Registration registration = simulator.register(requestedClientId, this);
        if (registration == GatewaySimulator.Registration.IN_USE) {
            LOG.warn("connection {}: clientId {} already in use, dropping", connection, requestedClientId);
            enqueue(messages.error(NOT_TIED_TO_REQUEST, GatewaySimulator.CLIENT_ID_IN_USE,
                    GatewaySimulator.errorText(GatewaySimulator.CLIENT_ID_IN_USE)).frame());
            enqueue(CLOSE);
            return;
        }
        clientId = requestedClientId;
        state.withLock(() -> {
            started = true;
            enqueue(messages.nextValidId(state.nextOrderId()).frame());
            enqueue(messages.managedAccounts(state.managedAccounts()).frame());
            for (int code : GatewaySimulator.FARM_OK_CODES) {
                enqueue(messages.error(NOT_TIED_TO_REQUEST, code, GatewaySimulator.errorText(code)).frame());
            }
            if (registration == GatewaySimulator.Registration.RECONNECTED && simulator.faults().claimReplay()) {
                replayExecutions();
            }
            return null;
        });
        LOG.info("connection {}: API started for clientId {}", connection, requestedClientId);
    }

    /** Re-sends, unsolicited, every execution this clientId was sent on earlier connections. */
    private void replayExecutions() {
        List<String> sent = simulator.sentExecIds(clientId);
        LOG.info("connection {}: replaying {} executions", connection, sent.size());
        for (String execId : sent) {
            state.execution(execId).ifPresent(execution -> {
                Instrument instrument = state.instrument(execution.conId()).orElseThrow();
                enqueue(messages.execDetails(NOT_TIED_TO_REQUEST, execution, instrument).frame());
                if (!state.isCommissionWithheld(execId)) {
                    enqueue(messages.commissionReport(state.reportedCommission(execution)).frame());
                }
            });
        }
    }

    private void positions() {
        state.withLock(() -> {
            int limit = simulator.options().positionsAccountLimit();
            int managed = state.managedAccounts().size();
            if (limit > 0 && managed > limit) {
                // As IB refuses a master of more than 50 sub-accounts: no positions, no end marker, no subscription.
                LOG.info("connection {}: reqPositions refused: {} managed accounts, more than {}", connection, managed,
                        limit);
                simulator.positionsRefused();
                enqueue(messages.error(NOT_TIED_TO_REQUEST, GatewaySimulator.POSITIONS_REFUSED,
                        GatewaySimulator.positionsRefusedText(limit)).frame());
                return null;
            }
            List<OutboundMessage> data = new ArrayList<>();
            for (Position position : state.positions()) {
                data.add(messages.position(position, state.instrument(position.conId()).orElseThrow()));
            }
            positionsSubscribed = true;
            emit(SnapshotPhase.POSITIONS, null, data, messages.positionEnd(), i -> { });
            return null;
        });
    }

    /**
     * Answers {@code reqPositionsMulti} of one account (the model code is not simulated): its positions as
     * {@code positionMulti}, then {@code positionMultiEnd}; the subscription pushes that account's position changes
     * until cancelled. An account the gateway does not know gets only the end marker.
     */
    private void positionsMulti(long reqId, String account, String modelCode) {
        if (!modelCode.isEmpty()) {
            LOG.info("connection {}: reqPositionsMulti {} model code '{}' ignored", connection, reqId, modelCode);
        }
        state.withLock(() -> {
            List<OutboundMessage> data = new ArrayList<>();
            if (state.hasAccount(account)) {
                for (Position position : state.positions(account)) {
                    data.add(messages.positionMulti(reqId, position,
                            state.instrument(position.conId()).orElseThrow()));
                }
            } else {
                LOG.warn("connection {}: reqPositionsMulti for unknown account '{}'", connection, account);
            }
            positionsMulti.put(reqId, account);
            emit(SnapshotPhase.POSITIONS, account, data, messages.positionMultiEnd(reqId), i -> { });
            return null;
        });
    }

    private void accountUpdates(boolean subscribe, String requested) {
        state.withLock(() -> {
            List<String> managed = state.managedAccounts();
            String account = requested.isEmpty() && !managed.isEmpty() ? managed.get(0) : requested;
            if (!subscribe) {
                if (requested.isEmpty() || account.equals(accountSubscribed)) {
                    accountSubscribed = null;
                }
                return null;
            }
            List<OutboundMessage> data = new ArrayList<>();
            if (state.hasAccount(account)) {
                // One account at a time, as at IB: a new subscription replaces the previous one.
                accountSubscribed = account;
                for (AccountValue value : state.accountValues(account)) {
                    data.add(messages.accountValue(value, account));
                }
                for (PortfolioEntry entry : state.portfolio(account)) {
                    data.add(messages.portfolio(entry));
                }
                data.add(messages.accountTime(state.clock().instant()));
            } else {
                LOG.warn("connection {}: account updates for unknown account '{}'", connection, account);
            }
            emit(SnapshotPhase.ACCOUNT_UPDATES, account, data, messages.accountDownloadEnd(account), i -> { });
            return null;
        });
    }

    /**
     * Answers {@code reqExecutions}: today's executions this connection may see (its own, or all when its
     * clientId is the master; none withheld) that pass the filter, each with its commission report unless that is withheld.
     * Steps scripted around this request run just before and just after the answer is queued.
     */
    private void executions(long reqId, ExecutionFilter filter) {
        state.withLock(() -> {
            int requestNumber = state.executionsRequestArrived();
            int requester = clientId;
            List<Execution> matching = new ArrayList<>();
            for (Execution execution : state.executions()) {
                if (!state.isPriorDay(execution.execId()) && !state.isExecutionWithheld(execution.execId())
                        && state.isVisibleTo(execution, requester)
                        && filter.accepts(execution, state.instrument(execution.conId()).orElseThrow())) {
                    matching.add(execution);
                }
            }
            Map<Fault.Kind, Fault> faults = simulator.faults().claim(SnapshotPhase.EXECUTIONS, null);
            Fault late = faults.get(Fault.Kind.LATE_COMMISSION_REPORTS);
            List<OutboundMessage> data = new ArrayList<>();
            List<Execution> byMessage = new ArrayList<>();
            Map<String, OutboundMessage> reports = new LinkedHashMap<>();
            for (Execution execution : matching) {
                data.add(messages.execDetails(reqId, execution, state.instrument(execution.conId()).orElseThrow()));
                byMessage.add(execution);
                if (state.isCommissionWithheld(execution.execId())) {
                    continue;
                }
                OutboundMessage report = messages.commissionReport(state.reportedCommission(execution));
                if (late == null) {
                    data.add(report);
                    byMessage.add(null);
                } else {
                    reports.put(execution.execId(), report);
                }
            }
            int clientIdNow = clientId;
            List<String> sent = new ArrayList<>();
            // Recorded as each one goes out, so that a client reading the end marker finds them all recorded.
            IntConsumer onSent = i -> {
                Execution execution = byMessage.get(i);
                if (execution != null) {
                    sent.add(execution.execId());
                    simulator.recordSent(clientIdNow, List.of(execution.execId()));
                }
            };
            boolean completed = emit(SnapshotPhase.EXECUTIONS, null, faults, data, messages.execDetailsEnd(reqId), onSent);
            if (late != null && completed) {
                Duration after = late.delay();
                Fault delayedEnd = faults.get(Fault.Kind.DELAY_END);
                if (delayedEnd != null) {
                    after = after.plus(delayedEnd.delay());
                }
                List<OutboundMessage> sentReports = sent.stream().map(reports::get)
                        .filter(Objects::nonNull).toList();
                later(after, () -> sentReports.forEach(r -> enqueue(r.frame())));
            }
            state.executionsRequestAnswered(requestNumber);
            return null;
        });
    }

    private ExecutionFilter readFilter(FieldReader reader) {
        if (!reader.hasMore()) {
            return ExecutionFilter.NONE;
        }
        // Some clients (@stoqey/ib) send an empty filter with empty numeric fields: empty means 0, "no filter".
        Integer filterClientId = reader.readIntOrAbsent();
        String account = next(reader);
        String time = next(reader);
        String symbol = next(reader);
        String secType = next(reader);
        String exchange = next(reader);
        String side = next(reader);
        java.time.Instant since = null;
        try {
            since = ExecutionFilter.parseTime(time);
        } catch (IllegalArgumentException e) {
            LOG.warn("connection {}: {}; no time filter applied", connection, e.getMessage());
        }
        if (!side.isEmpty()) {
            try {
                Side.parse(side);
            } catch (IllegalArgumentException e) {
                LOG.warn("connection {}: {}; no side filter applied", connection, e.getMessage());
                side = "";
            }
        }
        return new ExecutionFilter(filterClientId == null ? 0 : filterClientId, account, since, symbol, secType,
                exchange, side);
    }

    private static String next(FieldReader reader) {
        return reader.hasMore() ? reader.readString().trim() : "";
    }

    // ------------------------------------------------------------------ phases and faults

    private boolean emit(SnapshotPhase phase, String account, List<OutboundMessage> data, OutboundMessage end,
            IntConsumer onSent) {
        return emit(phase, account, simulator.faults().claim(phase, account), data, end, onSent);
    }

    /**
     * Sends one phase's data messages and end marker, applying the faults claimed for it. Returns whether the
     * phase ran to its end (not cut by a drop or an oversized frame).
     */
    private boolean emit(SnapshotPhase phase, String account, Map<Fault.Kind, Fault> faults,
            List<OutboundMessage> data, OutboundMessage end, IntConsumer onSent) {
        if (!faults.isEmpty()) {
            LOG.info("connection {}: {}{} with faults {}", connection, phase, account == null ? "" : " " + account,
                    faults.keySet());
        }
        int count = data.size();
        int dropAt = position(faults.get(Fault.Kind.DROP_CONNECTION), count);
        int oversizedAt = position(faults.get(Fault.Kind.OVERSIZED_FRAME), count);
        Fault connectivity = faults.get(Fault.Kind.CONNECTIVITY_ERROR);
        int connectivityAt = position(connectivity, count);
        Fault malformed = faults.get(Fault.Kind.MALFORMED_FRAME);
        int malformedAt = malformed == null ? -1 : malformed.afterMessages();
        for (int i = 0; i <= count; i++) {
            if (i == connectivityAt) {
                sendError(connectivity.code());
            }
            if (i == oversizedAt) {
                enqueue(oversizedFrame());
                return false;
            }
            if (i == dropAt) {
                enqueue(CLOSE);
                return false;
            }
            if (i < count) {
                OutboundMessage message = data.get(i);
                enqueue(i == malformedAt ? message.malformedFrame() : message.frame());
                onSent.accept(i);
            }
        }
        byte[] endFrame = malformedAt >= count ? end.malformedFrame() : end.frame();
        if (faults.containsKey(Fault.Kind.WITHHOLD_END)) {
            return true;
        }
        Fault delay = faults.get(Fault.Kind.DELAY_END);
        if (delay != null) {
            later(delay.delay(), () -> enqueue(endFrame));
        } else {
            enqueue(endFrame);
        }
        return true;
    }

    /** Where in the phase a positional fault strikes: after that many data messages, at most all of them. */
    private static int position(Fault fault, int count) {
        return fault == null ? -1 : Math.min(fault.afterMessages(), count);
    }

    private static byte[] oversizedFrame() {
        int length = SimulatorFaults.oversizedLength();
        byte[] frame = new byte[Integer.BYTES + OVERSIZED_TAIL.length];
        frame[0] = (byte) (length >>> 24);
        frame[1] = (byte) (length >>> 16);
        frame[2] = (byte) (length >>> 8);
        frame[3] = (byte) length;
        System.arraycopy(OVERSIZED_TAIL, 0, frame, Integer.BYTES, OVERSIZED_TAIL.length);
        return frame;
    }

    private void later(Duration delay, Runnable action) {
        simulator.schedule(delay, action);
    }

    // ------------------------------------------------------------------ writing

    private void enqueue(byte[] frame) {
        if (!closed.get()) {
            outbox.offer(frame);
        }
    }

    private void writeLoop() {
        // A buffer of a few dozen frames: an answer of many messages goes out in few writes (flushed once the
        // queue is empty, so nothing waits in it).
        try (OutputStream out = new BufferedOutputStream(socket.getOutputStream(), WRITE_BUFFER)) {
            while (true) {
                byte[] frame = outbox.take();
                if (frame == CLOSE) {
                    out.flush();
                    socket.shutdownOutput();
                    break;
                }
                out.write(frame);
                if (outbox.isEmpty()) {
                    out.flush();
                }
            }
        } catch (IOException e) {
            LOG.debug("connection {}: write ended: {}", connection, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            close();
        }
    }

    @Override
    public String toString() {
        return "connection " + connection + " (clientId " + clientId + ")";
    }
}

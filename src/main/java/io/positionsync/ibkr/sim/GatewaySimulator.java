package io.positionsync.ibkr.sim;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of the TWS API socket protocol on a real socket, answering from a {@link SimulatorState}:
 * the handshake with version negotiation, startApi with unique clientIds, and the snapshot requests
 * (positions, account updates, executions) in the field layout of the negotiated version, with subscriptions
 * that push later state changes. {@link #faults()} arms failures real gateways show. With a trade interval in
 * its options the demo trades on its own ({@link DemoTrading}). One reader and one writer thread per client;
 * thread-safe; restartable on the same port.
 *
 * <pre>{@code
 * try (GatewaySimulator sim = GatewaySimulator.startDemo()) {
 *     int port = sim.port();                       // connect a client to 127.0.0.1:port
 *     sim.state().trade("DU1000001", 265598, Side.BOT, new BigDecimal("10"), new BigDecimal("190"), BigDecimal.ONE);
 *     sim.faults().withholdEnd(SnapshotPhase.POSITIONS);
 * }
 * }</pre>
 */
public final class GatewaySimulator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GatewaySimulator.class);

    /** Error code: the clientId is already in use. */
    public static final int CLIENT_ID_IN_USE = 326;
    /**
     * A client sent more messages in one second than the pacing limit allows (when enforced, see
     * {@link SimulatorOptions#withPacingLimit}); it is disconnected.
     */
    public static final int MAX_RATE_EXCEEDED = 100;
    /**
     * {@code reqPositions} refused: more accounts managed than the options' positions account limit (see
     * {@link SimulatorOptions#withPositionsAccountLimit}). The code (IB's "Error validating request") is assumed.
     */
    public static final int POSITIONS_REFUSED = 321;
    /** Connectivity between the gateway and IB lost. */
    public static final int CONNECTIVITY_LOST = 1100;
    /** Connectivity restored, data lost: clients must resubscribe. */
    public static final int CONNECTIVITY_RESTORED_DATA_LOST = 1101;
    /** Connectivity restored, data maintained. */
    public static final int CONNECTIVITY_RESTORED = 1102;
    /** Informational "data farm OK" notices sent after startApi. */
    static final int[] FARM_OK_CODES = {2104, 2106, 2158};

    private static final Map<Integer, String> ERROR_TEXTS = Map.of(
            CLIENT_ID_IN_USE, "Unable to connect as the client id is already in use. Retry with a unique client id.",
            MAX_RATE_EXCEEDED, "Max rate of messages per second has been exceeded",
            CONNECTIVITY_LOST, "Connectivity between IB and Trader Workstation has been lost.",
            CONNECTIVITY_RESTORED_DATA_LOST,
            "Connectivity between IB and Trader Workstation has been restored - data lost.",
            CONNECTIVITY_RESTORED,
            "Connectivity between IB and Trader Workstation has been restored - data maintained.",
            1300, "TWS socket port has been reset and this connection is being dropped. Please reconnect.",
            2104, "Market data farm connection is OK:usfarm",
            2106, "HMDS data farm connection is OK:ushmds",
            2158, "Sec-def data farm connection is OK:secdefnj");

    /** The outcome of a startApi's clientId. */
    enum Registration { FIRST_CONNECTION, RECONNECTED, IN_USE }

    private final SimulatorState state;
    private final SimulatorOptions options;
    private final SimulatorFaults faults = new SimulatorFaults(this);
    private final Set<ClientSession> sessions = ConcurrentHashMap.newKeySet();
    private final Map<Integer, ClientSession> clients = new ConcurrentHashMap<>();
    private final Set<Integer> seenClientIds = ConcurrentHashMap.newKeySet();
    private final Map<Integer, Set<String>> sentExecIds = new ConcurrentHashMap<>();
    private final AtomicLong connections = new AtomicLong();
    private final AtomicInteger pacingViolations = new AtomicInteger();
    private final AtomicInteger positionsRefusals = new AtomicInteger();
    private final AtomicLong messagesReceived = new AtomicLong();
    private final StateListener dispatcher = new StateListener() {
        @Override
        public void positionChanged(Position position, Instrument instrument) {
            sessions.forEach(s -> s.positionChanged(position, instrument));
        }

        @Override
        public void marketPriceChanged(Instrument instrument, BigDecimal price) {
            sessions.forEach(s -> s.marketPriceChanged(instrument));
        }

        @Override
        public void executionReported(Execution execution) {
            if (options.pushExecutions()) {
                // After the change that made it is complete (a trader may withhold it in the same step).
                schedule(Duration.ZERO, () -> pushExecution(execution.execId(), false));
            }
        }

        @Override
        public void commissionReleased(Execution execution) {
            if (options.pushLateCommissions()) {
                schedule(Duration.ZERO, () -> pushExecution(execution.execId(), true));
            }
        }
    };

    private ServerSocket server;
    private Thread acceptor;
    private ScheduledExecutorService scheduler;
    private int boundPort = -1;
    private DemoTrading trading;
    /** The interval of a trader handed over by {@link #startTrading(DemoTrading, Duration)}. */
    private Duration handedOverInterval;

    public GatewaySimulator(SimulatorState state, SimulatorOptions options) {
        this.state = state;
        this.options = options;
    }

    /** The built-in demo scenario on an ephemeral loopback port, prices standing still, nobody trading: started. */
    public static GatewaySimulator startDemo() throws IOException {
        return new GatewaySimulator(Scenario.demo().toState(), SimulatorOptions.defaults()).start();
    }

    /** Binds and starts accepting clients; after a {@link #stop()}, binds the same port again. */
    public synchronized GatewaySimulator start() throws IOException {
        if (server != null) {
            throw new IllegalStateException("simulator already running on port " + boundPort);
        }
        ServerSocket socket = new ServerSocket();
        socket.setReuseAddress(true);
        try {
            socket.bind(new InetSocketAddress(InetAddress.getByName(options.host()),
                    boundPort >= 0 ? boundPort : options.port()));
        } catch (IOException e) {
            socket.close();
            throw e;
        }
        server = socket;
        boundPort = socket.getLocalPort();
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "gateway-sim-timer-" + boundPort);
            thread.setDaemon(true);
            return thread;
        });
        state.addListener(dispatcher);
        acceptor = new Thread(() -> acceptLoop(socket), "gateway-sim-accept-" + boundPort);
        acceptor.setDaemon(true);
        acceptor.start();
        startPriceMotion();
        startTrading();
        LOG.debug("gateway simulator bound to {}:{}", options.host(), boundPort);
        return this;
    }

    /** Stops listening and drops every client; the state is kept, so {@link #start()} resumes. */
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("closing the listener failed: {}", e.getMessage());
        }
        state.removeListener(dispatcher);
        dropAllClients();
        scheduler.shutdownNow();
        try {
            acceptor.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server = null;
        acceptor = null;
        scheduler = null;
        LOG.info("gateway simulator on port {} stopped", boundPort);
    }

    @Override
    public void close() {
        stop();
    }

    public synchronized boolean isRunning() {
        return server != null;
    }

    /** The bound port (also after a stop, for restarting); -1 before the first start. */
    public synchronized int port() {
        return boundPort;
    }

    public String host() {
        return options.host();
    }

    public SimulatorState state() {
        return state;
    }

    public SimulatorOptions options() {
        return options;
    }

    public SimulatorFaults faults() {
        return faults;
    }

    /** clientIds of the connections that completed startApi and are still open. */
    public Set<Integer> connectedClientIds() {
        return Set.copyOf(clients.keySet());
    }

    /** Open connections, with or without startApi. */
    public int connectionCount() {
        return sessions.size();
    }

    /** The server version negotiated with the connected client of this clientId. */
    public OptionalInt serverVersionOf(int clientId) {
        ClientSession session = clients.get(clientId);
        return session == null ? OptionalInt.empty() : OptionalInt.of(session.serverVersion());
    }

    /** Every execId sent to this clientId so far (any connection), in order. */
    public List<String> sentExecIds(int clientId) {
        Set<String> sent = sentExecIds.get(clientId);
        if (sent == null) {
            return List.of();
        }
        synchronized (sent) {
            return new ArrayList<>(sent);
        }
    }

    /** Sends error {@code code} (reqId -1) to every started client; returns how many. */
    public int sendErrorToAll(int code) {
        int count = 0;
        for (ClientSession session : sessions) {
            if (session.isStarted()) {
                session.sendError(code);
                count++;
            }
        }
        LOG.info("sent error {} to {} clients", code, count);
        return count;
    }

    /** Closes every client connection now; returns how many. */
    public int dropAllClients() {
        List<ClientSession> open = new ArrayList<>(sessions);
        open.forEach(ClientSession::close);
        return open.size();
    }

    /** The text of error {@link #POSITIONS_REFUSED}. */
    static String positionsRefusedText(int limit) {
        return "Error validating request:-'reqPositions' : cause - positions for more than " + limit
                + " accounts need reqPositionsMulti";
    }

    /** The message text of an error code the simulator sends. */
    static String errorText(int code) {
        return ERROR_TEXTS.getOrDefault(code, "Simulated error " + code);
    }

    // ------------------------------------------------------------------ for sessions

    Registration register(int clientId, ClientSession session) {
        if (clients.putIfAbsent(clientId, session) != null) {
            return Registration.IN_USE;
        }
        return seenClientIds.add(clientId) ? Registration.FIRST_CONNECTION : Registration.RECONNECTED;
    }

    void pacingViolated() {
        pacingViolations.incrementAndGet();
    }

    /** Clients disconnected for sending more messages in one second than the pacing limit (when enforced). */
    public int pacingViolations() {
        return pacingViolations.get();
    }

    void messageReceived() {
        messagesReceived.incrementAndGet();
    }

    /** Messages read from every client so far (the handshake's version range included, the {@code API} prefix not). */
    public long messagesReceived() {
        return messagesReceived.get();
    }

    void positionsRefused() {
        positionsRefusals.incrementAndGet();
    }

    /** {@code reqPositions} requests refused for too many managed accounts (see the options' account limit). */
    public int positionsRefusals() {
        return positionsRefusals.get();
    }

    void sessionClosed(ClientSession session) {
        sessions.remove(session);
        Integer clientId = session.clientId();
        if (clientId != null) {
            clients.remove(clientId, session);
        }
    }

    void recordSent(int clientId, List<String> execIds) {
        if (execIds.isEmpty()) {
            return;
        }
        Set<String> sent = sentExecIds.computeIfAbsent(clientId, k -> new LinkedHashSet<>());
        synchronized (sent) {
            sent.addAll(execIds);
        }
    }

    void schedule(Duration delay, Runnable action) {
        ScheduledExecutorService timer;
        synchronized (this) {
            timer = scheduler;
        }
        if (timer == null) {
            return;
        }
        try {
            timer.schedule(action, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            LOG.debug("simulator stopping: delayed message dropped");
        }
    }

    // ------------------------------------------------------------------ internals

    /**
     * Pushes an execution (or only its released commission report) to every started client that may see it,
     * unless it is withheld or of a prior day by now.
     */
    private void pushExecution(String execId, boolean commissionOnly) {
        state.withLock(() -> {
            Execution execution = state.execution(execId).orElse(null);
            if (execution == null || state.isExecutionWithheld(execId) || state.isPriorDay(execId)) {
                return null;
            }
            Instrument instrument = state.instrument(execution.conId()).orElseThrow();
            boolean withReport = !state.isCommissionWithheld(execId);
            if (commissionOnly && !withReport) {
                return null;
            }
            for (ClientSession session : sessions) {
                session.pushExecution(execution, instrument, !commissionOnly, withReport);
            }
            return null;
        });
    }

    private void acceptLoop(ServerSocket socket) {
        while (!socket.isClosed()) {
            try {
                Socket client = socket.accept();
                client.setTcpNoDelay(true);
                ClientSession session = new ClientSession(this, client, connections.incrementAndGet());
                sessions.add(session);
                if (socket.isClosed()) {
                    session.close();
                } else {
                    LOG.info("connection {} from {}", session, client.getRemoteSocketAddress());
                    session.start();
                }
            } catch (SocketException e) {
                if (!socket.isClosed()) {
                    LOG.warn("accept failed: {}", e.getMessage());
                }
            } catch (IOException e) {
                LOG.warn("accept failed: {}", e.getMessage());
            }
        }
    }

    /**
     * The demo trades on its own at the options' trade interval (none: nobody trades), or on with the trader
     * handed over by {@link #startTrading(DemoTrading, Duration)}.
     */
    private void startTrading() {
        if (trading != null && handedOverInterval != null) {
            schedule(trading, handedOverInterval);
            return;
        }
        Duration interval = options.tradeInterval();
        if (interval == null) {
            return;
        }
        if (trading == null) {
            // One trader for the simulator's life: a restart carries on with the same sequence, not from its start.
            trading = new DemoTrading(state, options.tradeSeed());
        }
        schedule(trading, interval);
        LOG.info("demo trading every {} ms (seed {})", interval.toMillis(), options.tradeSeed());
    }

    /**
     * From now on {@code trader} (a trader of this simulator's state that has already made moves, such as the one
     * that traded the demo's pre-dated history) makes a move every {@code interval}, across restarts too. For a
     * simulator whose options name no trade interval of their own.
     */
    public synchronized void startTrading(DemoTrading trader, Duration interval) {
        if (options.tradeInterval() != null || trading != null) {
            throw new IllegalStateException("the simulator already has a trader");
        }
        if (!trader.trades(state)) {
            throw new IllegalArgumentException("the trader trades another simulator's state");
        }
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("trade interval must be positive");
        }
        trading = trader;
        handedOverInterval = interval;
        if (scheduler != null) {
            schedule(trader, interval);
        }
        LOG.info("demo trading every {} ms, going on from its history", interval.toMillis());
    }

    private void schedule(DemoTrading trader, Duration interval) {
        scheduler.scheduleAtFixedRate(() -> {
            try {
                trader.step();
            } catch (RuntimeException e) {
                LOG.warn("demo trade failed: {}", e.getMessage());
            }
        }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void startPriceMotion() {
        Duration interval = options.priceTickInterval();
        if (interval == null) {
            return;
        }
        PriceMotion motion = state.priceMotion().orElse(null);
        if (motion == null) {
            LOG.warn("price tick interval set but the state has no price motion; prices stand still");
            return;
        }
        PriceWalk walk = new PriceWalk(state, motion);
        scheduler.scheduleAtFixedRate(() -> {
            try {
                walk.step();
            } catch (RuntimeException e) {
                LOG.warn("price step failed: {}", e.getMessage());
            }
        }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }
}

package io.positionsync.ibkr;

import io.positionsync.ibkr.wire.MessageIds;
import io.positionsync.ibkr.wire.ProtocolException;

import io.positionsync.ibkr.wire.FieldReader;
import io.positionsync.ibkr.wire.FrameDecoder;
import io.positionsync.ibkr.wire.RepeatedTexts;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One TWS API socket session: connect, handshake ({@code v157..178}), {@code startApi}, then a reader
 * thread that reassembles frames, decodes them with the negotiated server version and hands every
 * message to a {@link Listener}, in wire order. {@link #connect} returns once {@code nextValidId} has
 * arrived, i.e. when the connection is usable.
 *
 * <p>A malformed frame closes the connection; the {@link ProtocolException} is the close reason given
 * to {@link Listener#onClosed}. The listener hears about the close exactly once, after the last message,
 * on the reader thread.
 */
public final class TwsConnection implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TwsConnection.class);

    /** Receives what the gateway sends. Called on the reader thread; keep it quick and non-blocking. */
    public interface Listener {
        /** One decoded message, in wire order (including those that arrive while connecting). */
        void onMessage(IncomingMessage message);

        /**
         * The connection is closed: {@code reason} is {@code null} after {@link #close()}, otherwise why
         * it ended (an {@link EOFException} or other {@link IOException} for a drop, a
         * {@link ProtocolException} for a malformed frame, a {@link BrokerException} for a refused session).
         */
        void onClosed(Exception reason);
    }

    private final String host;
    private final int port;
    private final int clientId;
    private final Duration connectTimeout;
    private final Socket socket;
    private final OutputStream out;
    private final Listener listener;
    /** Every message written goes through it first: at most its pace in any rolling second. */
    private final MessagePacer pacer;
    private final FrameDecoder frames = new FrameDecoder();
    /** The account ids, currencies, exchanges... of this connection's messages, one instance each (reader thread only). */
    private final RepeatedTexts texts = new RepeatedTexts();
    private final CompletableFuture<Integer> handshake = new CompletableFuture<>();
    private final CompletableFuture<Long> ready = new CompletableFuture<>();
    /** "No deadline" for a send: far enough ahead of any pacing wait (which is a second at most). */
    private static final long NO_DEADLINE = TimeUnit.DAYS.toNanos(1);
    private static final byte[] API_PREFIX = {'A', 'P', 'I', 0};
    /** The API ports people mean, for error messages that say what to check. */
    static final String USUAL_PORTS = "TWS 7497 paper / 7496 live, IB Gateway 4002 paper / 4001 live";
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong bytesReceived = new AtomicLong();
    private volatile int serverVersion;
    private volatile String connectionTime;
    private volatile List<String> managedAccounts;
    private volatile Exception closeReason;
    private volatile Thread reader;

    private TwsConnection(String host, int port, int clientId, Duration connectTimeout, Socket socket,
            MessagePacer pacer, Listener listener) throws IOException {
        this.host = host;
        this.port = port;
        this.clientId = clientId;
        this.connectTimeout = connectTimeout;
        this.socket = socket;
        this.out = socket.getOutputStream();
        this.pacer = pacer;
        this.listener = listener;
    }

    /** {@link #connect(String, int, int, Duration, MessagePacer, Listener)} at the default pace of 45 a second. */
    public static TwsConnection connect(String host, int port, int clientId, Duration connectTimeout, Listener listener)
            throws BrokerException {
        return connect(host, port, clientId, connectTimeout,
                new MessagePacer(MessagePacer.DEFAULT_PER_SECOND, new PacingStatistics()), listener);
    }

    /**
     * Opens a session and waits until it is usable ({@code nextValidId} received). The whole of it (TCP
     * connect, handshake, {@code startApi}, {@code nextValidId}) must fit in {@code connectTimeout}. Everything
     * the session sends goes through {@code pacer}, which must serve this connection only.
     *
     * @throws BrokerException when the gateway cannot be reached (error code 502), refuses the clientId
     *                         (326), chooses a server version outside 157..178, sends a malformed reply,
     *                         closes the socket, or does not answer in time
     */
    public static TwsConnection connect(String host, int port, int clientId, Duration connectTimeout,
            MessagePacer pacer, Listener listener) throws BrokerException {
        Objects.requireNonNull(pacer, "pacer");
        long deadline = System.nanoTime() + connectTimeout.toNanos();
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()));
        } catch (IOException e) {
            closeQuietly(socket);
            String why;
            if (e instanceof SocketTimeoutException) {
                why = "timed out after " + connectTimeout.toMillis() + " ms; check the host, any firewall in between, and "
                        + "that " + port + " is the API port (" + USUAL_PORTS + ")";
            } else if (e instanceof java.net.UnknownHostException) {
                why = "unknown host '" + host + "' (the name does not resolve); check the gateway host (PSYNC_IBKR_HOST, "
                        + "--host) for a typo";
            } else if (e instanceof java.net.ConnectException) {
                why = "connection refused; check that TWS / IB Gateway is running with 'Enable ActiveX and Socket Clients' "
                        + "on (Global Configuration > API > Settings) and that " + port + " is its API port (" + USUAL_PORTS + ")";
            } else {
                why = describe(e);
            }
            throw new BrokerException("could not connect to the gateway at " + host + ":" + port + ": " + why,
                    ErrorCodes.CONNECT_FAIL, e);
        }
        TwsConnection connection;
        try {
            connection = new TwsConnection(host, port, clientId, connectTimeout, socket, pacer, listener);
        } catch (IOException e) {
            closeQuietly(socket);
            throw new BrokerException("could not open the socket to " + host + ":" + port + ": " + describe(e),
                    ErrorCodes.CONNECT_FAIL, e);
        }
        try {
            connection.start(deadline);
            return connection;
        } catch (BrokerException e) {
            connection.close();
            throw e;
        }
    }

    private void start(long deadline) throws BrokerException {
        try {
            writeFrame(RequestEncoder.handshake(), deadline);
        } catch (IOException e) {
            throw new BrokerException("could not send the handshake to " + endpoint() + ": " + describe(e),
                    ErrorCodes.CONNECT_FAIL, e);
        }
        Thread thread = new Thread(this::readLoop, "tws-reader-" + endpoint() + "-client-" + clientId);
        thread.setDaemon(true);
        reader = thread;
        thread.start();
        int version = await(handshake, deadline, "its handshake reply");
        log.debug("gateway {} chose server version {} (connection time {})", endpoint(), version, connectionTime);
        try {
            send(RequestEncoder.startApi(clientId, ""), deadline);
        } catch (IOException e) {
            throw new BrokerException("could not send startApi to " + endpoint() + ": " + describe(e),
                    ErrorCodes.CONNECT_FAIL, e);
        }
        await(ready, deadline, "nextValidId");
    }

    private <T> T await(CompletableFuture<T> future, long deadline, String what) throws BrokerException {
        try {
            return future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new BrokerException("the gateway at " + endpoint() + " did not send " + what + " within "
                    + connectTimeout.toMillis() + " ms (connect timeout); usually TWS / IB Gateway waits for someone to "
                    + "accept the incoming connection (add this host to Trusted IPs), or " + port + " is not a TWS API port ("
                    + USUAL_PORTS + ")", ErrorCodes.CONNECT_FAIL, null);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof BrokerException be) {
                throw be;
            }
            throw new BrokerException("connecting to " + endpoint() + " failed: " + describe(e.getCause()),
                    ErrorCodes.CONNECT_FAIL, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BrokerException("interrupted while connecting to " + endpoint(), ErrorCodes.CONNECT_FAIL, e);
        }
    }

    private void readLoop() {
        Exception reason = null;
        try {
            InputStream in = socket.getInputStream();
            while (!closed.get()) {
                // Read straight into the frame buffer and decode each frame where it lies: no copy per frame.
                int count = frames.readFrom(in);
                if (count < 0) {
                    reason = new EOFException("the gateway closed the connection");
                    break;
                }
                bytesReceived.addAndGet(count);
                frames.drain(this::handleFrame);
            }
        } catch (ProtocolException | BrokerException e) {
            reason = e;
        } catch (IOException e) {
            reason = e;
        } catch (RuntimeException e) {
            log.error("reader of {} failed", endpoint(), e);
            reason = e;
        } finally {
            shutdown(reason);
            Exception finalReason = closeReason;
            if (finalReason != null) {
                log.warn("connection to {} closed: {}", endpoint(), describe(finalReason));
            }
            try {
                listener.onClosed(finalReason);
            } catch (RuntimeException e) {
                log.error("connection listener failed on close", e);
            }
        }
    }

    private void handleFrame(byte[] buffer, int offset, int length) throws BrokerException {
        if (closed.get()) {
            return;
        }
        if (serverVersion == 0) {
            acceptHandshakeReply(new FieldReader(buffer, offset, length));
            return;
        }
        IncomingMessage message = MessageDecoder.decode(buffer, offset, length, serverVersion, texts);
        if (message instanceof IncomingMessage.NextValidId next) {
            ready.complete(next.orderId());
        } else if (message instanceof IncomingMessage.ManagedAccounts accounts) {
            managedAccounts = accounts.accounts();
        } else if (message instanceof IncomingMessage.ErrorMessage error) {
            logError(error);
            if (error.code() == ErrorCodes.CLIENT_ID_IN_USE && !ready.isDone()) {
                ready.completeExceptionally(new BrokerException("clientId " + clientId + " is already in use at "
                        + endpoint() + " (error 326): " + error.message() + "; choose another client id or close the "
                        + "other session", ErrorCodes.CLIENT_ID_IN_USE, null));
            }
        }
        try {
            listener.onMessage(message);
        } catch (RuntimeException e) {
            log.error("connection listener failed on {}", message, e);
        }
    }

    private void acceptHandshakeReply(FieldReader fields) throws BrokerException {
        int version;
        try {
            version = fields.readInt();
            connectionTime = fields.hasMore() ? fields.readString() : null;
        } catch (ProtocolException e) {
            BrokerException failure = new BrokerException("malformed handshake reply from " + endpoint() + ": "
                    + e.getMessage() + "; is " + endpoint() + " a TWS API gateway at all (" + USUAL_PORTS + ")?", null, e);
            handshake.completeExceptionally(failure);
            throw failure;
        }
        if (version < MessageIds.MIN_CLIENT_VERSION || version > MessageIds.MAX_CLIENT_VERSION) {
            BrokerException failure = new BrokerException("the gateway at " + endpoint() + " chose server version "
                    + version + ", outside the supported range " + MessageIds.MIN_CLIENT_VERSION + ".."
                    + MessageIds.MAX_CLIENT_VERSION + "; disconnected");
            handshake.completeExceptionally(failure);
            throw failure;
        }
        serverVersion = version;
        handshake.complete(version);
    }

    private void logError(IncomingMessage.ErrorMessage error) {
        if (error.isInformational()) {
            log.debug("gateway notice {} (reqId {}): {}", error.code(), error.reqId(), error.message());
        } else if (error.isWarning()) {
            log.warn("gateway warning {} (reqId {}): {}", error.code(), error.reqId(), error.message());
        } else {
            log.warn("gateway error {} (reqId {}): {}", error.code(), error.reqId(), error.message());
        }
    }

    /**
     * Writes one or more whole frames (see {@link RequestEncoder}), in one write, once the pacer lets them go
     * (at most a second's wait). A failed write closes the connection.
     *
     * @throws IOException when the connection is closed or the write fails
     */
    public void send(byte[] frame) throws IOException {
        send(frame, System.nanoTime() + NO_DEADLINE);
    }

    /**
     * Writes one or more whole frames in one write, waiting for the pacer no later than {@code deadline} (a
     * {@link System#nanoTime()}). A failed write closes the connection; a pacing wait that would pass the
     * deadline sends nothing and leaves the connection open.
     *
     * @throws PacingDeadlineException when the frames could go only after {@code deadline}
     * @throws IOException             when the connection is closed or the write fails
     */
    public void send(byte[] frame, long deadline) throws IOException {
        if (closed.get()) {
            throw new IOException("connection to " + endpoint() + " is closed");
        }
        try {
            writeFrame(frame, deadline);
        } catch (PacingDeadlineException e) {
            throw e;
        } catch (IOException e) {
            abort(e);
            throw e;
        }
    }

    private void writeFrame(byte[] bytes, long deadline) throws IOException {
        synchronized (out) {
            // Paced under the write's lock, so messages reach the socket in the order of their permits.
            pacer.acquire(countMessages(bytes), deadline);
            out.write(bytes);
            out.flush();
        }
    }

    /** The messages in a write: its length-prefixed frames (the handshake's {@code API\0} prefix is no message). */
    static int countMessages(byte[] bytes) {
        int offset = 0;
        if (bytes.length >= API_PREFIX.length && bytes[0] == API_PREFIX[0] && bytes[1] == API_PREFIX[1]
                && bytes[2] == API_PREFIX[2] && bytes[3] == API_PREFIX[3]) {
            offset = API_PREFIX.length;
        }
        int count = 0;
        while (offset + Integer.BYTES <= bytes.length) {
            int length = ((bytes[offset] & 0xFF) << 24) | ((bytes[offset + 1] & 0xFF) << 16)
                    | ((bytes[offset + 2] & 0xFF) << 8) | (bytes[offset + 3] & 0xFF);
            if (length < 0) {
                break;
            }
            offset += Integer.BYTES + length;
            count++;
        }
        // Bytes that are not whole frames (a test's raw write) count as one message more.
        return offset == bytes.length ? count : count + 1;
    }

    /** The pacer of this connection's messages. */
    public MessagePacer pacer() {
        return pacer;
    }

    /** Closes the connection; the listener hears {@code onClosed(null)}. Idempotent. */
    @Override
    public void close() {
        abort(null);
    }

    /**
     * Closes the connection with {@code reason}, which the listener receives in {@code onClosed}.
     * Waits (up to the connect timeout) for the reader thread to finish unless called from it.
     */
    public void abort(Exception reason) {
        shutdown(reason);
        Thread thread = reader;
        if (thread != null && thread != Thread.currentThread()) {
            try {
                thread.join(connectTimeout.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void shutdown(Exception reason) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        closeReason = reason;
        closeQuietly(socket);
        Exception cause = reason;
        String notAGateway = serverVersion == 0 && cause instanceof IOException ? NotAGateway.identify(host, port) : null;
        BrokerException failure = cause instanceof BrokerException be ? be
                : notAGateway != null ? new BrokerException(host + ":" + port + " is " + notAGateway + ", not a TWS API "
                        + "gateway: point PSYNC_IBKR_HOST / PSYNC_IBKR_PORT at TWS or IB Gateway (" + USUAL_PORTS + ")",
                        ErrorCodes.CONNECT_FAIL, cause)
                : new BrokerException("the gateway at " + endpoint() + " closed the connection while connecting as clientId "
                        + clientId + (cause == null ? "" : ": " + describe(cause)) + "; usually this host is not in its "
                        + "Trusted IPs (or 'Allow connections from localhost only' is on), or clientId " + clientId
                        + " is already in use", ErrorCodes.CONNECT_FAIL, cause);
        handshake.completeExceptionally(failure);
        ready.completeExceptionally(failure);
    }

    public boolean isOpen() {
        return !closed.get();
    }

    /** Why the connection closed ({@code null} while open or after {@link #close()}). */
    public Exception closeReason() {
        return closeReason;
    }

    /** Bytes read from the socket so far (a snapshot bounds what it reads by this). */
    public long bytesReceived() {
        return bytesReceived.get();
    }

    /** The version the handshake settled on (157..178). */
    public int serverVersion() {
        return serverVersion;
    }

    /** The connection time text of the handshake reply, as sent. */
    public String connectionTime() {
        return connectionTime;
    }

    /** The order id of {@code nextValidId}. */
    public long nextValidId() {
        return ready.getNow(-1L);
    }

    /** The accounts of the most recent {@code managedAccounts}, if one has arrived. */
    public Optional<List<String>> managedAccounts() {
        return Optional.ofNullable(managedAccounts);
    }

    public int clientId() {
        return clientId;
    }

    /** {@code host:port}. */
    public String endpoint() {
        return host + ":" + port;
    }

    public static String describe(Throwable e) {
        if (e == null) {
            return "closed by this client";
        }
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // Nothing useful to do: the socket is going away either way.
        }
    }
}

package io.positionsync.ibkr.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.positionsync.ibkr.wire.FieldReader;
import io.positionsync.ibkr.wire.FieldWriter;
import io.positionsync.ibkr.wire.FrameDecoder;
import io.positionsync.ibkr.wire.MessageIds;
import io.positionsync.ibkr.wire.ProtocolException;

/**
 * A minimal TWS API client for testing the simulator over a real socket: sends raw requests and queues every
 * frame received as its list of text fields, or the end of the stream / a framing error.
 */
final class RawTwsClient implements AutoCloseable {
    static final Duration TIMEOUT = Duration.ofSeconds(5);
    static final String CLIENT_RANGE = "v157..178";

    /** A received frame: its text fields. The first is the message id (the handshake's is the version). */
    record Msg(List<String> fields) {
        int id() {
            return Integer.parseInt(fields.get(0));
        }

        String get(int index) {
            return fields.get(index);
        }

        int size() {
            return fields.size();
        }

        /** A reader over the fields after the message id, as a decoder would use. */
        FieldReader reader() {
            FieldWriter writer = new FieldWriter();
            fields.subList(1, fields.size()).forEach(writer::add);
            return new FieldReader(writer.payload());
        }
    }

    /** The stream ended (the gateway closed the connection). */
    private static final Object CLOSED = new Object();

    private final Socket socket;
    private final OutputStream out;
    private final BlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
    private final Thread reader;
    private volatile ProtocolException framingError;
    private int serverVersion;

    private RawTwsClient(Socket socket) throws IOException {
        this.socket = socket;
        this.out = socket.getOutputStream();
        this.reader = new Thread(this::readLoop, "raw-tws-client");
        reader.setDaemon(true);
        reader.start();
    }

    static RawTwsClient connect(int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), (int) TIMEOUT.toMillis());
        return new RawTwsClient(socket);
    }

    /** Connects, negotiates {@code v157..178} and starts the API; drains the startApi answers. */
    static RawTwsClient connected(int port, int clientId) throws Exception {
        RawTwsClient client = connect(port);
        client.handshake(CLIENT_RANGE);
        client.startApi(clientId);
        client.expectStartupMessages();
        return client;
    }

    /** Sends {@code API\0} and the version range; returns the version the gateway chose. */
    int handshake(String range) throws Exception {
        sendHello(range);
        Msg answer = next();
        assertThat(answer.size()).as("handshake answer fields").isEqualTo(2);
        assertThat(answer.get(1)).matches("\\d{8} \\d{2}:\\d{2}:\\d{2} UTC");
        serverVersion = Integer.parseInt(answer.get(0));
        return serverVersion;
    }

    void sendHello(String range) throws IOException {
        out.write(new byte[] {'A', 'P', 'I', 0});
        out.write(FieldWriter.frame(range.getBytes(StandardCharsets.US_ASCII)));
        out.flush();
    }

    int serverVersion() {
        return serverVersion;
    }

    void startApi(int clientId) throws IOException {
        send(MessageIds.START_API, 2, clientId, "");
    }

    /** nextValidId, managedAccounts and the three farm notices, in any order. */
    List<Msg> expectStartupMessages() throws Exception {
        List<Msg> startup = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            startup.add(next());
        }
        assertThat(startup).extracting(Msg::id).containsExactlyInAnyOrder(MessageIds.NEXT_VALID_ID,
                MessageIds.MANAGED_ACCOUNTS, MessageIds.ERROR, MessageIds.ERROR, MessageIds.ERROR);
        return startup;
    }

    /** Writes {@code bytes} exactly as given (a captured handshake, or a frame with its length prefix). */
    void sendBytes(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    void send(Object... fields) throws IOException {
        FieldWriter writer = new FieldWriter();
        for (Object field : fields) {
            writer.add(String.valueOf(field));
        }
        out.write(writer.frame());
        out.flush();
    }

    void reqPositions() throws IOException {
        send(MessageIds.REQ_POSITIONS, 1);
    }

    void cancelPositions() throws IOException {
        send(MessageIds.CANCEL_POSITIONS, 1);
    }

    void reqAccountUpdates(boolean subscribe, String account) throws IOException {
        send(MessageIds.REQ_ACCOUNT_UPDATES, 2, subscribe ? 1 : 0, account);
    }

    void reqExecutions(int reqId) throws IOException {
        reqExecutions(reqId, 0, "", "", "", "", "", "");
    }

    void reqExecutions(int reqId, int clientId, String account, String time, String symbol, String secType,
            String exchange, String side) throws IOException {
        send(MessageIds.REQ_EXECUTIONS, 3, reqId, clientId, account, time, symbol, secType, exchange, side);
    }

    void reqPositionsMulti(int reqId, String account) throws IOException {
        send(MessageIds.REQ_POSITIONS_MULTI, 1, reqId, account, "");
    }

    void cancelPositionsMulti(int reqId) throws IOException {
        send(MessageIds.CANCEL_POSITIONS_MULTI, 1, reqId);
    }

    void reqCurrentTime() throws IOException {
        send(MessageIds.REQ_CURRENT_TIME, 1);
    }

    /** The next frame; fails when none arrives in time or the connection ended. */
    Msg next() throws InterruptedException {
        return next(TIMEOUT);
    }

    Msg next(Duration timeout) throws InterruptedException {
        Object item = inbox.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (item == null) {
            throw new AssertionError("no message within " + timeout);
        }
        if (item == CLOSED) {
            inbox.offer(CLOSED);
            throw new AssertionError("connection closed by the gateway"
                    + (framingError == null ? "" : " after framing error: " + framingError.getMessage()));
        }
        return (Msg) item;
    }

    /** Frames until (and including) the first with {@code id}. */
    List<Msg> until(int id) throws InterruptedException {
        List<Msg> received = new ArrayList<>();
        while (true) {
            Msg msg = next();
            received.add(msg);
            if (msg.id() == id) {
                return received;
            }
        }
    }

    /** The next frame, which must have this id. */
    Msg expect(int id) throws InterruptedException {
        Msg msg = next();
        assertThat(msg.id()).as("message id of %s", msg.fields()).isEqualTo(id);
        return msg;
    }

    /** Waits for the gateway to close the connection, skipping any frames before that. */
    boolean awaitClosed(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            Object item = inbox.poll(left, TimeUnit.NANOSECONDS);
            if (item == CLOSED) {
                inbox.offer(CLOSED);
                return true;
            }
            if (item == null) {
                return false;
            }
        }
    }

    /** The framing error the decoder raised, if any. */
    ProtocolException framingError() {
        return framingError;
    }

    private void readLoop() {
        FrameDecoder decoder = new FrameDecoder();
        byte[] buffer = new byte[8192];
        try (InputStream in = socket.getInputStream()) {
            int count;
            while ((count = in.read(buffer)) >= 0) {
                for (byte[] payload : decoder.feed(buffer, 0, count)) {
                    FieldReader fields = new FieldReader(payload);
                    List<String> values = new ArrayList<>();
                    while (fields.hasMore()) {
                        values.add(fields.readString());
                    }
                    inbox.offer(new Msg(values));
                }
            }
        } catch (ProtocolException e) {
            framingError = e;
        } catch (IOException e) {
            // the connection ended
        } finally {
            inbox.offer(CLOSED);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}

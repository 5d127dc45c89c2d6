package io.positionsync.ibkr;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny scripted gateway on 127.0.0.1 for connection-level tests: it answers the handshake with a
 * chosen server version, then hands every request (its fields) to a script that replies. Not a
 * simulator: each test scripts exactly what it needs.
 */
final class FakeTwsPeer implements AutoCloseable {

    /** Reacts to one request; {@code fields.get(0)} is the request id. */
    @FunctionalInterface
    interface Script {
        void onRequest(List<String> fields, Session session) throws IOException;
    }

    private final int serverVersion;
    private final Script script;
    private final ServerSocket server;
    private final Thread acceptor;
    private final List<Session> sessions = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    /** Every request of every session, in arrival order. */
    final BlockingQueue<List<String>> requests = new LinkedBlockingQueue<>();
    /** The handshake texts received ({@code v157..178}). */
    final BlockingQueue<String> handshakes = new LinkedBlockingQueue<>();

    FakeTwsPeer(int serverVersion, Script script) throws IOException {
        this.serverVersion = serverVersion;
        this.script = script;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::acceptLoop, "fake-tws-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    /** How many connections were accepted so far. */
    int connections() {
        return accepted.get();
    }

    /** The most recent session. */
    Session lastSession() {
        return sessions.get(sessions.size() - 1);
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                accepted.incrementAndGet();
                Session session = new Session(socket);
                sessions.add(session);
                Thread thread = new Thread(session::serve, "fake-tws-session-" + accepted.get());
                thread.setDaemon(true);
                thread.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Session session : sessions) {
            session.drop();
        }
    }

    /** One client connection as the peer sees it. */
    final class Session {
        private final Socket socket;
        private final OutputStream out;
        /** Counts down when the client closes its end. */
        final CountDownLatch clientGone = new CountDownLatch(1);

        Session(Socket socket) throws IOException {
            this.socket = socket;
            this.out = socket.getOutputStream();
        }

        int version() {
            return serverVersion;
        }

        void send(IncomingMessage... messages) throws IOException {
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            for (IncomingMessage message : messages) {
                bytes.writeBytes(IncomingMessageEncoder.frame(message, serverVersion));
            }
            sendRaw(bytes.toByteArray());
        }

        synchronized void sendRaw(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
        }

        /** Writes one byte per write call, to exercise reassembly across reads. */
        synchronized void sendBytewise(byte[] bytes) throws IOException {
            for (byte b : bytes) {
                out.write(b);
                out.flush();
            }
        }

        void drop() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }

        private void serve() {
            try (socket) {
                DataInputStream in = new DataInputStream(socket.getInputStream());
                byte[] prefix = new byte[4];
                in.readFully(prefix);
                if (!Arrays.equals(prefix, new byte[] {'A', 'P', 'I', 0})) {
                    throw new IOException("bad prefix " + Arrays.toString(prefix));
                }
                handshakes.add(new String(readFrame(in), StandardCharsets.US_ASCII));
                sendRaw(IncomingMessageEncoder.handshakeReply(serverVersion, "20261124 12:00:00 UTC"));
                while (true) {
                    String body = new String(readFrame(in), StandardCharsets.UTF_8);
                    List<String> fields = List.of(body.substring(0, body.length() - 1).split("\0", -1));
                    requests.add(fields);
                    script.onRequest(fields, this);
                }
            } catch (EOFException e) {
                clientGone.countDown();
            } catch (IOException e) {
                clientGone.countDown();
            }
        }

        private byte[] readFrame(DataInputStream in) throws IOException {
            int length = in.readInt();
            byte[] payload = new byte[length];
            in.readFully(payload);
            return payload;
        }
    }
}

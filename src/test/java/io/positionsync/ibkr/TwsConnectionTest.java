package io.positionsync.ibkr;

import io.positionsync.ibkr.wire.FieldWriter;
import io.positionsync.ibkr.wire.ProtocolException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TwsConnectionTest {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final int CLIENT_ID = 17;

    private FakeTwsPeer peer;
    private TwsConnection connection;

    @AfterEach
    void tearDown() throws IOException {
        if (connection != null) {
            connection.close();
        }
        if (peer != null) {
            peer.close();
        }
    }

    /** Remembers what the connection reported. */
    static final class Recorder implements TwsConnection.Listener {
        final BlockingQueue<IncomingMessage> messages = new LinkedBlockingQueue<>();
        final CompletableFuture<Exception> closed = new CompletableFuture<>();
        final AtomicInteger closeCalls = new AtomicInteger();

        @Override
        public void onMessage(IncomingMessage message) {
            messages.add(message);
        }

        @Override
        public void onClosed(Exception reason) {
            closeCalls.incrementAndGet();
            closed.complete(reason);
        }

        IncomingMessage next() throws InterruptedException {
            IncomingMessage message = messages.poll(5, TimeUnit.SECONDS);
            assertThat(message).as("a message within 5 s").isNotNull();
            return message;
        }
    }

    /** Replies to startApi the way a gateway does: accounts, a farm notice, nextValidId, all in one write. */
    private static void standardStart(List<String> fields, FakeTwsPeer.Session session) throws IOException {
        if (fields.get(0).equals("71")) {
            session.send(new IncomingMessage.ManagedAccounts(List.of("DU111", "DU222")),
                    new IncomingMessage.ErrorMessage(-1, 2104, "Market data farm connection is OK:usfarm", null),
                    new IncomingMessage.NextValidId(1));
        }
    }

    @Test
    void connectsHandshakesAndIsUsableOnceNextValidIdArrived() throws Exception {
        peer = new FakeTwsPeer(178, TwsConnectionTest::standardStart);
        Recorder recorder = new Recorder();

        connection = TwsConnection.connect("127.0.0.1", peer.port(), CLIENT_ID, CONNECT_TIMEOUT, recorder);

        assertThat(peer.handshakes.poll(5, TimeUnit.SECONDS)).isEqualTo("v157..178");
        assertThat(peer.requests.poll(5, TimeUnit.SECONDS)).containsExactly("71", "2", "17", "");
        assertThat(connection.serverVersion()).isEqualTo(178);
        assertThat(connection.connectionTime()).isEqualTo("20261124 12:00:00 UTC");
        assertThat(connection.nextValidId()).isEqualTo(1L);
        assertThat(connection.managedAccounts()).contains(List.of("DU111", "DU222"));
        assertThat(connection.isOpen()).isTrue();
        assertThat(recorder.next()).isInstanceOf(IncomingMessage.ManagedAccounts.class);
        assertThat(recorder.next()).isEqualTo(new IncomingMessage.ErrorMessage(-1, 2104,
                "Market data farm connection is OK:usfarm", null));
        assertThat(recorder.next()).isEqualTo(new IncomingMessage.NextValidId(1));
    }

    @Test
    void reassemblesFramesWrittenOneByteAtATime() throws Exception {
        peer = new FakeTwsPeer(157, (fields, session) -> {
            if (fields.get(0).equals("71")) {
                session.sendBytewise(IncomingMessageEncoder.stream(List.of(
                        new IncomingMessage.ErrorMessage(-1, 2106, "HMDS data farm connection is OK", "ignored at 157"),
                        new IncomingMessage.NextValidId(7)), 166));
            } else if (fields.get(0).equals("49")) {
                session.sendBytewise(IncomingMessageEncoder.frame(new IncomingMessage.CurrentTime(1_795_000_000L), 157));
            }
        });
        Recorder recorder = new Recorder();
        connection = TwsConnection.connect("127.0.0.1", peer.port(), CLIENT_ID, CONNECT_TIMEOUT, recorder);

        connection.send(RequestEncoder.reqCurrentTime());

        // Written with the 166 layout, read at 157: the extra field is ignored, the next frame is intact.
        assertThat(recorder.next()).isEqualTo(new IncomingMessage.ErrorMessage(-1, 2106, "HMDS data farm connection is OK", null));
        assertThat(recorder.next()).isEqualTo(new IncomingMessage.NextValidId(7));
        assertThat(recorder.next()).isEqualTo(new IncomingMessage.CurrentTime(1_795_000_000L));
        assertThat(connection.serverVersion()).isEqualTo(157);
    }

    @Test
    void serverVersionBelowTheRangeIsRejectedAndDisconnected() throws Exception {
        peer = new FakeTwsPeer(156, TwsConnectionTest::standardStart);

        assertThatThrownBy(() -> TwsConnection.connect("127.0.0.1", peer.port(), CLIENT_ID, CONNECT_TIMEOUT, new Recorder()))
                .isInstanceOf(BrokerException.class)
                .hasMessageContaining("server version 156")
                .hasMessageContaining("157..178");
        assertThat(peer.lastSession().clientGone.await(5, TimeUnit.SECONDS)).as("client disconnected").isTrue();
        assertThat(peer.requests).as("no startApi after a rejected version").isEmpty();
    }

    @Test
    void serverVersionAboveTheRangeIsRejected() throws Exception {
        peer = new FakeTwsPeer(201, TwsConnectionTest::standardStart);

        assertThatThrownBy(() -> TwsConnection.connect("127.0.0.1", peer.port(), CLIENT_ID, CONNECT_TIMEOUT, new Recorder()))
                .isInstanceOf(BrokerException.class)
                .hasMessageContaining("server version 201");
        assertThat(peer.lastSession().clientGone.await(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void clientIdInUseFailsTheConnectWith326() throws Exception {
        peer = new FakeTwsPeer(178, (fields, session) -> {
            session.send(new IncomingMessage.ErrorMessage(-1, 326,
                    "Unable to connect as the client id is already in use. Retry with a unique client id.", ""));
            session.drop();
        });

        assertThatThrownBy(() -> TwsConnection.connect("127.0.0.1", peer.port(), CLIENT_ID, CONNECT_TIMEOUT, new Recorder()))
                .isInstanceOfSatisfying(BrokerException.class, e -> assertThat(e.errorCode()).isEqualTo(326))
                .hasMessageContaining("clientId 17 is already in use");
    }

    @Test
    void refusedConnectionIs502() throws Exception {
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = probe.getLocalPort();
        }

        assertThatThrownBy(() -> TwsConnection.connect("127.0.0.1", closedPort, CLIENT_ID, CONNECT_TIMEOUT, new Recorder()))
                .isInstanceOfSatisfying(BrokerException.class, e -> assertThat(e.errorCode()).isEqualTo(502))
                .hasMessageContaining("could not connect to the gateway at 127.0.0.1:" + closedPort);
    }

    @Test
    void silentGatewayTimesOutTheConnect() throws Exception {
        peer = new FakeTwsPeer(178, (fields, session) -> { });

        assertThatThrownBy(() -> TwsConnection.connect("127.0.0.1", peer.port(), CLIENT_ID, Duration.ofMillis(300), new Recorder()))
                .isInstanceOf(BrokerException.class)
                .hasMessageContaining("did not send nextValidId within 300 ms");
        assertThat(peer.lastSession().clientGone.await(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void malformedFrameClosesTheConnectionWithAProtocolException() throws Exception {
        peer = new FakeTwsPeer(178, (fields, session) -> {
            if (fields.get(0).equals("71")) {
                session.send(new IncomingMessage.NextValidId(1));
            } else if (fields.get(0).equals("61")) {
                session.send(new IncomingMessage.Unknown(1));
                session.sendRaw(new FieldWriter().add("61").add("3").add("DU111").add("not-a-conid").frame());
                session.send(new IncomingMessage.PositionEnd());
            }
        });
        Recorder recorder = new Recorder();
        connection = TwsConnection.connect("127.0.0.1", peer.port(), CLIENT_ID, CONNECT_TIMEOUT, recorder);

        connection.send(RequestEncoder.reqPositions());

        Exception reason = recorder.closed.get(5, TimeUnit.SECONDS);
        assertThat(reason).isInstanceOf(ProtocolException.class).hasMessageContaining("malformed position message");
        assertThat(connection.isOpen()).isFalse();
        List<IncomingMessage> delivered = new ArrayList<>();
        recorder.messages.drainTo(delivered);
        assertThat(delivered).as("the unknown message was skipped over, nothing after the bad frame delivered")
                .containsExactly(new IncomingMessage.NextValidId(1), new IncomingMessage.Unknown(1));
        assertThat(peer.lastSession().clientGone.await(5, TimeUnit.SECONDS)).isTrue();
        assertThatThrownBy(() -> connection.send(RequestEncoder.reqCurrentTime())).isInstanceOf(IOException.class);
    }

    @Test
    void gatewayDropIsReportedOnceAsEndOfStream() throws Exception {
        peer = new FakeTwsPeer(178, (fields, session) -> {
            if (fields.get(0).equals("71")) {
                session.send(new IncomingMessage.NextValidId(1));
            } else {
                session.drop();
            }
        });
        Recorder recorder = new Recorder();
        connection = TwsConnection.connect("127.0.0.1", peer.port(), CLIENT_ID, CONNECT_TIMEOUT, recorder);

        connection.send(RequestEncoder.reqCurrentTime());

        assertThat(recorder.closed.get(5, TimeUnit.SECONDS)).isInstanceOf(EOFException.class);
        connection.close();
        assertThat(recorder.closeCalls).hasValue(1);
    }

    @Test
    void closeIsCleanAndReportedOnceWithoutReason() throws Exception {
        peer = new FakeTwsPeer(178, TwsConnectionTest::standardStart);
        Recorder recorder = new Recorder();
        connection = TwsConnection.connect("127.0.0.1", peer.port(), CLIENT_ID, CONNECT_TIMEOUT, recorder);

        connection.close();
        connection.close();

        assertThat(recorder.closed).isCompletedWithValue(null);
        assertThat(recorder.closeCalls).hasValue(1);
        assertThat(peer.lastSession().clientGone.await(5, TimeUnit.SECONDS)).isTrue();
    }
}

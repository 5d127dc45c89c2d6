package io.positionsync.ibkr;

import io.positionsync.sync.BrokerExecution;
import io.positionsync.sync.BrokerPosition;
import io.positionsync.sync.BrokerSnapshot;
import io.positionsync.sync.ExchangeRate;
import io.positionsync.ibkr.wire.FieldWriter;
import io.positionsync.sync.PortfolioValue;
import io.positionsync.sync.UnmanagedRows;

import static io.positionsync.ibkr.IncomingMessageEncoder.Samples.commission;
import static io.positionsync.ibkr.IncomingMessageEncoder.Samples.execution;
import static io.positionsync.ibkr.IncomingMessageEncoder.Samples.portfolio;
import static io.positionsync.ibkr.IncomingMessageEncoder.Samples.position;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The snapshot exchange against a small scripted peer. The full client-against-simulator suite lives
 * with the simulator; these pin the exchange order, completeness rules, state and backoff.
 */
class TwsBrokerGatewayTest {
    private static final Instant T0 = Instant.parse("2026-11-24T12:00:00Z");
    private static final Instant FILL1 = Instant.parse("2026-11-24T14:30:05Z");
    private static final Instant FILL2 = Instant.parse("2026-11-24T15:00:00Z");
    private static final long SERVER_TIME = 1_795_000_000L;

    private final MutableClock clock = new MutableClock(T0);
    private FakeTwsPeer peer;
    private TwsBrokerGateway gateway;

    @AfterEach
    void tearDown() throws IOException {
        if (gateway != null) {
            gateway.close();
        }
        if (peer != null) {
            peer.close();
        }
    }

    /**
     * A two-account book answered the way a gateway answers. {@code overrides} replace the standard
     * answer to a request id while present. Commission reports in {@code lateCommissions} are only sent
     * right before the answer to a {@code reqCurrentTime} that follows {@code reqExecutions}; without
     * any, every reported execution gets its report right after {@code execDetailsEnd}.
     */
    static final class Book implements FakeTwsPeer.Script {
        boolean accountsOnStart = true;
        final Map<String, FakeTwsPeer.Script> overrides = new ConcurrentHashMap<>();
        final List<IncomingMessage.CommissionReport> lateCommissions = new CopyOnWriteArrayList<>();
        private final ConcurrentLinkedQueue<IncomingMessage> pendingLate = new ConcurrentLinkedQueue<>();

        @Override
        public void onRequest(List<String> fields, FakeTwsPeer.Session session) throws IOException {
            FakeTwsPeer.Script override = overrides.get(fields.get(0));
            if (override != null) {
                override.onRequest(fields, session);
                return;
            }
            standard(fields, session);
        }

        void standard(List<String> fields, FakeTwsPeer.Session session) throws IOException {
            switch (fields.get(0)) {
                case "71":
                    if (accountsOnStart) {
                        session.send(new IncomingMessage.ManagedAccounts(List.of("DU111", "DU222")));
                    }
                    session.send(new IncomingMessage.ErrorMessage(-1, 2104, "Market data farm connection is OK:usfarm", ""),
                            new IncomingMessage.NextValidId(1));
                    break;
                case "17":
                    session.send(new IncomingMessage.ManagedAccounts(List.of("DU111", "DU222")));
                    break;
                case "49":
                    List<IncomingMessage> out = new ArrayList<>();
                    for (IncomingMessage late; (late = pendingLate.poll()) != null; ) {
                        out.add(late);
                    }
                    out.add(new IncomingMessage.CurrentTime(SERVER_TIME));
                    session.send(out.toArray(IncomingMessage[]::new));
                    break;
                case "61":
                    session.send(position("DU111", 265598, "AAPL", "100", "150.01"),
                            position("DU222", 12087792, "XYZ", "-30", "20.02"),
                            position("DU111", 8314, "IBM", "0", "0"),
                            new IncomingMessage.PositionEnd());
                    break;
                case "6":
                    if (fields.get(2).equals("1")) {
                        String account = fields.get(3);
                        IncomingMessage value = account.equals("DU111")
                                ? portfolio("DU111", 265598, "AAPL", "100", "160.5")
                                : portfolio("DU222", 12087792, "XYZ", "-30", "18");
                        session.send(new IncomingMessage.UpdateAccountValue("NetLiquidation", "100000", "USD", account),
                                value, new IncomingMessage.UpdateAccountTime("14:31"),
                                new IncomingMessage.AccountDownloadEnd(account));
                    }
                    break;
                case "7":
                    int reqId = Integer.parseInt(fields.get(2));
                    session.send(
                            execution(reqId, "a.01", "DU111", 265598, "AAPL", "BOT", "100", "150", FILL1, false),
                            commission("a.01", "1.00", null),
                            execution(reqId, "b.01", "DU222", 12087792, "XYZ", "BOT", "20", "18", FILL2, false),
                            execution(reqId, "b.01", "DU222", 12087792, "XYZ", "BOT", "20", "18", FILL2, false),
                            execution(reqId, "c.01", "DU111", 265598, "AAPL", "SLD", "10", "161", FILL2, false),
                            execution(reqId, "c.02", "DU111", 265598, "AAPL", "SLD", "10", "160.9", FILL2, false),
                            execution(99, "other.01", "DU111", 265598, "AAPL", "SLD", "1", "1", FILL2, false),
                            new IncomingMessage.ExecDetailsEnd(reqId));
                    if (lateCommissions.isEmpty()) {
                        session.send(commission("b.01", "0.40", null), commission("c.02", "0.10", "108.9"));
                    }
                    pendingLate.addAll(lateCommissions);
                    break;
                default:
                    break;
            }
        }
    }

    private TwsGatewayConfig config(int port, Duration requestTimeout) {
        return new TwsGatewayConfig("127.0.0.1", port, 17, Duration.ofSeconds(5), requestTimeout, Duration.ofSeconds(1),
                Duration.ofSeconds(8));
    }

    private TwsBrokerGateway gatewayFor(Book book, Duration requestTimeout) throws IOException {
        peer = new FakeTwsPeer(178, book);
        gateway = new TwsBrokerGateway(config(peer.port(), requestTimeout), clock);
        return gateway;
    }

    private List<List<String>> requestsAfterStartApi() {
        List<List<String>> all = new ArrayList<>();
        peer.requests.drainTo(all);
        all.removeIf(fields -> fields.get(0).equals("71"));
        return all;
    }

    @Test
    void completeSnapshotOnOneConnection() throws Exception {
        Book book = new Book();
        book.lateCommissions.add(commission("b.01", "0.40", null));
        book.lateCommissions.add(commission("c.02", "0.10", "108.9"));
        gatewayFor(book, Duration.ofSeconds(5));

        BrokerSnapshot snapshot = gateway.snapshot();

        assertThat(snapshot.complete()).as(snapshot.incompleteReason()).isTrue();
        assertThat(snapshot.serverVersion()).isEqualTo(178);
        assertThat(snapshot.serverTime()).isEqualTo(Instant.ofEpochSecond(SERVER_TIME));
        assertThat(snapshot.takenAt()).isEqualTo(T0);
        assertThat(snapshot.accounts()).containsExactly("DU111", "DU222");
        assertThat(snapshot.positions()).extracting(BrokerPosition::account, BrokerPosition::conId, BrokerPosition::position)
                .containsExactly(tuple("DU111", 265598L, new BigDecimal("100")), tuple("DU222", 12087792L, new BigDecimal("-30")),
                        tuple("DU111", 8314L, new BigDecimal("0")));
        assertThat(snapshot.portfolio()).extracting(PortfolioValue::account, PortfolioValue::marketPrice)
                .containsExactly(tuple("DU111", new BigDecimal("160.5")), tuple("DU222", new BigDecimal("18")));
        assertThat(snapshot.executions())
                .extracting(BrokerExecution::execId, BrokerExecution::price, BrokerExecution::commission)
                .as("deduplicated, corrected, late commissions joined, other requests' fills ignored")
                .containsExactly(tuple("a.01", new BigDecimal("150"), new BigDecimal("1.00")),
                        tuple("b.01", new BigDecimal("18"), new BigDecimal("0.40")),
                        tuple("c.02", new BigDecimal("160.9"), new BigDecimal("0.10")));

        List<List<String>> requests = requestsAfterStartApi();
        String reqId = requests.get(6).get(2);
        // One account subscribed at a time: subscribing DU222 replaces DU111, so only the last is unsubscribed.
        assertThat(requests).containsExactly(
                List.of("49", "1"),
                List.of("61", "1"),
                List.of("64", "1"),
                List.of("6", "2", "1", "DU111"),
                List.of("6", "2", "1", "DU222"),
                List.of("6", "2", "0", "DU222"),
                List.of("7", "3", reqId, "0", "", "", "", "", "", ""),
                List.of("49", "1"));
        assertThat(gateway.state()).isEqualTo(ConnectionState.UP);

        BrokerSnapshot second = gateway.snapshot();
        assertThat(second.complete()).isTrue();
        assertThat(peer.connections()).as("the connection is kept between snapshots").isEqualTo(1);
        assertThat(requestsAfterStartApi().get(6).get(2)).as("a fresh executions reqId").isNotEqualTo(reqId);
    }

    @Test
    void rowsOfAnAccountOutsideManagedAccountsAreLeftOutAndCountedAndTheSnapshotStaysComplete() throws Exception {
        Book book = new Book();
        book.overrides.put("61", (fields, session) -> session.send(position("DU111", 265598, "AAPL", "100", "150.01"),
                position("DU999", 8314, "IBM", "5", "120"), position("DU999", 8314, "IBM", "5", "120"),
                position("DU999", 265598, "AAPL", "7", "150"), new IncomingMessage.PositionEnd()));
        book.overrides.put("6", (fields, session) -> {
            if (fields.get(2).equals("1")) {
                String account = fields.get(3);
                session.send(new IncomingMessage.UpdateAccountValue("ExchangeRate", "1.00", "USD", account),
                        new IncomingMessage.UpdateAccountValue("ExchangeRate", "1.50", "EUR", "DU999"),
                        portfolio(account, 265598, "AAPL", "100", "160.5"),
                        portfolio("DU999", 8314, "IBM", "5", "121"), new IncomingMessage.AccountDownloadEnd(account));
            }
        });
        book.overrides.put("7", (fields, session) -> {
            int reqId = Integer.parseInt(fields.get(2));
            session.send(execution(reqId, "a.01", "DU111", 265598, "AAPL", "BOT", "100", "150", FILL1, false),
                    commission("a.01", "1.00", null),
                    execution(reqId, "z.01", "DU999", 8314, "IBM", "BOT", "5", "120", FILL2, false),
                    execution(reqId, "z.02", "DU999", 8314, "IBM", "BOT", "5", "120.5", FILL2, false),
                    commission("z.02", "1.00", null), new IncomingMessage.ExecDetailsEnd(reqId));
        });
        gatewayFor(book, Duration.ofSeconds(5));

        BrokerSnapshot snapshot = gateway.snapshot();

        assertThat(snapshot.complete()).as(snapshot.incompleteReason()).isTrue();
        assertThat(snapshot.accounts()).containsExactly("DU111", "DU222");
        assertThat(snapshot.positions()).extracting(BrokerPosition::account).containsExactly("DU111");
        assertThat(snapshot.portfolio()).extracting(PortfolioValue::account).containsExactly("DU111", "DU222");
        assertThat(snapshot.executions()).extracting(BrokerExecution::execId).containsExactly("a.01");
        assertThat(snapshot.exchangeRates()).extracting(ExchangeRate::account).doesNotContain("DU999");
        // Distinct rows: a repeated position once, a correction with its original once, the portfolio value
        // sent in both accounts' downloads once.
        assertThat(snapshot.unmanaged().byAccount())
                .containsExactly(Map.entry("DU999", new UnmanagedRows.Counts(2, 1, 1)));
        assertThat(snapshot.unmanaged().toString()).isEqualTo("DU999: 2 positions, 1 portfolio value, 1 execution");
        assertThat(gateway.warnedUnmanagedAccounts()).containsExactly("DU999");
        assertThat(peer.connections()).as("the connection is kept").isEqualTo(1);
    }

    @Test
    void aRowOfAnUnknownAccountBeforeTheManagedAccountsAreKnownEndsTheSnapshotIncomplete() throws Exception {
        Book book = new Book();
        book.accountsOnStart = false;
        book.overrides.put("17", (fields, session) -> session.send(position("DU999", 8314, "IBM", "5", "120"),
                new IncomingMessage.ManagedAccounts(List.of("DU111", "DU222"))));
        gatewayFor(book, Duration.ofSeconds(5));

        BrokerSnapshot snapshot = gateway.snapshot();

        assertThat(snapshot.complete()).isFalse();
        assertThat(snapshot.incompleteReason()).isEqualTo("position of conId 8314 of account 'DU999' arrived before "
                + "the managed accounts were known");
    }

    @Test
    void managedAccountsAreRequestedWhenTheHandshakeDidNotBringThem() throws Exception {
        Book book = new Book();
        book.accountsOnStart = false;
        gatewayFor(book, Duration.ofSeconds(5));

        BrokerSnapshot snapshot = gateway.snapshot();

        assertThat(snapshot.complete()).as(snapshot.incompleteReason()).isTrue();
        assertThat(snapshot.accounts()).containsExactly("DU111", "DU222");
        assertThat(requestsAfterStartApi().get(0)).containsExactly("17", "1");
    }

    @Test
    void missingPositionEndMakesTheSnapshotIncompleteAndTheConnectionIsRenewed() throws Exception {
        Book book = new Book();
        book.overrides.put("61", (fields, session) -> session.send(position("DU111", 265598, "AAPL", "100", "150.01")));
        gatewayFor(book, Duration.ofMillis(300));

        BrokerSnapshot snapshot = gateway.snapshot();

        assertThat(snapshot.complete()).isFalse();
        assertThat(snapshot.incompleteReason()).isEqualTo("positionEnd not received within 300 ms");
        assertThat(gateway.state()).isEqualTo(ConnectionState.DOWN);
        assertThat(peer.lastSession().clientGone.await(5, TimeUnit.SECONDS)).isTrue();

        book.overrides.clear();
        assertThat(gateway.snapshot().complete()).isTrue();
        assertThat(peer.connections()).isEqualTo(2);
    }

    @Test
    void missingAccountDownloadEndNamesTheAccount() throws Exception {
        Book book = new Book();
        book.overrides.put("6", (fields, session) -> {
            if (!fields.get(3).equals("DU222")) {
                book.standard(fields, session);
            }
        });
        gatewayFor(book, Duration.ofMillis(300));

        assertThat(gateway.snapshot().incompleteReason()).isEqualTo("accountDownloadEnd for DU222 not received within 300 ms");
    }

    @Test
    void error1100DuringTheSnapshotMakesItIncompleteAndTheStateDegraded() throws Exception {
        Book book = new Book();
        book.overrides.put("6", (fields, session) -> {
            if (fields.get(2).equals("1") && fields.get(3).equals("DU222")) {
                session.send(new IncomingMessage.ErrorMessage(-1, 1100, "Connectivity between IB and TWS has been lost.", ""));
            }
            book.standard(fields, session);
        });
        gatewayFor(book, Duration.ofSeconds(5));

        BrokerSnapshot snapshot = gateway.snapshot();

        assertThat(snapshot.complete()).isFalse();
        assertThat(snapshot.incompleteReason()).isEqualTo("error 1100 (connectivity lost) during snapshot");
        assertThat(gateway.state()).isEqualTo(ConnectionState.DEGRADED);
        assertThat(peer.connections()).isEqualTo(1);

        book.overrides.clear();
        requestsAfterStartApi();
        BrokerSnapshot whileDegraded = gateway.snapshot();
        assertThat(whileDegraded.complete()).isFalse();
        assertThat(whileDegraded.incompleteReason()).contains("no connectivity to IB");
        assertThat(requestsAfterStartApi()).as("nothing asked of a gateway that lost IB").isEmpty();

        peer.lastSession().send(new IncomingMessage.ErrorMessage(-1, 1102,
                "Connectivity between IB and TWS has been restored - data maintained.", ""));
        await().atMost(Duration.ofSeconds(5)).until(() -> gateway.state() == ConnectionState.UP);
        assertThat(gateway.snapshot().complete()).isTrue();
    }

    @Test
    void dropDuringAccountUpdatesIsReportedWithThePhase() throws Exception {
        Book book = new Book();
        book.overrides.put("6", (fields, session) -> {
            if (fields.get(3).equals("DU222")) {
                session.drop();
            } else {
                book.standard(fields, session);
            }
        });
        gatewayFor(book, Duration.ofSeconds(5));

        BrokerSnapshot snapshot = gateway.snapshot();

        assertThat(snapshot.complete()).isFalse();
        assertThat(snapshot.incompleteReason()).startsWith("connection lost during account updates for DU222");
        assertThat(gateway.state()).isEqualTo(ConnectionState.DOWN);
    }

    @Test
    void malformedFrameMakesTheSnapshotIncomplete() throws Exception {
        Book book = new Book();
        book.overrides.put("61", (fields, session) ->
                session.sendRaw(new FieldWriter().add("61").add("3").add("DU111").add("x").frame()));
        gatewayFor(book, Duration.ofSeconds(5));

        BrokerSnapshot snapshot = gateway.snapshot();

        assertThat(snapshot.complete()).isFalse();
        assertThat(snapshot.incompleteReason()).startsWith("malformed frame: malformed position message");
        assertThat(gateway.state()).isEqualTo(ConnectionState.DOWN);
    }

    @Test
    void errorOnTheExecutionsRequestMakesTheSnapshotIncomplete() throws Exception {
        Book book = new Book();
        book.overrides.put("7", (fields, session) -> session.send(
                new IncomingMessage.ErrorMessage(Integer.parseInt(fields.get(2)), 321, "Error validating request", "")));
        gatewayFor(book, Duration.ofSeconds(5));

        BrokerSnapshot snapshot = gateway.snapshot();

        assertThat(snapshot.incompleteReason()).isEqualTo("error 321 on the executions request: Error validating request");
        assertThat(gateway.state()).isEqualTo(ConnectionState.UP);
    }

    @Test
    void socketPortResetClosesTheConnectionAndTheNextSnapshotReconnects() throws Exception {
        gatewayFor(new Book(), Duration.ofSeconds(5));
        assertThat(gateway.snapshot().complete()).isTrue();

        peer.lastSession().send(new IncomingMessage.ErrorMessage(-1, 1300, "TWS socket port has been reset", ""));

        await().atMost(Duration.ofSeconds(5)).until(() -> gateway.state() == ConnectionState.DOWN);
        assertThat(gateway.status().detail()).contains("1300");
        assertThat(gateway.snapshot().complete()).isTrue();
        assertThat(peer.connections()).isEqualTo(2);
    }

    @Test
    void clientIdInUseFailsAndTheBackoffHoldsTheNextAttempt() throws Exception {
        Book book = new Book();
        book.overrides.put("71", (fields, session) -> {
            session.send(new IncomingMessage.ErrorMessage(-1, 326,
                    "Unable to connect as the client id is already in use. Retry with a unique client id.", ""));
            session.drop();
        });
        gatewayFor(book, Duration.ofSeconds(5));

        assertThatThrownBy(gateway::snapshot)
                .isInstanceOfSatisfying(BrokerException.class, e -> assertThat(e.errorCode()).isEqualTo(326))
                .hasMessageContaining("clientId 17 is already in use");
        assertThat(gateway.status().state()).isEqualTo(ConnectionState.DOWN);
        assertThat(gateway.status().nextAttemptAt()).isEqualTo(T0.plusSeconds(1));

        clock.advance(Duration.ofMillis(999));
        assertThatThrownBy(gateway::snapshot)
                .isInstanceOfSatisfying(BrokerException.class, e -> assertThat(e.errorCode()).isEqualTo(326))
                .hasMessageContaining("not reconnecting to 127.0.0.1:" + peer.port() + " before 2026-11-24T12:00:01Z (in 1 ms");
        assertThat(peer.connections()).as("no attempt inside the backoff window").isEqualTo(1);

        clock.advance(Duration.ofMillis(1));
        assertThatThrownBy(gateway::snapshot).isInstanceOf(BrokerException.class);
        assertThat(peer.connections()).isEqualTo(2);
        assertThat(gateway.status().nextAttemptAt()).as("doubled").isEqualTo(T0.plusSeconds(1 + 2));

        book.overrides.clear();
        clock.advance(Duration.ofSeconds(2));
        assertThat(gateway.snapshot().complete()).isTrue();
        assertThat(gateway.status().nextAttemptAt()).isNull();
    }

    @Test
    void refusedConnectIsABrokerExceptionAndStateDown() throws Exception {
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = probe.getLocalPort();
        }
        gateway = new TwsBrokerGateway(config(closedPort, Duration.ofSeconds(1)), clock);
        List<ConnectionStatus> seen = new CopyOnWriteArrayList<>();
        gateway.addStatusListener(seen::add);

        assertThatThrownBy(gateway::snapshot)
                .isInstanceOfSatisfying(BrokerException.class, e -> assertThat(e.errorCode()).isEqualTo(502))
                .hasMessageContaining("could not connect");
        assertThat(gateway.state()).isEqualTo(ConnectionState.DOWN);
        assertThat(seen).extracting(ConnectionStatus::state).containsExactly(ConnectionState.CONNECTING, ConnectionState.DOWN);
        assertThat(seen.get(1).detail()).contains("could not connect");
    }

    @Test
    void connectWithoutSnapshotBringsTheStateUpOnce() throws Exception {
        gatewayFor(new Book(), Duration.ofSeconds(5));

        gateway.connect();
        gateway.connect();

        assertThat(gateway.state()).isEqualTo(ConnectionState.UP);
        assertThat(gateway.status().detail()).contains("server version 178");
        assertThat(peer.connections()).isEqualTo(1);
        assertThat(gateway.snapshot().complete()).isTrue();
        assertThat(peer.connections()).isEqualTo(1);
    }

    @Test
    void statusListenerSeesConnectingThenUpWithTheirTimes() throws Exception {
        gatewayFor(new Book(), Duration.ofSeconds(5));
        List<ConnectionStatus> seen = new CopyOnWriteArrayList<>();
        gateway.addStatusListener(seen::add);
        assertThat(gateway.state()).isEqualTo(ConnectionState.DOWN);

        clock.advance(Duration.ofSeconds(3));
        gateway.snapshot();

        assertThat(seen).extracting(ConnectionStatus::state).containsExactly(ConnectionState.CONNECTING, ConnectionState.UP);
        assertThat(gateway.stateSince()).isEqualTo(T0.plusSeconds(3));

        gateway.close();
        assertThat(gateway.state()).isEqualTo(ConnectionState.DOWN);
        assertThatThrownBy(gateway::snapshot).isInstanceOf(BrokerException.class).hasMessageContaining("closed");
    }
}

package io.positionsync.ibkr;

import io.positionsync.sync.BrokerSnapshot;
import io.positionsync.boot.GroupSummary;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.positionsync.boot.GroupSummary;

/**
 * A hostile or broken gateway (a scripted peer on loopback) against the real client: every way it can
 * try to exhaust memory, pin a CPU or smuggle in data ends the snapshot incomplete, with the reason, in
 * bounded time; the connection is dropped and the next snapshot starts clean.
 */
class HostileGatewayTest {
    @RegisterExtension
    static final GroupSummary SUMMARY = new GroupSummary("hostile gateway");
    private static final Duration LONG_DEADLINE = Duration.ofSeconds(30);

    private FakeTwsPeer peer;
    private TwsBrokerGateway gateway;
    private final ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void tearDown() throws IOException {
        later.shutdownNow();
        if (gateway != null) {
            gateway.close();
        }
        if (peer != null) {
            peer.close();
        }
    }

    private TwsBrokerGateway gatewayFor(TwsBrokerGatewayTest.Book book, Duration deadline, SnapshotLimits limits)
            throws IOException {
        peer = new FakeTwsPeer(178, book);
        gateway = new TwsBrokerGateway(new TwsGatewayConfig("127.0.0.1", peer.port(), 17, Duration.ofSeconds(5), deadline,
                Duration.ofMillis(100), Duration.ofMillis(200)), limits, java.time.Clock.systemUTC());
        return gateway;
    }

    /** Sends frames in batches until the client hangs up (or {@code max} frames). */
    private static void flood(FakeTwsPeer.Session session, int max, java.util.function.IntFunction<byte[]> frame) {
        try {
            ByteArrayOutputStream batch = new ByteArrayOutputStream();
            for (int i = 0; i < max; i++) {
                batch.writeBytes(frame.apply(i));
                if (batch.size() > 64 * 1024) {
                    session.sendRaw(batch.toByteArray());
                    batch.reset();
                }
            }
            session.sendRaw(batch.toByteArray());
        } catch (IOException e) {
            // the client hung up: what the bound is for
        }
    }

    /** Takes a snapshot that must be incomplete within {@code bound}; then checks the next one is clean. */
    private BrokerSnapshot incompleteWithin(TwsBrokerGatewayTest.Book book, Duration bound) throws Exception {
        long started = System.nanoTime();
        BrokerSnapshot snapshot = gateway.snapshot();
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(snapshot.complete()).as("snapshot from a hostile gateway").isFalse();
        assertThat(took).as("time to give up").isLessThan(bound);
        assertThat(peer.lastSession().clientGone.await(5, TimeUnit.SECONDS)).as("connection dropped").isTrue();
        book.overrides.clear();
        BrokerSnapshot next = gateway.snapshot();
        assertThat(next.complete()).as("the next snapshot on a fresh connection").isTrue();
        return snapshot;
    }

    @Test
    void aFloodOfDistinctPositionsWithoutPositionEndStopsAtTheRecordLimit() throws Exception {
        SUMMARY.begin(1);
        TwsBrokerGatewayTest.Book book = new TwsBrokerGatewayTest.Book();
        book.overrides.put("61", (fields, session) -> flood(session, 2_000_000,
                i -> HostileFrames.position("DU111", 1_000_000L + i, "1", "10")));
        gatewayFor(book, LONG_DEADLINE, new SnapshotLimits(10_000_000, 5_000, Long.MAX_VALUE));

        BrokerSnapshot snapshot = incompleteWithin(book, LONG_DEADLINE);

        assertThat(snapshot.incompleteReason()).isEqualTo("more than 5000 distinct positions in one snapshot "
                + "(limit psync.ibkr.max-snapshot-positions) during positions");
        assertThat(snapshot.positions()).hasSizeLessThanOrEqualTo(5_001);
        SUMMARY.held();
    }

    @Test
    void theSamePositionRepeatedForEverStopsAtTheMessageLimit() throws Exception {
        SUMMARY.begin(1);
        TwsBrokerGatewayTest.Book book = new TwsBrokerGatewayTest.Book();
        book.overrides.put("61", (fields, session) -> flood(session, 2_000_000,
                i -> HostileFrames.position("DU111", 265598, Integer.toString(i % 7), "10")));
        gatewayFor(book, LONG_DEADLINE, new SnapshotLimits(20_000, 100_000, Long.MAX_VALUE));

        BrokerSnapshot snapshot = incompleteWithin(book, LONG_DEADLINE);

        assertThat(snapshot.incompleteReason()).isEqualTo("more than 20000 messages in one snapshot "
                + "(limit psync.ibkr.max-snapshot-messages) during positions");
        SUMMARY.held();
    }

    @Test
    void bulkyFramesStopAtTheByteLimit() throws Exception {
        SUMMARY.begin(1);
        TwsBrokerGatewayTest.Book book = new TwsBrokerGatewayTest.Book();
        book.overrides.put("61", (fields, session) -> flood(session, 10_000,
                i -> HostileFrames.bulkyAccountValue("DU111", 200_000)));
        gatewayFor(book, LONG_DEADLINE, new SnapshotLimits(1_000_000, 100_000, 4_000_000));

        BrokerSnapshot snapshot = incompleteWithin(book, LONG_DEADLINE);

        assertThat(snapshot.incompleteReason()).isEqualTo("more than 4000000 bytes in one snapshot "
                + "(limit psync.ibkr.max-snapshot-bytes) during positions");
        SUMMARY.held();
    }

    @Test
    void anAverageCostWithAHugeNegativeExponentEndsTheSnapshotAtOnce() throws Exception {
        SUMMARY.begin(1);
        TwsBrokerGatewayTest.Book book = new TwsBrokerGatewayTest.Book();
        book.overrides.put("61", (fields, session) -> {
            session.sendRaw(HostileFrames.position("DU111", 265598, "100", "1e-99999999"));
            session.send(new IncomingMessage.PositionEnd());
        });
        gatewayFor(book, LONG_DEADLINE, SnapshotLimits.DEFAULTS);

        BrokerSnapshot snapshot = incompleteWithin(book, Duration.ofSeconds(5));

        assertThat(snapshot.incompleteReason())
                .isEqualTo("malformed frame: malformed position message: decimal field out of bounds: more than 30 decimal places ('1e-99999999')");
        SUMMARY.held();
    }

    @Test
    void aQuantityOfOneE299EndsTheSnapshot() throws Exception {
        SUMMARY.begin(1);
        TwsBrokerGatewayTest.Book book = new TwsBrokerGatewayTest.Book();
        book.overrides.put("61", (fields, session) -> {
            session.sendRaw(HostileFrames.position("DU111", 265598, "1E+299", "150"));
            session.send(new IncomingMessage.PositionEnd());
        });
        gatewayFor(book, LONG_DEADLINE, SnapshotLimits.DEFAULTS);

        BrokerSnapshot snapshot = incompleteWithin(book, Duration.ofSeconds(5));

        assertThat(snapshot.incompleteReason())
                .isEqualTo("malformed frame: malformed position message: decimal field out of bounds: magnitude at least 1000000000000000 ('1E+299')");
        assertThat(snapshot.positions()).isEmpty();
        SUMMARY.held();
    }

    @Test
    void aFloodOfDistinctRowsOfUnmanagedAccountsStopsAtTheRecordLimit() throws Exception {
        SUMMARY.begin(1);
        TwsBrokerGatewayTest.Book book = new TwsBrokerGatewayTest.Book();
        // Rows of accounts outside managedAccounts are left out, not kept, but counted against the same bound.
        book.overrides.put("61", (fields, session) -> flood(session, 2_000_000,
                i -> HostileFrames.position("DU9" + (i % 1000), 1_000_000L + i, "1", "10")));
        gatewayFor(book, LONG_DEADLINE, new SnapshotLimits(10_000_000, 5_000, Long.MAX_VALUE));

        BrokerSnapshot snapshot = incompleteWithin(book, LONG_DEADLINE);

        assertThat(snapshot.incompleteReason()).isEqualTo("more than 5000 distinct rows of unmanaged accounts in one "
                + "snapshot (limit psync.ibkr.max-snapshot-positions) during positions");
        assertThat(snapshot.positions()).isEmpty();
        assertThat(snapshot.unmanaged().total()).isEqualTo(5_001);
        SUMMARY.held();
    }

    @Test
    void slowAccountsShareOneDeadlineForTheWholeSnapshot() throws Exception {
        SUMMARY.begin(2);
        TwsBrokerGatewayTest.Book book = new TwsBrokerGatewayTest.Book();
        // Each account answers well inside the timeout; both together do not.
        book.overrides.put("6", (fields, session) -> later.schedule(() -> {
            try {
                book.standard(fields, session);
            } catch (IOException e) {
                // the client gave up
            }
        }, 700, TimeUnit.MILLISECONDS));
        Duration timeout = Duration.ofMillis(1_000);
        gatewayFor(book, timeout, SnapshotLimits.DEFAULTS);

        BrokerSnapshot snapshot = incompleteWithin(book, Duration.ofMillis(1_000 + 700));

        assertThat(snapshot.incompleteReason()).isEqualTo("accountDownloadEnd for DU222 not received within 1000 ms");
        SUMMARY.held();
    }
}

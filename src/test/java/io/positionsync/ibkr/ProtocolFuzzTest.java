package io.positionsync.ibkr;

import io.positionsync.ibkr.wire.FieldWriter;
import io.positionsync.ibkr.wire.FrameDecoder;
import io.positionsync.ibkr.wire.ProtocolException;

import io.positionsync.sync.BrokerSnapshot;
import io.positionsync.boot.GroupSummary;

import static io.positionsync.ibkr.IncomingMessageEncoder.Samples.commission;
import static io.positionsync.ibkr.IncomingMessageEncoder.Samples.execution;
import static io.positionsync.ibkr.IncomingMessageEncoder.Samples.portfolio;
import static io.positionsync.ibkr.IncomingMessageEncoder.Samples.position;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.positionsync.boot.GroupSummary;

/**
 * Seeded protocol fuzzing: valid frames of every message the client reads, mutated (bytes flipped, cut,
 * repeated, fields replaced by hostile texts, lengths lied about) and purely random frames, through the
 * frame decoder, the message decoder and the snapshot assembler, and over a real socket into the gateway.
 * The only failure allowed is a {@link ProtocolException} (which, on a connection, makes the snapshot
 * incomplete); every frame is handled in bounded time.
 *
 * <p>{@code -Dpsync.fuzz.frames=N} (default 10 000) sets how many frames the in-process part tries;
 * {@code -Dpsync.fuzz.seed=S} replays a run (the seed is printed).
 */
class ProtocolFuzzTest {
    @RegisterExtension
    static final GroupSummary SUMMARY = new GroupSummary("protocol fuzzing");
    private static final int FRAMES = Integer.getInteger("psync.fuzz.frames", 10_000);
    private static final long SEED = Long.getLong("psync.fuzz.seed", 20_261_130L);
    /** Generous: a frame is decoded in microseconds; out-of-bounds arithmetic would take minutes. */
    private static final Duration PER_FRAME_BOUND = Duration.ofSeconds(2);
    private static final String[] HOSTILE_FIELDS = {"", "-", "+", ".", "1e-99999999", "1E+299", "-1E+299", "0E-2147483647",
        "1e2147483647", "NaN", "Infinity", "-0", "1.7976931348623157E308", "170141183460469231731687303715884105727",
        "2147483648", "-2147483649", "9223372036854775808", "9".repeat(200), "0." + "0".repeat(60) + "1", " 12 ",
        "12abc", "\u00ff\u00fe", "DU999", "20261124 25:61:61", "20261124-99:99:99", "１２３"};

    private static List<byte[]> corpus(int version) {
        Instant fill = Instant.parse("2026-11-24T14:30:05Z");
        List<IncomingMessage> messages = List.of(
                new IncomingMessage.ErrorMessage(-1, 2104, "Market data farm connection is OK:usfarm", ""),
                new IncomingMessage.ErrorMessage(7, 1100, "Connectivity between IB and TWS has been lost.", ""),
                new IncomingMessage.NextValidId(1), new IncomingMessage.ManagedAccounts(List.of("DU111", "DU222")),
                new IncomingMessage.CurrentTime(1_795_000_000L), position("DU111", 265598, "AAPL", "100", "150.01"),
                new IncomingMessage.PositionEnd(), new IncomingMessage.UpdateAccountValue("NetLiquidation", "100000", "USD", "DU111"),
                portfolio("DU111", 265598, "AAPL", "100", "160.5"), new IncomingMessage.UpdateAccountTime("14:31"),
                new IncomingMessage.AccountDownloadEnd("DU111"),
                execution(3, "a.01", "DU111", 265598, "AAPL", "BOT", "100", "150", fill, false),
                new IncomingMessage.ExecDetailsEnd(3), commission("a.01", "1.00", "12.5"));
        List<byte[]> payloads = new ArrayList<>();
        for (IncomingMessage message : messages) {
            payloads.add(IncomingMessageEncoder.payload(message, version));
        }
        return payloads;
    }

    /** One mutated or random payload. */
    static byte[] mutate(Random random, List<byte[]> corpus) {
        if (random.nextInt(10) == 0) {
            byte[] junk = new byte[random.nextInt(300)];
            random.nextBytes(junk);
            return junk;
        }
        byte[] base = corpus.get(random.nextInt(corpus.size())).clone();
        int mutations = 1 + random.nextInt(3);
        for (int m = 0; m < mutations; m++) {
            base = switch (random.nextInt(6)) {
                case 0 -> flip(random, base);
                case 1 -> cut(random, base);
                case 2 -> repeat(random, base);
                default -> replaceField(random, base);
            };
        }
        return base;
    }

    private static byte[] flip(Random random, byte[] payload) {
        if (payload.length > 0) {
            payload[random.nextInt(payload.length)] = (byte) random.nextInt(256);
        }
        return payload;
    }

    private static byte[] cut(Random random, byte[] payload) {
        return java.util.Arrays.copyOf(payload, payload.length == 0 ? 0 : random.nextInt(payload.length));
    }

    private static byte[] repeat(Random random, byte[] payload) {
        if (payload.length == 0) {
            return payload;
        }
        int from = random.nextInt(payload.length);
        int to = from + random.nextInt(payload.length - from);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(payload, 0, to);
        out.write(payload, from, to - from);
        out.write(payload, from, payload.length - from);
        return out.toByteArray();
    }

    private static byte[] replaceField(Random random, byte[] payload) {
        String[] fields = new String(payload, StandardCharsets.ISO_8859_1).split("\0", -1);
        if (fields.length < 2) {
            return payload;
        }
        // keep the message id (field 0) most of the time so the decoder gets deep into the layout
        int index = random.nextInt(4) == 0 ? 0 : 1 + random.nextInt(fields.length - 1);
        String hostile = HOSTILE_FIELDS[random.nextInt(HOSTILE_FIELDS.length)];
        fields[index] = new String(hostile.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        return String.join("\0", fields).getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void mutatedAndRandomFramesOnlyEverRaiseProtocolExceptionsInBoundedTime() {
        SUMMARY.begin(0);
        Random random = new Random(SEED);
        System.out.println("protocol fuzzing: seed " + SEED + ", " + FRAMES + " frames (-Dpsync.fuzz.seed / -Dpsync.fuzz.frames)");
        List<List<byte[]>> corpora = List.of(corpus(157), corpus(178));
        int[] versions = {157, 178};
        List<String> violations = new ArrayList<>();
        int rejected = 0;
        FrameDecoder frames = new FrameDecoder(1 << 20);
        for (int i = 0; i < FRAMES; i++) {
            int v = random.nextInt(2);
            byte[] payload = mutate(random, corpora.get(v));
            long started = System.nanoTime();
            try {
                SnapshotAssembler assembler = new SnapshotAssembler();
                // through the frame decoder, in random chunks, sometimes with a length that lies
                byte[] framed = FieldWriter.frame(payload);
                if (random.nextInt(20) == 0) {
                    framed[random.nextInt(4)] = (byte) random.nextInt(256);
                    frames = new FrameDecoder(1 << 20);
                }
                List<byte[]> whole = new ArrayList<>();
                for (int at = 0; at < framed.length; ) {
                    int n = Math.min(framed.length - at, 1 + random.nextInt(64));
                    whole.addAll(frames.feed(framed, at, n));
                    at += n;
                }
                for (byte[] one : whole) {
                    assembler.add(MessageDecoder.decode(one, versions[v]));
                }
                assembler.complete(versions[v], Instant.EPOCH, Instant.EPOCH, List.of("DU111"));
            } catch (ProtocolException e) {
                rejected++;
                frames = new FrameDecoder(1 << 20);
            } catch (RuntimeException | Error e) {
                violations.add("frame " + i + " (" + hex(payload) + "): " + e);
                frames = new FrameDecoder(1 << 20);
            }
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            if (took.compareTo(PER_FRAME_BOUND) > 0) {
                violations.add("frame " + i + " took " + took.toMillis() + " ms (" + hex(payload) + ")");
            }
        }
        SUMMARY.injected(FRAMES);
        assertThat(violations).as("exceptions other than ProtocolException, or slow frames").isEmpty();
        assertThat(rejected).as("the fuzzer reaches the rejections at all").isGreaterThan(FRAMES / 10);
        SUMMARY.held();
    }

    @Test
    void mutatedFramesOverARealSocketEndInACompleteOrIncompleteSnapshotNeverAnException() throws Exception {
        SUMMARY.begin(0);
        Random random = new Random(SEED + 1);
        List<byte[]> corpus = corpus(178);
        int sessions = 20;
        int perSession = 50;
        TwsBrokerGatewayTest.Book book = new TwsBrokerGatewayTest.Book();
        book.overrides.put("61", (fields, session) -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            synchronized (random) {
                for (int i = 0; i < perSession; i++) {
                    out.writeBytes(FieldWriter.frame(mutate(random, corpus)));
                }
            }
            out.writeBytes(IncomingMessageEncoder.frame(new IncomingMessage.PositionEnd(), 178));
            session.sendRaw(out.toByteArray());
        });
        Duration deadline = Duration.ofSeconds(2);
        try (FakeTwsPeer peer = new FakeTwsPeer(178, book);
                TwsBrokerGateway gateway = new TwsBrokerGateway(new TwsGatewayConfig("127.0.0.1", peer.port(), 17,
                        Duration.ofSeconds(5), deadline, Duration.ofMillis(1), Duration.ofMillis(1)),
                        SnapshotLimits.DEFAULTS, Clock.systemUTC())) {
            int incomplete = 0;
            for (int s = 0; s < sessions; s++) {
                long started = System.nanoTime();
                BrokerSnapshot snapshot = takeSnapshot(gateway);
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(deadline.multipliedBy(3));
                if (!snapshot.complete()) {
                    incomplete++;
                    assertThat(snapshot.incompleteReason()).isNotBlank();
                }
            }
            assertThat(incomplete).as("mutations reach the client").isPositive();
        }
        SUMMARY.injected(sessions * perSession);
        SUMMARY.held();
    }

    /** A snapshot; a reconnect refused by the backoff right after a drop is retried. */
    private static BrokerSnapshot takeSnapshot(TwsBrokerGateway gateway) throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try {
                return gateway.snapshot();
            } catch (BrokerException e) {
                if (System.nanoTime() > until || !e.getMessage().startsWith("not reconnecting")) {
                    throw e;
                }
                Thread.onSpinWait();
            }
        }
    }

    private static String hex(byte[] payload) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < Math.min(payload.length, 120); i++) {
            byte b = payload[i];
            out.append(b >= 0x20 && b < 0x7f ? String.valueOf((char) b) : b == 0 ? "|" : String.format("\\x%02x", b));
        }
        return out.toString();
    }

}

package io.positionsync.ibkr.sim;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.ToLongFunction;

import io.positionsync.ibkr.wire.FrameDecoder;
import io.positionsync.ibkr.IncomingMessage;
import io.positionsync.ibkr.MessageDecoder;
import io.positionsync.ibkr.wire.MessageIds;
import io.positionsync.ibkr.wire.RepeatedTexts;

/**
 * The wire decode rate for the benchmark: {@code position} frames exactly as the simulator writes them (stocks,
 * futures and options mixed, 100 accounts), sent over a loopback socket by another thread and read by this one in
 * two ways, both timed from the first read to the end of the stream:
 * <ul>
 *   <li>raw: the bytes read from the socket into a buffer of the size the client's reader uses
 *   ({@link FrameDecoder#READ_BUFFER_BYTES}), and nothing else: the socket's own limit;</li>
 *   <li>decoded: the same bytes read the way {@link io.positionsync.ibkr.TwsConnection}'s reader does: straight into
 *   a {@link FrameDecoder}, each whole frame decoded in place by {@link MessageDecoder} with the connection's
 *   {@link RepeatedTexts}, every message kept reachable (so none of the decoding can be optimised away) but not
 *   queued or assembled.</li>
 * </ul>
 * The rates are messages per second either way; their ratio is the share of the socket's rate that decoding leaves.
 * {@link #main} also prints the decoder's nanoseconds and bytes allocated per message.
 */
public final class DecodeBench {
    /** The medians of both ways of reading, messages per second. */
    public record Rates(int messages, long bytes, double decodedPerSecond, double rawPerSecond) {
    }

    private static final int SERVER_VERSION = MessageIds.MAX_CLIENT_VERSION;
    private static final int READ_BUFFER = FrameDecoder.READ_BUFFER_BYTES;
    /** Keeps the latest decoded messages reachable, as a reader's queue would. */
    private static final IncomingMessage[] KEPT = new IncomingMessage[1024];

    private DecodeBench() {
    }

    /** {@code messages} position frames, read {@code warmups + runs} times each way; the medians of the runs. */
    public static Rates measure(int messages, int warmups, int runs) throws Exception {
        byte[] wire = positionFrames(messages);
        List<Double> raw = new ArrayList<>();
        List<Double> decoded = new ArrayList<>();
        for (int i = 0; i < warmups + runs; i++) {
            double r = rate(wire, messages, wire.length, DecodeBench::readOnly);
            double d = rate(wire, messages, messages, DecodeBench::readAndDecode);
            if (i >= warmups) {
                raw.add(r);
                decoded.add(d);
            }
        }
        return new Rates(messages, wire.length, median(decoded), median(raw));
    }

    private static byte[] positionFrames(int messages) {
        GatewayMessages writer = new GatewayMessages(SERVER_VERSION, ZoneId.of("UTC"));
        ByteArrayOutputStream out = new ByteArrayOutputStream(messages * 120);
        for (int i = 0; i < messages; i++) {
            long conId = 20_000_000L + i;
            Instrument instrument = switch (i % 10) {
                case 6, 7 -> Instrument.future(conId, "F" + conId, "F" + conId + "Z6", "20261218", "CME",
                        new BigDecimal("50"), new BigDecimal("0.25"));
                case 8, 9 -> Instrument.option(conId, "O" + conId, "O" + conId + " 261218C00100000", "20261218",
                        new BigDecimal("100"), "C", new BigDecimal("100"));
                default -> Instrument.stock(conId, "S" + conId, "NYSE");
            };
            Position position = new Position(String.format("DU%07d", 3_000_000 + i % 100), conId,
                    BigDecimal.valueOf(10 + i % 500), new BigDecimal("123.4567").add(BigDecimal.valueOf(i % 1000, 2)),
                    BigDecimal.ZERO);
            out.writeBytes(writer.position(position, instrument).frame());
        }
        return out.toByteArray();
    }

    /**
     * Serves {@code wire} once on a loopback socket; messages per second as {@code reader} consumes it (it must
     * count {@code expected} of what it counts: bytes or messages).
     */
    private static double rate(byte[] wire, int messages, long expected, ToLongFunction<InputStream> reader)
            throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                try (Socket peer = server.accept(); OutputStream out = peer.getOutputStream()) {
                    out.write(wire);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                long started = System.nanoTime();
                long counted = reader.applyAsLong(socket.getInputStream());
                long nanos = System.nanoTime() - started;
                sent.join();
                if (counted != expected) {
                    throw new IllegalStateException("read " + counted + ", expected " + expected);
                }
                return messages / (nanos / 1e9);
            }
        }
    }

    /** Reads to the end; the bytes read. */
    private static long readOnly(InputStream in) {
        byte[] buffer = new byte[READ_BUFFER];
        long total = 0;
        try {
            int count;
            while ((count = in.read(buffer)) >= 0) {
                total += count;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return total;
    }

    /** Reads to the end, reassembling frames and decoding each into a message; the positions decoded. */
    private static long readAndDecode(InputStream in) {
        FrameDecoder frames = new FrameDecoder();
        RepeatedTexts texts = new RepeatedTexts();
        long[] positions = {0};
        FrameDecoder.FrameHandler<RuntimeException> decode = (buffer, offset, length) -> {
            IncomingMessage message = MessageDecoder.decode(buffer, offset, length, SERVER_VERSION, texts);
            if (message instanceof IncomingMessage.Position) {
                KEPT[(int) (positions[0]++ & (KEPT.length - 1))] = message;
            }
        };
        try {
            while (frames.readFrom(in) >= 0) {
                frames.drain(decode);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return positions[0];
    }

    /**
     * Decoding alone, without the socket: CPU nanoseconds of this thread (so that other load on the machine does
     * not count) and bytes allocated per message of {@code messages} frames decoded from memory ({@code rounds}
     * times, the last round reported), and the bytes per frame.
     */
    static double[] decodeCost(int messages, int rounds) {
        byte[] wire = positionFrames(messages);
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().getId();
        double nanos = 0;
        double bytes = 0;
        for (int round = 0; round < rounds; round++) {
            long allocatedBefore = threads.getThreadAllocatedBytes(thread);
            long started = threads.getCurrentThreadCpuTime();
            long decoded = readAndDecode(new java.io.ByteArrayInputStream(wire));
            long elapsed = threads.getCurrentThreadCpuTime() - started;
            long allocated = threads.getThreadAllocatedBytes(thread) - allocatedBefore;
            if (decoded != messages) {
                throw new IllegalStateException("decoded " + decoded + ", expected " + messages);
            }
            if (round == rounds - 1) {
                nanos = elapsed / (double) messages;
                bytes = allocated / (double) messages;
            }
        }
        return new double[] {nanos, bytes, wire.length / (double) messages};
    }

    /** Prints both rates, their ratio, and the decoder's own cost per message. */
    public static void main(String[] args) throws Exception {
        int messages = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        double[] cost = decodeCost(messages, 10);
        System.out.printf(java.util.Locale.ROOT, "decode from memory: %.1f CPU ns/message, %.0f bytes allocated/message, "
                + "%.1f bytes/frame%n", cost[0], cost[1], cost[2]);
        Rates rates = measure(messages, 2, 5);
        System.out.printf(java.util.Locale.ROOT, "socket: raw %.0f/s (%.1f ns/message), decoded %.0f/s (%.1f ns/message), "
                + "ratio %.3f%n", rates.rawPerSecond(), 1e9 / rates.rawPerSecond(), rates.decodedPerSecond(),
                1e9 / rates.decodedPerSecond(), rates.decodedPerSecond() / rates.rawPerSecond());
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}

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

import io.positionsync.ibkr.FrameDecoder;
import io.positionsync.ibkr.IncomingMessage;
import io.positionsync.ibkr.MessageDecoder;
import io.positionsync.ibkr.MessageIds;

/**
 * The wire decode rate for the benchmark: {@code position} frames exactly as the simulator writes them (stocks,
 * futures and options mixed), sent over a loopback socket and either only read (the socket's own limit) or read,
 * reassembled into frames and decoded into messages the way the gateway client's reader does.
 */
public final class DecodeBench {
    /** The medians of both ways of reading, messages per second. */
    public record Rates(int messages, long bytes, double decodedPerSecond, double rawPerSecond) {
    }

    private static final int SERVER_VERSION = MessageIds.MAX_CLIENT_VERSION;
    private static final int READ_BUFFER = 64 * 1024;

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

    /** Reads to the end, reassembling frames and decoding each into a message. */
    private static long readAndDecode(InputStream in) {
        byte[] buffer = new byte[READ_BUFFER];
        FrameDecoder frames = new FrameDecoder();
        long positions = 0;
        try {
            int count;
            while ((count = in.read(buffer)) >= 0) {
                for (byte[] payload : frames.feed(buffer, 0, count)) {
                    if (MessageDecoder.decode(payload, SERVER_VERSION) instanceof IncomingMessage.Position) {
                        positions++;
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return positions;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}

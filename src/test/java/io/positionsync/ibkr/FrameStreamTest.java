package io.positionsync.ibkr;

import io.positionsync.ibkr.wire.ProtocolException;
import io.positionsync.ibkr.wire.RepeatedTexts;

import io.positionsync.ibkr.wire.FrameDecoder;

import static io.positionsync.ibkr.IncomingMessageEncoder.Samples.commission;
import static io.positionsync.ibkr.IncomingMessageEncoder.Samples.execution;
import static io.positionsync.ibkr.IncomingMessageEncoder.Samples.position;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** Frames reassembled from arbitrary reads, then decoded: the stream path of the reader thread. */
class FrameStreamTest {
    private static final int VERSION = 178;

    private static final List<IncomingMessage> MESSAGES = List.of(
            new IncomingMessage.NextValidId(1),
            new IncomingMessage.ManagedAccounts(List.of("DU111", "DU222")),
            new IncomingMessage.ErrorMessage(-1, 2104, "Market data farm connection is OK:usfarm", null),
            position("DU111", 265598, "AAPL", "100", "150.01"),
            position("DU222", 8314, "IBM", "-0.5", "140"),
            new IncomingMessage.Unknown(1),
            new IncomingMessage.PositionEnd(),
            execution(9, "00a.01", "DU111", 265598, "AAPL", "BOT", "100", "150", Instant.parse("2026-11-24T14:30:05Z"), false),
            commission("00a.01", "1", null),
            new IncomingMessage.ExecDetailsEnd(9));

    private static List<IncomingMessage> feed(FrameDecoder decoder, byte[] data, int offset, int count) {
        List<IncomingMessage> out = new ArrayList<>();
        for (byte[] payload : decoder.feed(data, offset, count)) {
            out.add(MessageDecoder.decode(payload, VERSION));
        }
        return out;
    }

    @Test
    void streamSplitAtEveryByteBoundaryDecodesTheSameMessages() {
        byte[] stream = IncomingMessageEncoder.stream(MESSAGES, VERSION);
        for (int split = 0; split <= stream.length; split++) {
            FrameDecoder decoder = new FrameDecoder();
            List<IncomingMessage> decoded = new ArrayList<>(feed(decoder, stream, 0, split));
            decoded.addAll(feed(decoder, stream, split, stream.length - split));

            assertThat(decoded).as("split at byte %d", split).isEqualTo(MESSAGES);
            assertThat(decoder.pendingBytes()).isZero();
        }
    }

    @Test
    void streamFedOneByteAtATimeDecodesTheSameMessages() {
        byte[] stream = IncomingMessageEncoder.stream(MESSAGES, VERSION);
        FrameDecoder decoder = new FrameDecoder();
        List<IncomingMessage> decoded = new ArrayList<>();
        for (int i = 0; i < stream.length; i++) {
            decoded.addAll(feed(decoder, stream, i, 1));
        }

        assertThat(decoded).isEqualTo(MESSAGES);
    }

    @Test
    void manyFramesInOneRead() {
        List<IncomingMessage> many = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            many.add(position("DU111", 1000 + i, "S" + i, Integer.toString(i - 250), "10.5"));
        }
        many.add(new IncomingMessage.PositionEnd());
        byte[] stream = IncomingMessageEncoder.stream(many, VERSION);

        FrameDecoder decoder = new FrameDecoder();
        assertThat(feed(decoder, stream, 0, stream.length)).isEqualTo(many);
        assertThat(decoder.pendingBytes()).isZero();
    }

    @Test
    void partialFrameWaitsForTheRest() {
        byte[] frame = IncomingMessageEncoder.frame(new IncomingMessage.PositionEnd(), VERSION);
        FrameDecoder decoder = new FrameDecoder();

        assertThat(decoder.feed(frame, 0, frame.length - 1)).isEmpty();
        assertThat(decoder.pendingBytes()).isEqualTo(frame.length - 1);
        assertThat(feed(decoder, frame, frame.length - 1, 1)).containsExactly(new IncomingMessage.PositionEnd());
    }

    @Test
    void oversizedFrameLengthIsRejectedBeforeBuffering() {
        byte[] header = {0x01, 0x00, 0x00, 0x00}; // 16 MiB: one past the protocol's maximum
        assertThatThrownBy(() -> new FrameDecoder().feed(header, 0, header.length))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining("16777216");

        byte[] small = IncomingMessageEncoder.frame(new IncomingMessage.ManagedAccounts(List.of("DU111")), VERSION);
        assertThatThrownBy(() -> new FrameDecoder(8).feed(small, 0, small.length))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining("exceeds the maximum of 8");
    }

    // ------------------------------------------------------------------ in place: readFrom + drain

    /** A stream that hands out at most {@code chunk} bytes per read, as a socket may. */
    private static InputStream chunked(byte[] data, int chunk) {
        return new ByteArrayInputStream(data) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, chunk));
            }
        };
    }

    /** Reads {@code in} to its end the way the connection's reader does, decoding every frame where it lies. */
    private static List<IncomingMessage> readInPlace(FrameDecoder decoder, InputStream in) throws IOException {
        RepeatedTexts texts = new RepeatedTexts();
        List<IncomingMessage> out = new ArrayList<>();
        while (decoder.readFrom(in) >= 0) {
            decoder.drain((buffer, offset, length) -> out.add(MessageDecoder.decode(buffer, offset, length, VERSION, texts)));
        }
        return out;
    }

    @Test
    void framesReadInPlaceInChunksOfEverySizeDecodeTheSameMessages() throws IOException {
        byte[] stream = IncomingMessageEncoder.stream(MESSAGES, VERSION);
        for (int chunk = 1; chunk <= stream.length; chunk++) {
            FrameDecoder decoder = new FrameDecoder();
            assertThat(readInPlace(decoder, chunked(stream, chunk))).as("chunks of %d bytes", chunk).isEqualTo(MESSAGES);
            assertThat(decoder.pendingBytes()).isZero();
        }
    }

    @Test
    void aFrameLargerThanTheReadBufferIsReadWhole() throws IOException {
        List<IncomingMessage> messages = new ArrayList<>();
        messages.add(new IncomingMessage.ErrorMessage(-1, 2104, "x".repeat(3 * FrameDecoder.READ_BUFFER_BYTES), null));
        for (int i = 0; i < 3000; i++) {
            messages.add(position("DU" + (i % 7), 1000 + i, "S" + i, Integer.toString(i - 1500), "10.25"));
        }
        messages.add(new IncomingMessage.ManagedAccounts(List.of("DU" + "9".repeat(FrameDecoder.READ_BUFFER_BYTES))));
        messages.add(new IncomingMessage.PositionEnd());
        byte[] stream = IncomingMessageEncoder.stream(messages, VERSION);

        assertThat(readInPlace(new FrameDecoder(), chunked(stream, 5000))).isEqualTo(messages);
        assertThat(readInPlace(new FrameDecoder(), new ByteArrayInputStream(stream))).isEqualTo(messages);
    }

    @Test
    void inPlaceDecodingGivesWhatDecodingACopyGives() throws IOException {
        List<IncomingMessage> many = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            // Repeated accounts, as the connection's shared texts see them, and a text outside ASCII.
            many.add(position("DU" + (i % 3), 1000 + i, i % 5 == 0 ? "NESN Zürich" : "S" + i, Integer.toString(i), "1.5"));
        }
        byte[] stream = IncomingMessageEncoder.stream(many, VERSION);
        List<IncomingMessage> inPlace = readInPlace(new FrameDecoder(), chunked(stream, 777));

        assertThat(inPlace).isEqualTo(feed(new FrameDecoder(), stream, 0, stream.length)).isEqualTo(many);
        IncomingMessage.Position first = (IncomingMessage.Position) inPlace.get(0);
        IncomingMessage.Position fourth = (IncomingMessage.Position) inPlace.get(3);
        assertThat(fourth.account()).isSameAs(first.account());
    }

    @Test
    void anOversizedFrameLengthEndsReadingInPlaceAfterTheFramesBeforeIt() throws IOException {
        byte[] good = IncomingMessageEncoder.frame(new IncomingMessage.PositionEnd(), VERSION);
        byte[] stream = new byte[good.length + 4 + 3];
        System.arraycopy(good, 0, stream, 0, good.length);
        stream[good.length] = 0x01; // 16 MiB: one past the protocol's maximum
        FrameDecoder decoder = new FrameDecoder();
        List<IncomingMessage> handled = new ArrayList<>();

        assertThat(decoder.readFrom(new ByteArrayInputStream(stream))).isEqualTo(stream.length);
        assertThatThrownBy(() -> decoder.drain((buffer, offset, length) ->
                handled.add(MessageDecoder.decode(buffer, offset, length, VERSION, null))))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("16777216");
        assertThat(handled).containsExactly(new IncomingMessage.PositionEnd());
    }

    @Test
    void aMalformedFrameInPlaceFailsAsItsCopyDoes() {
        // A position cut short after its secType and lastTradeDate.
        byte[] payload = (String.join("\0", "61", "3", "DU111", "265598", "AAPL", "STK", "") + "\0")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] buffer = new byte[payload.length + 10];
        System.arraycopy(payload, 0, buffer, 5, payload.length);
        buffer[5 + payload.length] = '9';
        buffer[6 + payload.length] = 0;
        String copied = null;
        try {
            MessageDecoder.decode(payload, VERSION);
        } catch (ProtocolException e) {
            copied = e.getMessage();
        }
        assertThat(copied).startsWith("malformed position message");
        assertThatThrownBy(() -> MessageDecoder.decode(buffer, 5, payload.length, VERSION, new RepeatedTexts()))
                .isInstanceOf(ProtocolException.class).hasMessage(copied);
        assertThatThrownBy(() -> MessageDecoder.decode(buffer, 5, 0, VERSION, null))
                .isInstanceOf(ProtocolException.class).hasMessage("empty message");
    }
}

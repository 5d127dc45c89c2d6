package io.positionsync.ibkr;

import static io.positionsync.ibkr.IncomingMessageEncoder.Samples.commission;
import static io.positionsync.ibkr.IncomingMessageEncoder.Samples.execution;
import static io.positionsync.ibkr.IncomingMessageEncoder.Samples.position;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
}

package io.positionsync.ibkr.wire;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Reassembles length-prefixed frames from a byte stream: a 4-byte big-endian length, then that many
 * payload bytes. One read may hold part of a frame or several frames; bytes are buffered until a
 * frame is whole. A length above the configured maximum is a protocol error, raised before any
 * payload is buffered, so a hostile or corrupt peer cannot make us allocate unbounded memory.
 *
 * <p>Two ways to use it: {@link #readFrom} reads the socket straight into the decoder's buffer and
 * {@link #drain} hands each whole frame to a {@link FrameHandler} where it lies (no copy per frame, no list: the
 * client's reader); {@link #feed} takes bytes read elsewhere and returns a copy of each whole frame.
 */
public final class FrameDecoder {
    /** The protocol's own ceiling on a payload. */
    public static final int PROTOCOL_MAX_PAYLOAD = 0xFFFFFF;
    /** The buffer a decoder starts with, and so the most one {@link #readFrom} takes from the socket. */
    public static final int READ_BUFFER_BYTES = 64 * 1024;

    /** Receives one whole frame's payload in place. */
    @FunctionalInterface
    public interface FrameHandler<E extends Exception> {
        /**
         * {@code length} payload bytes at {@code offset} of {@code buffer}; valid only during the call (the buffer is
         * reused for later frames).
         */
        void frame(byte[] buffer, int offset, int length) throws E;
    }

    private final int maxPayload;
    private byte[] buffer = new byte[READ_BUFFER_BYTES];
    /** Bytes buffered, from the start of {@link #buffer}: whole frames not yet drained, then part of one. */
    private int length;

    public FrameDecoder() {
        this(PROTOCOL_MAX_PAYLOAD);
    }

    public FrameDecoder(int maxPayload) {
        if (maxPayload <= 0 || maxPayload > PROTOCOL_MAX_PAYLOAD) {
            throw new IllegalArgumentException("maxPayload must be in 1.." + PROTOCOL_MAX_PAYLOAD);
        }
        this.maxPayload = maxPayload;
    }

    /** Feeds bytes read from the socket and returns the payloads of every frame now complete. */
    public List<byte[]> feed(byte[] data, int offset, int count) {
        ensureCapacity(length + count);
        System.arraycopy(data, offset, buffer, length, count);
        length += count;
        List<byte[]> frames = new ArrayList<>();
        drain((bytes, start, size) -> {
            byte[] payload = new byte[size];
            System.arraycopy(bytes, start, payload, 0, size);
            frames.add(payload);
        });
        return frames;
    }

    /**
     * One read from {@code in} into the buffer, after the bytes already there (call {@link #drain} between reads).
     *
     * @return the number of bytes read, or -1 at the end of the stream
     */
    public int readFrom(InputStream in) throws IOException {
        if (length == buffer.length) {
            ensureCapacity(length + 1);
        }
        int count = in.read(buffer, length, buffer.length - length);
        if (count > 0) {
            length += count;
        }
        return count;
    }

    /**
     * Hands every whole frame buffered to {@code handler}, in order, and keeps the bytes of the incomplete one
     * after them. A frame length above the maximum is a {@link ProtocolException} once the frames before it are
     * handled; an exception from the handler ends the call, with the frames after that one dropped.
     */
    public <E extends Exception> void drain(FrameHandler<E> handler) throws E {
        int pos = 0;
        try {
            while (length - pos >= 4) {
                long size = (((buffer[pos] & 0xFF) << 24) | ((buffer[pos + 1] & 0xFF) << 16)
                        | ((buffer[pos + 2] & 0xFF) << 8) | (buffer[pos + 3] & 0xFF)) & 0xFFFFFFFFL;
                if (size > maxPayload) {
                    throw new ProtocolException("frame length " + size + " exceeds the maximum of " + maxPayload + " bytes");
                }
                if (length - pos - 4 < size) {
                    break;
                }
                int start = pos + 4;
                pos = start + (int) size;
                handler.frame(buffer, start, (int) size);
            }
        } finally {
            if (pos > 0) {
                System.arraycopy(buffer, pos, buffer, 0, length - pos);
                length -= pos;
            }
        }
        if (length >= 4) {
            // Room for the whole of the frame begun, so that reading can complete it (its length is within bounds).
            int size = ((buffer[0] & 0xFF) << 24) | ((buffer[1] & 0xFF) << 16) | ((buffer[2] & 0xFF) << 8)
                    | (buffer[3] & 0xFF);
            ensureCapacity(4 + size);
        }
    }

    /** Bytes received that do not yet form a whole frame. */
    public int pendingBytes() {
        return length;
    }

    private void ensureCapacity(int needed) {
        if (needed > buffer.length) {
            int capacity = buffer.length;
            while (capacity < needed) {
                capacity *= 2;
            }
            byte[] grown = new byte[capacity];
            System.arraycopy(buffer, 0, grown, 0, length);
            buffer = grown;
        }
    }
}

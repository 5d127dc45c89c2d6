package io.positionsync.ibkr;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Reassembles length-prefixed frames from a byte stream: a 4-byte big-endian length, then that many
 * payload bytes. One read may hold part of a frame or several frames; bytes are buffered until a
 * frame is whole. A length above the configured maximum is a protocol error, raised before any
 * payload is buffered, so a hostile or corrupt peer cannot make us allocate unbounded memory.
 */
public final class FrameDecoder {
    /** The protocol's own ceiling on a payload. */
    public static final int PROTOCOL_MAX_PAYLOAD = 0xFFFFFF;

    private final int maxPayload;
    private byte[] buffer = new byte[8192];
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
        int pos = 0;
        while (length - pos >= 4) {
            long size = ByteBuffer.wrap(buffer, pos, 4).getInt() & 0xFFFFFFFFL;
            if (size > maxPayload) {
                throw new ProtocolException("frame length " + size + " exceeds the maximum of " + maxPayload + " bytes");
            }
            if (length - pos - 4 < size) {
                break;
            }
            byte[] payload = new byte[(int) size];
            System.arraycopy(buffer, pos + 4, payload, 0, (int) size);
            frames.add(payload);
            pos += 4 + (int) size;
        }
        if (pos > 0) {
            System.arraycopy(buffer, pos, buffer, 0, length - pos);
            length -= pos;
        }
        return frames;
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

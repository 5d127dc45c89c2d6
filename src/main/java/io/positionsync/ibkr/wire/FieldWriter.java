package io.positionsync.ibkr.wire;

import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;

/**
 * Builds one message: NUL-terminated text fields, framed with a 4-byte big-endian length.
 * Absent numbers are written as the protocol's unset sentinels.
 */
public final class FieldWriter {
    private final ByteArrayOutputStream payload = new ByteArrayOutputStream(128);

    public FieldWriter add(String value) {
        if (value != null) {
            byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
            for (byte b : bytes) {
                if (b == 0) {
                    throw new IllegalArgumentException("a field cannot contain a NUL byte");
                }
            }
            payload.writeBytes(bytes);
        }
        payload.write(0);
        return this;
    }

    public FieldWriter add(int value) {
        return add(Integer.toString(value));
    }

    public FieldWriter add(long value) {
        return add(Long.toString(value));
    }

    public FieldWriter add(boolean value) {
        return add(value ? "1" : "0");
    }

    /** A decimal quantity; absent is written as an empty field. */
    public FieldWriter addDecimal(BigDecimal value) {
        return add(value == null ? "" : value.toPlainString());
    }

    /** A price-like double field; absent is written as the unset double sentinel. */
    public FieldWriter addPrice(BigDecimal value) {
        return add(value == null ? FieldReader.UNSET_DOUBLE : value.toPlainString());
    }

    /** An int field that may be unset; absent is written as the unset int sentinel. */
    public FieldWriter addIntOrUnset(Integer value) {
        return add(value == null ? FieldReader.UNSET_INT : value.toString());
    }

    /** The payload without its length prefix. */
    public byte[] payload() {
        return payload.toByteArray();
    }

    /** The whole frame: length prefix and payload. */
    public byte[] frame() {
        return frame(payload.toByteArray());
    }

    /** Frames an arbitrary payload. */
    public static byte[] frame(byte[] body) {
        byte[] out = new byte[body.length + 4];
        out[0] = (byte) (body.length >>> 24);
        out[1] = (byte) (body.length >>> 16);
        out[2] = (byte) (body.length >>> 8);
        out[3] = (byte) body.length;
        System.arraycopy(body, 0, out, 4, body.length);
        return out;
    }
}

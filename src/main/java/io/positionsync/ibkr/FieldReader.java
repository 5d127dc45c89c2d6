package io.positionsync.ibkr;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Reads the NUL-terminated text fields of one frame payload, in order. Unset numeric sentinels
 * ({@code Double.MAX_VALUE}, {@code Integer.MAX_VALUE}, or an empty field) read as absent
 * ({@code null}); decimals are parsed from their text straight into {@link BigDecimal}, never through
 * {@code double}, so "150.01" stays exactly 150.01.
 */
public final class FieldReader {
    static final String UNSET_DOUBLE = "1.7976931348623157E308";
    static final String UNSET_INT = "2147483647";
    static final String UNSET_LONG = "9223372036854775807";

    private final byte[] payload;
    private int pos;

    public FieldReader(byte[] payload) {
        this.payload = payload;
    }

    public boolean hasMore() {
        return pos < payload.length;
    }

    /** The next field as text; an empty field is the empty string. */
    public String readString() {
        if (pos >= payload.length) {
            throw new ProtocolException("message ended early: expected another field");
        }
        int start = pos;
        while (pos < payload.length && payload[pos] != 0) {
            pos++;
        }
        if (pos >= payload.length) {
            throw new ProtocolException("field is not NUL-terminated");
        }
        String value = new String(payload, start, pos - start, StandardCharsets.UTF_8);
        pos++;
        return value;
    }

    /** The next field as a required int. */
    public int readInt() {
        String text = readString();
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new ProtocolException("expected an integer field, got '" + abbreviate(text) + "'");
        }
    }

    /** The next field as an int; empty or the unset sentinel read as {@code null}. */
    public Integer readIntOrAbsent() {
        String text = readString().trim();
        if (text.isEmpty() || UNSET_INT.equals(text)) {
            return null;
        }
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new ProtocolException("expected an integer field, got '" + abbreviate(text) + "'");
        }
    }

    /** The next field as a long; empty or an unset sentinel read as {@code null}. */
    public Long readLongOrAbsent() {
        String text = readString().trim();
        if (text.isEmpty() || UNSET_INT.equals(text) || UNSET_LONG.equals(text)) {
            return null;
        }
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new ProtocolException("expected an integer field, got '" + abbreviate(text) + "'");
        }
    }

    /** The next field as a decimal; empty or the unset double sentinel read as {@code null}. */
    public BigDecimal readDecimalOrAbsent() {
        return parseDecimal(readString());
    }

    /** The next field as a boolean encoded as 0/1 (empty reads as false). */
    public boolean readBoolean() {
        Integer value = readIntOrAbsent();
        return value != null && value != 0;
    }

    /** Skips {@code count} fields. */
    public void skip(int count) {
        for (int i = 0; i < count; i++) {
            readString();
        }
    }

    static BigDecimal parseDecimal(String raw) {
        String text = raw.trim();
        if (text.isEmpty() || UNSET_DOUBLE.equals(text) || UNSET_INT.equals(text) || UNSET_LONG.equals(text)) {
            return null;
        }
        try {
            BigDecimal value = new BigDecimal(text);
            // Some writers print MAX_VALUE with other digits; anything that large is a sentinel, not money.
            if (value.abs().compareTo(BigDecimal.valueOf(1e300)) > 0) {
                return null;
            }
            return value;
        } catch (NumberFormatException e) {
            if ("Infinity".equalsIgnoreCase(text) || "NaN".equalsIgnoreCase(text) || "-Infinity".equalsIgnoreCase(text)) {
                return null;
            }
            throw new ProtocolException("expected a decimal field, got '" + abbreviate(text) + "'");
        }
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }
}

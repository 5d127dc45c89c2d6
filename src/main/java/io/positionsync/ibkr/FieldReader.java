package io.positionsync.ibkr;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Reads the NUL-terminated text fields of one frame payload, in order. Unset numeric sentinels
 * ({@code Double.MAX_VALUE}, {@code Integer.MAX_VALUE}, or an empty field) read as absent
 * ({@code null}); decimals are parsed from their text straight into {@link BigDecimal}, never through
 * {@code double}, so "150.01" stays exactly 150.01. A decimal beyond the bounds below (length, decimal
 * places, significant digits, magnitude) is a {@link ProtocolException}: the connection is dropped and the
 * snapshot in flight ends incomplete with that reason.
 */
public final class FieldReader {
    static final String UNSET_DOUBLE = "1.7976931348623157E308";
    static final String UNSET_INT = "2147483647";
    static final String UNSET_LONG = "9223372036854775807";
    /** Longest decimal text read (a double printed in full is 24 characters). */
    static final int MAX_DECIMAL_CHARS = 64;
    /** Most decimal places of a decimal field (a double printed in full has at most 17 significant digits). */
    static final int MAX_DECIMAL_SCALE = 30;
    /** Most significant digits of a decimal field. */
    static final int MAX_DECIMAL_DIGITS = 34;
    /** A decimal field is below this in magnitude: far above any quantity, price or account value. */
    static final BigDecimal MAX_DECIMAL_MAGNITUDE = new BigDecimal("1E+15");
    /** Above this a decimal is an unset sentinel written with other digits (Double.MAX_VALUE is 1.79E308). */
    private static final BigDecimal SENTINEL_FLOOR = new BigDecimal("1E+300");

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
        if (text.length() > MAX_DECIMAL_CHARS) {
            // Checked before parsing: parsing a long digit string costs more than it is worth.
            throw new ProtocolException("decimal field out of bounds: " + text.length() + " characters, at most "
                    + MAX_DECIMAL_CHARS + " ('" + abbreviate(text) + "')");
        }
        BigDecimal value;
        try {
            value = new BigDecimal(text);
        } catch (NumberFormatException e) {
            if ("Infinity".equalsIgnoreCase(text) || "NaN".equalsIgnoreCase(text) || "-Infinity".equalsIgnoreCase(text)) {
                return null;
            }
            throw new ProtocolException("expected a decimal field, got '" + abbreviate(text) + "'");
        }
        // Some writers print MAX_VALUE with other digits; anything that large is a sentinel, not money.
        // (compareTo looks at the exponents first, so even 1e999999999 costs nothing here.)
        if (value.abs().compareTo(SENTINEL_FLOOR) > 0) {
            return null;
        }
        return checkBounds(value, text);
    }

    /**
     * Rejects a decimal no broker sends for money or quantities: later arithmetic (rounding to 8 places,
     * multiplying by a multiplier) costs time and memory in proportion to its digits and exponent, so
     * {@code 1e-99999999} would pin a CPU and {@code 1E+299} would be stored as a quantity.
     */
    private static BigDecimal checkBounds(BigDecimal value, String text) {
        if (value.signum() == 0) {
            return value.scale() > MAX_DECIMAL_SCALE || value.scale() < 0 ? BigDecimal.ZERO : value;
        }
        if (value.scale() > MAX_DECIMAL_SCALE) {
            throw new ProtocolException("decimal field out of bounds: more than " + MAX_DECIMAL_SCALE
                    + " decimal places ('" + abbreviate(text) + "')");
        }
        if (value.precision() > MAX_DECIMAL_DIGITS) {
            throw new ProtocolException("decimal field out of bounds: more than " + MAX_DECIMAL_DIGITS
                    + " significant digits ('" + abbreviate(text) + "')");
        }
        if (value.abs().compareTo(MAX_DECIMAL_MAGNITUDE) >= 0) {
            throw new ProtocolException("decimal field out of bounds: magnitude at least " + MAX_DECIMAL_MAGNITUDE.toPlainString()
                    + " ('" + abbreviate(text) + "')");
        }
        return value;
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }
}

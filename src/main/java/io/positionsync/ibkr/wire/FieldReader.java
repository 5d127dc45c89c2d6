package io.positionsync.ibkr.wire;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.math.BigDecimal;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads the NUL-terminated text fields of one frame payload, in order. Unset numeric sentinels
 * ({@code Double.MAX_VALUE}, {@code Integer.MAX_VALUE}, or an empty field) read as absent
 * ({@code null}); decimals are parsed from their text straight into {@link BigDecimal}, never through
 * {@code double}, so "150.01" stays exactly 150.01. A decimal beyond the bounds below (length, decimal
 * places, significant digits, magnitude) is a {@link ProtocolException}: the connection is dropped and the
 * snapshot in flight ends incomplete with that reason.
 *
 * <p>The payload is read where it lies (a frame inside the connection's read buffer needs no copy of its own).
 * Numbers in their usual form (an optional minus, at most 9 digits for an int, 18 for a long or a decimal's
 * digits, at most one decimal point, no exponent) are parsed from the bytes without a {@code String}; every other
 * form (exponents, a plus sign, non-ASCII digits, long digit strings, garbage) goes through the text and
 * {@link Integer#parseInt}, {@link Long#parseLong} or {@code new BigDecimal(String)}, so what a field reads as and
 * which fields are errors, with which messages, do not depend on which way it took.
 */
public final class FieldReader {
    static final String UNSET_DOUBLE = "1.7976931348623157E308";
    public static final String UNSET_INT = "2147483647";
    public static final String UNSET_LONG = "9223372036854775807";
    /** The unset sentinel of the protocol's 128-bit decimal quantities (2^127 - 1). */
    public static final String UNSET_DECIMAL = "170141183460469231731687303715884105727";
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

    /** Digits parsed from bytes: an int of 9 digits and a long of 18 cannot overflow. */
    private static final int INT_DIGITS = 9;
    private static final int LONG_DIGITS = 18;
    /** Integer digits of a decimal read from bytes: fewer than 16 keeps it below {@link #MAX_DECIMAL_MAGNITUDE}. */
    private static final int DECIMAL_INTEGER_DIGITS = 15;
    /** What {@link #integer} returns when the field is not in the form it parses (never a value it produces). */
    private static final long NOT_PARSED = Long.MIN_VALUE;
    /** What {@link #decimal} returns for an absent value (empty, an unset sentinel): compared by identity. */
    private static final BigDecimal ABSENT = new BigDecimal("-0.0");
    private static final byte[] UNSET_INT_BYTES = UNSET_INT.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] UNSET_LONG_BYTES = UNSET_LONG.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] UNSET_DOUBLE_BYTES = UNSET_DOUBLE.getBytes(StandardCharsets.US_ASCII);

    private static final VarHandle LITTLE_ENDIAN_LONGS =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final byte[] payload;
    private final int end;
    private final RepeatedTexts texts;
    private int pos;

    public FieldReader(byte[] payload) {
        this(payload, 0, payload.length, null);
    }

    /** The fields of {@code length} bytes at {@code offset} of {@code buffer}. */
    public FieldReader(byte[] buffer, int offset, int length) {
        this(buffer, offset, length, null);
    }

    /**
     * As {@link #FieldReader(byte[], int, int)}; {@link #readText()} takes its strings from {@code texts} (when not
     * {@code null}) so a repeated account id or currency is one instance.
     */
    public FieldReader(byte[] buffer, int offset, int length, RepeatedTexts texts) {
        if (offset < 0 || length < 0 || offset + length > buffer.length) {
            throw new IndexOutOfBoundsException("payload " + offset + "+" + length + " outside " + buffer.length);
        }
        this.payload = buffer;
        this.pos = offset;
        this.end = offset + length;
        this.texts = texts;
    }

    public boolean hasMore() {
        return pos < end;
    }

    /** The next field as text; an empty field is the empty string. */
    public String readString() {
        int start = pos;
        int nul = nextField();
        return new String(payload, start, nul - start, StandardCharsets.UTF_8);
    }

    /**
     * The next field as optional text, {@code null} when empty: the account ids, security types, currencies and
     * exchanges that every message repeats come from the connection's {@link RepeatedTexts} when it has one.
     */
    public String readText() {
        int start = pos;
        int nul = nextField();
        if (nul == start) {
            return null;
        }
        return texts == null ? new String(payload, start, nul - start, StandardCharsets.UTF_8)
                : texts.text(payload, start, nul - start);
    }

    /** As {@link #readString()}, the text shared as {@link #readText()} shares it; an empty field is {@code ""}. */
    public String readSharedString() {
        String text = readText();
        return text == null ? "" : text;
    }

    /** The next field as a required int. */
    public int readInt() {
        int start = pos;
        int nul = nextField();
        long value = integer(payload, start, nul, INT_DIGITS);
        if (value != NOT_PARSED) {
            return (int) value;
        }
        String text = text(start, nul);
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new ProtocolException("expected an integer field, got '" + abbreviate(text) + "'");
        }
    }

    /** The next field as a required long (ids, conIds, epoch seconds). */
    public long readLong() {
        int start = pos;
        int nul = nextField();
        long value = integer(payload, start, nul, LONG_DIGITS);
        if (value != NOT_PARSED) {
            return value;
        }
        String text = text(start, nul).trim();
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new ProtocolException("expected an integer field, got '" + abbreviate(text) + "'");
        }
    }

    /** The next field as an int; empty or the unset sentinel read as {@code null}. */
    public Integer readIntOrAbsent() {
        int start = pos;
        int nul = nextField();
        if (nul == start) {
            return null;
        }
        long value = integer(payload, start, nul, INT_DIGITS);
        if (value != NOT_PARSED) {
            return (int) value;
        }
        String text = text(start, nul).trim();
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
        int start = pos;
        int nul = nextField();
        if (nul == start) {
            return null;
        }
        long value = integer(payload, start, nul, LONG_DIGITS);
        if (value != NOT_PARSED && value != Integer.MAX_VALUE) {
            // (Integer.MAX_VALUE may be the unset int sentinel: the text decides.)
            return value;
        }
        String text = text(start, nul).trim();
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
        int start = pos;
        int nul = nextField();
        BigDecimal value = decimal(payload, start, nul);
        if (value == ABSENT) {
            return null;
        }
        return value != null ? value : parseDecimal(text(start, nul));
    }

    /**
     * The next field as a decimal quantity: as {@link #readDecimalOrAbsent()}, and the unset sentinel of the
     * protocol's 128-bit decimals reads as {@code null} too.
     */
    public BigDecimal readQuantityOrAbsent() {
        int start = pos;
        int nul = nextField();
        BigDecimal value = decimal(payload, start, nul);
        if (value == ABSENT) {
            return null;
        }
        if (value != null) {
            return value;
        }
        String raw = text(start, nul);
        return UNSET_DECIMAL.equals(raw.trim()) ? null : parseDecimal(raw);
    }

    /** The next field as a boolean encoded as 0/1 (empty reads as false). */
    public boolean readBoolean() {
        Integer value = readIntOrAbsent();
        return value != null && value != 0;
    }

    /** Skips {@code count} fields. */
    public void skip(int count) {
        for (int i = 0; i < count; i++) {
            nextField();
        }
    }

    /** Steps over the next field; the index of its terminating NUL. */
    private int nextField() {
        if (pos >= end) {
            throw new ProtocolException("message ended early: expected another field");
        }
        int i = pos;
        byte[] bytes = payload;
        int limit = end;
        // Eight bytes at a time: the lowest byte flagged by the classic "has a zero byte" test is the first NUL.
        while (i + Long.BYTES <= limit) {
            long word = (long) LITTLE_ENDIAN_LONGS.get(bytes, i);
            long zeros = (word - 0x0101010101010101L) & ~word & 0x8080808080808080L;
            if (zeros != 0) {
                i += Long.numberOfTrailingZeros(zeros) >>> 3;
                pos = i + 1;
                return i;
            }
            i += Long.BYTES;
        }
        while (i < limit && bytes[i] != 0) {
            i++;
        }
        if (i >= limit) {
            pos = limit;
            throw new ProtocolException("field is not NUL-terminated");
        }
        pos = i + 1;
        return i;
    }

    private String text(int start, int nul) {
        return new String(payload, start, nul - start, StandardCharsets.UTF_8);
    }

    /** The first byte from {@code start} that is not a space or a control character ({@code end} if none). */
    private static int firstNonSpace(byte[] bytes, int start, int end) {
        int s = start;
        while (s < end && (bytes[s] & 0xFF) <= ' ') {
            s++;
        }
        return s;
    }

    /** Just after the last byte before {@code end} that is not a space or a control character ({@code start} if none). */
    private static int afterLastNonSpace(byte[] bytes, int start, int end) {
        int e = end;
        while (e > start && (bytes[e - 1] & 0xFF) <= ' ') {
            e--;
        }
        return e;
    }

    /**
     * An integer in the usual form (spaces around it, an optional minus, 1 to {@code maxDigits} ASCII digits)
     * parsed from the bytes, or {@link #NOT_PARSED} for every other text, which the caller then parses as before.
     */
    static long integer(byte[] bytes, int start, int end, int maxDigits) {
        int s = firstNonSpace(bytes, start, end);
        int e = afterLastNonSpace(bytes, s, end);
        boolean negative = s < e && bytes[s] == '-';
        if (negative) {
            s++;
        }
        int digits = e - s;
        if (digits < 1 || digits > maxDigits) {
            return NOT_PARSED;
        }
        long value = 0;
        for (int i = s; i < e; i++) {
            int d = bytes[i] - '0';
            if (d < 0 || d > 9) {
                return NOT_PARSED;
            }
            value = value * 10 + d;
        }
        return negative ? -value : value;
    }

    /**
     * A decimal in the usual form (spaces around it, an optional minus, at most 18 ASCII digits of which at most
     * 15 before the point, at most one point, no exponent) parsed from the bytes; {@code null} for every
     * other text (exponents, anything malformed or out of bounds), which the caller parses as text; {@link #ABSENT}
     * for an empty field and the unset sentinels {@link #parseDecimal} reads as absent, written exactly so.
     * Within that form the bounds of {@link #parseDecimal} cannot be exceeded, and the value is the one
     * {@code new BigDecimal(text)} gives (same digits, same scale).
     */
    static BigDecimal decimal(byte[] bytes, int start, int end) {
        int s = firstNonSpace(bytes, start, end);
        int e = afterLastNonSpace(bytes, s, end);
        int length = e - s;
        if (length == 0 || isUnset(bytes, s, length)) {
            return ABSENT;
        }
        if (length > LONG_DIGITS + 2) {
            return null;
        }
        boolean negative = s < e && bytes[s] == '-';
        int i = negative ? s + 1 : s;
        long unscaled = 0;
        int digits = 0;
        int scale = 0;
        boolean point = false;
        for (; i < e; i++) {
            int d = bytes[i] - '0';
            if (d >= 0 && d <= 9) {
                unscaled = unscaled * 10 + d;
                digits++;
                if (point) {
                    scale++;
                }
            } else if (bytes[i] == '.' && !point) {
                point = true;
            } else {
                return null;
            }
        }
        if (digits == 0 || digits > LONG_DIGITS || digits - scale > DECIMAL_INTEGER_DIGITS) {
            return null;
        }
        return BigDecimal.valueOf(negative ? -unscaled : unscaled, scale);
    }

    /** Whether the text is one of the unset sentinels exactly (the double, int or long maximum). */
    private static boolean isUnset(byte[] bytes, int start, int length) {
        return length == UNSET_DOUBLE_BYTES.length && Arrays.equals(bytes, start, start + length, UNSET_DOUBLE_BYTES, 0, length)
                || length == UNSET_INT_BYTES.length && Arrays.equals(bytes, start, start + length, UNSET_INT_BYTES, 0, length)
                || length == UNSET_LONG_BYTES.length && Arrays.equals(bytes, start, start + length, UNSET_LONG_BYTES, 0, length);
    }

    public static BigDecimal parseDecimal(String raw) {
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

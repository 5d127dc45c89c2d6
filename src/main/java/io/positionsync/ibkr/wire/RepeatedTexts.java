package io.positionsync.ibkr.wire;

import java.nio.charset.StandardCharsets;

/**
 * The small vocabulary that nearly every message repeats (account ids, security types, currencies, exchanges,
 * expiries, rights), one {@code String} instance per text for a connection: a field that matches a text seen
 * before is compared in place, with no new string. A bounded table (a fixed number of slots, a newer text taking
 * over its slot), so texts that do not repeat cost one comparison and never grow it. Only short ASCII texts are
 * kept; any other field is decoded as UTF-8 each time.
 *
 * <p>Not thread-safe: one per reader thread (a connection's).
 */
public final class RepeatedTexts {
    /** Slots in the table; a power of two. */
    private static final int SLOTS = 1024;
    /** Longer fields are decoded each time: the repeated vocabulary is short. */
    public static final int MAX_LENGTH = 32;

    private final String[] texts = new String[SLOTS];
    /** Each slot's text as bytes, {@link #MAX_LENGTH} bytes a slot, to compare a field with in place. */
    private final byte[] keys = new byte[SLOTS * MAX_LENGTH];
    /** Each slot's hash and length, so that a field is compared with nothing but these arrays (no string read). */
    private final int[] hashes = new int[SLOTS];
    private final byte[] lengths = new byte[SLOTS];

    /** The text of {@code length} bytes at {@code offset} (UTF-8), shared when it is short ASCII. */
    public String text(byte[] bytes, int offset, int length) {
        if (length > MAX_LENGTH) {
            return new String(bytes, offset, length, StandardCharsets.UTF_8);
        }
        int hash = 0;
        for (int i = offset, end = offset + length; i < end; i++) {
            byte b = bytes[i];
            if (b < 0) {
                return new String(bytes, offset, length, StandardCharsets.UTF_8);
            }
            hash = 31 * hash + b;
        }
        int slot = (hash ^ (hash >>> 11)) & (SLOTS - 1);
        int key = slot * MAX_LENGTH;
        if (hashes[slot] == hash && lengths[slot] == length && sameBytes(bytes, offset, keys, key, length)) {
            String known = texts[slot];
            if (known != null) {
                return known;
            }
        }
        String text = new String(bytes, offset, length, StandardCharsets.ISO_8859_1);
        System.arraycopy(bytes, offset, keys, key, length);
        hashes[slot] = hash;
        lengths[slot] = (byte) length;
        texts[slot] = text;
        return text;
    }

    /** A plain loop: for a few bytes it is quicker than {@link java.util.Arrays#equals(byte[], int, int, byte[], int, int)}. */
    private static boolean sameBytes(byte[] a, int aOffset, byte[] b, int bOffset, int length) {
        for (int i = 0; i < length; i++) {
            if (a[aOffset + i] != b[bOffset + i]) {
                return false;
            }
        }
        return true;
    }
}

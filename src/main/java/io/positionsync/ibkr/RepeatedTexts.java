package io.positionsync.ibkr;

import java.nio.charset.StandardCharsets;

/**
 * The small vocabulary that nearly every message repeats (account ids, security types, currencies, exchanges,
 * expiries, rights), one {@code String} instance per text for a connection: a field that matches a text seen
 * before is compared in place, with no new string. A bounded table (a fixed number of slots, a newer text taking
 * over its slot), so texts that do not repeat (symbols, local symbols) cost one comparison and never grow it.
 * Only short ASCII texts are kept; any other field is decoded as UTF-8 each time.
 *
 * <p>Not thread-safe: one per reader thread (a connection's).
 */
public final class RepeatedTexts {
    /** Slots in the table; a power of two. */
    private static final int SLOTS = 1024;
    /** Longer fields are decoded each time: the repeated vocabulary is short. */
    static final int MAX_LENGTH = 32;

    private final String[] texts = new String[SLOTS];
    private final int[] hashes = new int[SLOTS];

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
        // The same hash as String.hashCode of an ASCII text; spread so that close texts land apart.
        int slot = (hash ^ (hash >>> 16)) & (SLOTS - 1);
        String known = texts[slot];
        if (known != null && hashes[slot] == hash && sameText(known, bytes, offset, length)) {
            return known;
        }
        String text = new String(bytes, offset, length, StandardCharsets.ISO_8859_1);
        texts[slot] = text;
        hashes[slot] = hash;
        return text;
    }

    private static boolean sameText(String text, byte[] bytes, int offset, int length) {
        if (text.length() != length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (text.charAt(i) != bytes[offset + i]) {
                return false;
            }
        }
        return true;
    }
}

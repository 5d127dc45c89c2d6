package io.positionsync.sync;

/**
 * Execution ids are {@code <base>.<nn>}: a later report with the same base and a higher suffix is a
 * correction that replaces the earlier one.
 */
public final class ExecIds {
    private ExecIds() {
    }

    public static String base(String execId) {
        int dot = execId.lastIndexOf('.');
        if (dot <= 0 || dot == execId.length() - 1 || !isDigits(execId, dot + 1)) {
            return execId;
        }
        return execId.substring(0, dot);
    }

    /** The numeric correction suffix, or 0 when the id has none. */
    public static int revision(String execId) {
        int dot = execId.lastIndexOf('.');
        if (dot <= 0 || dot == execId.length() - 1 || !isDigits(execId, dot + 1)) {
            return 0;
        }
        String digits = execId.substring(dot + 1);
        return digits.length() > 9 ? Integer.MAX_VALUE : Integer.parseInt(digits);
    }

    /** True when {@code candidate} is a correction of (replaces) {@code existing}. */
    public static boolean supersedes(String candidate, String existing) {
        return base(candidate).equals(base(existing)) && revision(candidate) > revision(existing);
    }

    private static boolean isDigits(String text, int from) {
        for (int i = from; i < text.length(); i++) {
            if (!Character.isDigit(text.charAt(i))) {
                return false;
            }
        }
        return true;
    }
}

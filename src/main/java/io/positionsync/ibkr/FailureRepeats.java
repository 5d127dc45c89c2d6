package io.positionsync.ibkr;

import java.time.Instant;
import java.util.regex.Pattern;

/**
 * The same failure, again and again (a gateway that is down fails every run): said once in full, then counted. The
 * first failure of a kind is logged as it is; its repeats only at the 2nd, 4th, 8th, 16th, ... time, as one short
 * line with the count (each one at DEBUG); a success ends the streak.
 */
public final class FailureRepeats {
    private static final Pattern EXCEPTION_PREFIX = Pattern.compile("^(?:[A-Za-z0-9_.$]+Exception: )+");
    private static final Pattern NUMBERS = Pattern.compile("\\d+");
    private static final String LAST_FAILURE = "last failure: ";

    private String kind;
    private long count;
    private Instant since;
    private String firstLabel;

    /** What to do with one failure. */
    public record Decision(boolean full, boolean summary, long count, Instant since, String firstLabel) {
        /** Logged in full: the first of its kind. */
        public boolean logFull() {
            return full;
        }

        /** Logged as a short count line ({@link #count()} in a row {@link #since()}). */
        public boolean logSummary() {
            return summary;
        }
    }

    /**
     * Counts {@code message}; {@code label} names this occurrence ("run 12") so that the repeats can point at the first.
     */
    public synchronized Decision failed(String message, String label, Instant now) {
        String key = kindOf(message);
        if (!key.equals(kind)) {
            kind = key;
            count = 1;
            since = now;
            firstLabel = label;
            return new Decision(true, false, 1, now, label);
        }
        count++;
        boolean powerOfTwo = (count & (count - 1)) == 0;
        return new Decision(false, powerOfTwo, count, since, firstLabel);
    }

    /** Ends a streak: how many failures it had (0: none), and since when. */
    public synchronized Decision succeeded() {
        Decision ended = new Decision(false, false, count, since, firstLabel);
        kind = null;
        count = 0;
        since = null;
        firstLabel = null;
        return ended;
    }

    /**
     * The kind of a failure: its text without exception class prefixes and numbers, and for a backoff refusal the
     * failure it waits on ("not reconnecting ... before ...; last failure: X" is of X's kind).
     */
    static String kindOf(String message) {
        String text = message == null ? "" : message;
        int last = text.lastIndexOf(LAST_FAILURE);
        if (last >= 0) {
            text = text.substring(last + LAST_FAILURE.length());
        }
        text = EXCEPTION_PREFIX.matcher(text.trim()).replaceFirst("");
        return NUMBERS.matcher(text).replaceAll("#");
    }
}

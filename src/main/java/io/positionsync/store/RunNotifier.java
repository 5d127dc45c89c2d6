package io.positionsync.store;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import io.positionsync.sync.HistoryEntry;
import io.positionsync.sync.LifecycleWrite;
import io.positionsync.sync.StoredPosition;
import io.positionsync.sync.SyncTrigger;

/**
 * Tells listeners ({@code LISTEN <channel>}) that a run committed: {@code pg_notify(channel, payload)} in the run's
 * own transaction, so PostgreSQL delivers it only when the run commits, after its rows are visible, and never for a
 * run that rolled back. Every succeeded run notifies, with or without changes: a run that changed nothing still
 * confirms the positions at its time.
 *
 * <p>The payload is one JSON object (see {@link #payload}); PostgreSQL refuses payloads of 8000 bytes or more, so a
 * run whose changes do not fit sends {@code "truncated": true} with counts instead of the list, and a listener
 * reads the run's changes from {@code position_history} by {@code runId}.
 */
public final class RunNotifier {
    /** Sends nothing (the channel setting is empty). */
    public static final RunNotifier NONE = new RunNotifier(null);

    /** PostgreSQL's limit is 8000 bytes exclusive; this many is the longest payload sent. */
    public static final int MAX_PAYLOAD_BYTES = 7999;

    /**
     * A channel is an unquoted identifier: {@code LISTEN Name} folds to lower case, so only lower case letters,
     * digits and underscores (not first a digit), at most 63 bytes, reach a listener who writes the name plainly.
     */
    private static final Pattern CHANNEL = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    private final String channel;

    private RunNotifier(String channel) {
        this.channel = channel;
    }

    /** Notifies on {@code channel}; null or blank sends nothing; a name that is not a plain identifier is refused. */
    public static RunNotifier on(String channel) {
        if (channel == null || channel.isBlank()) {
            return NONE;
        }
        return new RunNotifier(checkChannel(channel.trim()));
    }

    /** {@code channel} when it is a plain lower case identifier, else an {@link IllegalArgumentException} saying why. */
    public static String checkChannel(String channel) {
        if (!CHANNEL.matcher(channel).matches()) {
            throw new IllegalArgumentException("must be a plain lower case identifier (letters a-z, digits, underscore; not "
                    + "starting with a digit; at most 63 characters) that LISTEN can name unquoted, got '" + channel + "'");
        }
        return channel;
    }

    /** The channel, or null when nothing is sent. */
    public String channel() {
        return channel;
    }

    /**
     * Sends the run's notification in {@code connection}'s transaction (it is delivered at commit). {@code writes}
     * are the run's lifecycle writes, ids assigned; the lifecycles it opened, changed or closed are listed, those
     * that only had market values refreshed are counted.
     */
    public void notify(Connection connection, long runId, SyncTrigger trigger, Instant at, List<String> accounts,
            List<LifecycleWrite> writes) throws SQLException {
        if (channel == null) {
            return;
        }
        String payload = payload(runId, trigger, at, accounts, writes);
        try (PreparedStatement statement = connection.prepareStatement("SELECT pg_notify(?, ?)")) {
            statement.setString(1, channel);
            statement.setString(2, payload);
            statement.execute();
        }
    }

    /**
     * The JSON payload, under {@link #MAX_PAYLOAD_BYTES} bytes (UTF-8):
     * <pre>{@code
     * {"runId":42,"trigger":"MANUAL","at":"2026-12-05T21:50:01.123456Z","accounts":["DU1"],"accountCount":1,
     *  "truncated":false,"changeCount":1,"marketUpdates":3,
     *  "changes":[{"account":"DU1","conId":265598,"symbol":"AAPL","lifecycleId":7,"changes":["OPENED"],
     *              "status":"OPEN","quantity":100}]}
     * }</pre>
     * When the changes do not fit, {@code "truncated":true} and no {@code changes}; when even the accounts do not
     * fit, no {@code accounts} either ({@code accountCount} still says how many).
     */
    public static String payload(long runId, SyncTrigger trigger, Instant at, List<String> accounts,
            List<LifecycleWrite> writes) {
        List<String> changes = new ArrayList<>();
        int marketUpdates = 0;
        for (LifecycleWrite write : writes) {
            if (!write.history().isEmpty()) {
                changes.add(change(write));
            } else if (!write.unchanged()) {
                marketUpdates++;
            }
        }
        String head = "{\"runId\":" + runId + ",\"trigger\":" + string(String.valueOf(trigger)) + ",\"at\":"
                + string(String.valueOf(at));
        String accountList = ",\"accounts\":" + array(accounts);
        String counts = ",\"accountCount\":" + accounts.size();
        String full = head + accountList + counts + ",\"truncated\":false,\"changeCount\":" + changes.size()
                + ",\"marketUpdates\":" + marketUpdates + ",\"changes\":" + joined(changes) + "}";
        if (fits(full)) {
            return full;
        }
        String tail = ",\"truncated\":true,\"changeCount\":" + changes.size() + ",\"marketUpdates\":" + marketUpdates + "}";
        String truncated = head + accountList + counts + tail;
        return fits(truncated) ? truncated : head + counts + tail;
    }

    private static boolean fits(String payload) {
        return payload.getBytes(StandardCharsets.UTF_8).length <= MAX_PAYLOAD_BYTES;
    }

    private static String change(LifecycleWrite write) {
        StoredPosition row = write.row();
        List<String> kinds = new ArrayList<>();
        for (HistoryEntry entry : write.history()) {
            kinds.add(entry.kind().name());
        }
        return "{\"account\":" + string(row.account()) + ",\"conId\":" + row.conId() + ",\"symbol\":"
                + string(row.symbol()) + ",\"lifecycleId\":" + row.id() + ",\"changes\":" + array(kinds) + ",\"status\":"
                + string(String.valueOf(row.status())) + ",\"quantity\":"
                + (row.quantity() == null ? "null" : row.quantity().toPlainString()) + "}";
    }

    /** A JSON array of strings. */
    private static String array(List<String> texts) {
        List<String> quoted = new ArrayList<>(texts.size());
        texts.forEach(text -> quoted.add(string(text)));
        return joined(quoted);
    }

    /** A JSON array of elements already written as JSON. */
    private static String joined(List<String> elements) {
        return "[" + String.join(",", elements) + "]";
    }

    /** A JSON string: quotes, backslashes and control characters escaped. */
    static String string(String text) {
        if (text == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    @Override
    public String toString() {
        return channel == null ? "RunNotifier[off]" : "RunNotifier[" + channel + "]";
    }
}

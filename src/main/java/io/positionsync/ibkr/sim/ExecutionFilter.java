package io.positionsync.ibkr.sim;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The filter of a {@code reqExecutions}: clientId 0 and empty strings mean "no filter on this field";
 * {@code since} is the parsed {@code time} field ({@code null}: no time filter).
 */
record ExecutionFilter(int clientId, String account, Instant since, String symbol, String secType, String exchange,
        String side) {

    private static final DateTimeFormatter DATE_TIME = DateTimeFormatter.ofPattern("yyyyMMdd HH:mm:ss", Locale.ROOT);

    static final ExecutionFilter NONE = new ExecutionFilter(0, "", null, "", "", "", "");

    boolean accepts(Execution execution, Instrument instrument) {
        return (clientId == 0 || execution.clientId() == clientId)
                && (account.isEmpty() || account.equalsIgnoreCase(execution.account()))
                && (since == null || !execution.time().isBefore(since))
                && (symbol.isEmpty() || symbol.equalsIgnoreCase(instrument.symbol()))
                && (secType.isEmpty() || secType.equalsIgnoreCase(instrument.secType()))
                && (exchange.isEmpty() || exchange.equalsIgnoreCase(execution.exchange()))
                && (side.isEmpty() || Side.parse(side) == execution.side());
    }

    /**
     * Reads the filter's time: {@code yyyyMMdd-HH:mm:ss} (UTC), {@code yyyyMMdd HH:mm:ss} (UTC) or
     * {@code yyyyMMdd HH:mm:ss <zone id>}; empty means no time filter.
     *
     * @throws IllegalArgumentException when the text is none of these
     */
    static Instant parseTime(String text) {
        String trimmed = text.trim().replaceAll("\\s+", " ");
        if (trimmed.isEmpty()) {
            return null;
        }
        try {
            if (trimmed.length() > 8 && trimmed.charAt(8) == '-') {
                return LocalDateTime.parse(trimmed.replace('-', ' '), DATE_TIME).toInstant(ZoneOffset.UTC);
            }
            String[] parts = trimmed.split(" ");
            if (parts.length < 2 || parts.length > 3) {
                throw new IllegalArgumentException("unreadable execution filter time '" + text + "'");
            }
            LocalDateTime local = LocalDateTime.parse(parts[0] + " " + parts[1], DATE_TIME);
            ZoneId zone = parts.length == 3 ? ZoneId.of(parts[2]) : ZoneOffset.UTC;
            return local.atZone(zone).toInstant();
        } catch (java.time.DateTimeException e) {
            throw new IllegalArgumentException("unreadable execution filter time '" + text + "'", e);
        }
    }
}

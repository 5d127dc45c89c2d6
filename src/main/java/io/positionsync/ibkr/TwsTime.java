package io.positionsync.ibkr;

import io.positionsync.ibkr.wire.ProtocolException;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * The protocol's time texts. Execution times arrive as {@code yyyyMMdd  HH:mm:ss} (two spaces, no
 * zone), {@code yyyyMMdd HH:mm:ss <zone>} or {@code yyyyMMdd-HH:mm:ss}; a text without a zone is UTC.
 */
public final class TwsTime {
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("uuuuMMdd");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");
    private static final DateTimeFormatter UTC_DASHED = DateTimeFormatter.ofPattern("uuuuMMdd-HH:mm:ss").withZone(ZoneOffset.UTC);
    private static final int DATE_LENGTH = 8;

    private TwsTime() {
    }

    /**
     * Parses an execution time.
     *
     * @throws ProtocolException when the text is in none of the known forms or names an unknown zone
     */
    public static Instant parseExecutionTime(String text) {
        String trimmed = text.trim();
        try {
            String date;
            String rest;
            if (trimmed.length() > DATE_LENGTH && trimmed.charAt(DATE_LENGTH) == '-') {
                date = trimmed.substring(0, DATE_LENGTH);
                rest = trimmed.substring(DATE_LENGTH + 1).trim();
            } else {
                String[] parts = trimmed.split("\\s+", 2);
                if (parts.length < 2) {
                    throw new ProtocolException("unrecognised execution time '" + text + "'");
                }
                date = parts[0];
                rest = parts[1];
            }
            String[] timeAndZone = rest.split("\\s+", 2);
            LocalDateTime local = LocalDateTime.of(LocalDate.parse(date, DATE), LocalTime.parse(timeAndZone[0], TIME));
            ZoneId zone = timeAndZone.length == 2 ? ZoneId.of(timeAndZone[1].trim(), ZoneId.SHORT_IDS) : ZoneOffset.UTC;
            return local.atZone(zone).toInstant();
        } catch (DateTimeParseException e) {
            throw new ProtocolException("unrecognised execution time '" + text + "'", e);
        } catch (DateTimeException e) {
            throw new ProtocolException("unknown time zone in execution time '" + text + "'", e);
        }
    }

    /** The UTC form an {@link ExecutionFilter} time takes: {@code yyyyMMdd-HH:mm:ss}. */
    public static String formatUtc(Instant instant) {
        return UTC_DASHED.format(instant);
    }
}

package io.positionsync.api;

import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Map;

import io.positionsync.sync.ReconciliationBreak;

/**
 * A reconciliation break as the API shows it ({@code GET /api/breaks}, the status's {@code openBreaks}).
 *
 * @param kind    which disagreement it is (BOT_ROW_UNMATCHED: an adopted bot's row, named in the note, no contract;
 *                ACCOUNT_CONFLICT: an account two gateways report, named with them in the note, no contract)
 * @param conId   the contract; 0 when the break names none
 * @param subject what it compares: {@code exec:<base execId>}, {@code day:<date>}, {@code obs:<run time>}; null for
 *                the contract as a whole
 */
public record BreakView(long id, String kind, String subject, long runId, Long positionId, String account, long conId,
        String symbol, String currency, BigDecimal ours, BigDecimal broker, BigDecimal difference, BigDecimal tolerance,
        Instant detectedAt, String note, Instant resolvedAt, Long resolvedRunId) {

    /** The columns a row of {@code reconciliation_breaks} must have for {@link #of(Map)}. */
    static final String COLUMNS = "id, kind, subject, run_id, position_id, account, con_id, symbol, currency, ours, "
            + "broker, difference, tolerance, detected_at, note, resolved_at, resolved_run_id";

    static BreakView of(ReconciliationBreak b) {
        return new BreakView(b.id(), b.kind(), b.subject(), b.runId(), b.positionId(), b.account(), b.conId(),
                b.symbol(), b.currency(), b.ours(), b.broker(), b.difference(), b.tolerance(), b.detectedAt(),
                b.note(), b.resolvedAt(), b.resolvedRunId());
    }

    /** A row as camel-jdbc reads it (column name to JDBC value). */
    static BreakView of(Map<String, Object> row) {
        return new BreakView(number(row, "id"), (String) row.get("kind"), (String) row.get("subject"),
                number(row, "run_id"), nullableNumber(row, "position_id"), (String) row.get("account"),
                contract(row), (String) row.get("symbol"), (String) row.get("currency"),
                (BigDecimal) row.get("ours"), (BigDecimal) row.get("broker"), (BigDecimal) row.get("difference"),
                (BigDecimal) row.get("tolerance"), instant(row.get("detected_at")), (String) row.get("note"),
                instant(row.get("resolved_at")), nullableNumber(row, "resolved_run_id"));
    }

    /** The contract's conId; 0 for a break that names none (a bot row's, an account's), as the status shows it. */
    private static long contract(Map<String, Object> row) {
        Long conId = nullableNumber(row, "con_id");
        return conId == null ? 0 : conId;
    }

    private static long number(Map<String, Object> row, String column) {
        return ((Number) row.get(column)).longValue();
    }

    private static Long nullableNumber(Map<String, Object> row, String column) {
        Object value = row.get(column);
        return value == null ? null : ((Number) value).longValue();
    }

    private static Instant instant(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof Timestamp timestamp) {
            return timestamp.toInstant();
        }
        if (value instanceof OffsetDateTime time) {
            return time.toInstant();
        }
        throw new IllegalArgumentException("not a time: " + value.getClass().getName());
    }
}

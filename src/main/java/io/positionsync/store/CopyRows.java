package io.positionsync.store;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Large inserts streamed with PostgreSQL's {@code COPY ... FROM STDIN} on the run's connection (so inside its
 * transaction): the rows travel as one stream in COPY's text format, parsed by the table's input functions without
 * a statement per chunk, array parameters or a {@code SELECT} over {@code unnest}. The stream carries data only,
 * never SQL: a value is written as COPY text, escaped so that no value can end a field or a row ({@code \}, tab,
 * newline and carriage return become {@code \\ \t \n \r}; an absent value is {@code \N}). Values are converted as
 * {@link ArrayColumns#text} converts them (plain decimals, ISO-8601 UTC instants); a list becomes a {@code text[]}
 * literal with every element quoted.
 */
final class CopyRows {
    /** Characters collected before they are sent: the stream is written in pieces, never held whole. */
    private static final int SEND_AT_CHARS = 1 << 16;

    private CopyRows() {
    }

    /**
     * Copies {@code rows} (values in the order of {@code columns}) into {@code table}. The rows are read once, in
     * order, and not kept: a caller may produce each row as it is asked for rather than hold them all.
     *
     * @return the number of rows the database stored
     */
    static long copy(Connection connection, String table, String columns, Iterable<Object[]> rows) throws SQLException {
        if (!rows.iterator().hasNext()) {
            return 0;
        }
        CopyIn copy = connection.unwrap(PGConnection.class).getCopyAPI()
                .copyIn("COPY " + table + " (" + columns + ") FROM STDIN");
        try {
            Text text = new Text(SEND_AT_CHARS + 1024);
            for (Object[] row : rows) {
                text.appendRow(row);
                if (text.chars.length() >= SEND_AT_CHARS) {
                    send(copy, text.chars);
                }
            }
            send(copy, text.chars);
            return copy.endCopy();
        } finally {
            if (copy.isActive()) {
                copy.cancelCopy(); // a failure half-way: the statement fails, the run's transaction rolls back
            }
        }
    }

    private static void send(CopyIn copy, StringBuilder text) throws SQLException {
        if (text.length() > 0) {
            byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
            copy.writeToCopy(bytes, 0, bytes.length);
            text.setLength(0);
        }
    }

    /**
     * COPY text being built. Numbers and instants need no escaping and are appended as they are; a run's rows share
     * few instants (the run's time, a fill's time), so the last one's text is kept rather than formatted again.
     */
    static final class Text {
        final StringBuilder chars;
        private Instant lastInstant;
        private String lastInstantText;

        Text(int capacity) {
            chars = new StringBuilder(capacity);
        }

        /** One row: fields separated by tabs, ended by a newline. */
        void appendRow(Object[] row) {
            for (int i = 0; i < row.length; i++) {
                if (i > 0) {
                    chars.append('\t');
                }
                appendField(row[i]);
            }
            chars.append('\n');
        }

        private void appendField(Object value) {
            if (value == null) {
                chars.append("\\N");
            } else if (value instanceof Long number) {
                chars.append(number.longValue());
            } else if (value instanceof Integer number) {
                chars.append(number.intValue());
            } else if (value instanceof BigDecimal decimal) {
                chars.append(decimal.toPlainString());
            } else if (value instanceof Instant instant) {
                if (!instant.equals(lastInstant)) {
                    lastInstant = instant;
                    lastInstantText = instant.toString();
                }
                chars.append(lastInstantText);
            } else if (value instanceof List<?> list) {
                appendEscaped(chars, arrayLiteral(list));
            } else {
                appendEscaped(chars, ArrayColumns.text(value));
            }
        }
    }

    /** {@code value} as COPY text: the characters that delimit fields and rows, and the escape itself, escaped. */
    static void appendEscaped(StringBuilder text, String value) {
        int first = 0;
        while (first < value.length() && !special(value.charAt(first))) {
            first++;
        }
        if (first == value.length()) {
            text.append(value); // the usual case: nothing to escape
            return;
        }
        text.append(value, 0, first);
        for (int i = first; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> text.append("\\\\");
                case '\t' -> text.append("\\t");
                case '\n' -> text.append("\\n");
                case '\r' -> text.append("\\r");
                case '\0' -> throw new IllegalArgumentException("PostgreSQL text cannot hold a NUL character");
                default -> text.append(c);
            }
        }
    }

    private static boolean special(char c) {
        return c == '\\' || c == '\t' || c == '\n' || c == '\r' || c == '\0';
    }

    /** A {@code text[]} literal: {@code {"a","b"}}, every element quoted, {@code "} and {@code \} escaped inside. */
    static String arrayLiteral(List<?> values) {
        StringBuilder literal = new StringBuilder(2 + values.size() * 16).append('{');
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                literal.append(',');
            }
            Object value = values.get(i);
            if (value == null) {
                literal.append("NULL");
                continue;
            }
            literal.append('"');
            String element = value.toString();
            for (int j = 0; j < element.length(); j++) {
                char c = element.charAt(j);
                if (c == '"' || c == '\\') {
                    literal.append('\\');
                }
                literal.append(c);
            }
            literal.append('"');
        }
        return literal.append('}').toString();
    }
}

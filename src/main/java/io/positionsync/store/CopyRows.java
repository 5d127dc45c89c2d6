package io.positionsync.store;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
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
     * Copies {@code rows} (values in the order of {@code columns}) into {@code table}.
     *
     * @return the number of rows the database stored
     */
    static long copy(Connection connection, String table, String columns, List<Object[]> rows) throws SQLException {
        if (rows.isEmpty()) {
            return 0;
        }
        CopyIn copy = connection.unwrap(PGConnection.class).getCopyAPI()
                .copyIn("COPY " + table + " (" + columns + ") FROM STDIN");
        try {
            StringBuilder text = new StringBuilder(SEND_AT_CHARS + 1024);
            for (Object[] row : rows) {
                appendRow(text, row);
                if (text.length() >= SEND_AT_CHARS) {
                    send(copy, text);
                }
            }
            send(copy, text);
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

    /** One row of COPY text: fields separated by tabs, ended by a newline. */
    static void appendRow(StringBuilder text, Object[] row) {
        for (int i = 0; i < row.length; i++) {
            if (i > 0) {
                text.append('\t');
            }
            appendField(text, row[i]);
        }
        text.append('\n');
    }

    private static void appendField(StringBuilder text, Object value) {
        if (value == null) {
            text.append("\\N");
        } else if (value instanceof List<?> list) {
            appendEscaped(text, arrayLiteral(list));
        } else {
            appendEscaped(text, ArrayColumns.text(value));
        }
    }

    /** {@code value} as COPY text: the characters that delimit fields and rows, and the escape itself, escaped. */
    static void appendEscaped(StringBuilder text, String value) {
        for (int i = 0; i < value.length(); i++) {
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

package io.positionsync.store;

import java.math.BigDecimal;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Rows collected column by column and bound as one {@code text[]} parameter per column, for set-based
 * statements over {@code unnest(?::bigint[], ?::numeric[], ...)}: thousands of rows per statement and per
 * round trip, still fully parameterised. Values travel as text and are cast by the statement, which keeps
 * numerics exact ({@link BigDecimal#toPlainString()}) and instants in ISO-8601 UTC.
 */
final class ArrayColumns {
    /** Joins a row's execution ids into one array element; split again in SQL with {@code chr(31)}. */
    static final char EXEC_ID_SEPARATOR = '\u001f';

    private final List<List<String>> columns;

    ArrayColumns(int columnCount, int expectedRows) {
        columns = new ArrayList<>(columnCount);
        for (int i = 0; i < columnCount; i++) {
            columns.add(new ArrayList<>(expectedRows));
        }
    }

    void add(Object... values) {
        if (values.length != columns.size()) {
            throw new IllegalArgumentException("expected " + columns.size() + " values, got " + values.length);
        }
        for (int i = 0; i < values.length; i++) {
            columns.get(i).add(text(values[i]));
        }
    }

    int rows() {
        return columns.get(0).size();
    }

    boolean isEmpty() {
        return rows() == 0;
    }

    /** Binds every column from parameter {@code first} on; returns the next free parameter index. */
    int bind(Connection connection, PreparedStatement statement, int first) throws SQLException {
        int index = first;
        for (List<String> column : columns) {
            Array array = connection.createArrayOf("text", column.toArray(new String[0]));
            statement.setArray(index++, array);
        }
        return index;
    }

    void clear() {
        columns.forEach(List::clear);
    }

    static String text(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof BigDecimal decimal) {
            return decimal.toPlainString();
        }
        if (value instanceof Instant instant) {
            return instant.toString();
        }
        if (value instanceof Boolean bool) {
            return bool ? "true" : "false";
        }
        if (value instanceof Enum<?> constant) {
            return constant.name();
        }
        if (value instanceof List<?> list) {
            return execIds(list);
        }
        return value.toString();
    }

    private static String execIds(List<?> ids) {
        StringBuilder joined = new StringBuilder();
        for (Object id : ids) {
            String text = String.valueOf(id);
            if (text.indexOf(EXEC_ID_SEPARATOR) >= 0) {
                throw new IllegalArgumentException("execution id contains a control character: " + text);
            }
            if (joined.length() > 0) {
                joined.append(EXEC_ID_SEPARATOR);
            }
            joined.append(text);
        }
        return joined.toString();
    }

    /**
     * Runs {@code sql} once per {@code chunk} rows: {@code leading} values are bound first (as their own
     * types), then one text array per column.
     *
     * @return the sum of the update counts
     */
    static int executeChunked(Connection connection, String sql, int columnCount, int chunk, List<Object[]> rows,
            Object... leading) throws SQLException {
        if (rows.isEmpty()) {
            return 0;
        }
        int total = 0;
        ArrayColumns columns = new ArrayColumns(columnCount, Math.min(chunk, rows.size()));
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < rows.size(); i++) {
                columns.add(rows.get(i));
                if (columns.rows() == chunk || i == rows.size() - 1) {
                    int index = 1;
                    for (Object value : leading) {
                        if (value instanceof Instant instant) {
                            Jdbc.setInstant(statement, index++, instant);
                        } else {
                            statement.setObject(index++, value);
                        }
                    }
                    columns.bind(connection, statement, index);
                    columns.clear();
                    total += statement.executeUpdate();
                }
            }
        }
        return total;
    }
}

package io.positionsync.api;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;

import io.positionsync.store.PositionQuery;
import io.positionsync.store.PositionRepository;
import io.positionsync.sync.StoredPosition;

/**
 * The positions of a query as CSV, read a page at a time while the response is written: however many rows
 * match, one page is in memory. Pages follow the listing's order; a sync that runs during a long download may
 * move a row from one page to the next, as with any paged read.
 */
final class PositionsCsv extends InputStream {
    static final String HEADER = "id,account,con_id,symbol,sec_type,currency,multiplier,status,quantity,average_price,"
            + "market_price,unrealized_pnl,realized_pnl,realized_pnl_source,opened_at,closed_at,last_synced_at\r\n";

    private final PositionRepository positions;
    private final PositionQuery query;
    private final int pageSize;
    private int offset;
    private boolean lastPage;
    private byte[] buffer;
    private int position;

    /** Reads the first page now, so a database that does not answer is a 503, not a cut download. */
    PositionsCsv(PositionRepository positions, PositionQuery query, int pageSize) throws SQLException {
        this.positions = Objects.requireNonNull(positions, "positions");
        this.query = query;
        this.pageSize = pageSize;
        this.buffer = (HEADER + page()).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] target, int from, int length) throws IOException {
        Objects.checkFromIndexSize(from, length, target.length);
        if (length == 0) {
            return 0;
        }
        while (position == buffer.length) {
            if (lastPage) {
                return -1;
            }
            try {
                buffer = page().getBytes(StandardCharsets.UTF_8);
            } catch (SQLException e) {
                throw new IOException("positions export: " + e.getMessage(), e);
            }
            position = 0;
        }
        int n = Math.min(length, buffer.length - position);
        System.arraycopy(buffer, position, target, from, n);
        position += n;
        return n;
    }

    private String page() throws SQLException {
        List<StoredPosition> rows = positions.find(query.withPage(pageSize, offset));
        offset += rows.size();
        lastPage = rows.size() < pageSize;
        StringBuilder csv = new StringBuilder(rows.size() * 160);
        for (StoredPosition p : rows) {
            csv.append(p.id()).append(',')
                    .append(text(p.account())).append(',')
                    .append(p.conId()).append(',')
                    .append(text(p.symbol())).append(',')
                    .append(text(p.secType())).append(',')
                    .append(text(p.currency())).append(',')
                    .append(decimal(p.multiplier())).append(',')
                    .append(p.status().name()).append(',')
                    .append(decimal(p.quantity())).append(',')
                    .append(decimal(p.averagePrice())).append(',')
                    .append(decimal(p.marketPrice())).append(',')
                    .append(decimal(p.unrealizedPnl())).append(',')
                    .append(decimal(p.realizedPnl())).append(',')
                    .append(p.realizedPnlSource() == null ? "" : p.realizedPnlSource().name()).append(',')
                    .append(Objects.toString(JsonViews.time(p.openedAt()), "")).append(',')
                    .append(Objects.toString(JsonViews.time(p.closedAt()), "")).append(',')
                    .append(Objects.toString(JsonViews.time(p.lastSyncedAt()), "")).append("\r\n");
        }
        return csv.toString();
    }

    private static String decimal(java.math.BigDecimal value) {
        return value == null ? "" : value.toPlainString();
    }

    /**
     * A text field, quoted when it holds a separator, and never read as a formula by a spreadsheet (a leading
     * {@code = + - @} gets a quote character in front).
     */
    static String text(String value) {
        if (value == null) {
            return "";
        }
        String safe = !value.isEmpty() && "=+-@\t\r".indexOf(value.charAt(0)) >= 0 ? "'" + value : value;
        if (safe.indexOf(',') >= 0 || safe.indexOf('"') >= 0 || safe.indexOf('\n') >= 0 || safe.indexOf('\r') >= 0) {
            return '"' + safe.replace("\"", "\"\"") + '"';
        }
        return safe;
    }
}

package io.positionsync.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import javax.sql.DataSource;

import io.positionsync.sync.RealizedPnlSource;

/**
 * Realized P&L per UTC day, account, currency and source, summed from the stored lifecycles' history: every
 * change that realized something ({@code REDUCED}, {@code CLOSED}, and the difference an {@code ADJUSTED} made)
 * counts on the day its run recorded it. A late correction therefore shows on the day it was learned, and the
 * days before keep what was known then.
 */
public final class DailyPnlRepository {
    /** The history row's own source; rows written before sources were recorded count as execution-backed. */
    private static final String QUERY = """
            SELECT (h.recorded_at AT TIME ZONE 'UTC')::date AS day, p.account, p.currency,
                   coalesce(h.realized_pnl_source, 'EXECUTIONS') AS source,
                   sum(h.realized_pnl_delta) AS realized, count(*) AS changes
            FROM position_history h
            JOIN positions p ON p.id = h.position_id
            WHERE h.realized_pnl_delta IS NOT NULL
              AND h.recorded_at >= ? AND h.recorded_at < ?
              AND (?::text IS NULL OR p.account = ?)
            GROUP BY 1, 2, 3, 4
            ORDER BY 1, 2, 3, 4
            """;

    private final DataSource dataSource;

    public DailyPnlRepository(DataSource dataSource) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /** Days {@code from} to {@code to}, both included; every account when {@code account} is null. */
    public List<DailyPnl> daily(LocalDate from, LocalDate to, String account) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(QUERY)) {
            statement.setObject(1, from.atStartOfDay().atOffset(ZoneOffset.UTC));
            statement.setObject(2, to.plusDays(1).atStartOfDay().atOffset(ZoneOffset.UTC));
            statement.setString(3, account);
            statement.setString(4, account);
            List<DailyPnl> days = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    days.add(new DailyPnl(rows.getObject("day", LocalDate.class), rows.getString("account"),
                            rows.getString("currency"), RealizedPnlSource.valueOf(rows.getString("source")),
                            rows.getBigDecimal("realized"), rows.getLong("changes")));
                }
            }
            return days;
        }
    }
}

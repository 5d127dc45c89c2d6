package io.positionsync.store;

import static io.positionsync.store.Changes.opened;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.positionsync.sync.LifecycleWrite;
import io.positionsync.sync.SyncTrigger;

/** COPY streams the same values the set-based statements write, whatever characters they hold (real PostgreSQL). */
class CopyRowsTest {
    private static final Instant T0 = Instant.parse("2026-11-30T15:00:00.123456Z");

    /** Texts that end a field, a row or an escape in COPY's text format, or look like its markers. */
    private static final List<String> AWKWARD = List.of("tab\there", "back\\slash", "two \\\\ back", "new\nline",
            "cr\r\nlf", "quotes ' and \"", "unicode € 日本 🙂 ü", "\\N", "\\.", "", "NULL", "{braces,comma}", " spaced ",
            "trailing backslash \\", "\\t not a tab");

    @RegisterExtension
    static final StoreDatabase db = new StoreDatabase();

    @BeforeEach
    void empty() throws SQLException {
        try (Connection connection = db.connection(); Statement statement = connection.createStatement()) {
            statement.execute("DROP TABLE IF EXISTS copy_probe");
            statement.execute("CREATE TABLE copy_probe (n integer, t text, a text[], d numeric, at timestamptz, b boolean)");
        }
    }

    @Test
    void awkwardTextsNullsAndArraysRoundTrip() throws SQLException {
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i < AWKWARD.size(); i++) {
            rows.add(new Object[] {i, AWKWARD.get(i), List.of(AWKWARD.get(i), "x"), new BigDecimal("-1234.50000000"), T0,
                i % 2 == 0});
        }
        rows.add(new Object[] {AWKWARD.size(), null, List.of(), null, null, null});
        rows.add(new Object[] {AWKWARD.size() + 1, "array with a NULL", Arrays.asList("a", null, "NULL"), BigDecimal.ZERO,
            T0, true});

        try (Connection connection = db.connection()) {
            connection.setAutoCommit(false);
            assertThat(CopyRows.copy(connection, "copy_probe", "n, t, a, d, at, b", rows)).isEqualTo(rows.size());
            connection.commit();
        }

        try (Connection connection = db.connection();
                PreparedStatement statement = connection.prepareStatement("SELECT n, t, a, d, at, b FROM copy_probe ORDER BY n");
                ResultSet result = statement.executeQuery()) {
            for (int i = 0; i < AWKWARD.size(); i++) {
                assertThat(result.next()).isTrue();
                String expected = AWKWARD.get(i);
                assertThat(result.getString("t")).as("text %d", i).isEqualTo(expected);
                assertThat((Object[]) result.getArray("a").getArray()).as("array %d", i).containsExactly(expected, "x");
                assertThat(result.getBigDecimal("d")).isEqualTo(new BigDecimal("-1234.50000000"));
                assertThat(Jdbc.instant(result, "at")).isEqualTo(T0);
                assertThat(result.getBoolean("b")).isEqualTo(i % 2 == 0);
            }
            assertThat(result.next()).isTrue();
            assertThat(result.getString("t")).isNull();
            assertThat((Object[]) result.getArray("a").getArray()).isEmpty();
            assertThat(result.getObject("d")).isNull();
            assertThat(result.getObject("at")).isNull();
            assertThat(result.getObject("b")).isNull();
            assertThat(result.next()).isTrue();
            assertThat((Object[]) result.getArray("a").getArray()).containsExactly("a", null, "NULL");
            assertThat(result.next()).isFalse();
        }
    }

    @Test
    void aNulCharacterIsRefusedAndAFailedCopyLeavesNothing() throws SQLException {
        try (Connection connection = db.connection()) {
            connection.setAutoCommit(false);
            List<Object[]> withNul = List.<Object[]>of(new Object[] {1, "a\0b", null, null, null, null});
            assertThatThrownBy(() -> CopyRows.copy(connection, "copy_probe", "n, t, a, d, at, b", withNul))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NUL");
            connection.rollback();

            List<Object[]> rows = new ArrayList<>();
            rows.add(new Object[] {1, "fine", null, null, null, null});
            rows.add(new Object[] {2, "not a number", null, "12,5", null, null});
            assertThatThrownBy(() -> CopyRows.copy(connection, "copy_probe", "n, t, a, d, at, b", rows))
                    .isInstanceOf(SQLException.class).hasMessageContaining("numeric");
            connection.rollback();
        }
        assertThat(db.count("FROM copy_probe")).isZero();
    }

    @Test
    void positionsHistoryAndLedgerWrittenByCopyEqualThoseWrittenBySetBasedStatements() throws SQLException {
        // chunk 2: five rows are streamed with COPY; chunk 100: the same rows through unnest
        List<Map<String, Object>> copied = writeFive(new PositionRepository(db.dataSource(),
                new ExecutionRepository(db.dataSource(), 2), 2), new LedgerRepository(2), "DU1");
        List<Map<String, Object>> statements = writeFive(new PositionRepository(db.dataSource(),
                new ExecutionRepository(db.dataSource(), 100), 100), new LedgerRepository(100), "DU2");

        assertThat(copied).hasSize(5);
        assertThat(copied).isEqualTo(statements);
        assertThat(copied.get(0).get("symbol")).isEqualTo(AWKWARD.get(0));
        assertThat(copied.get(0).get("exec_ids")).isEqualTo(List.of("0001.01", AWKWARD.get(0)));
    }

    /** Opens five positions of {@code account} with awkward symbols and execution ids; their rows, account aside. */
    private static List<Map<String, Object>> writeFive(PositionRepository positions, LedgerRepository ledger,
            String account) throws SQLException {
        List<LifecycleWrite> writes = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            writes.add(opened(account, i + 1, AWKWARD.get(i), "10.5", "100.25", T0, "0001.0" + (i + 1), AWKWARD.get(i)));
        }
        try (Connection connection = db.connection()) {
            connection.setAutoCommit(false);
            long runId = new SyncRunRepository(db.dataSource()).insertStarted(connection, SyncTrigger.TIMER, T0, null);
            long[] ids = positions.reserveIds(connection, writes.size());
            List<LifecycleWrite> withIds = new ArrayList<>();
            for (int i = 0; i < writes.size(); i++) {
                withIds.add(writes.get(i).withId(ids[i]));
            }
            positions.write(connection, runId, withIds, T0);
            ledger.write(connection, runId, withIds);
            connection.commit();
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        try (Connection connection = db.connection();
                PreparedStatement statement = connection.prepareStatement("""
                        SELECT p.con_id, p.symbol, p.sec_type, p.currency, p.multiplier::text, p.quantity::text,
                               p.average_price::text, p.market_price::text, p.unrealized_pnl::text, p.status, p.opened_at,
                               p.last_synced_at, h.change_kind, h.quantity_after::text AS h_quantity, h.exec_ids,
                               h.recorded_at, e.seq, e.kind, e.quantity::text AS e_quantity, e.price::text AS e_price,
                               e.commission_pending, e.opening_estimated
                        FROM positions p
                        JOIN position_history h ON h.position_id = p.id
                        JOIN ledger_entries e ON e.position_id = p.id
                        WHERE p.account = ? ORDER BY p.con_id
                        """)) {
            statement.setString(1, account);
            try (ResultSet result = statement.executeQuery()) {
                int columns = result.getMetaData().getColumnCount();
                while (result.next()) {
                    Map<String, Object> row = new java.util.LinkedHashMap<>();
                    for (int c = 1; c <= columns; c++) {
                        Object value = result.getObject(c);
                        if (value instanceof java.sql.Array array) {
                            value = List.of((Object[]) array.getArray());
                        }
                        row.put(result.getMetaData().getColumnLabel(c), value);
                    }
                    rows.add(row);
                }
            }
        }
        return rows;
    }
}

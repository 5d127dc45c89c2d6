package io.positionsync.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.positionsync.sync.ExecutionState;
import io.positionsync.sync.FillLedger;
import io.positionsync.sync.InstrumentFacts;
import io.positionsync.sync.InstrumentReconciler;
import io.positionsync.sync.InstrumentResult;
import io.positionsync.sync.LedgerEntry;
import io.positionsync.sync.LedgerState;
import io.positionsync.sync.PositionKey;
import io.positionsync.sync.RunInputs;
import io.positionsync.sync.SnapshotPosition;
import io.positionsync.sync.StoredPosition;
import io.positionsync.sync.StoredExecution;

/**
 * A database written by the version before the fill ledger (schema version 8: quantities compared between
 * snapshots, executions marked applied or not) migrates forward without losing a row, and its figures stay:
 * every lifecycle becomes an opening balance whose fold gives back its quantity, average and realized P&L, its
 * executions are never applied again, and the next run on an unchanged broker changes nothing.
 */
class FillLedgerMigrationTest {
    private static final List<String> TABLES = List.of("positions", "position_history", "executions", "sync_runs",
            "reconciliation_breaks");

    private TestDatabase db;

    @BeforeEach
    void versionEightDatabase() throws SQLException {
        db = TestDatabase.createEmpty();
        Flyway.configure().dataSource(db.dataSource()).locations(Migrations.MIGRATION_LOCATION).target("8").load()
                .migrate();
        try (Connection connection = db.connection(); Statement statement = connection.createStatement()) {
            statement.executeUpdate("INSERT INTO sync_runs (id, trigger, started_at, finished_at, status, opened, closed)"
                    + " VALUES (1, 'STARTUP', '2026-11-20T10:00:00Z', '2026-11-20T10:00:01Z', 'SUCCEEDED', 3, 0),"
                    + " (2, 'TIMER', '2026-11-20T10:01:00Z', '2026-11-20T10:01:01Z', 'SUCCEEDED', 0, 1)");
            statement.executeUpdate("INSERT INTO positions (id, account, con_id, symbol, sec_type, currency, multiplier,"
                    + " quantity, average_price, market_price, unrealized_pnl, realized_pnl, realized_pnl_source, status,"
                    + " opened_at, closed_at, last_synced_at) VALUES"
                    + " (1, 'DU1', 265598, 'AAPL', 'STK', 'USD', 1, 0, 150.01, 160, 0, 998.00, 'EXECUTIONS', 'CLOSED',"
                    + "  '2026-11-20T10:00:00Z', '2026-11-20T10:01:00Z', '2026-11-20T10:01:01Z'),"
                    + " (2, 'DU1', 495512563, 'ES', 'FUT', 'USD', 50, 2, 5000.048, 5010, 995.2, 12.50, 'MARKET_PRICE',"
                    + "  'OPEN', '2026-11-20T10:00:00Z', NULL, '2026-11-20T10:01:01Z'),"
                    + " (3, 'DU2', 111111, 'XYZ', 'STK', 'USD', 1, -30, 20.02, 18, 60.6, 40.00, 'EXECUTIONS', 'OPEN',"
                    + "  '2026-11-20T10:00:00Z', NULL, '2026-11-20T10:01:01Z'),"
                    + " (4, 'DU2', 222222, 'ABC', 'STK', 'USD', 1, 100, 9.00, 9.5, 50, NULL, NULL, 'OPEN',"
                    + "  '2026-11-20T10:00:00Z', NULL, '2026-11-20T10:01:01Z')");
            statement.executeUpdate("INSERT INTO executions (exec_id, base_exec_id, account, con_id, symbol, sec_type,"
                    + " side, shares, price, exec_time, commission, commission_currency, ib_realized_pnl,"
                    + " first_seen_run_id, applied_run_id, superseded_by) VALUES"
                    + " ('a.01', 'a', 'DU1', 265598, 'AAPL', 'STK', 'BOT', 100, 150, '2026-11-20T09:00:00Z', 1, 'USD', NULL,"
                    + "  1, NULL, NULL),"
                    + " ('s.02', 's', 'DU1', 265598, 'AAPL', 'STK', 'SLD', 100, 160, '2026-11-20T10:00:30Z', 1, 'USD', 998,"
                    + "  2, 2, NULL),"
                    + " ('s.01', 's', 'DU1', 265598, 'AAPL', 'STK', 'SLD', 100, 159, '2026-11-20T10:00:30Z', 1, 'USD', 898,"
                    + "  2, NULL, 's.02')");
            statement.executeUpdate("INSERT INTO position_history (position_id, run_id, change_kind, quantity_before,"
                    + " quantity_after, realized_pnl_delta, realized_pnl_total, realized_pnl_source, exec_ids, recorded_at)"
                    + " VALUES (1, 1, 'OPENED', 0, 100, NULL, NULL, NULL, '{a.01}', '2026-11-20T10:00:00Z'),"
                    + " (1, 2, 'CLOSED', 100, 0, 998.00, 998.00, 'EXECUTIONS', '{s.02}', '2026-11-20T10:01:00Z')");
            statement.executeUpdate("INSERT INTO reconciliation_breaks (run_id, position_id, account, con_id, symbol,"
                    + " ours, broker, difference, tolerance, detected_at, kind) VALUES"
                    + " (2, 1, 'DU1', 265598, 'AAPL', 998, 997, 1, 0.01, '2026-11-20T10:01:01Z', 'REALIZED_PNL_MISMATCH')");
            statement.execute("SELECT setval(pg_get_serial_sequence('positions', 'id'), 4)");
            statement.execute("SELECT setval(pg_get_serial_sequence('sync_runs', 'id'), 2)");
        }
    }

    @AfterEach
    void drop() {
        db.close();
    }

    @Test
    void everyRowIsKeptAndEveryLifecycleFoldsBackToItsStoredFigures() throws SQLException {
        Map<String, Long> before = counts();
        List<String> positionsBefore = db.dump("SELECT id, account, con_id, quantity, average_price, realized_pnl,"
                + " realized_pnl_source, status, opened_at, closed_at FROM positions ORDER BY id");

        Migrations.migrate(db.dataSource());

        assertThat(counts()).isEqualTo(before);
        assertThat(db.dump("SELECT id, account, con_id, quantity, average_price, realized_pnl, realized_pnl_source, status,"
                + " opened_at, closed_at FROM positions ORDER BY id")).isEqualTo(positionsBefore);

        PositionRepository positions = new PositionRepository(db.dataSource(), new ExecutionRepository(db.dataSource(), 100), 100);
        LedgerRepository ledger = new LedgerRepository(100);
        try (Connection connection = db.connection()) {
            Map<Long, StoredPosition> rows = positions.findByIds(connection, List.of(1L, 2L, 3L, 4L));
            Map<Long, List<LedgerEntry>> entries = ledger.entries(connection, rows.keySet());
            for (StoredPosition row : rows.values()) {
                LedgerState folded = FillLedger.fold(entries.get(row.id()), row.multiplier());
                assertThat(folded.quantity()).as("quantity of %d", row.id()).isEqualByComparingTo(row.quantity());
                assertThat(folded.average()).as("average of %d", row.id()).isEqualByComparingTo(row.averagePrice());
                assertThat(folded.realizedAny() ? FillLedger.stored(folded.realized()) : null)
                        .as("realized of %d", row.id())
                        .usingComparator((a, b) -> a == null || b == null ? (a == b ? 0 : 1) : a.compareTo(b))
                        .isEqualTo(row.realizedPnl());
                assertThat(folded.source()).as("source of %d", row.id()).isEqualTo(row.realizedPnlSource());
            }
            assertThat(new AccountRepository(db.dataSource()).known(connection)).containsExactlyInAnyOrder("DU1", "DU2");
            Map<String, StoredExecution> executions = new ExecutionRepository(db.dataSource(), 100)
                    .findByBases(connection, List.of("a", "s"));
            assertThat(executions.get("a.01").state()).isEqualTo(ExecutionState.COVERED);
            assertThat(executions.get("s.02").state()).isEqualTo(ExecutionState.APPLIED);
            assertThat(executions.get("s.01").state()).isEqualTo(ExecutionState.SUPERSEDED);

            // the next run, the broker unchanged: nothing is folded, estimated or adjusted
            InstrumentReconciler reconciler = new InstrumentReconciler();
            for (StoredPosition row : rows.values()) {
                if (row.quantity().signum() == 0) {
                    continue;
                }
                SnapshotPosition broker = new SnapshotPosition(row.account(), row.conId(), row.symbol(), row.secType(),
                        row.currency(), row.multiplier(), row.quantity(), row.averagePrice(), row.marketPrice(), null,
                        row.unrealizedPnl(), null);
                InstrumentResult result = reconciler.reconcile(new InstrumentFacts(new PositionKey(row.account(),
                        row.conId()), broker, row, entries.get(row.id()), List.of(), List.of(), Map.of(), List.of(),
                        List.of(), false, Set.of()), new RunInputs(3, Instant.parse("2026-11-21T10:00:00Z"),
                        new BigDecimal("0.01"), Map.of()));
                assertThat(result.lifecycles()).singleElement().satisfies(w -> {
                    assertThat(w.touchOnly()).isTrue();
                    assertThat(w.row().realizedPnl()).usingComparator(
                            (a, b) -> a == null || b == null ? (a == b ? 0 : 1) : a.compareTo(b)).isEqualTo(row.realizedPnl());
                });
                assertThat(result.breaks()).isEmpty();
            }
        }
        assertThat(db.dump("SELECT kind, resolved_run_id FROM reconciliation_breaks"))
                .containsExactly("REALIZED_PNL_MISMATCH|null");
    }

    private Map<String, Long> counts() throws SQLException {
        Map<String, Long> counts = new java.util.LinkedHashMap<>();
        for (String table : TABLES) {
            counts.put(table, StoreTables.count(db, "FROM " + table));
        }
        return counts;
    }
}

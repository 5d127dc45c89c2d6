package io.positionsync.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.positionsync.sync.BreakRef;
import io.positionsync.sync.InstrumentFacts;
import io.positionsync.sync.InstrumentReconciler;
import io.positionsync.sync.InstrumentResult;
import io.positionsync.sync.LedgerEntry;
import io.positionsync.sync.Lifecycle;
import io.positionsync.sync.LifecycleWrite;
import io.positionsync.sync.PositionKey;
import io.positionsync.sync.PositionStatus;
import io.positionsync.sync.RunInputs;
import io.positionsync.sync.SnapshotPosition;
import io.positionsync.sync.StoredPosition;

/**
 * A database written by the release before reconcile-and-pnl version 3 (schema version 12, ledger version 2): the
 * built-in demo's three days of history and its first live runs, as that release stored them
 * ({@code src/test/resources/db/v12-demo-database.sql}, see the README there). Migrated to the newest version,
 * every lifecycle keeps its figures, every key's stored chain folds back to itself when refolded with no new fact,
 * and the rollback to version 12 gives back the database as it was.
 */
class LedgerV3MigrationTest {
    static final String FIXTURE = "db/v12-demo-database.sql";
    private static final List<String> TABLES = List.of("accounts", "sync_runs", "positions", "position_history",
            "ledger_entries", "executions", "reconciliation_breaks", "exchange_rates");
    private static final String FIGURES = "SELECT id, account, con_id, quantity, average_price, realized_pnl,"
            + " realized_pnl_source, status, opened_at, closed_at FROM positions ORDER BY id";

    private TestDatabase db;

    @BeforeEach
    void versionTwelveDatabaseWrittenByTheDemo() throws SQLException {
        db = TestDatabase.createEmpty();
        Flyway.configure().dataSource(db.dataSource()).locations(Migrations.MIGRATION_LOCATION).target("12").load()
                .migrate();
        assertThat(Migrations.currentVersion(db.dataSource())).isEqualTo(12);
        try (Connection connection = db.connection(); Statement statement = connection.createStatement()) {
            statement.execute(fixture());
        }
    }

    @AfterEach
    void drop() {
        db.close();
    }

    @Test
    void theFixtureIsARealisticVersionTwoDatabase() throws SQLException {
        // what the demo's history holds: several keys, closed and open lifecycles, opening balances, flips (one
        // execution in two lifecycles), estimates that late fills replaced, pending commissions, a correction
        assertThat(count("FROM sync_runs")).isGreaterThan(20);
        assertThat(count("FROM (SELECT DISTINCT account, con_id FROM positions) k")).isGreaterThan(5);
        assertThat(count("FROM positions WHERE status = 'CLOSED'")).isGreaterThan(0);
        assertThat(count("FROM positions WHERE status = 'OPEN'")).isGreaterThan(0);
        assertThat(count("FROM ledger_entries WHERE kind = 'FILL'")).isGreaterThan(50);
        assertThat(count("FROM ledger_entries WHERE kind = 'OPENING_BALANCE'")).isGreaterThan(0);
        assertThat(count("FROM (SELECT exec_id FROM ledger_entries WHERE exec_id IS NOT NULL GROUP BY exec_id"
                + " HAVING count(DISTINCT position_id) > 1) flips")).isGreaterThan(0);
        assertThat(count("FROM reconciliation_breaks WHERE kind = 'UNEXPLAINED_QUANTITY'")).isGreaterThan(0);
        assertThat(count("FROM reconciliation_breaks WHERE kind = 'COMMISSION_PENDING'")).isGreaterThan(0);
        assertThat(count("FROM position_history WHERE change_kind = 'ADJUSTED'")).isGreaterThan(0);
        assertThat(count("FROM executions WHERE superseded_by IS NOT NULL")).isGreaterThan(0);
    }

    @Test
    void migrationKeepsEveryRowAndEveryLifecyclesFigures() throws SQLException {
        Map<String, Long> before = counts();
        List<String> figures = db.dump(FIGURES);
        List<String> entries = db.dump("SELECT position_id, seq, kind, exec_id, quantity, price, commission FROM"
                + " ledger_entries ORDER BY position_id, seq");

        Migrations.Migrated migrated = Migrations.migrate(db.dataSource());

        assertThat(migrated.fromVersion()).isEqualTo(12);
        assertThat(migrated.toVersion()).isGreaterThanOrEqualTo(14);
        assertThat(counts()).isEqualTo(before);
        assertThat(db.dump(FIGURES)).isEqualTo(figures);
        assertThat(db.dump("SELECT position_id, seq, kind, exec_id, quantity, price, commission FROM ledger_entries"
                + " ORDER BY position_id, seq")).isEqualTo(entries);
        // entries written by version 2 carry no fold time and no observation: they are folded as they stand
        assertThat(count("FROM ledger_entries WHERE fold_time IS NOT NULL OR observed_quantity IS NOT NULL"
                + " OR observed_average IS NOT NULL OR observed_market IS NOT NULL")).isZero();
        assertThat(count("FROM reconciliation_breaks WHERE subject IS NOT NULL")).isZero();
    }

    @Test
    void everyKeysStoredChainFoldsBackToItself() throws SQLException {
        Migrations.migrate(db.dataSource());
        List<String> figures = db.dump(FIGURES);
        Map<String, Long> counts = counts();

        List<String> notFoldingBack = new ArrayList<>();
        int keys = 0;
        try (Connection connection = db.connection()) {
            Map<PositionKey, List<Long>> lifecycles = lifecyclesByKey(connection);
            Map<PositionKey, Set<BreakRef>> openBreaks = new BreakRepository(db.dataSource()).openRefs(connection);
            PositionRepository positions = new PositionRepository(db.dataSource(),
                    new ExecutionRepository(db.dataSource(), 100), 100);
            LedgerRepository ledger = new LedgerRepository(100);
            RunInputs run = new RunInputs(latest(connection, "SELECT max(id) FROM sync_runs").longValue() + 1,
                    latestRunStart(connection).plusSeconds(60),
                    new BigDecimal("0.01"), Map.of());
            InstrumentReconciler reconciler = new InstrumentReconciler();
            for (Map.Entry<PositionKey, List<Long>> key : lifecycles.entrySet()) {
                keys++;
                Map<Long, StoredPosition> rows = positions.findByIds(connection, key.getValue());
                Map<Long, List<LedgerEntry>> entries = ledger.entries(connection, key.getValue());
                StoredPosition open = null;
                List<Lifecycle> closed = new ArrayList<>();
                for (Long id : key.getValue()) {
                    StoredPosition row = rows.get(id);
                    if (row.status() == PositionStatus.OPEN) {
                        assertThat(open).as("one open lifecycle of %s", key.getKey()).isNull();
                        open = row;
                    } else {
                        closed.add(new Lifecycle(row, entries.get(id)));
                    }
                }
                SnapshotPosition broker = open == null ? null
                        : new SnapshotPosition(open.account(), open.conId(), open.symbol(), open.secType(),
                                open.currency(), open.multiplier(), open.quantity(), open.averagePrice(),
                                open.marketPrice(), null, open.unrealizedPnl(), null);
                Set<BreakRef> breaks = openBreaks.getOrDefault(key.getKey(), Set.of());
                InstrumentResult result = reconciler.reconcile(new InstrumentFacts(key.getKey(), broker, open,
                        open == null ? null : entries.get(open.id()), closed, List.of(), Map.of(), List.of(), List.of(),
                        Set.of(), false, breaks, Set.of()), run);
                String problem = problem(result, open, rows);
                if (problem != null) {
                    notFoldingBack.add(key.getKey() + " (" + key.getValue().size() + " lifecycles): " + problem);
                }
            }
        }
        assertThat(keys).isGreaterThan(5);
        assertThat(notFoldingBack).as("keys whose version-2 chain does not fold back to itself").isEmpty();
        // nothing was written by looking
        assertThat(db.dump(FIGURES)).isEqualTo(figures);
        assertThat(counts()).isEqualTo(counts);
    }

    @Test
    void rollbackToTwelveGivesBackTheDatabaseAsVersionTwoWroteIt() throws SQLException {
        Map<String, List<String>> before = new LinkedHashMap<>();
        for (String table : TABLES) {
            before.put(table, db.dump("SELECT t::text FROM " + table + " t ORDER BY 1"));
        }

        Migrations.migrate(db.dataSource());
        Migrations.RolledBack rolledBack = Migrations.rollbackTo(db.dataSource(), 12);

        assertThat(rolledBack.toVersion()).isEqualTo(12);
        assertThat(rolledBack.scripts()).contains("U14__ledger_refold.sql");
        assertThat(Migrations.currentVersion(db.dataSource())).isEqualTo(12);
        for (String table : TABLES) {
            assertThat(db.dump("SELECT t::text FROM " + table + " t ORDER BY 1")).as(table).isEqualTo(before.get(table));
        }
        // and forward again: the same database migrates a second time, its figures unchanged
        List<String> figures = db.dump(FIGURES);
        Migrations.migrate(db.dataSource());
        assertThat(Migrations.currentVersion(db.dataSource())).isGreaterThanOrEqualTo(14);
        assertThat(db.dump(FIGURES)).isEqualTo(figures);
    }

    /** Why the refold of a key's stored chain is not the stored chain, or null when it is. */
    private static String problem(InstrumentResult result, StoredPosition open, Map<Long, StoredPosition> rows) {
        List<String> found = new ArrayList<>();
        for (LifecycleWrite write : result.lifecycles()) {
            StoredPosition row = write.row();
            StoredPosition stored = rows.get(row.id());
            if (write.created()) {
                found.add("creates a lifecycle " + figures(row));
            } else if (row.status() == PositionStatus.VOID) {
                found.add("voids lifecycle " + row.id());
            } else if (!write.touchOnly()) {
                found.add("rewrites lifecycle " + row.id() + " " + figures(stored) + " -> " + figures(row)
                        + " history " + write.history().stream().map(h -> h.kind().name()).toList()
                        + (write.rewriteEntries() ? " (entries rewritten)" : " (" + write.entries().size()
                                + " entries added)"));
            } else if (open == null || row.id() != open.id()) {
                found.add("touches lifecycle " + row.id() + ", which is not the open one");
            }
        }
        if (open != null && result.lifecycles().stream().noneMatch(w -> w.row().id() == open.id())) {
            found.add("leaves out the open lifecycle " + open.id());
        }
        result.breaks().forEach(b -> found.add("raises " + b.kind() + ": " + b.note()));
        result.resolvedBreaks().forEach(b -> found.add("resolves " + b.kind() + " " + b.subject()));
        if (result.fills().applied() + result.fills().deferred() + result.fills().estimated() > 0) {
            found.add("counts fills " + result.fills());
        }
        return found.isEmpty() ? null : String.join("; ", found);
    }

    private static String figures(StoredPosition row) {
        return row == null ? "(none)" : "[" + row.status() + " qty " + plain(row.quantity()) + " avg "
                + plain(row.averagePrice()) + " realized " + plain(row.realizedPnl()) + " " + row.realizedPnlSource()
                + " " + row.openedAt() + ".." + row.closedAt() + "]";
    }

    private static String plain(BigDecimal value) {
        return value == null ? "null" : value.stripTrailingZeros().toPlainString();
    }

    private static Map<PositionKey, List<Long>> lifecyclesByKey(Connection connection) throws SQLException {
        Map<PositionKey, List<Long>> keys = new LinkedHashMap<>();
        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT account, con_id, id FROM positions"
                        + " ORDER BY account, con_id, opened_at, id")) {
            while (rows.next()) {
                keys.computeIfAbsent(new PositionKey(rows.getString(1), rows.getLong(2)), k -> new ArrayList<>())
                        .add(rows.getLong(3));
            }
        }
        return keys;
    }

    /** The fixture's SQL: data only, unqualified table names (it loads into the test's own schema). */
    static String fixture() {
        try (InputStream in = LedgerV3MigrationTest.class.getClassLoader().getResourceAsStream(FIXTURE)) {
            assertThat(in).as(FIXTURE).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private long count(String sqlFromWhere) throws SQLException {
        return StoreTables.count(db, sqlFromWhere);
    }

    private Map<String, Long> counts() throws SQLException {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String table : TABLES) {
            counts.put(table, count("FROM " + table));
        }
        return counts;
    }

    private static BigDecimal latest(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getBigDecimal(1);
        }
    }

    private static Instant latestRunStart(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT max(started_at) FROM sync_runs")) {
            rows.next();
            return rows.getObject(1, java.time.OffsetDateTime.class).toInstant();
        }
    }
}

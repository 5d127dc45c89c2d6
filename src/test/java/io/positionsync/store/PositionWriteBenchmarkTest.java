package io.positionsync.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import io.positionsync.sync.PositionChange;
import io.positionsync.sync.SyncTrigger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Opt-in ({@code -Dpsync.benchmark=true}): opening 100 000 positions through {@link PositionRepository#applyChanges}
 * (rows + history, one transaction) against plain JDBC batched inserts of the same rows into the same table.
 */
@EnabledIfSystemProperty(named = "psync.benchmark", matches = "true")
class PositionWriteBenchmarkTest {
    private static final int ROWS = 100_000;
    private static final int BASELINE_BATCH = 1_000;
    private static final int ROUNDS = 3;
    private static final double ALLOWED_RATIO = 1.5;

    private static TestDatabase db;

    @BeforeAll
    static void start() {
        db = TestDatabase.create();
    }

    @AfterAll
    static void stop() {
        db.close();
    }

    @Test
    void openingOneHundredThousandPositionsIsWithinOneAndAHalfTimesPlainBatchedInserts() throws Exception {
        Instant now = Instant.parse("2026-01-05T15:00:00Z");
        List<PositionChange> changes = new ArrayList<>(ROWS);
        for (int i = 0; i < ROWS; i++) {
            changes.add(Changes.opened("DU" + (i % 7), i, "SYM" + i, String.valueOf(1 + i % 500), "123.4567", now));
        }
        PositionRepository positions = new PositionRepository(db.dataSource(),
                new ExecutionRepository(db.dataSource(), 5000), 5000);
        SyncRunRepository runs = new SyncRunRepository(db.dataSource());

        long bestBaseline = Long.MAX_VALUE;
        long bestOurs = Long.MAX_VALUE;
        for (int round = 0; round < ROUNDS; round++) {
            reset();
            long start = System.nanoTime();
            baseline(changes, now);
            bestBaseline = Math.min(bestBaseline, System.nanoTime() - start);

            reset();
            start = System.nanoTime();
            try (Connection connection = db.connection()) {
                connection.setAutoCommit(false);
                long runId = runs.insertStarted(connection, SyncTrigger.TIMER, now, null);
                positions.applyChanges(connection, runId, changes, now);
                connection.commit();
            }
            bestOurs = Math.min(bestOurs, System.nanoTime() - start);
        }
        double ratio = (double) bestOurs / bestBaseline;
        System.out.printf("baseline %d ms, applyChanges %d ms, ratio %.2f%n", bestBaseline / 1_000_000,
                bestOurs / 1_000_000, ratio);
        assertThat(ratio).isLessThan(ALLOWED_RATIO);
    }

    @Test
    void touchingOneHundredThousandOpenPositionsIsWithinOneAndAHalfTimesPlainBatchedUpdates() throws Exception {
        Instant opened = Instant.parse("2026-01-05T15:00:00Z");
        Instant now = opened.plusSeconds(60);
        reset();
        List<PositionChange> opens = new ArrayList<>(ROWS);
        for (int i = 0; i < ROWS; i++) {
            opens.add(Changes.opened("DU" + (i % 7), i, "SYM" + i, String.valueOf(1 + i % 500), "123.4567", opened));
        }
        PositionRepository positions = new PositionRepository(db.dataSource(),
                new ExecutionRepository(db.dataSource(), 5000), 5000);
        SyncRunRepository runs = new SyncRunRepository(db.dataSource());
        try (Connection connection = db.connection()) {
            connection.setAutoCommit(false);
            positions.applyChanges(connection, runs.insertStarted(connection, SyncTrigger.STARTUP, opened, null), opens,
                    opened);
            connection.commit();
        }
        opens.clear();

        long bestBaseline = Long.MAX_VALUE;
        long bestOurs = Long.MAX_VALUE;
        for (int round = 0; round < ROUNDS; round++) {
            List<io.positionsync.sync.StoredPosition> open;
            long start = System.nanoTime();
            try (Connection connection = db.connection()) {
                connection.setAutoCommit(false);
                open = new ArrayList<>(positions.loadOpen(connection).values());
                long runId = runs.insertStarted(connection, SyncTrigger.TIMER, now, null);
                List<PositionChange> touches = new ArrayList<>(open.size());
                for (io.positionsync.sync.StoredPosition p : open) {
                    touches.add(Changes.unchanged(p, "124." + round, "10." + round));
                }
                positions.applyChanges(connection, runId, touches, now);
                connection.commit();
            }
            bestOurs = Math.min(bestOurs, System.nanoTime() - start);

            start = System.nanoTime();
            try (Connection connection = db.connection()) {
                connection.setAutoCommit(false);
                open = new ArrayList<>(positions.loadOpen(connection).values());
                try (PreparedStatement update = connection.prepareStatement(
                        "UPDATE positions SET market_price = ?, unrealized_pnl = ?, last_synced_at = ? WHERE id = ?")) {
                    int pending = 0;
                    for (io.positionsync.sync.StoredPosition p : open) {
                        update.setBigDecimal(1, new BigDecimal("125." + round));
                        update.setBigDecimal(2, new BigDecimal("11." + round));
                        update.setObject(3, OffsetDateTime.ofInstant(now, ZoneOffset.UTC));
                        update.setLong(4, p.id());
                        update.addBatch();
                        if (++pending == BASELINE_BATCH) {
                            update.executeBatch();
                            pending = 0;
                        }
                    }
                    if (pending > 0) {
                        update.executeBatch();
                    }
                }
                connection.commit();
            }
            bestBaseline = Math.min(bestBaseline, System.nanoTime() - start);
            try (Connection connection = db.connection(); Statement statement = connection.createStatement()) {
                statement.execute("VACUUM ANALYZE positions");
            }
        }
        double ratio = (double) bestOurs / bestBaseline;
        System.out.printf("updates: baseline %d ms, loadOpen + applyChanges %d ms, ratio %.2f%n",
                bestBaseline / 1_000_000, bestOurs / 1_000_000, ratio);
        assertThat(ratio).isLessThan(ALLOWED_RATIO);
    }

    private static void reset() throws SQLException {
        try (Connection connection = db.connection(); Statement statement = connection.createStatement()) {
            statement.execute("TRUNCATE position_history, positions, executions, reconciliation_breaks, sync_runs");
            statement.execute("VACUUM ANALYZE positions");
            statement.execute("VACUUM ANALYZE position_history");
        }
    }

    private static void baseline(List<PositionChange> changes, Instant now) throws SQLException {
        OffsetDateTime at = OffsetDateTime.ofInstant(now, ZoneOffset.UTC);
        try (Connection connection = db.connection()) {
            connection.setAutoCommit(false);
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO positions (account, con_id, symbol,"
                    + " sec_type, currency, multiplier, quantity, average_price, market_price, unrealized_pnl, status,"
                    + " opened_at, last_synced_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'OPEN', ?, ?)")) {
                int pending = 0;
                for (PositionChange c : changes) {
                    insert.setString(1, c.account());
                    insert.setLong(2, c.conId());
                    insert.setString(3, c.symbol());
                    insert.setString(4, c.secType());
                    insert.setString(5, c.currency());
                    insert.setBigDecimal(6, c.multiplier());
                    insert.setBigDecimal(7, c.quantityAfter());
                    insert.setBigDecimal(8, c.averagePrice());
                    insert.setBigDecimal(9, c.marketPrice());
                    insert.setBigDecimal(10, c.unrealizedPnl() == null ? BigDecimal.ZERO : c.unrealizedPnl());
                    insert.setObject(11, at);
                    insert.setObject(12, at);
                    insert.addBatch();
                    if (++pending == BASELINE_BATCH) {
                        insert.executeBatch();
                        pending = 0;
                    }
                }
                if (pending > 0) {
                    insert.executeBatch();
                }
            }
            connection.commit();
        }
    }
}

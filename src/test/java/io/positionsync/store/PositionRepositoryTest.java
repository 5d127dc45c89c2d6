package io.positionsync.store;

import static io.positionsync.store.Changes.closed;
import static io.positionsync.store.Changes.increased;
import static io.positionsync.store.Changes.opened;
import static io.positionsync.store.Changes.reduced;
import static io.positionsync.store.Changes.unchanged;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.positionsync.sync.BrokerExecution;
import io.positionsync.sync.ChangeKind;
import io.positionsync.sync.ExecutionRecord;
import io.positionsync.sync.ExecutionState;
import io.positionsync.sync.LifecycleWrite;
import io.positionsync.sync.PositionKey;
import io.positionsync.sync.PositionStatus;
import io.positionsync.sync.RealizedPnlSource;
import io.positionsync.sync.StoredPosition;
import io.positionsync.sync.SyncTrigger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import io.positionsync.sync.StoredExecution;

class PositionRepositoryTest {
    private static final Instant T0 = Instant.parse("2026-01-05T14:30:00Z");
    private static final Instant T1 = T0.plus(1, ChronoUnit.MINUTES);
    private static final Instant T2 = T0.plus(2, ChronoUnit.MINUTES);
    private static final int CHUNK = 3_000;

    @RegisterExtension
    static final StoreDatabase db = new StoreDatabase();
    private static PositionRepository positions;
    private static ExecutionRepository executions;
    private static SyncRunRepository runs;

    @BeforeAll
    static void start() {
        executions = new ExecutionRepository(db.dataSource(), CHUNK);
        positions = new PositionRepository(db.dataSource(), executions, CHUNK);
        runs = new SyncRunRepository(db.dataSource());
    }

    /** One committed run applying {@code changes}; returns its id. */
    private static long run(Instant at, LifecycleWrite... changes) throws SQLException {
        try (Connection connection = db.connection()) {
            connection.setAutoCommit(false);
            long runId = runs.insertStarted(connection, SyncTrigger.TIMER, at, null);
            Changes.apply(positions, connection, runId, List.of(changes), at);
            connection.commit();
            return runId;
        }
    }

    private static StoredPosition open(String account, long conId) throws SQLException {
        try (Connection connection = db.connection()) {
            return positions.loadOpen(connection).get(new PositionKey(account, conId));
        }
    }

    private static List<PositionHistoryEntry> history(long positionId) throws SQLException {
        return positions.history(positionId);
    }

    // ------------------------------------------------------------------------------------ schema

    @Test
    void atMostOneOpenRowPerAccountAndContractButClosedHistoryRowsAreAllowed() throws SQLException {
        String insert = "INSERT INTO positions (account, con_id, symbol, sec_type, currency, quantity, average_price,"
                + " status, opened_at, closed_at) VALUES ('DU1', 265598, 'AAPL', 'STK', 'USD', ?, 150, ?, now(), ?)";
        try (Connection connection = db.connection(); PreparedStatement statement = connection.prepareStatement(insert)) {
            for (int i = 0; i < 2; i++) { // two closed lifecycles of the same contract
                statement.setBigDecimal(1, BigDecimal.ZERO);
                statement.setString(2, "CLOSED");
                statement.setObject(3, java.time.OffsetDateTime.now());
                statement.executeUpdate();
            }
            statement.setBigDecimal(1, BigDecimal.TEN);
            statement.setString(2, "OPEN");
            statement.setObject(3, null);
            statement.executeUpdate();

            assertThatThrownBy(statement::executeUpdate)
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("positions_open_contract_key")
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("23505"));
        }
        // the same contract in another account is another position
        try (Connection connection = db.connection(); Statement statement = connection.createStatement()) {
            statement.executeUpdate("INSERT INTO positions (account, con_id, symbol, sec_type, currency, quantity,"
                    + " average_price, status, opened_at) VALUES ('DU2', 265598, 'AAPL', 'STK', 'USD', 5, 150, 'OPEN', now())");
        }
        assertThat(db.count("FROM positions WHERE con_id = 265598")).isEqualTo(4);
    }

    @Test
    void notSyncedInTheLastHourUsesTheLastSyncedAtIndex() throws SQLException {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        List<LifecycleWrite> changes = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            changes.add(opened("DU" + (i % 3), i, "S" + i, "10", "1.5", now));
        }
        run(now, changes.toArray(LifecycleWrite[]::new));
        try (Connection connection = db.connection(); Statement statement = connection.createStatement()) {
            statement.executeUpdate("UPDATE positions SET last_synced_at = now() - interval '2 hours' WHERE con_id < 40");
            statement.executeUpdate("UPDATE positions SET last_synced_at = NULL WHERE con_id BETWEEN 40 AND 44");
            statement.execute("ANALYZE positions");

            String plain = explain(connection, "SELECT id FROM positions WHERE last_synced_at < now() - interval '1 hour'",
                    List.of());
            assertThat(plain).contains("positions_last_synced_at_idx");

            PositionQuery stale = PositionQuery.open(100).withStaleMinutes(60);
            PositionRepository.Filter filter = PositionRepository.filter(stale);
            String repositoryQuery = explain(connection, "SELECT " + PositionRepository.VIEW_COLUMNS + PositionRepository.FROM
                    + filter.where() + PositionRepository.ORDER + " LIMIT 100 OFFSET 0", filter.parameters());
            assertThat(repositoryQuery).contains("positions_last_synced_at_idx").doesNotContain("Seq Scan on positions");
        }
        List<StoredPosition> stale = positions.find(PositionQuery.open(100).withStaleMinutes(60));
        assertThat(stale).hasSize(45).allSatisfy(p -> assertThat(p.conId()).isLessThan(45));
        assertThat(positions.count(PositionQuery.open(1).withStaleMinutes(60))).isEqualTo(45);
    }

    /** One committed run applying {@code changes} whose complete snapshot listed {@code reported}. */
    private static long run(Instant at, List<String> reported, LifecycleWrite... changes) throws SQLException {
        try (Connection connection = db.connection()) {
            connection.setAutoCommit(false);
            long runId = runs.insertStarted(connection, SyncTrigger.TIMER, at, null);
            Changes.apply(positions, connection, runId, List.of(changes), at);
            new AccountRepository(db.dataSource()).reported(connection, runId, reported, at);
            runs.finish(connection, runId, io.positionsync.sync.SyncRunStatus.SUCCEEDED, null, null, null, at);
            connection.commit();
            return runId;
        }
    }

    /**
     * Rows of {@code positions} updated, and of those heap-only, as this backend counts them: read twice in one
     * transaction, the difference is what happened in between (the counts may include earlier transactions not
     * reported yet).
     */
    private static long[] updateCounts(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet stats = statement.executeQuery("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables"
                        + " WHERE relid = 'positions'::regclass")) {
            assertThat(stats.next()).isTrue();
            return new long[] {stats.getLong(1), stats.getLong(2)};
        }
    }

    @Test
    void aPriceOnlyUpdateChangesNoIndexedColumnSoItIsHotAndAnUnchangedTouchWritesNothing() throws SQLException {
        run(T0, opened("DU1", 1, "AAPL", "100", "150.01", T0), opened("DU1", 2, "MSFT", "5", "300", T0));
        StoredPosition aapl = open("DU1", 1);
        StoredPosition msft = open("DU1", 2);
        try (Connection connection = db.connection()) {
            connection.setAutoCommit(false);
            long runId = runs.insertStarted(connection, SyncTrigger.TIMER, T1, null);
            LifecycleWrite unchangedMsft = LifecycleWrite.touch(0, msft, msft);
            assertThat(unchangedMsft.unchanged()).isTrue();
            long[] before = updateCounts(connection);
            Changes.apply(positions, connection, runId, List.of(unchanged(aapl, "155.50", "549.00"), unchangedMsft), T1);
            long[] after = updateCounts(connection);
            assertThat(after[0] - before[0]).as("rows updated by the run").isEqualTo(1);
            assertThat(after[1] - before[1]).as("of which heap-only").isEqualTo(1);
            connection.commit();
        }
        assertThat(open("DU1", 1).marketPrice()).isEqualByComparingTo("155.50");
    }

    @Test
    void anOpenPositionReportsItsAccountsLastCompleteSyncAClosedOneAndAnUnlistedAccountsKeepTheirOwn()
            throws SQLException {
        run(T0, List.of("DU1", "DU2"), opened("DU1", 1, "AAPL", "100", "150", T0), opened("DU1", 2, "MSFT", "5", "300", T0),
                opened("DU2", 3, "XYZ", "10", "20", T0));
        run(T1, List.of("DU1", "DU2"), Changes.closed(open("DU1", 2), "50", "50", RealizedPnlSource.EXECUTIONS, "310",
                "0", null, T1));
        // T2: only DU1 listed, nothing changed: no position row written
        run(T2, List.of("DU1"));

        Map<String, Instant> reported = new java.util.HashMap<>();
        for (StoredPosition p : positions.find(PositionQuery.open(100).withStatus(PositionQuery.Status.ALL))) {
            reported.put(p.symbol(), p.lastSyncedAt());
        }
        assertThat(reported).containsEntry("AAPL", T2).containsEntry("MSFT", T1).containsEntry("XYZ", T1);
        long aapl = open("DU1", 1).id();
        assertThat(open("DU1", 1).lastSyncedAt()).as("the row itself was not rewritten").isEqualTo(T0);
        assertThat(positions.findById(aapl).orElseThrow().lastSyncedAt()).isEqualTo(T2);

        PortfolioSummary summary = positions.summary();
        assertThat(summary.overall().lastSyncedAt()).isEqualTo(T2);
        assertThat(summary.accounts()).singleElement().satisfies(a -> assertThat(a.lastSyncedAt()).isEqualTo(T2));
        assertThat(summary.orphaned()).singleElement().satisfies(a -> {
            assertThat(a.account()).isEqualTo("DU2");
            assertThat(a.lastSyncedAt()).isEqualTo(T1);
        });
    }

    @Test
    void theStaleFilterTakesTheAccountsSyncTimeForOpenRowsOnly() throws SQLException {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        Instant old = now.minus(2, ChronoUnit.HOURS);
        run(old, List.of("DU1", "DU2"), opened("DU1", 1, "AAPL", "100", "150", old),
                opened("DU1", 2, "MSFT", "5", "300", old), opened("DU2", 3, "XYZ", "10", "20", old));
        run(old, List.of("DU1", "DU2"), Changes.closed(open("DU1", 2), "50", "50", RealizedPnlSource.EXECUTIONS, "310",
                "0", null, old));
        PositionQuery stale = PositionQuery.open(100).withStatus(PositionQuery.Status.ALL).withStaleMinutes(60);
        assertThat(positions.find(stale)).extracting(StoredPosition::symbol).containsExactly("AAPL", "MSFT", "XYZ");

        run(now, List.of("DU1")); // DU1 confirmed now, without writing its rows; DU2 not listed

        assertThat(positions.find(stale)).extracting(StoredPosition::symbol).containsExactly("MSFT", "XYZ");
        assertThat(positions.count(stale)).isEqualTo(2);
        assertThat(positions.find(PositionQuery.open(100).withStaleMinutes(60))).extracting(StoredPosition::symbol)
                .containsExactly("XYZ");
    }

    private static String explain(Connection connection, String sql, List<Object> parameters) throws SQLException {
        StringBuilder plan = new StringBuilder();
        try (PreparedStatement statement = connection.prepareStatement("EXPLAIN " + sql)) {
            for (int i = 0; i < parameters.size(); i++) {
                statement.setObject(i + 1, parameters.get(i));
            }
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    plan.append(rows.getString(1)).append('\n');
                }
            }
        }
        return plan.toString();
    }

    // ------------------------------------------------------------------------------------ applyChanges

    @Test
    void openedInsertsAnOpenRowAndItsHistory() throws SQLException {
        LifecycleWrite change = new LifecycleWrite(0, true, new StoredPosition(0, "DU1", 495512552L, "ES", "FUT", "USD",
                new BigDecimal("50"), new BigDecimal("2"), new BigDecimal("5000.048"), new BigDecimal("5001.25"),
                new BigDecimal("120.20"), null, null, PositionStatus.OPEN, T0, null, null), List.of(), 0, false,
                List.of(new io.positionsync.sync.HistoryEntry(ChangeKind.OPENED, BigDecimal.ZERO, new BigDecimal("2"),
                        new BigDecimal("5000.048"), new BigDecimal("5001.25"), null, null, null, null, null, null, null,
                        List.of("0001f4e8.0001.01"), T0)), false);

        long runId = run(T1, change);

        StoredPosition row = open("DU1", 495512552L);
        assertThat(row.status()).isEqualTo(PositionStatus.OPEN);
        assertThat(row.symbol()).isEqualTo("ES");
        assertThat(row.secType()).isEqualTo("FUT");
        assertThat(row.multiplier()).isEqualByComparingTo("50");
        assertThat(row.quantity()).isEqualByComparingTo("2");
        assertThat(row.averagePrice()).isEqualByComparingTo("5000.048");
        assertThat(row.marketPrice()).isEqualByComparingTo("5001.25");
        assertThat(row.unrealizedPnl()).isEqualByComparingTo("120.20");
        assertThat(row.realizedPnl()).isNull();
        assertThat(row.realizedPnlSource()).isNull();
        assertThat(row.openedAt()).isEqualTo(T0);
        assertThat(row.closedAt()).isNull();
        assertThat(row.lastSyncedAt()).isEqualTo(T1);

        assertThat(history(row.id())).singleElement().satisfies(h -> {
            assertThat(h.runId()).isEqualTo(runId);
            assertThat(h.kind()).isEqualTo(ChangeKind.OPENED);
            assertThat(h.quantityBefore()).isEqualByComparingTo("0");
            assertThat(h.quantityAfter()).isEqualByComparingTo("2");
            assertThat(h.averagePrice()).isEqualByComparingTo("5000.048");
            assertThat(h.realizedPnlDelta()).isNull();
            assertThat(h.execIds()).containsExactly("0001f4e8.0001.01");
            assertThat(h.recordedAt()).isEqualTo(T0);
        });
    }

    @Test
    void aPriceOnlyTouchRefreshesMarketValuesWithoutHistoryAndKeepsTheRowsOwnSyncTime() throws SQLException {
        run(T0, opened("DU1", 1, "AAPL", "100", "150.01", T0));
        StoredPosition before = open("DU1", 1);

        run(T1, unchanged(before, "155.50", "549.00"));

        StoredPosition after = open("DU1", 1);
        // the run's time is its account's (accounts.last_reported_at): the row's indexed time does not move
        assertThat(after.lastSyncedAt()).isEqualTo(T0);
        assertThat(after.marketPrice()).isEqualByComparingTo("155.50");
        assertThat(after.unrealizedPnl()).isEqualByComparingTo("549.00");
        assertThat(after.quantity()).isEqualByComparingTo("100");
        assertThat(after.averagePrice()).isEqualByComparingTo("150.01");
        assertThat(after.openedAt()).isEqualTo(T0);
        assertThat(history(after.id())).extracting(PositionHistoryEntry::kind).containsExactly(ChangeKind.OPENED);
    }

    @Test
    void increasedTakesTheBrokersQuantityAndAverage() throws SQLException {
        run(T0, opened("DU1", 1, "AAPL", "100", "150.01", T0));
        StoredPosition p = open("DU1", 1);

        long runId = run(T1, increased(p, "150", "151.34", T1, "e.9"));

        StoredPosition after = open("DU1", 1);
        assertThat(after.quantity()).isEqualByComparingTo("150");
        assertThat(after.averagePrice()).isEqualByComparingTo("151.34");
        assertThat(after.realizedPnl()).isNull();
        assertThat(after.lastSyncedAt()).isEqualTo(T1);
        assertThat(history(p.id())).last().satisfies(h -> {
            assertThat(h.kind()).isEqualTo(ChangeKind.INCREASED);
            assertThat(h.runId()).isEqualTo(runId);
            assertThat(h.quantityBefore()).isEqualByComparingTo("100");
            assertThat(h.quantityAfter()).isEqualByComparingTo("150");
            assertThat(h.averagePrice()).isEqualByComparingTo("151.34");
            assertThat(h.execIds()).containsExactly("e.9");
        });
    }

    @Test
    void reducedAddsRealizedPnlOfTheReducedQuantity() throws SQLException {
        // Spec example 2: short 50 XYZ at 20.02, buy back 20 at 18.00 with 0.40 commission -> 40.00, open at -30.
        run(T0, opened("DU1", 7, "XYZ", "-50", "20.02", T0));
        StoredPosition p = open("DU1", 7);

        long runId = run(T1, reduced(p, "-30", "40.00", "40.00", RealizedPnlSource.EXECUTIONS, "18.00", "0.40",
                "39.99", T1, "x.1"));

        StoredPosition after = open("DU1", 7);
        assertThat(after.status()).isEqualTo(PositionStatus.OPEN);
        assertThat(after.quantity()).isEqualByComparingTo("-30");
        assertThat(after.averagePrice()).isEqualByComparingTo("20.02");
        assertThat(after.realizedPnl()).isEqualByComparingTo("40.00");
        assertThat(after.realizedPnlSource()).isEqualTo(RealizedPnlSource.EXECUTIONS);
        assertThat(history(p.id())).last().satisfies(h -> {
            assertThat(h.kind()).isEqualTo(ChangeKind.REDUCED);
            assertThat(h.runId()).isEqualTo(runId);
            assertThat(h.quantityBefore()).isEqualByComparingTo("-50");
            assertThat(h.quantityAfter()).isEqualByComparingTo("-30");
            assertThat(h.realizedPnlDelta()).isEqualByComparingTo("40.00");
            assertThat(h.realizedPnlTotal()).isEqualByComparingTo("40.00");
            assertThat(h.realizedPnlSource()).isEqualTo(RealizedPnlSource.EXECUTIONS);
            assertThat(h.exitPrice()).isEqualByComparingTo("18.00");
            assertThat(h.exitCommission()).isEqualByComparingTo("0.40");
            assertThat(h.brokerRealizedPnl()).isEqualByComparingTo("39.99");
            assertThat(h.execIds()).containsExactly("x.1");
        });
    }

    @Test
    void closedEndsTheLifecycleWithItsFinalRealizedPnl() throws SQLException {
        // Spec example 1: long 100 AAPL at 150.01, sell 100 at 160.00 with 1.00 commission -> 998.00.
        run(T0, opened("DU1", 265598, "AAPL", "100", "150.01", T0));
        StoredPosition p = open("DU1", 265598);

        long runId = run(T2, closed(p, "998.00", "998.00", RealizedPnlSource.EXECUTIONS, "160.00", "1.00", "998.00", T1,
                "s.1"));

        assertThat(open("DU1", 265598)).isNull();
        StoredPosition row = positions.findById(p.id()).orElseThrow();
        assertThat(row.status()).isEqualTo(PositionStatus.CLOSED);
        assertThat(row.closedAt()).isEqualTo(T1);
        assertThat(row.quantity()).isEqualByComparingTo("0");
        assertThat(row.averagePrice()).isEqualByComparingTo("150.01");
        assertThat(row.realizedPnl()).isEqualByComparingTo("998.00");
        assertThat(row.realizedPnlSource()).isEqualTo(RealizedPnlSource.EXECUTIONS);
        assertThat(row.lastSyncedAt()).isEqualTo(T2);
        assertThat(history(p.id())).last().satisfies(h -> {
            assertThat(h.kind()).isEqualTo(ChangeKind.CLOSED);
            assertThat(h.runId()).isEqualTo(runId);
            assertThat(h.quantityBefore()).isEqualByComparingTo("100");
            assertThat(h.quantityAfter()).isEqualByComparingTo("0");
            assertThat(h.realizedPnlTotal()).isEqualByComparingTo("998.00");
            assertThat(h.exitPrice()).isEqualByComparingTo("160.00");
        });
    }

    @Test
    void theRowTakesTheLedgersTotalAndSourceAndHistoryKeepsEachStep() throws SQLException {
        run(T0, opened("DU1", 3, "MSFT", "30", "400", T0));
        StoredPosition p = open("DU1", 3);
        // an estimate (no execution explains it): the ledger's total is MARKET_PRICE from here on
        run(T1, reduced(p, "20", "50.00", "50.00", RealizedPnlSource.MARKET_PRICE, "405", null, null, T1));
        StoredPosition reducedOnce = open("DU1", 3);
        assertThat(reducedOnce.realizedPnl()).isEqualByComparingTo("50.00");
        assertThat(reducedOnce.realizedPnlSource()).isEqualTo(RealizedPnlSource.MARKET_PRICE);

        run(T2, closed(reducedOnce, "195.50", "245.50", RealizedPnlSource.MARKET_PRICE, "419.60", "0.50", null, T2,
                "m.1"));

        StoredPosition row = positions.findById(p.id()).orElseThrow();
        assertThat(row.realizedPnl()).isEqualByComparingTo("245.50");
        assertThat(row.realizedPnlSource()).isEqualTo(RealizedPnlSource.MARKET_PRICE);
        assertThat(history(p.id())).extracting(PositionHistoryEntry::realizedPnlDelta)
                .usingElementComparator(java.util.Comparator.nullsFirst(java.math.BigDecimal::compareTo))
                .containsExactly(null, new java.math.BigDecimal("50.00"), new java.math.BigDecimal("195.50"));
    }

    @Test
    void aFlipClosesTheOldLifecycleAndOpensANewOneInTheSameRun() throws SQLException {
        // Spec example 4: long 100 at 9.00 flips to short 50 via one SLD of 150 at 10.00.
        run(T0, opened("DU1", 9, "FLP", "100", "9.00", T0));
        StoredPosition p = open("DU1", 9);

        long runId = run(T1,
                opened("DU1", 9, "FLP", "-50", "10.00", T1, "f.1"),
                closed(p, "99.00", "99.00", RealizedPnlSource.EXECUTIONS, "10.00", "1.00", null, T1, "f.1"));

        StoredPosition newShort = open("DU1", 9);
        assertThat(newShort.id()).isNotEqualTo(p.id());
        assertThat(newShort.quantity()).isEqualByComparingTo("-50");
        assertThat(newShort.averagePrice()).isEqualByComparingTo("10.00");
        StoredPosition oldLong = positions.findById(p.id()).orElseThrow();
        assertThat(oldLong.status()).isEqualTo(PositionStatus.CLOSED);
        assertThat(oldLong.realizedPnl()).isEqualByComparingTo("99.00");
        assertThat(history(newShort.id())).singleElement().satisfies(h -> {
            assertThat(h.kind()).isEqualTo(ChangeKind.OPENED);
            assertThat(h.runId()).isEqualTo(runId);
        });
        assertThat(db.count("FROM positions WHERE con_id = 9")).isEqualTo(2);
    }

    @Test
    void aChangeToALifecycleThatIsNoLongerOpenIsRejected() throws SQLException {
        run(T0, opened("DU1", 1, "AAPL", "100", "150.01", T0));
        StoredPosition p = open("DU1", 1);
        run(T1, closed(p, "1.00", "1.00", RealizedPnlSource.EXECUTIONS, "150.02", null, null, T1));

        try (Connection connection = db.connection()) {
            connection.setAutoCommit(false);
            long runId = runs.insertStarted(connection, SyncTrigger.TIMER, T2, null);
            assertThatThrownBy(() -> Changes.apply(positions, connection, runId, List.of(unchanged(p, "1", "1")), T2))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("not open");
            connection.rollback();
        }
        StoredPosition row = positions.findById(p.id()).orElseThrow();
        assertThat(row.status()).isEqualTo(PositionStatus.CLOSED);
        assertThat(row.lastSyncedAt()).isEqualTo(T1);
    }

    @Test
    void malformedChangesAreRejectedBeforeAnyWrite() throws SQLException {
        run(T0, opened("DU1", 1, "AAPL", "100", "150.01", T0));
        StoredPosition p = open("DU1", 1);
        LifecycleWrite withoutId = opened("DU1", 2, "X", "1", "1", T1);

        try (Connection connection = db.connection()) {
            assertThatThrownBy(() -> positions.write(connection, 1, List.of(withoutId), T1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("without an id");
            assertThatThrownBy(() -> Changes.apply(positions, connection, 1,
                    List.of(unchanged(p, "1", "1"), unchanged(p, "2", "2")), T1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("written twice");
        }
        assertThat(open("DU1", 1).lastSyncedAt()).isEqualTo(T0);
    }

    @Test
    void tenThousandOpensInOneRunSpanningSeveralChunks() throws SQLException {
        List<LifecycleWrite> changes = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            changes.add(opened("DU" + (i % 4), 1_000_000 + i, "S" + i, String.valueOf(i + 1), "2.5", T0, "o." + i));
        }
        long runId = run(T0, changes.toArray(LifecycleWrite[]::new));

        Map<PositionKey, StoredPosition> open;
        try (Connection connection = db.connection()) {
            open = positions.loadOpen(connection);
        }
        assertThat(open).hasSize(10_000);
        assertThat(open.get(new PositionKey("DU3", 1_009_999)).quantity()).isEqualByComparingTo("10000");
        assertThat(db.count("FROM position_history WHERE change_kind = 'OPENED' AND run_id = " + runId))
                .isEqualTo(10_000);
        // every history row belongs to the row with the same contract and carries its own execution
        assertThat(db.count("FROM position_history h JOIN positions p ON p.id = h.position_id"
                + " WHERE h.exec_ids = ARRAY['o.' || (p.con_id - 1000000)] AND h.quantity_after = p.quantity"))
                .isEqualTo(10_000);
    }

    /** More changed lifecycles than one statement takes: streamed by COPY, updated by one statement, every row. */
    @Test
    void moreChangesThanOneStatementTakesAreAllWritten() throws SQLException {
        int count = CHUNK + 500;
        List<LifecycleWrite> opens = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            opens.add(opened("DU" + (i % 3), 2_000_000 + i, "S" + i, "100", "2.5", T0, "o." + i));
        }
        run(T0, opens.toArray(LifecycleWrite[]::new));
        Map<PositionKey, StoredPosition> open;
        try (Connection connection = db.connection()) {
            open = positions.loadOpen(connection);
        }
        List<LifecycleWrite> changes = new ArrayList<>();
        for (StoredPosition p : open.values()) {
            long n = p.conId() - 2_000_000;
            changes.add(n % 4 == 0
                    ? closed(p, "1.25", "1.25", RealizedPnlSource.EXECUTIONS, "2.5125", "0.01", null, T1, "c." + n)
                    : increased(p, String.valueOf(100 + n), "2.75", T1, "i." + n));
        }
        long runId = run(T1, changes.toArray(LifecycleWrite[]::new));

        int closedCount = (count + 3) / 4;
        assertThat(db.count("FROM positions WHERE status = 'CLOSED' AND quantity = 0"
                + " AND realized_pnl = 1.25 AND realized_pnl_source = 'EXECUTIONS' AND market_price = 2.5125"
                + " AND closed_at IS NOT NULL AND (con_id - 2000000) % 4 = 0")).isEqualTo(closedCount);
        assertThat(db.count("FROM positions WHERE status = 'OPEN' AND quantity = 100 + (con_id - 2000000)"
                + " AND average_price = 2.75 AND closed_at IS NULL")).isEqualTo(count - closedCount);
        assertThat(db.count("FROM positions WHERE last_synced_at IS DISTINCT FROM '" + T1 + "'"))
                .isZero();
        assertThat(db.count("FROM position_history WHERE run_id = " + runId)).isEqualTo(count);
        StoredPosition one = positions.findById(open.get(new PositionKey("DU1", 2_000_001)).id()).orElseThrow();
        assertThat(one.quantity()).isEqualByComparingTo("101");
        assertThat(one.symbol()).isEqualTo("S1");
        assertThat(one.openedAt()).isEqualTo(T0);
    }

    @Test
    void aFailingStatementInTheRunsTransactionLeavesEarlierRowsIntact() throws SQLException {
        run(T0, opened("DU1", 1, "AAPL", "100", "150.01", T0), opened("DU1", 2, "MSFT", "10", "400", T0));
        StoredPosition aapl = open("DU1", 1);
        long runsBefore = db.count("FROM sync_runs");

        try (Connection connection = db.connection()) {
            connection.setAutoCommit(false);
            long runId = runs.insertStarted(connection, SyncTrigger.MANUAL, T1, null);
            // the touch and the close are applied first; then opening an already-open contract fails in the database
            List<LifecycleWrite> changes = List.of(
                    unchanged(aapl, "170", "1999"),
                    closed(open("DU1", 2), "5", "5", RealizedPnlSource.EXECUTIONS, "400.5", null, null, T1),
                    opened("DU2", 3, "IBM", "5", "200", T1),
                    opened("DU1", 1, "AAPL", "5", "1", T1));
            assertThatThrownBy(() -> Changes.apply(positions, connection, runId, changes, T1))
                    .isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("23505"));
            connection.rollback();
        }

        StoredPosition after = open("DU1", 1);
        assertThat(after).isEqualTo(aapl);
        assertThat(open("DU1", 2)).isNotNull();
        assertThat(open("DU2", 3)).isNull();
        assertThat(db.count("FROM positions")).isEqualTo(2);
        assertThat(db.count("FROM position_history")).isEqualTo(2);
        assertThat(db.count("FROM sync_runs")).isEqualTo(runsBefore);
    }

    // ------------------------------------------------------------------------------------ reads

    @Test
    void findFiltersByStatusAccountAndPagesInAStableOrder() throws SQLException {
        run(T0, opened("DU2", 5, "MSFT", "1", "1", T0), opened("DU1", 4, "AAPL", "1", "1", T0),
                opened("DU1", 6, "ZZZ", "1", "1", T0), opened("DU1", 7, "BBB", "1", "1", T0));
        run(T1, closed(open("DU1", 7), "1", "1", RealizedPnlSource.EXECUTIONS, "2", null, null, T1));
        run(T2, opened("DU1", 7, "BBB", "2", "1", T2));

        assertThat(positions.find(new PositionQuery(PositionQuery.Status.ALL, null, null, 10, 0)))
                .extracting(p -> p.account() + ":" + p.symbol() + ":" + p.status())
                .containsExactly("DU1:AAPL:OPEN", "DU1:BBB:OPEN", "DU1:BBB:CLOSED", "DU1:ZZZ:OPEN", "DU2:MSFT:OPEN");
        assertThat(positions.find(new PositionQuery(PositionQuery.Status.CLOSED, null, null, 10, 0)))
                .extracting(StoredPosition::symbol).containsExactly("BBB");
        assertThat(positions.find(PositionQuery.open(10).withAccount("DU2"))).extracting(StoredPosition::symbol)
                .containsExactly("MSFT");
        assertThat(positions.find(PositionQuery.open(2).withPage(2, 2))).extracting(StoredPosition::symbol)
                .containsExactly("ZZZ", "MSFT");
        assertThat(positions.count(PositionQuery.open(1))).isEqualTo(4);
        assertThat(positions.count(new PositionQuery(PositionQuery.Status.ALL, "DU1", null, 1, 0))).isEqualTo(4);
        assertThat(positions.findById(999_999)).isEmpty();
        assertThat(PositionQuery.Status.parse("Closed")).isEqualTo(PositionQuery.Status.CLOSED);
        assertThatThrownBy(() -> PositionQuery.Status.parse("half")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void historyCarriesTheStoredExecutionsThatExplainEachChange() throws SQLException {
        BrokerExecution buy = new BrokerExecution("b.01", "DU1", 1, "AAPL", "STK", "BOT", new BigDecimal("100"),
                new BigDecimal("150.00"), T0, 11, 111, new BigDecimal("1.00"), "USD", null);
        BrokerExecution sell = new BrokerExecution("s.01", "DU1", 1, "AAPL", "STK", "SLD", new BigDecimal("100"),
                new BigDecimal("160.00"), T1, 12, 112, new BigDecimal("1.00"), "USD", new BigDecimal("998.00"));
        long firstRun;
        try (Connection connection = db.connection()) {
            connection.setAutoCommit(false);
            firstRun = runs.insertStarted(connection, SyncTrigger.TIMER, T0, null);
            executions.upsert(connection, firstRun, List.of(new ExecutionRecord(buy, null, ExecutionState.SEEN)));
            Changes.apply(positions, connection, firstRun, List.of(opened("DU1", 1, "AAPL", "100", "150.01", T0, "b.01")), T0);
            connection.commit();
        }
        StoredPosition p = open("DU1", 1);
        try (Connection connection = db.connection()) {
            connection.setAutoCommit(false);
            long runId = runs.insertStarted(connection, SyncTrigger.TIMER, T2, null);
            executions.upsert(connection, runId, List.of(new ExecutionRecord(buy, null, ExecutionState.SEEN),
                    new ExecutionRecord(sell, null, ExecutionState.APPLIED)));
            Changes.apply(positions, connection, runId, List.of(closed(p, "998.00", "998.00", RealizedPnlSource.EXECUTIONS,
                    "160.00", "1.00", "998.00", T1, "s.01", "unknown.01")), T2);
            connection.commit();
        }

        List<PositionHistoryEntry> history = positions.history(p.id());

        assertThat(history).extracting(PositionHistoryEntry::kind).containsExactly(ChangeKind.OPENED, ChangeKind.CLOSED);
        assertThat(history.get(0).executions()).singleElement().satisfies(e -> {
            assertThat(e.execution()).isEqualTo(buy);
            assertThat(e.firstSeenRunId()).isEqualTo(firstRun);
            assertThat(e.applied()).isFalse();
        });
        assertThat(history.get(1).execIds()).containsExactly("s.01", "unknown.01");
        assertThat(history.get(1).executions()).extracting(StoredExecution::execId).containsExactly("s.01");
        assertThat(history.get(1).executions().get(0).execution()).isEqualTo(sell);
        assertThat(positions.historyOfRun(history.get(1).runId())).extracting(PositionHistoryEntry::positionId)
                .containsExactly(p.id());
    }

    @Test
    void summaryFollowsTheSpecDefinitions() throws SQLException {
        try (Connection connection = db.connection(); Statement statement = connection.createStatement()) {
            String columns = "INSERT INTO positions (account, con_id, symbol, sec_type, currency, quantity, average_price,"
                    + " unrealized_pnl, realized_pnl, realized_pnl_source, status, opened_at, closed_at, last_synced_at)"
                    + " VALUES ";
            statement.executeUpdate(columns
                    // DU1: a win, a breakeven, a loss, a legacy win (unrealized only), a legacy row without any P&L
                    + "('DU1', 1, 'A', 'STK', 'USD', 0, 10, NULL, 100.00, 'EXECUTIONS', 'CLOSED', now(), now(), '2026-01-05T10:00:00Z'),"
                    + "('DU1', 2, 'B', 'STK', 'USD', 0, 10, 5.00, 0, 'EXECUTIONS', 'CLOSED', now(), now(), '2026-01-05T10:00:00Z'),"
                    + "('DU1', 3, 'C', 'STK', 'USD', 0, 10, NULL, -50.00, 'MARKET_PRICE', 'CLOSED', now(), now(), '2026-01-05T10:00:00Z'),"
                    + "('DU1', 4, 'D', 'STK', 'USD', 0, 10, 20.00, NULL, NULL, 'CLOSED', now(), now(), NULL),"
                    + "('DU1', 5, 'E', 'STK', 'USD', 0, 10, NULL, NULL, NULL, 'CLOSED', now(), now(), NULL),"
                    // DU1: open with a partial close realized
                    + "('DU1', 6, 'F', 'STK', 'USD', 10, 10, 30.25, 10.50, 'EXECUTIONS', 'OPEN', now(), NULL, '2026-01-05T12:00:00Z'),"
                    // DU2: one win, one open loser (in EUR)
                    + "('DU2', 1, 'A', 'STK', 'USD', 0, 10, -3.00, 1.10, 'EXECUTIONS', 'CLOSED', now(), now(), '2026-01-05T11:00:00Z'),"
                    + "('DU2', 7, 'G', 'STK', 'EUR', 5, 10, -5.00, NULL, NULL, 'OPEN', now(), NULL, '2026-01-05T13:00:00Z')");
        }

        PortfolioSummary summary = positions.summary();

        assertThat(summary.accounts()).extracting(PnlSummary::account).containsExactly("DU1", "DU2");
        PnlSummary du1 = summary.accounts().get(0);
        assertThat(du1.openCount()).isEqualTo(1);
        assertThat(du1.closedCount()).isEqualTo(5);
        assertThat(du1.wins()).isEqualTo(2);
        assertThat(du1.closedWithPnl()).isEqualTo(4);
        assertThat(du1.winRate()).isEqualTo(new BigDecimal("0.5000"));
        assertThat(du1.realizedPnl()).isEqualByComparingTo("60.50");
        assertThat(du1.unrealizedPnl()).isEqualByComparingTo("30.25");
        assertThat(du1.totalPnl()).isEqualByComparingTo("90.75");
        assertThat(du1.lastSyncedAt()).isEqualTo(Instant.parse("2026-01-05T12:00:00Z"));
        assertThat(du1.currencies()).containsExactly("USD");

        PnlSummary du2 = summary.accounts().get(1);
        assertThat(du2.winRate()).isEqualTo(new BigDecimal("1.0000"));
        // two currencies: no single total, one per currency
        assertThat(du2.totalPnl()).isNull();
        assertThat(du2.currencies()).containsExactly("EUR", "USD");
        assertThat(du2.byCurrency()).extracting(CurrencyPnl::currency, c -> c.totalPnl().stripTrailingZeros())
                .containsExactly(org.assertj.core.groups.Tuple.tuple("EUR", new BigDecimal("-5")),
                        org.assertj.core.groups.Tuple.tuple("USD", new BigDecimal("1.1")));

        PnlSummary overall = summary.overall();
        assertThat(overall.account()).isNull();
        assertThat(overall.openCount()).isEqualTo(2);
        assertThat(overall.closedCount()).isEqualTo(6);
        assertThat(overall.wins()).isEqualTo(3);
        assertThat(overall.closedWithPnl()).isEqualTo(5);
        assertThat(overall.winRate()).isEqualTo(new BigDecimal("0.6000"));
        assertThat(overall.totalPnl()).as("never added across currencies").isNull();
        assertThat(overall.byCurrency()).extracting(CurrencyPnl::currency).containsExactly("EUR", "USD");
        CurrencyPnl usd = overall.byCurrency().get(1);
        assertThat(usd.realizedPnl()).isEqualByComparingTo("61.60");
        assertThat(usd.unrealizedPnl()).isEqualByComparingTo("30.25");
        assertThat(usd.totalPnl()).isEqualByComparingTo("91.85");
        assertThat(overall.lastSyncedAt()).isEqualTo(Instant.parse("2026-01-05T13:00:00Z"));
        assertThat(summary.orphaned()).isEmpty();

        // base-currency totals where the rates are known: DU2's EUR at 1.10 USD
        PortfolioSummary converted = positions.summary(java.util.Map.of(
                "DU2", java.util.Map.of("USD", BigDecimal.ONE, "EUR", new BigDecimal("1.10")),
                "DU1", java.util.Map.of("EUR", BigDecimal.ONE)));
        assertThat(converted.baseTotals()).hasSize(2);
        assertThat(converted.baseTotals().get(0)).satisfies(t -> {
            assertThat(t.account()).isEqualTo("DU1");
            assertThat(t.totalPnl()).as("no USD rate for a EUR-based account: no total").isNull();
            assertThat(t.missingRates()).containsExactly("USD");
        });
        assertThat(converted.baseTotals().get(1)).satisfies(t -> {
            assertThat(t.account()).isEqualTo("DU2");
            assertThat(t.baseCurrency()).isEqualTo("USD");
            assertThat(t.totalPnl()).isEqualByComparingTo("-4.40"); // -5.00 * 1.10 + 1.10
        });
    }

    @Test
    void openRowsOfAnAccountTheGatewayNoLongerReportsAreCountedApart() throws SQLException {
        try (Connection connection = db.connection(); Statement statement = connection.createStatement()) {
            statement.executeUpdate("INSERT INTO positions (account, con_id, symbol, sec_type, currency, quantity,"
                    + " average_price, unrealized_pnl, realized_pnl, realized_pnl_source, status, opened_at, closed_at,"
                    + " last_synced_at) VALUES"
                    + " ('DU1', 1, 'A', 'STK', 'USD', 10, 10, 5.00, NULL, NULL, 'OPEN', now(), NULL, now()),"
                    + " ('DU9', 2, 'B', 'STK', 'USD', 20, 10, 7.00, NULL, NULL, 'OPEN', now(), NULL, '2026-01-01T00:00:00Z'),"
                    + " ('DU9', 3, 'C', 'STK', 'USD', 0, 10, NULL, 3.00, 'EXECUTIONS', 'CLOSED', now(), now(), now())");
            statement.executeUpdate("INSERT INTO sync_runs (id, trigger, status, started_at, finished_at) VALUES"
                    + " (4, 'TIMER', 'SUCCEEDED', now(), now()), (5, 'TIMER', 'SUCCEEDED', now(), now())");
            statement.executeUpdate("INSERT INTO accounts (account, first_seen_at, last_reported_run_id) VALUES"
                    + " ('DU1', now(), 5), ('DU9', now(), 4)");
        }

        PortfolioSummary summary = positions.summary();

        assertThat(summary.overall().openCount()).isEqualTo(1);
        assertThat(summary.overall().unrealizedPnl()).isEqualByComparingTo("5.00");
        assertThat(summary.overall().realizedPnl()).as("closed history stays").isEqualByComparingTo("3.00");
        assertThat(summary.orphaned()).singleElement().satisfies(o -> {
            assertThat(o.account()).isEqualTo("DU9");
            assertThat(o.openCount()).isEqualTo(1);
            assertThat(o.unrealizedPnl()).isEqualByComparingTo("7.00");
            assertThat(o.lastSyncedAt()).isEqualTo(Instant.parse("2026-01-01T00:00:00Z"));
        });
    }

    @Test
    void aRunOfSomeAccountsLeavesTheOthersInTheTotals() throws SQLException {
        try (Connection connection = db.connection(); Statement statement = connection.createStatement()) {
            statement.executeUpdate("INSERT INTO positions (account, con_id, symbol, sec_type, currency, quantity,"
                    + " average_price, unrealized_pnl, realized_pnl, realized_pnl_source, status, opened_at, closed_at,"
                    + " last_synced_at) VALUES"
                    + " ('DU1', 1, 'A', 'STK', 'USD', 10, 10, 5.00, NULL, NULL, 'OPEN', now(), NULL, now()),"
                    + " ('DU2', 2, 'B', 'STK', 'USD', 20, 10, 7.00, NULL, NULL, 'OPEN', now(), NULL, now())");
            // run 5 of every account, then run 6 of DU1 only (an event run): DU2 was not reported by run 6, and is
            // not gone for it
            statement.executeUpdate("INSERT INTO sync_runs (id, trigger, status, started_at, finished_at, accounts)"
                    + " VALUES (5, 'TIMER', 'SUCCEEDED', now(), now(), NULL),"
                    + " (6, 'EVENT', 'SUCCEEDED', now(), now(), ARRAY['DU1'])");
            statement.executeUpdate("INSERT INTO accounts (account, first_seen_at, last_reported_run_id) VALUES"
                    + " ('DU1', now(), 6), ('DU2', now(), 5)");
        }

        PortfolioSummary summary = positions.summary();

        assertThat(summary.orphaned()).isEmpty();
        assertThat(summary.overall().openCount()).isEqualTo(2);
        assertThat(summary.overall().unrealizedPnl()).isEqualByComparingTo("12.00");
    }

    @Test
    void summaryOfAnEmptyTableHasNoWinRate() throws SQLException {
        PortfolioSummary summary = positions.summary();

        assertThat(summary.accounts()).isEmpty();
        assertThat(summary.overall().winRate()).isNull();
        assertThat(summary.overall().totalPnl()).isEqualByComparingTo("0");
        assertThat(summary.overall().lastSyncedAt()).isNull();
    }
}

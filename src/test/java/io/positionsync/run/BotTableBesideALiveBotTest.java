package io.positionsync.run;

import static io.positionsync.testing.SyncBook.dec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.positionsync.ibkr.sim.Instrument;
import io.positionsync.ibkr.sim.Side;
import io.positionsync.ibkr.sim.SimulatorState;
import io.positionsync.store.AdoptionSettings;
import io.positionsync.store.BotFixture;
import io.positionsync.store.BotFixture.Variant;
import io.positionsync.store.BotTableProjection;
import io.positionsync.store.ProjectionSettings;
import io.positionsync.store.TestDatabase;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.testing.ServiceUnderTest;
import io.positionsync.testing.SyncBook;

/**
 * The bot's table while the bot itself writes it (a bot session over plain JDBC in the test): a row the bot deletes
 * is added back in the same run (or is a break, with adding off); idle runs write no bot row; a bot transaction
 * that updates rows in the other order than a run is not a failed run (one retry); a position the bot records
 * itself within the grace keeps its one row.
 */
class BotTableBesideALiveBotTest {
    private static final String ACCOUNT = SyncBook.ACCOUNT;
    private static final long AAPL = SyncBook.AAPL;
    private static final long XYZ = SyncBook.XYZ;
    private static final long NVDA = 4815747L;
    private static final Variant VARIANT = Variant.ALEMBIC_004;

    private ServiceUnderTest h;
    private TestDatabase db;

    @AfterEach
    void close() throws Exception {
        BotFixture.close(h, db);
    }

    /** AAPL 100 (bot row 1), XYZ -50 (bot row 2); NVDA held by nobody yet. */
    private static SimulatorState broker() {
        SimulatorState state = new SimulatorState()
                .addAccount(ACCOUNT)
                .addInstrument(Instrument.stock(AAPL, "AAPL", "NASDAQ"))
                .addInstrument(Instrument.stock(XYZ, "XYZ", "NYSE"))
                .addInstrument(Instrument.stock(NVDA, "NVDA", "NASDAQ"))
                .reportClosedAsZero(true);
        state.setMarketPrice(AAPL, dec("155.00"));
        state.setMarketPrice(XYZ, dec("20.00"));
        state.setMarketPrice(NVDA, dec("500.00"));
        state.setPosition(ACCOUNT, AAPL, dec("100"), dec("150.01"));
        state.setPosition(ACCOUNT, XYZ, dec("-50"), dec("20.02"));
        return state;
    }

    private void start(Map<String, String> settings) throws Exception {
        db = BotFixture.create(VARIANT);
        BotFixture.adopt(db);
        Map<String, String> all = new HashMap<>(settings);
        all.put(AdoptionSettings.SCHEMA, BotFixture.serviceSchema(db));
        h = ServiceUnderTest.startPipelineOn(db, broker(), all);
    }

    private SyncRunSummary sync() throws Exception {
        SyncRunSummary run = h.sync();
        assertThat(run.status()).as(run.error()).isEqualTo(SyncRunStatus.SUCCEEDED);
        return run;
    }

    private List<Map<String, Object>> openBotRows(String symbol) throws Exception {
        return h.query(VARIANT.sql("SELECT * FROM positions WHERE symbol = ? AND status = '{{OPEN}}' ORDER BY id"),
                symbol);
    }

    private List<Map<String, Object>> openBreaks(String kind) throws Exception {
        return h.query("SELECT symbol, note, position_id FROM " + BotFixture.serviceSchema(db)
                + ".reconciliation_breaks WHERE kind = ? AND resolved_at IS NULL ORDER BY id", kind);
    }

    private BotTableProjection projection() {
        return h.context.getRegistry().lookupByNameAndType("positionProjection", BotTableProjection.class);
    }

    /** Each bot row's xmin: it changes exactly when the row is written. */
    private Map<Long, String> rowVersions() throws Exception {
        Map<Long, String> versions = new HashMap<>();
        for (Map<String, Object> row : h.query("SELECT id, xmin::text AS v FROM positions")) {
            versions.put(((Number) row.get("id")).longValue(), (String) row.get("v"));
        }
        return versions;
    }

    @Test
    void aRowTheBotDeletesIsAddedBackInTheSameRun() throws Exception {
        start(Map.of());
        sync();
        assertThat(openBotRows("XYZ")).extracting(r -> ((Number) r.get("id")).longValue()).containsExactly(2L);

        h.execute("DELETE FROM positions WHERE id = 2"); // the bot deletes its own row of a live short

        sync();

        List<Map<String, Object>> xyz = openBotRows("XYZ");
        assertThat(xyz).as("the live short is in the bot's table again").hasSize(1);
        assertThat(((Number) xyz.get(0).get("id")).longValue()).isGreaterThan(8);
        assertThat((BigDecimal) xyz.get(0).get("quantity")).isEqualByComparingTo("-50");
        assertThat(h.count("SELECT count(*) FROM " + BotFixture.serviceSchema(db) + ".bot_position_links WHERE bot_row_id = 2"))
                .as("the link of the deleted row is dropped").isZero();
        assertThat(h.count("SELECT count(*) FROM " + BotFixture.serviceSchema(db) + ".bot_position_links WHERE bot_row_id = ?",
                xyz.get(0).get("id"))).isEqualTo(1);
    }

    @Test
    void withAddingOffAPositionWithoutABotRowIsABreakUntilTheBotWritesItsRow() throws Exception {
        start(Map.of(ProjectionSettings.ADD_ROWS, "false"));
        sync();
        h.execute("DELETE FROM positions WHERE id = 2");
        long rows = h.count("SELECT count(*) FROM positions");

        sync();
        sync(); // raised once, not once per run

        assertThat(openBotRows("XYZ")).isEmpty();
        assertThat(h.count("SELECT count(*) FROM positions")).as("no row added").isEqualTo(rows);
        List<Map<String, Object>> missing = openBreaks("BOT_ROW_MISSING");
        assertThat(missing).extracting(r -> r.get("symbol")).containsExactly("XYZ");
        assertThat((String) missing.get(0).get("note")).startsWith("no row of the bot's table ")
                .endsWith("stands for the open position DU5550001 XYZ (-50); adding rows is off (PSYNC_ADOPT_ADD_ROWS=false)");

        // The bot writes its row: linked, the break resolved.
        h.execute(VARIANT.sql("INSERT INTO positions (symbol, quantity, entry_price, status, account) "
                + "VALUES ('XYZ', -50, 20.02, '{{OPEN}}', 'DU5550001')"));
        sync();
        assertThat(openBreaks("BOT_ROW_MISSING")).isEmpty();
        assertThat(openBotRows("XYZ")).hasSize(1);
    }

    @Test
    void idleRunsWriteNoBotRowAndAChangeWritesOnlyItsRow() throws Exception {
        start(Map.of());
        sync();
        Map<Long, String> before = rowVersions();
        long written = projection().rowsWritten();

        for (int i = 0; i < 10; i++) {
            sync();
        }

        assertThat(rowVersions()).as("10 idle runs wrote no bot row").isEqualTo(before);
        assertThat(projection().rowsWritten()).isEqualTo(written);

        h.broker().setMarketPrice(AAPL, dec("156.00"));
        sync();
        Map<Long, String> after = rowVersions();
        assertThat(after.entrySet().stream().filter(e -> !e.getValue().equals(before.get(e.getKey())))
                .map(Map.Entry::getKey).toList()).as("only AAPL's row").containsExactly(1L);
        assertThat((BigDecimal) h.query("SELECT current_price FROM positions WHERE id = 1").get(0).get("current_price"))
                .isEqualByComparingTo("156.00");
        System.out.printf("bot table: %d bot row writes in 10 idle runs, %d for one price change%n",
                projection().rowsWritten() - written - 1, 1);
    }

    @Test
    void aBotTransactionInTheOtherOrderIsNotAFailedRun() throws Exception {
        start(Map.of());
        sync();
        h.broker().setMarketPrice(AAPL, dec("157.00"));
        h.broker().setMarketPrice(XYZ, dec("19.00"));
        long retries = projection().retries();

        try (Connection bot = db.connection()) {
            bot.setAutoCommit(false);
            int botPid;
            try (Statement s = bot.createStatement(); ResultSet r = s.executeQuery("SELECT pg_backend_pid()")) {
                r.next();
                botPid = r.getInt(1);
            }
            // The bot takes row 2 first...
            try (Statement s = bot.createStatement()) {
                s.executeUpdate("UPDATE positions SET strategy = 'hedge' WHERE id = 2");
            }
            // ... a run starts, takes row 1 and waits for row 2 ...
            SyncCoordinator.InFlightRun run = h.triggers.request(io.positionsync.sync.SyncTrigger.MANUAL, null, null);
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                    .until(() -> blockedBy(botPid));
            // ... and the bot now wants row 1: a cycle. One of the two is chosen to give way.
            boolean botCommitted;
            try (Statement s = bot.createStatement()) {
                s.executeUpdate("UPDATE positions SET strategy = 'momentum-2' WHERE id = 1");
                bot.commit();
                botCommitted = true;
            } catch (SQLException e) {
                assertThat(e.getSQLState()).isEqualTo("40P01");
                bot.rollback();
                botCommitted = false;
            }
            SyncRunSummary summary = run.await(Duration.ofSeconds(30)).orElseThrow();

            assertThat(summary.status()).as(summary.error()).isEqualTo(SyncRunStatus.SUCCEEDED);
            assertThat((BigDecimal) h.query("SELECT current_price FROM positions WHERE id = 1").get(0).get("current_price"))
                    .isEqualByComparingTo("157.00");
            assertThat((BigDecimal) h.query("SELECT current_price FROM positions WHERE id = 2").get(0).get("current_price"))
                    .isEqualByComparingTo("19.00");
            if (botCommitted) {
                // The run was chosen: it rolled its projection back, let the bot through and wrote it once more.
                assertThat(projection().retries()).isEqualTo(retries + 1);
                assertThat(h.query("SELECT strategy FROM positions WHERE id = 1").get(0).get("strategy"))
                        .isEqualTo("momentum-2");
            }
            System.out.printf("bot table deadlock: run %s, bot transaction %s, projection retries %d%n",
                    summary.status(), botCommitted ? "committed" : "aborted", projection().retries() - retries);
        }
    }

    @Test
    void runsGoOnWhileTheBotDeletesInsertsAndUpdatesInTheOtherOrder() throws Exception {
        start(Map.of());
        sync();
        int runs = 26;
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger committed = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger aborted = new java.util.concurrent.atomic.AtomicInteger();
        long retries = projection().retries();
        long written = projection().rowsWritten();
        // The bot: row 2 then row 1 (the runs go by id), a row of its own added and its older ones deleted, with the
        // bot's own think time between its two updates and a pause of 0.2 s between its transactions.
        java.util.concurrent.ExecutorService botThread = java.util.concurrent.Executors.newSingleThreadExecutor();
        java.util.concurrent.CompletableFuture<Void> bot = java.util.concurrent.CompletableFuture.runAsync(() -> {
            try (Connection c = db.connection()) {
                c.setAutoCommit(false);
                for (int i = 0; !stop.get(); i++) {
                    try (Statement s = c.createStatement()) {
                        s.executeUpdate("UPDATE positions SET strategy = 'bot-" + i + "' WHERE id = 2");
                        Thread.sleep(50);
                        s.executeUpdate("UPDATE positions SET strategy = 'bot-" + i + "' WHERE id = 1");
                        s.executeUpdate(VARIANT.sql("INSERT INTO positions (symbol, quantity, entry_price, status, "
                                + "account) VALUES ('TMP', 1, 1.00, '{{OPEN}}', 'DU5550001')"));
                        s.executeUpdate("DELETE FROM positions WHERE symbol = 'TMP' AND id < (SELECT max(id) FROM "
                                + "positions WHERE symbol = 'TMP')");
                        c.commit();
                        committed.incrementAndGet();
                    } catch (SQLException e) {
                        c.rollback();
                        aborted.incrementAndGet();
                    }
                    Thread.sleep(200);
                }
            } catch (SQLException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, botThread);
        List<SyncRunStatus> statuses = new java.util.ArrayList<>();
        try {
            for (int r = 1; r <= runs; r++) {
                h.broker().setMarketPrice(AAPL, dec("155.00").add(BigDecimal.valueOf(r)));
                h.broker().setMarketPrice(XYZ, dec("20.00").add(BigDecimal.valueOf(r, 2)));
                SyncRunSummary run = h.sync();
                statuses.add(run.status());
            }
        } finally {
            stop.set(true);
            bot.get(30, java.util.concurrent.TimeUnit.SECONDS);
            botThread.shutdown();
        }
        long failed = statuses.stream().filter(st -> st != SyncRunStatus.SUCCEEDED).count();
        System.out.printf("bot table under a live bot: %d runs, %d failed, %d projection retries (deadlocks), "
                + "%d bot rows written; bot: %d transactions committed, %d aborted%n", runs, failed,
                projection().retries() - retries, projection().rowsWritten() - written, committed.get(), aborted.get());
        assertThat(statuses).as("every run succeeded").containsOnly(SyncRunStatus.SUCCEEDED);
        assertThat(committed.get()).as("the bot got its work done").isPositive();
        // Every run moved both prices: the rows show the last run's.
        assertThat((BigDecimal) h.query("SELECT current_price FROM positions WHERE id = 1").get(0).get("current_price"))
                .isEqualByComparingTo(dec("155.00").add(BigDecimal.valueOf(runs)));
        assertThat(openBotRows("XYZ")).hasSize(1);
    }

    /** Whether some other session waits for a lock the bot's session holds. */
    private boolean blockedBy(int botPid) throws SQLException {
        try (Connection c = db.connection(); PreparedStatement statement = c.prepareStatement(
                "SELECT count(*) FROM pg_stat_activity WHERE ? = ANY (pg_blocking_pids(pid))")) {
            statement.setInt(1, botPid);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1) > 0;
            }
        }
    }

    @Test
    void aPositionTheBotRecordsItselfWithinTheGraceKeepsOneRow() throws Exception {
        start(Map.of()); // the shipped grace: 60 s
        sync();
        h.broker().trade(ACCOUNT, NVDA, Side.BOT, dec("25"), dec("500.00"), dec("1.00"));

        sync();
        assertThat(openBotRows("NVDA")).as("within the grace the service adds no row").isEmpty();

        h.execute(VARIANT.sql("INSERT INTO positions (symbol, quantity, entry_price, status, account, strategy) "
                + "VALUES ('NVDA', 25, 500.00, '{{OPEN}}', 'DU5550001', 'momentum')"));
        sync();

        List<Map<String, Object>> nvda = openBotRows("NVDA");
        assertThat(nvda).as("one row: the bot's, linked").hasSize(1);
        assertThat(nvda.get(0).get("strategy")).isEqualTo("momentum");
        assertThat((BigDecimal) h.query(VARIANT.sql("SELECT sum(quantity) AS q FROM positions WHERE symbol = 'NVDA' "
                + "AND status = '{{OPEN}}'")).get(0).get("q")).isEqualByComparingTo("25");
        assertThat(nvda.get(0).get("last_synced_at")).isNotNull();
    }

    @Test
    void afterTheGraceTheServiceAddsTheRowItself() throws Exception {
        start(Map.of(ProjectionSettings.NEW_ROW_GRACE, "1000"));
        sync();
        h.broker().trade(ACCOUNT, NVDA, Side.BOT, dec("25"), dec("500.00"), dec("1.00"));
        long firstSeen = System.nanoTime();
        sync();
        assertThat(openBotRows("NVDA")).isEmpty();

        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> {
            sync();
            return !openBotRows("NVDA").isEmpty();
        });

        assertThat(Duration.ofNanos(System.nanoTime() - firstSeen)).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
        assertThat(openBotRows("NVDA")).hasSize(1);
        assertThat((BigDecimal) openBotRows("NVDA").get(0).get("quantity")).isEqualByComparingTo("25");
    }
}

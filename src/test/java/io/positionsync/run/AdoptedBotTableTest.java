package io.positionsync.run;

import static io.positionsync.testing.SyncBook.dec;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.positionsync.ibkr.sim.Instrument;
import io.positionsync.ibkr.sim.Side;
import io.positionsync.ibkr.sim.SimulatorState;
import io.positionsync.store.AdoptionSettings;
import io.positionsync.store.BotFixture;
import io.positionsync.store.BotFixture.Variant;
import io.positionsync.api.BreakView;
import io.positionsync.api.SyncApi;
import io.positionsync.store.TestDatabase;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.testing.ServiceUnderTest;
import io.positionsync.testing.SyncBook;

/**
 * An adopted bot's table kept in step by the real sync pipeline (camel-main, the route, the simulator over a
 * socket, PostgreSQL), for the bot before and after its revision 004: rows updated in place, unlinked rows linked,
 * ambiguous ones recorded as breaks and left alone, a row the bot inserts between runs linked instead of
 * duplicated, the fill ledger's realized P&amp;L in the bot's {@code realized_pnl}, and the bot's own queries
 * answering right.
 */
class AdoptedBotTableTest {
    private static final String ACCOUNT = SyncBook.ACCOUNT;
    private static final long AAPL = SyncBook.AAPL;
    private static final long XYZ = SyncBook.XYZ;
    private static final long ABC = SyncBook.ABC;
    private static final long ES = SyncBook.ES;
    private static final long NVDA = 4815747L;

    /** The bot's own queries, as its code runs them ({{CLOSED}}: its spelling). */
    static final String NOT_SYNCED_IN_THE_LAST_HOUR =
            "SELECT id FROM positions WHERE last_synced_at < now() - interval '1 hour' ORDER BY id";
    static final String REALIZED_PNL_OF_CLOSED =
            "SELECT coalesce(sum(realized_pnl), 0) AS total FROM positions WHERE status = '{{CLOSED}}'";
    static final String WIN_RATE = "SELECT round(avg(CASE WHEN coalesce(realized_pnl, unrealized_pnl) > 0 THEN 1.0 "
            + "ELSE 0.0 END), 4) AS win_rate FROM positions WHERE status = '{{CLOSED}}' "
            + "AND coalesce(realized_pnl, unrealized_pnl) IS NOT NULL";

    private ServiceUnderTest h;
    private TestDatabase db;

    @AfterEach
    void close() throws Exception {
        BotFixture.close(h, db);
    }

    private static SimulatorState broker() {
        SimulatorState state = new SimulatorState()
                .addAccount(ACCOUNT)
                .addInstrument(Instrument.stock(AAPL, "AAPL", "NASDAQ"))
                .addInstrument(Instrument.stock(XYZ, "XYZ", "NYSE"))
                .addInstrument(Instrument.stock(ABC, "ABC", "NYSE"))
                .addInstrument(Instrument.stock(NVDA, "NVDA", "NASDAQ"))
                .addInstrument(Instrument.future(ES, "ES", "ESZ6", "20261218", "CME", new BigDecimal("50"),
                        new BigDecimal("0.25")))
                .reportClosedAsZero(true);
        state.setMarketPrice(AAPL, dec("155.00"));
        state.setMarketPrice(XYZ, dec("20.00"));
        state.setMarketPrice(ABC, dec("9.00"));
        state.setMarketPrice(NVDA, dec("500.00"));
        state.setMarketPrice(ES, dec("5000.00"));
        state.setPosition(ACCOUNT, AAPL, dec("100"), dec("150.01"));
        state.setPosition(ACCOUNT, XYZ, dec("-50"), dec("20.02"));
        state.setPosition(ACCOUNT, ES, dec("2"), dec("250002.40"));
        state.setPosition(ACCOUNT, ABC, dec("30"), dec("9.00"));
        return state;
    }

    private List<String> catalogBeforeAdoption;

    private void start(Variant variant) throws Exception {
        db = BotFixture.create(variant);
        catalogBeforeAdoption = BotFixture.catalog(db.dataSource(), db.schema());
        BotFixture.adopt(db);
        // New rows at once (no grace): this test is about what the rows say, the grace has a test of its own.
        h = ServiceUnderTest.startPipelineOn(db, broker(), Map.of(AdoptionSettings.SCHEMA, BotFixture.serviceSchema(db),
                io.positionsync.store.ProjectionSettings.NEW_ROW_GRACE, "0"));
    }

    private Map<String, Object> botRow(long id) throws Exception {
        List<Map<String, Object>> rows = h.query("SELECT * FROM positions WHERE id = ?", id);
        assertThat(rows).as("bot row " + id).hasSize(1);
        return rows.get(0);
    }

    private List<Map<String, Object>> openBotRowBreaks() throws Exception {
        return h.query("SELECT bot_row_id, account, symbol, note FROM " + BotFixture.serviceSchema(db)
                + ".reconciliation_breaks WHERE kind = 'BOT_ROW_UNMATCHED' AND resolved_at IS NULL ORDER BY bot_row_id");
    }

    private static Instant botTime(String wallClock) {
        return LocalDateTime.parse(wallClock).toInstant(ZoneOffset.UTC);
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void theBotsRowsAreKeptInStepLinkedNotDuplicatedAndItsQueriesAnswerRight(Variant variant) throws Exception {
        start(variant);
        Object staleSync = botRow(3).get("last_synced_at");

        SyncRunSummary first = h.sync();

        assertThat(first.status()).as(first.error()).isEqualTo(SyncRunStatus.SUCCEEDED);
        // Row 1 linked and updated in place: the broker's quantity and average, the market's price; opened_at is the bot's.
        Map<String, Object> aapl = botRow(1);
        assertThat((BigDecimal) aapl.get("quantity")).isEqualByComparingTo("100");
        assertThat((BigDecimal) aapl.get("entry_price")).isEqualByComparingTo("150.01");
        assertThat((BigDecimal) aapl.get("current_price")).isEqualByComparingTo("155.00");
        assertThat((BigDecimal) aapl.get("unrealized_pnl")).isEqualByComparingTo("499.00");
        assertThat(aapl.get("status")).isEqualTo(variant.open);
        assertThat(aapl.get("opened_at")).isEqualTo(botTime("2026-11-02T14:30:00"));
        assertThat(aapl.get("strategy")).as("the bot's own columns are left alone").isEqualTo("momentum");
        assertThat((Instant) aapl.get("last_synced_at")).isBetween(first.startedAt(), first.finishedAt());
        // Row 2 has no account: linked by its symbol alone.
        assertThat((BigDecimal) botRow(2).get("quantity")).isEqualByComparingTo("-50");
        assertThat(botRow(2).get("last_synced_at")).isNotNull();
        // Rows 3 (nothing held) and 4, 5 (one position, two rows) are breaks, left as they are.
        assertThat(botRow(3).get("last_synced_at")).isEqualTo(staleSync);
        assertThat((BigDecimal) botRow(4).get("quantity")).isEqualByComparingTo("1");
        assertThat((BigDecimal) botRow(5).get("quantity")).isEqualByComparingTo("1");
        assertThat(openBotRowBreaks()).extracting(r -> ((Number) r.get("bot_row_id")).longValue())
                .containsExactly(3L, 4L, 5L);
        assertThat(openBotRowBreaks().get(0).get("note"))
                .isEqualTo("bot row 3 (MSFT in DU5550001): no open broker position matches it; the row is left as it is");
        // The status API's list of open breaks shows them.
        SyncApi api = h.context.getRegistry().lookupByNameAndType("syncApi", SyncApi.class);
        List<BreakView> shown = api.status().openBreaks();
        assertThat(shown).extracting(BreakView::kind).containsOnly("BOT_ROW_UNMATCHED").hasSize(3);
        assertThat(shown).extracting(BreakView::note).contains(
                "bot row 3 (MSFT in DU5550001): no open broker position matches it; the row is left as it is");
        // ABC has no bot row: the run adds one; ES waits for the bot's two rows to be resolved.
        List<Map<String, Object>> added = h.query("SELECT * FROM positions WHERE id > 8 ORDER BY id");
        assertThat(added).hasSize(1);
        assertThat(added.get(0).get("symbol")).isEqualTo("ABC");
        assertThat(added.get(0).get("account")).isEqualTo(ACCOUNT);
        assertThat((BigDecimal) added.get(0).get("quantity")).isEqualByComparingTo("30");
        assertThat(added.get(0).get("status")).isEqualTo(variant.open);

        // Between runs: the bot buys NVDA and inserts its row; it closes its duplicate ES row; AAPL is sold.
        h.broker().trade(ACCOUNT, NVDA, Side.BOT, dec("10"), dec("500.00"), dec("1.00"));
        h.execute(variant.sql("INSERT INTO positions (symbol, quantity, entry_price, status, account, strategy) "
                + "VALUES ('NVDA', 10, 500.00, '{{OPEN}}', 'DU5550001', 'momentum')"));
        h.execute(variant.sql("UPDATE positions SET status = '{{CLOSED}}', closed_at = now() AT TIME ZONE 'UTC' "
                + "WHERE id = 5"));
        // ... and, by mistake, a second row for XYZ, which row 2 already stands for.
        h.execute(variant.sql("INSERT INTO positions (symbol, quantity, entry_price, status, account) "
                + "VALUES ('XYZ', -50, 20.02, '{{OPEN}}', 'DU5550001')"));
        h.broker().trade(ACCOUNT, AAPL, Side.SLD, dec("100"), dec("160.00"), dec("1.00"));

        SyncRunSummary second = h.sync();

        assertThat(second.status()).as(second.error()).isEqualTo(SyncRunStatus.SUCCEEDED);
        // The bot's NVDA row is linked, not duplicated.
        List<Map<String, Object>> nvda = h.query("SELECT * FROM positions WHERE symbol = 'NVDA'");
        assertThat(nvda).hasSize(1);
        assertThat((BigDecimal) nvda.get(0).get("entry_price")).isEqualByComparingTo("500.10");
        assertThat(nvda.get(0).get("last_synced_at")).isNotNull();
        // XYZ did not change at the broker: neither its row nor the bot's is written (the bot's keeps the first
        // run's sync time until it is older than PSYNC_ADOPT_SYNCED_AT_REFRESH_MS).
        assertThat((Instant) botRow(2).get("last_synced_at")).isBetween(first.startedAt(), first.finishedAt());
        // AAPL closed by the fold over its fills: (160.00 - 150.01) * 100 - 1.00.
        aapl = botRow(1);
        assertThat(aapl.get("status")).isEqualTo(variant.closed);
        assertThat((BigDecimal) aapl.get("quantity")).isEqualByComparingTo("0");
        assertThat((BigDecimal) aapl.get("realized_pnl")).isEqualByComparingTo("998.00");
        assertThat(aapl.get("closed_at")).isNotNull();
        // Row 5 closed by the bot: row 4 is the one ES row now, linked; both breaks resolved, MSFT's stays open.
        assertThat((BigDecimal) botRow(4).get("quantity")).isEqualByComparingTo("2");
        assertThat((BigDecimal) botRow(4).get("entry_price")).isEqualByComparingTo("5000.048");
        assertThat(botRow(5).get("status")).isEqualTo(variant.closed);
        assertThat(openBotRowBreaks()).extracting(r -> ((Number) r.get("bot_row_id")).longValue())
                .containsExactly(3L, 11L);
        assertThat(openBotRowBreaks().get(1).get("note")).isEqualTo("bot row 11 (XYZ in DU5550001): the broker position "
                + "it matches (DU5550001 XYZ) already has a bot row; the row is left as it is");
        assertThat(h.count("SELECT count(*) FROM positions")).isEqualTo(11);

        // The bot's own queries, unchanged.
        List<Long> notSynced = h.query(NOT_SYNCED_IN_THE_LAST_HOUR).stream()
                .map(r -> ((Number) r.get("id")).longValue()).toList();
        BigDecimal realized = (BigDecimal) h.query(variant.sql(REALIZED_PNL_OF_CLOSED)).get(0).get("total");
        BigDecimal winRate = (BigDecimal) h.query(variant.sql(WIN_RATE)).get(0).get("win_rate");
        if (variant == Variant.ALEMBIC_003) {
            assertThat(notSynced).as("never synced rows have no last_synced_at").isEmpty();
            assertThat(realized).isEqualByComparingTo("998.00");
            // closed: AAPL 998 (win), TSLA +120 unrealized (win), NFLX -45.50 (loss), old AAPL 0 (not a win)
            assertThat(winRate).isEqualByComparingTo("0.5000");
        } else {
            assertThat(notSynced).as("the rows the service does not keep, last synced by the bot days ago")
                    .containsExactly(3L, 5L);
            assertThat(realized).isEqualByComparingTo("1128.00"); // 998 + 118 + 12 + 0
            assertThat(winRate).isEqualByComparingTo("0.7500"); // AAPL, TSLA, NFLX (realized 12) of four
        }

        // rollback --to 0 after the runs: the bot's table is back to its own shape; its rows keep what the runs wrote.
        h.stop();
        Map<String, String> settings = new java.util.HashMap<>(db.settings());
        settings.put(AdoptionSettings.SCHEMA, BotFixture.serviceSchema(db));
        try (io.positionsync.store.Database database = io.positionsync.boot.DatabaseConfiguration.start(
                io.positionsync.boot.ConfigurationValues.load(Map.of(), settings))) {
            io.positionsync.store.Migrations.rollbackTo(database.dataSource(), 0);
        }
        assertThat(BotFixture.catalog(db.dataSource(), db.schema())).isEqualTo(catalogBeforeAdoption);
        assertThat(BotFixture.catalog(db.dataSource(), BotFixture.serviceSchema(db))).isEmpty();
        assertThat(h.count("SELECT count(*) FROM positions")).isEqualTo(11);
    }

    @ParameterizedTest
    @EnumSource(value = Variant.class, names = "ALEMBIC_003")
    void aBotTableThatRefusesTheRunsRowsRollsBackTheServicesRowsToo(Variant variant) throws Exception {
        start(variant);
        h.execute("ALTER TABLE positions ADD CONSTRAINT bot_quantity_limit CHECK (quantity < 90)");

        SyncRunSummary run = h.sync();

        assertThat(run.status()).isEqualTo(SyncRunStatus.FAILED);
        assertThat(run.error()).contains("bot_quantity_limit");
        String service = BotFixture.serviceSchema(db);
        assertThat(h.count("SELECT count(*) FROM " + service + ".positions")).isZero();
        assertThat(h.count("SELECT count(*) FROM " + service + ".bot_position_links")).isZero();
        assertThat(h.count("SELECT count(*) FROM positions WHERE last_synced_at IS NOT NULL")).isZero();
    }
}

package io.positionsync.run;

import static io.positionsync.testing.SyncBook.dec;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.positionsync.ibkr.sim.Instrument;
import io.positionsync.ibkr.sim.SimulatorState;
import io.positionsync.store.Adoption;
import io.positionsync.store.AdoptionSettings;
import io.positionsync.store.BotFixture;
import io.positionsync.store.BotFixture.Variant;
import io.positionsync.store.TestDatabase;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.testing.ServiceUnderTest;
import io.positionsync.testing.SyncBook;

/**
 * An adopted bot table without a security type column (the bot's seed has none) cannot tell a stock, its option and
 * a future's months apart by a column: rows the runs add hold the broker's local symbol (ESZ6, the option's OCC
 * symbol), a stock's row its symbol, so the bot never reads an option as shares; a local symbol the bot's column
 * cannot hold gets no row; and the dry run says so. Real sync pipeline, simulator over a socket, PostgreSQL.
 */
class AdoptedTableLocalSymbolTest {
    private static final String ACCOUNT = SyncBook.ACCOUNT;
    private static final long AAPL = SyncBook.AAPL;
    private static final long ES = SyncBook.ES;
    private static final long AAPL_CALL = 714082001L;
    private static final String OCC = "AAPL  261218C00200000";

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
                .addInstrument(Instrument.option(AAPL_CALL, "AAPL", OCC, "20261218", new BigDecimal("200"), "C",
                        new BigDecimal("100")))
                .addInstrument(Instrument.future(ES, "ES", "ESZ6", "20261218", "CME", new BigDecimal("50"),
                        new BigDecimal("0.25")));
        state.setMarketPrice(AAPL, dec("155.00"));
        state.setMarketPrice(AAPL_CALL, dec("6.30"));
        state.setMarketPrice(ES, dec("5000.00"));
        state.setPosition(ACCOUNT, AAPL, dec("50"), dec("150.00"));
        state.setPosition(ACCOUNT, AAPL_CALL, dec("5"), dec("625.65"));
        state.setPosition(ACCOUNT, ES, dec("2"), dec("250002.40"));
        return state;
    }

    /** The bot's table as its seed makes it, without rows: every position is new to it. */
    private void adoptEmptyBotTable(String symbolType) throws Exception {
        db = BotFixture.create(Variant.ALEMBIC_003);
        try (var connection = db.connection(); var statement = connection.createStatement()) {
            statement.execute("DELETE FROM positions");
            if (symbolType != null) {
                statement.execute("ALTER TABLE positions ALTER COLUMN symbol TYPE " + symbolType);
            }
        }
        BotFixture.adopt(db);
        // New rows at once (no grace): this test is about what the new rows say.
        h = ServiceUnderTest.startPipelineOn(db, broker(), Map.of(AdoptionSettings.SCHEMA, BotFixture.serviceSchema(db),
                io.positionsync.store.ProjectionSettings.NEW_ROW_GRACE, "0"));
    }

    private List<String> botRows() throws Exception {
        return h.query("SELECT symbol, quantity FROM positions ORDER BY id").stream()
                .map(r -> r.get("symbol") + " " + ((BigDecimal) r.get("quantity")).stripTrailingZeros().toPlainString())
                .toList();
    }

    @Test
    void withoutASecurityTypeColumnNewRowsHoldTheBrokersLocalSymbol() throws Exception {
        adoptEmptyBotTable("varchar(32)");

        SyncRunSummary run = h.sync();

        assertThat(run.status()).as(run.error()).isEqualTo(SyncRunStatus.SUCCEEDED);
        assertThat(botRows()).containsExactlyInAnyOrder("AAPL 50", OCC + " 5", "ESZ6 2");
        // The bot's own question "how many AAPL shares do I hold" answers 50, not 55.
        assertThat(h.count("SELECT coalesce(sum(quantity), 0) FROM positions WHERE symbol = 'AAPL'")).isEqualTo(50);
    }

    @Test
    void aLocalSymbolTheBotsColumnCannotHoldGetsNoRowAndTheDryRunSaysSo() throws Exception {
        db = BotFixture.create(Variant.ALEMBIC_003);
        Adoption.Plan plan = Adoption.plan(db.dataSource(), BotFixture.settings(db));
        assertThat(plan.notes()).contains("symbol: the table cannot tell a stock, its options and a future's months apart "
                + "(no security type column, no conId column), so rows the service adds hold the broker's local symbol "
                + "in symbol (a future ESZ6, an option its OCC symbol such as AAPL  261218C00200000); a stock's row holds "
                + "its symbol; symbol holds 16 characters, an OCC symbol 21: option positions get no row (widen the "
                + "column, or set PSYNC_ADOPT_COLUMN_SEC_TYPE to a column the service fills)");
        db.close();
        db = null;

        adoptEmptyBotTable(null);
        SyncRunSummary run = h.sync();

        assertThat(run.status()).as(run.error()).isEqualTo(SyncRunStatus.SUCCEEDED);
        assertThat(botRows()).containsExactlyInAnyOrder("AAPL 50", "ESZ6 2");
    }

    @Test
    void aTableWithASecurityTypeColumnKeepsTheSymbolAndSaysNothingAboutLocalSymbols() throws Exception {
        db = BotFixture.create(Variant.ALEMBIC_003);
        try (var connection = db.connection(); var statement = connection.createStatement()) {
            statement.execute("DELETE FROM positions");
            statement.execute("ALTER TABLE positions ADD COLUMN sec_type varchar(8)");
        }
        assertThat(Adoption.plan(db.dataSource(), BotFixture.settings(db)).notes())
                .noneSatisfy(note -> assertThat(note).startsWith("symbol:"));
        BotFixture.adopt(db);
        // New rows at once (no grace): this test is about what the new rows say.
        h = ServiceUnderTest.startPipelineOn(db, broker(), Map.of(AdoptionSettings.SCHEMA, BotFixture.serviceSchema(db),
                io.positionsync.store.ProjectionSettings.NEW_ROW_GRACE, "0"));

        SyncRunSummary run = h.sync();

        assertThat(run.status()).as(run.error()).isEqualTo(SyncRunStatus.SUCCEEDED);
        assertThat(h.query("SELECT symbol, sec_type FROM positions ORDER BY symbol, sec_type").stream()
                .map(r -> r.get("symbol") + " " + r.get("sec_type")).toList())
                .containsExactly("AAPL OPT", "AAPL STK", "ES FUT");
    }
}

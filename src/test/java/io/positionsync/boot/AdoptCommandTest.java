package io.positionsync.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.ibkr.sim.Instrument;
import io.positionsync.ibkr.sim.SimulatorOptions;
import io.positionsync.ibkr.sim.SimulatorState;
import io.positionsync.store.AdoptionSettings;
import io.positionsync.store.BotFixture;
import io.positionsync.store.BotFixture.Variant;
import io.positionsync.store.TestDatabase;
import io.positionsync.testing.CommandProcess;

/**
 * {@code adopt --dry-run} and {@code adopt} as an operator runs them against the bot's database, with the
 * simulator over a socket for the matching preview and without a gateway; and the one-line refusal of
 * {@code migrate} and of the service's start on a database that belongs to another application (child processes).
 * The outputs are written to {@code target/adopt-*.txt} (docs/adoption.md shows them).
 */
@Tag("process")
class AdoptCommandTest {
    private static final String ACCOUNT = "DU5550001";

    private TestDatabase db;
    private GatewaySimulator simulator;

    @AfterEach
    void close() throws Exception {
        if (simulator != null) {
            simulator.close();
        }
        if (db != null) {
            BotFixture.dropServiceSchema(db);
            db.close();
        }
    }

    private record Outcome(int exitCode, String stdout, String stderr) {
        List<String> lines() {
            return stdout.lines().toList();
        }
    }

    private Outcome adopt(Map<String, String> extra, String... args) throws Exception {
        Map<String, String> overrides = new HashMap<>(db.settings());
        overrides.put(AdoptionSettings.SCHEMA, BotFixture.serviceSchema(db));
        overrides.putAll(extra);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = AdoptCommand.run(args, ConfigurationValues.load(Map.of(), overrides), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** What the bot holds at the broker: the fixture's open rows match some, not all. */
    private GatewaySimulator broker() throws Exception {
        SimulatorState state = new SimulatorState()
                .addAccount(ACCOUNT)
                .addInstrument(Instrument.stock(265598L, "AAPL", "NASDAQ"))
                .addInstrument(Instrument.stock(111111L, "XYZ", "NYSE"))
                .addInstrument(Instrument.stock(222222L, "ABC", "NYSE"))
                .addInstrument(Instrument.future(495512563L, "ES", "ESZ6", "20261218", "CME", new BigDecimal("50"),
                        new BigDecimal("0.25")));
        state.setPosition(ACCOUNT, 265598L, new BigDecimal("100"), new BigDecimal("150.01"));
        state.setPosition(ACCOUNT, 111111L, new BigDecimal("-50"), new BigDecimal("20.02"));
        state.setPosition(ACCOUNT, 495512563L, new BigDecimal("2"), new BigDecimal("250002.40"));
        state.setPosition(ACCOUNT, 222222L, new BigDecimal("30"), new BigDecimal("9.00"));
        return new GatewaySimulator(state, SimulatorOptions.defaults()).start();
    }

    private static void keep(String name, Outcome outcome) throws Exception {
        Files.writeString(Path.of("target", name), outcome.stdout() + outcome.stderr());
    }

    private String normalized(String text) {
        return text.replace(db.schema() + "_psync", "position_sync").replace(db.schema(), "public")
                .replace(":" + (simulator == null ? -1 : simulator.port()), ":7497");
    }

    @Test
    void theDryRunPreviewsTheMatchingWithTheGatewayAndChangesNothing() throws Exception {
        db = BotFixture.create(Variant.ALEMBIC_003);
        simulator = broker();
        List<String> catalog = BotFixture.catalog(db.dataSource(), db.schema());
        List<String> data = BotFixture.dataDump(db.dataSource(), db.schema());

        Outcome outcome = adopt(Map.of("psync.ibkr.host", simulator.host(), "psync.ibkr.port",
                Integer.toString(simulator.port()), "psync.ibkr.client-id", "17"), "--dry-run");
        keep("adopt-dry-run.txt", new Outcome(0, normalized(outcome.stdout()), normalized(outcome.stderr())));

        assertThat(outcome.exitCode()).as(outcome.stderr()).isZero();
        assertThat(BotFixture.catalog(db.dataSource(), db.schema())).isEqualTo(catalog);
        assertThat(BotFixture.dataDump(db.dataSource(), db.schema())).isEqualTo(data);
        assertThat(BotFixture.catalog(db.dataSource(), BotFixture.serviceSchema(db))).isEmpty();
        String port = ":" + simulator.port();
        assertThat(outcome.lines()).contains(
                "would add to " + db.schema() + ".positions: column last_synced_at timestamp without time zone (nullable), "
                        + "column realized_pnl numeric(18,8) (nullable), index ix_positions_last_synced_at",
                "matching of the 5 open rows with the 4 positions the gateway at 127.0.0.1" + port + " reports:",
                "  row 1 AAPL: links to DU5550001 AAPL STK USD (conId 265598), quantity 100",
                "  row 2 XYZ: links to DU5550001 XYZ STK USD (conId 111111), quantity -50",
                "  bot row 3 (MSFT in DU5550001): no open broker position matches it; the row is left as it is "
                        + "(break BOT_ROW_UNMATCHED)",
                "  bot row 4 (ES in DU5550001): other open bot rows match the same broker position (DU5550001 ES); "
                        + "the rows are left as they are (break BOT_ROW_UNMATCHED)",
                "  DU5550001 ABC STK USD (conId 222222), quantity 30: no open row; the first sync run adds one",
                "nothing blocks adoption: run `adopt` to do it");
    }

    @Test
    void withoutAGatewayTheDryRunSaysTheMatchingIsNotPreviewed() throws Exception {
        db = BotFixture.create(Variant.ALEMBIC_004);

        Outcome outcome = adopt(Map.of(), "--dry-run");

        assertThat(outcome.exitCode()).as(outcome.stderr()).isZero();
        assertThat(outcome.lines()).contains("matching of the 5 open rows: not previewed, no gateway configured (set "
                + "PSYNC_IBKR_HOST and PSYNC_IBKR_PORT to the bot's TWS / IB Gateway to see it)",
                "would add to " + db.schema() + ".positions: nothing",
                "would use as they are: last_synced_at timestamp without time zone, realized_pnl numeric(18,8)");
        assertThat(outcome.lines().get(1)).isEqualTo("bot table " + db.schema() + ".positions (Alembic revision 004): 8 rows; "
                + "status values in use: open (5), closed (3); written as open / closed");
    }

    @Test
    void aMissingMappedColumnIsABlockerNamingItsSettingAndTheBotsCandidatesNotAnSqlError() throws Exception {
        db = BotFixture.create(Variant.ALEMBIC_003);
        try (var connection = db.connection(); var statement = connection.createStatement()) {
            statement.execute("ALTER TABLE positions RENAME COLUMN symbol TO ticker");
        }
        List<String> catalog = BotFixture.catalog(db.dataSource(), db.schema());

        Outcome dryRun = adopt(Map.of(), "--dry-run");
        Outcome adopt = adopt(Map.of());

        String blocker = "no column symbol (symbol) in " + db.schema() + ".positions: set PSYNC_ADOPT_COLUMN_SYMBOL to "
                + "the bot's column (candidates: ticker character varying(16), strategy character varying(32))";
        assertThat(dryRun.exitCode()).isEqualTo(1);
        assertThat(dryRun.stderr()).doesNotContain("ERROR:").startsWith("error: adoption is blocked (2): " + blocker);
        // The whole report, then every blocker: the unmapped NOT NULL column is one too until it is mapped.
        assertThat(dryRun.lines()).contains("matching of the open rows: not previewed, the bot's table has no column "
                + "symbol (see blocked)", "blocked:", "  - " + blocker, "  - column ticker is NOT NULL without a default: "
                + "the service cannot fill it in rows it adds for positions the bot has no row for");
        assertThat(adopt.exitCode()).isEqualTo(1);
        assertThat(adopt.stderr()).doesNotContain("ERROR:").contains(blocker).endsWith("; nothing was changed\n");
        assertThat(BotFixture.catalog(db.dataSource(), db.schema())).isEqualTo(catalog);

        // The setting it names fixes it; a column the operator names for a kept value must exist too.
        Outcome mapped = adopt(Map.of("psync.adopt.column.symbol", "ticker"), "--dry-run");
        Outcome misnamed = adopt(Map.of("psync.adopt.column.symbol", "ticker", "psync.adopt.column.market-price", "px"),
                "--dry-run");

        assertThat(mapped.exitCode()).as(mapped.stdout() + mapped.stderr()).isZero();
        assertThat(misnamed.exitCode()).isEqualTo(1);
        assertThat(misnamed.lines()).contains("  - no column px (market price) in " + db.schema() + ".positions: set "
                + "PSYNC_ADOPT_COLUMN_MARKET_PRICE to the bot's column (candidates: current_price numeric(18,8))");
    }

    @Test
    void adoptDoesItOnceAndTheDryRunIsBlockedByWhatBlocksAdoption() throws Exception {
        db = BotFixture.create(Variant.ALEMBIC_003);

        Outcome adopted = adopt(Map.of());
        keep("adopt.txt", new Outcome(0, normalized(adopted.stdout()), normalized(adopted.stderr())));
        Outcome again = adopt(Map.of());

        assertThat(adopted.exitCode()).as(adopted.stderr()).isZero();
        assertThat(adopted.lines()).contains("adopted: every sync run now keeps " + db.schema() + ".positions in step");
        assertThat(again.exitCode()).isEqualTo(1);
        assertThat(again.stderr()).startsWith("error: already adopted: " + db.schema() + ".positions is kept in step since ");
    }

    @Test
    void migrateAndTheServiceRefuseAnotherApplicationsDatabaseInOneLine() throws Exception {
        db = BotFixture.create(Variant.ALEMBIC_003);
        List<String> catalog = BotFixture.catalog(db.dataSource(), db.schema());
        List<String> data = BotFixture.dataDump(db.dataSource(), db.schema());
        Map<String, String> env = new HashMap<>();
        env.put("PSYNC_DB_URL", db.jdbcUrl());
        env.put("PSYNC_DB_USER", db.user());
        env.put("PSYNC_DB_PASSWORD", db.password());
        env.put("PSYNC_IBKR_HOST", "127.0.0.1");
        env.put("PSYNC_IBKR_PORT", "1");
        env.put("PSYNC_HTTP_PORT", Integer.toString(freePort()));
        String refusal = "error: this database belongs to another application: schema " + db.schema() + " holds 2 tables "
                + "(alembic_version, positions) and no position-sync schema history; nothing was written. Run "
                + "`adopt --dry-run` to see how position-sync would keep that application's positions table in step";

        CommandProcess.Result migrate = CommandProcess.run(env, "migrate");
        CommandProcess.Result service = CommandProcess.run(env);

        assertThat(migrate.exitCode()).as(migrate.stderr()).isEqualTo(1);
        assertThat(migrate.errorLines()).as(migrate.stderr()).containsExactly(refusal);
        assertThat(service.exitCode()).as(service.stderr()).isNotZero();
        assertThat(service.errorLines()).as(service.stderr()).containsExactly(refusal);
        assertThat(service.stderr()).doesNotContain("\tat ");
        assertThat(BotFixture.catalog(db.dataSource(), db.schema())).isEqualTo(catalog);
        assertThat(BotFixture.dataDump(db.dataSource(), db.schema())).isEqualTo(data);
        Files.writeString(Path.of("target", "adopt-refusal.txt"), normalized(String.join("\n", migrate.errorLines())));
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}

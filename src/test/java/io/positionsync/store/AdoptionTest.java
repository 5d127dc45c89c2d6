package io.positionsync.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import io.positionsync.boot.ConfigurationValues;
import io.positionsync.boot.DatabaseConfiguration;
import io.positionsync.store.BotFixture.Variant;

/**
 * Adoption of the bot's database, both before and after the bot's revision 004, on real PostgreSQL: the dry run
 * changes nothing, {@code adopt} adds exactly the seed's columns and puts everything of the service's in a schema
 * of its own, {@code rollback --to 0} gives back the catalog and the rows exactly, and what blocks adoption
 * changes nothing.
 */
class AdoptionTest {
    /** The newest migration. */
    private static final int LATEST_VERSION = MigrationsTest.LATEST;

    private TestDatabase db;

    @AfterEach
    void drop() throws SQLException {
        if (db != null) {
            BotFixture.dropServiceSchema(db);
            db.close();
        }
    }

    private List<String> botCatalog() throws SQLException {
        return BotFixture.catalog(db.dataSource(), db.schema());
    }

    private List<String> botData() throws SQLException {
        return BotFixture.dataDump(db.dataSource(), db.schema());
    }

    private List<String> serviceCatalog() throws SQLException {
        return BotFixture.catalog(db.dataSource(), BotFixture.serviceSchema(db));
    }

    /** The database as the service's commands open it: in the service's schema once adopted. */
    private Database open() {
        Map<String, String> overrides = new HashMap<>(db.settings());
        overrides.put(AdoptionSettings.SCHEMA, BotFixture.serviceSchema(db));
        return DatabaseConfiguration.start(ConfigurationValues.load(Map.of(), overrides));
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void theDryRunChangesNothingAndSaysWhatAdoptionWouldDo(Variant variant) throws Exception {
        db = BotFixture.create(variant);
        List<String> catalog = botCatalog();
        List<String> data = botData();

        Adoption.Plan plan = Adoption.plan(db.dataSource(), BotFixture.settings(db));

        assertThat(botCatalog()).isEqualTo(catalog);
        assertThat(botData()).isEqualTo(data);
        assertThat(serviceCatalog()).as("no service schema").isEmpty();
        assertThat(plan.blockers()).isEmpty();
        assertThat(plan.table().displayName()).isEqualTo(db.schema() + ".positions");
        assertThat(plan.rows()).isEqualTo(8);
        assertThat(plan.statusValues()).containsExactly(Map.entry(variant.open, 5L), Map.entry(variant.closed, 3L));
        assertThat(plan.statusOpen()).isEqualTo(variant.open);
        assertThat(plan.statusClosed()).isEqualTo(variant.closed);
        assertThat(plan.serviceTables()).contains("positions", "sync_runs", "executions", "position_history",
                "reconciliation_breaks", "ledger_entries", "accounts", "exchange_rates", "flyway_schema_history",
                "bot_position_links", "adoption");
        if (variant == Variant.ALEMBIC_003) {
            assertThat(plan.alembicRevision()).isEqualTo("003");
            assertThat(plan.columnsToAdd()).containsExactly("last_synced_at timestamp without time zone",
                    "realized_pnl numeric(18,8)");
            assertThat(plan.indexToAdd()).isEqualTo("ix_positions_last_synced_at");
        } else {
            assertThat(plan.alembicRevision()).isEqualTo("004");
            assertThat(plan.columnsToAdd()).isEmpty();
            assertThat(plan.indexToAdd()).isNull();
            assertThat(plan.columnsUsedAsTheyAre()).containsExactly("last_synced_at timestamp without time zone",
                    "realized_pnl numeric(18,8)");
        }
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void adoptionAddsExactlyTheSeedColumnsAndKeepsEverythingElseOfTheServiceApart(Variant variant) throws Exception {
        db = BotFixture.create(variant);
        List<String> catalog = botCatalog();
        List<String> data = botData();

        BotFixture.adopt(db);

        List<String> added = new ArrayList<>(botCatalog());
        added.removeAll(catalog);
        if (variant == Variant.ALEMBIC_003) {
            assertThat(added).containsExactlyInAnyOrder(
                    "column positions.last_synced_at timestamp without time zone null #12",
                    "column positions.realized_pnl numeric(18,8) null #13",
                    "index ix_positions_last_synced_at CREATE INDEX ix_positions_last_synced_at ON <schema>.positions "
                            + "USING btree (last_synced_at)");
        } else {
            assertThat(added).isEmpty();
        }
        assertThat(catalog).isSubsetOf(botCatalog());
        // The rows are untouched until the first sync run; the new columns are empty.
        List<String> rows = botData().stream().map(line -> variant == Variant.ALEMBIC_003
                ? line.replaceAll(",,\\)$", ")") : line).toList();
        assertThat(rows).isEqualTo(data);
        assertThat(serviceCatalog()).anyMatch(line -> line.startsWith("relation positions "))
                .anyMatch(line -> line.startsWith("relation flyway_schema_history "))
                .anyMatch(line -> line.startsWith("relation bot_position_links "));
        try (Database database = open()) {
            assertThat(database.serviceSchema()).contains(BotFixture.serviceSchema(db));
            assertThat(Migrations.currentVersion(database.dataSource())).isEqualTo(LATEST_VERSION);
            assertThat(Migrations.migrate(database.dataSource()).applied()).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void rollbackToZeroGivesBackTheBotsCatalogAndRowsExactly(Variant variant) throws Exception {
        db = BotFixture.create(variant);
        List<String> catalog = botCatalog();
        List<String> data = botData();
        BotFixture.adopt(db);

        Migrations.RolledBack result;
        try (Database database = open()) {
            result = Migrations.rollbackTo(database.dataSource(), 0);
        }

        assertThat(result.fromVersion()).isEqualTo(LATEST_VERSION);
        assertThat(botCatalog()).isEqualTo(catalog);
        assertThat(botData()).isEqualTo(data);
        try (Connection connection = db.connection(); var statement = connection.prepareStatement(
                "SELECT count(*) FROM pg_namespace WHERE nspname = ?")) {
            statement.setString(1, BotFixture.serviceSchema(db));
            try (var rows = statement.executeQuery()) {
                rows.next();
                assertThat(rows.getLong(1)).as("service schema dropped").isZero();
            }
        }
        try (Database database = open()) {
            assertThat(database.serviceSchema()).as("no longer adopted").isEmpty();
        }
    }

    @Test
    void aNotNullColumnTheServiceCannotFillBlocksAdoptionAndNothingChanges() throws Exception {
        db = BotFixture.create(Variant.ALEMBIC_003);
        try (Connection connection = db.connection(); Statement statement = connection.createStatement()) {
            statement.execute("ALTER TABLE positions ADD COLUMN side varchar(5)");
            statement.execute("UPDATE positions SET side = 'LONG'");
            statement.execute("ALTER TABLE positions ALTER COLUMN side SET NOT NULL");
        }
        List<String> catalog = botCatalog();
        List<String> data = botData();

        Adoption.Plan dryRun = Adoption.plan(db.dataSource(), BotFixture.settings(db));
        Adoption.Plan adopt = Adoption.adopt(db.dataSource(), BotFixture.settings(db), java.time.Instant.now());

        assertThat(dryRun.canProceed()).isFalse();
        assertThat(dryRun.blockers()).containsExactly("column side is NOT NULL without a default: the service cannot "
                + "fill it in rows it adds for positions the bot has no row for");
        assertThat(adopt.blockers()).isEqualTo(dryRun.blockers());
        assertThat(botCatalog()).isEqualTo(catalog);
        assertThat(botData()).isEqualTo(data);
        assertThat(serviceCatalog()).isEmpty();
    }

    @Test
    void aConfiguredStatusSpellingTheBotsRowsDoNotUseBlocksTheDryRunAndAdoption() throws Exception {
        db = BotFixture.create(Variant.ALEMBIC_004); // the rows say open / closed
        List<String> data = botData();
        AdoptionSettings upperCase = AdoptionSettings.of(BotFixture.serviceSchema(db), null,
                AdoptionSettings.DEFAULT_TABLE, Map.of(), "OPEN", null);

        Adoption.Plan dryRun = Adoption.plan(db.dataSource(), upperCase);
        Adoption.Plan adopt = Adoption.adopt(db.dataSource(), upperCase, java.time.Instant.now());

        assertThat(dryRun.canProceed()).isFalse();
        assertThat(dryRun.blockers()).containsExactly("PSYNC_ADOPT_STATUS_OPEN=OPEN is a spelling no row uses, while "
                + "the bot's rows say open: set PSYNC_ADOPT_STATUS_OPEN to the one the bot writes");
        assertThat(adopt.blockers()).isEqualTo(dryRun.blockers());
        assertThat(botData()).isEqualTo(data);
        assertThat(serviceCatalog()).isEmpty();
        // The spelling the rows use passes.
        AdoptionSettings asTheRows = AdoptionSettings.of(BotFixture.serviceSchema(db), null,
                AdoptionSettings.DEFAULT_TABLE, Map.of(), "open", null);
        assertThat(Adoption.plan(db.dataSource(), asTheRows).blockers()).isEmpty();
    }

    @Test
    void migrateOnTheBotsSchemaRefusesInOneLineAndWritesNothing() throws Exception {
        db = BotFixture.create(Variant.ALEMBIC_003);
        List<String> catalog = botCatalog();

        assertThatThrownBy(() -> Migrations.migrate(db.dataSource()))
                .hasMessage("this database belongs to another application: schema " + db.schema() + " holds 2 tables "
                        + "(alembic_version, positions) and no position-sync schema history; nothing was written. Run "
                        + "`adopt --dry-run` to see how position-sync would keep that application's positions table in step");
        assertThat(botCatalog()).isEqualTo(catalog);
    }
}

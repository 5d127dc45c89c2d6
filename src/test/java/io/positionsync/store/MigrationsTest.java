package io.positionsync.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MigrationsTest {
    /** The newest shipped migration: every V<n> has its U<n>, so the newest version is their count. */
    static final int LATEST = shippedScripts("db/migration").size();

    private final List<TestDatabase> databases = new ArrayList<>();

    private TestDatabase db;

    @BeforeEach
    void createSchema() {
        db = empty();
    }

    @AfterEach
    void dropSchemas() {
        databases.forEach(TestDatabase::close);
    }

    private TestDatabase empty() {
        TestDatabase created = TestDatabase.createEmpty();
        databases.add(created);
        return created;
    }

    @Test
    void migrateRollbackToZeroAndMigrateAgainEndsWithTheSameSchema() throws Exception {
        Migrations.Migrated first = Migrations.migrate(db.dataSource());
        assertThat(first).isEqualTo(new Migrations.Migrated(0, LATEST, LATEST));
        List<String> migrated = CatalogDump.of(db.dataSource(), db.schema());
        List<String> history = CatalogDump.history(db.dataSource());
        assertThat(migrated).anyMatch(line -> line.startsWith("index positions_open_contract_key")
                && line.contains("WHERE (status = 'OPEN'::text)"));
        assertThat(history).hasSize(LATEST);

        Migrations.RolledBack rolledBack = Migrations.rollbackTo(db.dataSource(), 0);

        assertThat(rolledBack.fromVersion()).isEqualTo(LATEST);
        List<String> rollbacks = new ArrayList<>(shippedScripts("db/rollback"));
        java.util.Collections.reverse(rollbacks);
        assertThat(rolledBack.scripts()).containsExactlyElementsOf(rollbacks)
                .endsWith("U2__position_sync_columns.sql", "U1__positions.sql");
        assertThat(CatalogDump.of(db.dataSource(), db.schema())).as("rollback to 0 leaves an empty schema").isEmpty();
        assertThat(Migrations.currentVersion(db.dataSource())).isZero();

        assertThat(Migrations.migrate(db.dataSource())).isEqualTo(new Migrations.Migrated(0, LATEST, LATEST));
        assertThat(CatalogDump.of(db.dataSource(), db.schema())).isEqualTo(migrated);
        assertThat(CatalogDump.history(db.dataSource())).isEqualTo(history);
    }

    @Test
    void rollbackToEachVersionMatchesAFreshMigrationToThatVersion() throws Exception {
        Migrations.migrate(db.dataSource());
        List<String> latest = CatalogDump.of(db.dataSource(), db.schema());
        for (int target = LATEST - 1; target >= 0; target--) {
            TestDatabase reference = empty();
            if (target > 0) {
                Flyway.configure().dataSource(reference.dataSource()).locations(Migrations.MIGRATION_LOCATION)
                        .target(String.valueOf(target)).load().migrate();
            }
            List<String> expected = CatalogDump.of(reference.dataSource(), reference.schema());

            Migrations.RolledBack result = Migrations.rollbackTo(db.dataSource(), target);

            assertThat(result.toVersion()).isEqualTo(target);
            assertThat(CatalogDump.of(db.dataSource(), db.schema())).as("schema at version %d", target).isEqualTo(expected);
            assertThat(Migrations.currentVersion(db.dataSource())).isEqualTo(target);
            if (target > 0) {
                assertThat(CatalogDump.history(db.dataSource())).as("flyway_schema_history at %d", target)
                        .isEqualTo(CatalogDump.history(reference.dataSource()));
            }
            // Flyway agrees: it validates what is left and re-applies exactly the rolled-back versions.
            Migrations.Migrated again = Migrations.migrate(db.dataSource());
            assertThat(again).isEqualTo(new Migrations.Migrated(target, LATEST, LATEST - target));
            assertThat(CatalogDump.of(db.dataSource(), db.schema())).isEqualTo(latest);
        }
    }

    @Test
    void rollbackKeepsDataOfTheVersionsBelowTheTarget() throws Exception {
        Migrations.migrate(db.dataSource());
        try (Connection connection = db.connection(); Statement statement = connection.createStatement()) {
            statement.execute("INSERT INTO positions (account, con_id, symbol, sec_type, currency, quantity, average_price,"
                    + " status, opened_at, last_synced_at) VALUES ('DU1', 1, 'AAPL', 'STK', 'USD', 100, 150.01, 'OPEN',"
                    + " now(), now())");
        }
        Migrations.rollbackTo(db.dataSource(), 1);

        try (Connection connection = db.connection(); Statement statement = connection.createStatement();
                var rows = statement.executeQuery("SELECT symbol, quantity FROM positions")) {
            assertThat(rows.next()).isTrue();
            assertThat(rows.getString(1)).isEqualTo("AAPL");
            assertThat(rows.getBigDecimal(2)).isEqualByComparingTo("100");
        }
    }

    @Test
    void aFailingRollbackScriptChangesNothing() throws Exception {
        Migrations.migrate(db.dataSource());
        List<String> before = CatalogDump.of(db.dataSource(), db.schema());
        try (Connection connection = db.connection(); Statement statement = connection.createStatement()) {
            // U5 drops position_history; a view on it makes that fail after U6 already ran.
            statement.execute("CREATE VIEW history_view AS SELECT * FROM position_history");
        }

        assertThatThrownBy(() -> Migrations.rollbackTo(db.dataSource(), 3))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("U5__position_history.sql");

        List<String> after = CatalogDump.of(db.dataSource(), db.schema()).stream()
                .filter(line -> !line.contains("history_view")).toList();
        assertThat(after).isEqualTo(before);
        assertThat(Migrations.currentVersion(db.dataSource())).isEqualTo(LATEST);
    }

    @Test
    void rejectsATargetAboveTheCurrentVersion() {
        Migrations.migrate(db.dataSource());
        Migrations.rollbackTo(db.dataSource(), 2);

        assertThatThrownBy(() -> Migrations.rollbackTo(db.dataSource(), 4))
                .hasMessageContaining("schema is at version 2; cannot roll back to version 4");
        assertThatThrownBy(() -> Migrations.rollbackTo(db.dataSource(), -1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(Migrations.rollbackTo(db.dataSource(), 2).scripts()).isEmpty();
    }

    @Test
    void rollbackOfAnEmptySchemaToZeroDoesNothing() throws SQLException {
        assertThat(Migrations.rollbackTo(db.dataSource(), 0)).isEqualTo(new Migrations.RolledBack(0, 0, List.of()));
        assertThat(CatalogDump.of(db.dataSource(), db.schema())).isEmpty();
    }

    @Test
    void everyMigrationHasItsRollbackScript() {
        for (int version = 1; version <= LATEST; version++) {
            String prefix = "V" + version + "__";
            var migrations = Flyway.configure().dataSource(db.dataSource()).locations(Migrations.MIGRATION_LOCATION)
                    .load().info().all();
            String script = java.util.Arrays.stream(migrations).map(m -> m.getScript())
                    .filter(s -> s.startsWith(prefix)).findFirst().orElseThrow();
            assertThat(getClass().getClassLoader().getResource("db/rollback/" + Migrations.rollbackScript(script)))
                    .as("rollback for %s", script).isNotNull();
        }
    }

    /** Script names under {@code src/main/resources/<folder>}, in version order. */
    static List<String> shippedScripts(String folder) {
        try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.list(
                java.nio.file.Path.of("src/main/resources").resolve(folder))) {
            return files.map(path -> path.getFileName().toString())
                    .sorted(java.util.Comparator.comparingInt(name -> Integer.parseInt(name.substring(1, name.indexOf("__")))))
                    .toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}

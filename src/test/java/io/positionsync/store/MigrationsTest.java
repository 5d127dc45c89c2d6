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
    /** The newest shipped migration version. */
    static final int LATEST = version(shippedScripts("db/migration").get(shippedScripts("db/migration").size() - 1));
    /** How many migrations ship (versions may leave gaps). */
    static final int COUNT = shippedScripts("db/migration").size();

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
        assertThat(first).isEqualTo(new Migrations.Migrated(0, LATEST, COUNT));
        List<String> migrated = CatalogDump.of(db.dataSource(), db.schema());
        List<String> history = CatalogDump.history(db.dataSource());
        assertThat(migrated).anyMatch(line -> line.startsWith("index positions_open_contract_key")
                && line.contains("WHERE (status = 'OPEN'::text)"));
        assertThat(history).hasSize(COUNT);

        Migrations.RolledBack rolledBack = Migrations.rollbackTo(db.dataSource(), 0);

        assertThat(rolledBack.fromVersion()).isEqualTo(LATEST);
        List<String> rollbacks = new ArrayList<>(shippedScripts("db/rollback"));
        java.util.Collections.reverse(rollbacks);
        assertThat(rolledBack.scripts()).containsExactlyElementsOf(rollbacks)
                .endsWith("U2__position_sync_columns.sql", "U1__positions.sql");
        assertThat(CatalogDump.of(db.dataSource(), db.schema())).as("rollback to 0 leaves an empty schema").isEmpty();
        assertThat(Migrations.currentVersion(db.dataSource())).isZero();

        assertThat(Migrations.migrate(db.dataSource())).isEqualTo(new Migrations.Migrated(0, LATEST, COUNT));
        assertThat(CatalogDump.of(db.dataSource(), db.schema())).isEqualTo(migrated);
        assertThat(CatalogDump.history(db.dataSource())).isEqualTo(history);
    }

    @Test
    void rollbackToEachVersionMatchesAFreshMigrationToThatVersion() throws Exception {
        Migrations.migrate(db.dataSource());
        List<String> latest = CatalogDump.of(db.dataSource(), db.schema());
        List<Integer> targets = new ArrayList<>(shippedScripts("db/migration").stream().map(MigrationsTest::version).toList());
        targets.add(0, 0);
        targets.remove(targets.size() - 1);
        java.util.Collections.reverse(targets);
        for (int target : targets) {
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
            assertThat(again).isEqualTo(new Migrations.Migrated(target, LATEST,
                    (int) shippedScripts("db/migration").stream().filter(v -> version(v) > target).count()));
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
            // U2 drops positions.last_synced_at; a view on it makes that fail after the later scripts already ran.
            statement.execute("CREATE VIEW history_view AS SELECT last_synced_at FROM positions");
        }

        assertThatThrownBy(() -> Migrations.rollbackTo(db.dataSource(), 1))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("U2__position_sync_columns.sql");

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
        for (String shipped : shippedScripts("db/migration")) {
            String prefix = "V" + version(shipped) + "__";
            var migrations = Flyway.configure().dataSource(db.dataSource()).locations(Migrations.MIGRATION_LOCATION)
                    .load().info().all();
            String script = java.util.Arrays.stream(migrations).map(m -> m.getScript())
                    .filter(s -> s.startsWith(prefix)).findFirst().orElseThrow();
            assertThat(getClass().getClassLoader().getResource("db/rollback/" + Migrations.rollbackScript(script)))
                    .as("rollback for %s", script).isNotNull();
        }
    }

    /** The version of a {@code V<n>__} or {@code U<n>__} script name. */
    static int version(String script) {
        return Integer.parseInt(script.substring(1, script.indexOf("__")));
    }

    /** Script names under {@code src/main/resources/<folder>}, in version order. */
    static List<String> shippedScripts(String folder) {
        try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.list(
                java.nio.file.Path.of("src/main/resources").resolve(folder))) {
            return files.map(path -> path.getFileName().toString())
                    .sorted(java.util.Comparator.comparingInt(MigrationsTest::version))
                    .toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}

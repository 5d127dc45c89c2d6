package io.positionsync.store;

import io.positionsync.boot.MigrateCommand;
import io.positionsync.boot.RollbackCommand;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.positionsync.boot.Application;
import io.positionsync.boot.ConfigurationValues;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SchemaCommandsTest {
    private static final int LATEST = MigrationsTest.LATEST;

    private TestDatabase db;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void createSchema() {
        db = TestDatabase.createEmpty();
    }

    @AfterEach
    void dropSchema() {
        db.close();
    }

    private ConfigurationValues settings() {
        return ConfigurationValues.load(Map.of(), db.settings());
    }

    private int migrate(ConfigurationValues settings, String... args) {
        return MigrateCommand.run(args, settings, print(out), print(err));
    }

    private int rollback(ConfigurationValues settings, String... args) {
        return RollbackCommand.run(args, settings, print(out), print(err));
    }

    private static PrintStream print(ByteArrayOutputStream target) {
        return new PrintStream(target, true, StandardCharsets.UTF_8);
    }

    private String stdout() {
        String text = out.toString(StandardCharsets.UTF_8);
        out.reset();
        return text;
    }

    private String stderr() {
        String text = err.toString(StandardCharsets.UTF_8);
        err.reset();
        return text;
    }

    @Test
    void migrateThenRollbackThenMigrateAgainEachSayWhatTheyDidInOneLine() {
        assertThat(migrate(settings())).isZero();
        assertThat(stdout()).startsWith("migrated schema from version 0 to " + LATEST + " (" + MigrationsTest.COUNT + " migrations applied, jdbc:postgresql://")
                .endsWith(")\n").hasLineCount(1);

        assertThat(migrate(settings())).isZero();
        assertThat(stdout()).startsWith("schema is up to date at version " + LATEST).hasLineCount(1);

        assertThat(rollback(settings(), "--to", "3")).isZero();
        List<String> undone = new java.util.ArrayList<>(MigrationsTest.shippedScripts("db/rollback").stream()
                .filter(script -> MigrationsTest.version(script) > 3).toList());
        java.util.Collections.reverse(undone);
        assertThat(stdout()).startsWith("rolled back schema from version " + LATEST + " to 3 (" + String.join(", ", undone)
                + ", jdbc:postgresql://").hasLineCount(1);
        assertThat(Migrations.currentVersion(db.dataSource())).isEqualTo(3);

        assertThat(rollback(settings(), "--to=3")).isZero();
        assertThat(stdout()).startsWith("schema is already at version 3; nothing to roll back");

        assertThat(migrate(settings())).isZero();
        assertThat(stdout()).startsWith("migrated schema from version 3 to " + LATEST + " (" + (MigrationsTest.COUNT - 3) + " migrations applied");
        assertThat(stderr()).isEmpty();
    }

    @Test
    void badArgumentsAreAOneLineErrorWithExitCodeTwo() {
        assertThat(rollback(settings())).isEqualTo(2);
        assertThat(rollback(settings(), "--to", "minus-one")).isEqualTo(2);
        assertThat(rollback(settings(), "--to", "-1")).isEqualTo(2);
        assertThat(migrate(settings(), "--force")).isEqualTo(2);
        assertThat(stderr().lines()).hasSize(4).allMatch(line -> line.startsWith("error: "));
        assertThat(stdout()).isEmpty();
        assertThat(Migrations.currentVersion(db.dataSource())).isZero();
    }

    @Test
    void failuresAreAOneLineErrorWithExitCodeOne() {
        assertThat(migrate(settings())).isZero();
        stdout();
        assertThat(rollback(settings(), "--to", String.valueOf(LATEST + 3))).isEqualTo(1);
        assertThat(stderr()).isEqualTo("error: schema is at version " + LATEST + "; cannot roll back to version " + (LATEST + 3) + "\n");

        Map<String, String> unreachable = new HashMap<>(db.settings());
        unreachable.put(DatabaseConfig.URL, "jdbc:postgresql://127.0.0.1:1/psync");
        unreachable.put(DatabaseConfig.PASSWORD, "hunter2");
        assertThat(migrate(ConfigurationValues.load(Map.of(), unreachable))).isEqualTo(1);
        String error = stderr();
        assertThat(error).startsWith("error: cannot connect to PostgreSQL at jdbc:postgresql://127.0.0.1:1/psync")
                .hasLineCount(1).doesNotContain("hunter2");
        assertThat(stdout()).isEmpty();
    }

    @Test
    void theCommandsAreRegisteredWithTheApplication() throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream usage = new ByteArrayOutputStream();
        System.setOut(print(usage));
        try {
            Application.main(new String[] {"--help"});
        } finally {
            System.setOut(original);
        }
        assertThat(usage.toString(StandardCharsets.UTF_8)).contains("migrate").contains("rollback");
    }
}

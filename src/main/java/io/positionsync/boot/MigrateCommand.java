package io.positionsync.boot;

import io.positionsync.store.Database;
import io.positionsync.store.Migrations;

import java.io.PrintStream;

/** {@code migrate}: applies pending schema migrations to the configured database and says what it did. */
public final class MigrateCommand {
    private MigrateCommand() {
    }

    public static int run(String[] args) {
        return run(args, ConfigurationValues.load(), System.out, System.err);
    }

    public static int run(String[] args, ConfigurationValues values, PrintStream out, PrintStream err) {
        if (args.length > 0) {
            err.println("error: migrate takes no arguments (usage: migrate)");
            return 2;
        }
        try (Database database = DatabaseConfiguration.start(values)) {
            Migrations.Migrated result = Migrations.migrate(database.dataSource());
            if (result.applied() == 0) {
                out.println("schema is up to date at version " + result.toVersion() + " (" + database.displayUrl() + ")");
            } else {
                out.println("migrated schema from version " + result.fromVersion() + " to " + result.toVersion() + " ("
                        + result.applied() + " migration" + (result.applied() == 1 ? "" : "s") + " applied, "
                        + database.displayUrl() + ")");
            }
            return 0;
        } catch (RuntimeException e) {
            err.println("error: " + Database.oneLine(e));
            return 1;
        }
    }
}

package io.positionsync.boot;

import io.positionsync.store.Database;
import io.positionsync.store.Migrations;
import io.positionsync.store.ServiceLock;

import java.io.PrintStream;

/**
 * {@code rollback --to N}: undoes the schema migrations above version N (0 = empty schema) in one
 * transaction, with the rollback scripts that ship beside the migrations.
 */
public final class RollbackCommand {
    private static final String USAGE = "usage: rollback --to <version>";

    private RollbackCommand() {
    }

    public static int run(String[] args) {
        return run(args, ConfigurationValues.load(), System.out, System.err);
    }

    /** The command line's entry: the target version already checked. */
    public static int run(int target) {
        return run(target, ConfigurationValues.load(), System.out, System.err);
    }

    public static int run(String[] args, ConfigurationValues values, PrintStream out, PrintStream err) {
        Integer target = parseTarget(args);
        if (target == null) {
            err.println("error: expected --to <version> with a version of 0 or more (" + USAGE + ")");
            return 2;
        }
        return run(target, values, out, err);
    }

    public static int run(int target, ConfigurationValues values, PrintStream out, PrintStream err) {
        try (Database database = DatabaseConfiguration.start(values);
                ServiceLock.Exclusive exclusive = ServiceLock.exclusive(database, "rollback")) {
            Migrations.RolledBack result = Migrations.rollbackTo(database.dataSource(), target);
            if (result.scripts().isEmpty()) {
                out.println("schema is already at version " + result.toVersion() + "; nothing to roll back ("
                        + database.displayUrl() + ")");
            } else {
                out.println("rolled back schema from version " + result.fromVersion() + " to " + result.toVersion() + " ("
                        + String.join(", ", result.scripts()) + ", " + database.displayUrl() + ")");
            }
            return 0;
        } catch (RuntimeException e) {
            err.println("error: " + Database.oneLine(e));
            return 1;
        }
    }

    /** {@code --to N} or {@code --to=N}; null when absent or malformed. */
    static Integer parseTarget(String[] args) {
        String value = null;
        if (args.length == 2 && "--to".equals(args[0])) {
            value = args[1];
        } else if (args.length == 1 && args[0].startsWith("--to=")) {
            value = args[0].substring("--to=".length());
        }
        if (value == null) {
            return null;
        }
        try {
            int target = Integer.parseInt(value.trim());
            return target < 0 ? null : target;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}

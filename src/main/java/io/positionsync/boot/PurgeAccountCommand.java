package io.positionsync.boot;

import io.positionsync.store.AccountPurge;
import io.positionsync.store.Database;
import io.positionsync.store.Migrations;
import io.positionsync.store.ServiceLock;

import java.io.PrintStream;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

/**
 * {@code purge-account ACCOUNT [--execute]}: shows how many rows of the account each table holds (dry run,
 * the default) or removes them all in one transaction ({@code --execute}). Stop the service first or let it
 * run: the purge waits for a run in flight and holds the run lock while it deletes.
 */
public final class PurgeAccountCommand {
    static final String EXECUTE = "--execute";
    private static final String USAGE = "usage: purge-account ACCOUNT [" + EXECUTE + "]";

    private PurgeAccountCommand() {
    }

    public static int run(String[] args) {
        return run(args, ConfigurationValues.load(), System.out, System.err);
    }

    public static int run(String[] args, ConfigurationValues values, PrintStream out, PrintStream err) {
        String account = null;
        boolean execute = false;
        for (String arg : args) {
            if (EXECUTE.equals(arg)) {
                execute = true;
            } else if (arg.startsWith("-") || account != null) {
                err.println("error: unexpected argument '" + arg + "' (" + USAGE + ")");
                return 2;
            } else {
                account = arg;
            }
        }
        return run(account, execute, values, out, err);
    }

    /** The command line's entry. */
    public static int run(String account, boolean execute) {
        return run(account, execute, ConfigurationValues.load(), System.out, System.err);
    }

    public static int run(String account, boolean execute, ConfigurationValues values, PrintStream out, PrintStream err) {
        if (account == null || account.isBlank()) {
            err.println("error: name the account (" + USAGE + ")");
            return 2;
        }
        try (Database database = DatabaseConfiguration.start(values);
                ServiceLock.Exclusive exclusive = execute ? ServiceLock.exclusive(database, "purge-account --execute")
                        : ServiceLock.Exclusive.NONE) {
            Migrations.migrate(database.dataSource());
            AccountPurge purge = new AccountPurge(database.dataSource());
            Map<String, Long> counts = purge.count(account);
            long total = counts.values().stream().mapToLong(Long::longValue).sum();
            if (total == 0) {
                List<String> accounts = purge.accounts();
                out.println("account " + account + " has no rows in " + database.displayUrl() + "; nothing to remove"
                        + " (accounts there: " + (accounts.isEmpty() ? "none" : String.join(", ", accounts)) + ")");
                return 0;
            }
            if (!execute) {
                out.println("dry run: would remove " + total + " rows of account " + account + " from "
                        + database.displayUrl() + " (run again with " + EXECUTE + " to remove them):");
                print(out, counts);
                return 0;
            }
            Map<String, Long> removed = purge.purge(account);
            out.println("removed " + removed.values().stream().mapToLong(Long::longValue).sum() + " rows of account "
                    + account + " from " + database.displayUrl() + " in one transaction:");
            print(out, removed);
            return 0;
        } catch (SQLException | RuntimeException e) {
            err.println("error: " + Database.oneLine(e));
            return 1;
        }
    }

    private static void print(PrintStream out, Map<String, Long> counts) {
        counts.forEach((table, rows) -> out.printf("  %-24s %d%n", table, rows));
    }
}

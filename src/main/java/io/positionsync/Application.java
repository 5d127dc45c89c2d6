package io.positionsync;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Entry point. With no argument it runs the service; otherwise the first argument names a command.
 */
public final class Application {

    /** A command-line subcommand: gets the arguments after its name, returns the process exit code. */
    @FunctionalInterface
    public interface Command {
        int run(String[] args) throws Exception;
    }

    private static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("run", ServiceCommand::run);
        COMMANDS.put("snapshot", io.positionsync.ibkr.SnapshotCommand::run);
        COMMANDS.put("simulator", io.positionsync.ibkr.sim.SimulatorCommand::run);
        COMMANDS.put("migrate", io.positionsync.store.MigrateCommand::run);
        COMMANDS.put("rollback", io.positionsync.store.RollbackCommand::run);
        COMMANDS.put("sync-once", SyncOnceCommand::run);
        COMMANDS.put("purge-account", io.positionsync.store.PurgeAccountCommand::run);
        COMMANDS.put("adopt", AdoptCommand::run);
    }

    private Application() {
    }

    public static void main(String[] args) throws Exception {
        String name = args.length == 0 ? "run" : args[0];
        if ("--help".equals(name) || "-h".equals(name) || "help".equals(name)) {
            System.out.println("usage: java -jar position-sync.jar [" + String.join("|", COMMANDS.keySet()) + "] [options]");
            return;
        }
        Command command = COMMANDS.get(name);
        if (command == null) {
            System.err.println("error: unknown command '" + name + "' (one of: " + String.join(", ", COMMANDS.keySet()) + ")");
            System.exit(2);
            return;
        }
        int code;
        try {
            code = command.run(Arrays.copyOfRange(args, Math.min(1, args.length), args.length));
        } catch (Exception e) {
            // A refused start (bad configuration, data directory in use, ...) is one clear line, not a stack trace.
            System.err.println("error: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            code = 1;
        }
        if (code != 0 || !"run".equals(name)) {
            System.exit(code);
        }
    }
}

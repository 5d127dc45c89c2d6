package io.positionsync.boot;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;

/**
 * The command line: {@code java -jar position-sync.jar [--config FILE] [COMMAND] [OPTIONS]}, with {@code --help} for
 * every command and {@code --version}. Parsing and usage text are picocli's; each command then runs the same code as
 * before. Before any command starts, a {@code PSYNC_*} variable that nothing reads stops it (exit 2), since it is
 * almost always a misspelt setting that would otherwise be ignored.
 */
@Command(name = "position-sync", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        sortOptions = false, usageHelpAutoWidth = true,
        header = "Keeps a trading bot's PostgreSQL positions in step with Interactive Brokers.",
        description = {"Without a command: runs the service (as `run`).",
                "Every command reads the same configuration: config/application.properties (beside the working "
                        + "directory, else the copy in the jar), the file given with --config, and PSYNC_* environment "
                        + "variables. An unknown PSYNC_* variable stops every command (exit 2)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done", "1:failed (one `error: ...` line on stderr)", "2:bad arguments or configuration"},
        subcommands = {Cli.Run.class, Cli.SyncOnce.class, Cli.Snapshot.class, Cli.Simulator.class, Cli.Migrate.class,
                Cli.Rollback.class, Cli.PurgeAccount.class, Cli.Adopt.class, CommandLine.HelpCommand.class})
final class Cli implements Callable<Integer> {
    static final int EXIT_USAGE = 2;
    /** The system property that carries {@code --config FILE} to the commands' and the service's configuration. */
    static final String CONFIG_PROPERTY = ConfigurationFile.CONFIG_FILE_PROPERTY;

    /** {@code --config FILE}: on every command (before or after its name). */
    static final class ConfigOption {
        @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--config", paramLabel = "FILE", scope = ScopeType.INHERIT,
                description = "A properties file read after config/application.properties: its keys win over the "
                        + "defaults; a PSYNC_* variable set in the environment still wins over both.")
        void config(Path file) {
            if (!file.toFile().isFile() || !file.toFile().canRead()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--config " + file + ": no readable file there");
            }
            System.setProperty(CONFIG_PROPERTY, file.toAbsolutePath().normalize().toString());
        }
    }

    @CommandLine.Mixin
    private ConfigOption config = new ConfigOption();

    @Override
    public Integer call() throws Exception {
        return ServiceCommand.run(new String[0]);
    }

    /** The project's version, from a resource written at build time. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"position-sync " + version(), "Java " + System.getProperty("java.version") + " ("
                    + System.getProperty("java.vendor") + "), " + System.getProperty("os.name") + " "
                    + System.getProperty("os.arch")};
        }

        static String version() {
            Properties properties = new Properties();
            try (InputStream in = Cli.class.getResourceAsStream("/position-sync-version.properties")) {
                if (in != null) {
                    properties.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                return "unknown";
            }
            return properties.getProperty("version", "unknown");
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Runs the service: a sync run at start-up and then every psync.sync.period (PSYNC_SYNC_PERIOD), "
                    + "the HTTP API, dashboard, health and metrics on PSYNC_HTTP_HOST:PSYNC_HTTP_PORT. Stops on SIGTERM.",
                    "With no database configured (PSYNC_DB_URL empty) it starts an embedded PostgreSQL under "
                            + "PSYNC_DATA_DIR; with no gateway (PSYNC_IBKR_HOST empty) the built-in simulator's demo."})
    static final class Run implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            return ServiceCommand.run(new String[0]);
        }
    }

    @Command(name = "sync-once", mixinStandardHelpOptions = true,
            description = {"One sync run with the configured database and gateway, through the same route as the "
                    + "service, without the timer or the HTTP server. Prints the run summary as JSON.",
                    "Exit 0 only if the run succeeded."})
    static final class SyncOnce implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            return SyncOnceCommand.run(new String[0]);
        }
    }

    @Command(name = "snapshot", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Connects to a TWS / IB Gateway, takes one snapshot (positions, portfolio values, executions) "
                    + "and prints it as JSON. Exit 0 only for a complete snapshot.",
                    "The options default to the configuration (PSYNC_IBKR_HOST, PSYNC_IBKR_PORT, PSYNC_IBKR_CLIENT_ID, "
                            + "PSYNC_IBKR_CONNECT_TIMEOUT_MS, PSYNC_IBKR_REQUEST_TIMEOUT_MS)."})
    static final class Snapshot implements Callable<Integer> {
        @Option(names = "--host", paramLabel = "HOST", description = "Gateway host (default: PSYNC_IBKR_HOST).")
        String host;
        @Option(names = "--port", paramLabel = "PORT", description = "Gateway API port (default: PSYNC_IBKR_PORT).")
        Integer port;
        @Option(names = "--client-id", paramLabel = "N",
                description = "API clientId; not the service's own while it runs (default: PSYNC_IBKR_CLIENT_ID).")
        Integer clientId;
        @Option(names = "--timeout-seconds", paramLabel = "S",
                description = "Connect and snapshot timeout (default: PSYNC_IBKR_CONNECT_TIMEOUT_MS and "
                        + "PSYNC_IBKR_REQUEST_TIMEOUT_MS).")
        Integer timeoutSeconds;

        @Override
        public Integer call() {
            return io.positionsync.boot.SnapshotCommand.run(host, port, clientId, timeoutSeconds);
        }
    }

    @Command(name = "simulator", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Runs the TWS API gateway simulator (the built-in demo scenario, or a scenario file) until "
                    + "the process is stopped."})
    static final class Simulator implements Callable<Integer> {
        @Option(names = "--port", paramLabel = "PORT", description = "Port to listen on (default: 7497; 0: any free port).")
        Integer port;
        @Option(names = "--host", paramLabel = "HOST", description = "Address to listen on (default: 127.0.0.1).")
        String host;
        @Option(names = "--scenario", paramLabel = "FILE", description = "Scenario file (default: the demo scenario).")
        Path scenario;
        @Option(names = "--server-version", paramLabel = "N", description = "Highest server version to accept.")
        Integer serverVersion;
        @Option(names = "--trade-interval-ms", paramLabel = "MS", description = "How often the demo trades (0: never).")
        Integer tradeIntervalMs;
        @Option(names = "--seed", paramLabel = "N", description = "Seed of the demo's trading.")
        Long seed;

        @Override
        public Integer call() throws Exception {
            List<String> args = new ArrayList<>();
            add(args, "--port", port);
            add(args, "--host", host);
            add(args, "--scenario", scenario);
            add(args, "--server-version", serverVersion);
            add(args, "--trade-interval-ms", tradeIntervalMs);
            add(args, "--seed", seed);
            return io.positionsync.boot.SimulatorCommand.run(args.toArray(String[]::new));
        }

        private static void add(List<String> args, String name, Object value) {
            if (value != null) {
                args.add(name);
                args.add(value.toString());
            }
        }
    }

    @Command(name = "migrate", mixinStandardHelpOptions = true,
            description = "Applies pending schema migrations to the configured database and says what it did.")
    static final class Migrate implements Callable<Integer> {
        @Override
        public Integer call() {
            return io.positionsync.boot.MigrateCommand.run(new String[0]);
        }
    }

    @Command(name = "rollback", mixinStandardHelpOptions = true,
            description = {"Undoes the schema migrations above version N (0: empty schema) in one transaction.",
                    "Refused while a position-sync process (service or sync-once) works on that database."})
    static final class Rollback implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Option(names = "--to", paramLabel = "N", required = true, description = "The version to go back to (0 or more).")
        int target;

        @Override
        public Integer call() {
            if (target < 0) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--to must be 0 or more, got " + target);
            }
            return io.positionsync.boot.RollbackCommand.run(target);
        }
    }

    @Command(name = "purge-account", mixinStandardHelpOptions = true,
            description = {"Shows how many rows of ACCOUNT each table holds (dry run, the default), or removes them all "
                    + "in one transaction (--execute).",
                    "--execute is refused while a position-sync process works on that database."})
    static final class PurgeAccount implements Callable<Integer> {
        @Parameters(paramLabel = "ACCOUNT", description = "The IB account id, e.g. DU1234567.")
        String account;
        @Option(names = "--execute", description = "Remove the rows (without it: a dry run).")
        boolean execute;

        @Override
        public Integer call() {
            return io.positionsync.boot.PurgeAccountCommand.run(account, execute);
        }
    }

    @Command(name = "adopt", mixinStandardHelpOptions = true,
            description = {"Makes the service keep an existing bot's positions table in step (PSYNC_ADOPT_* settings).",
                    "--dry-run changes nothing and says what adoption would do and what blocks it (exit 0 only if "
                            + "it can proceed). Adoption itself is refused while a position-sync process works on "
                            + "that database."})
    static final class Adopt implements Callable<Integer> {
        @Option(names = "--dry-run", description = "Change nothing; report.")
        boolean dryRun;

        @Override
        public Integer call() {
            return AdoptCommand.run(dryRun);
        }
    }

    private Cli() {
    }

    /** What {@link #execute} decided: the exit code, and whether the process should end with it. */
    record Outcome(int exitCode, boolean exit) {
    }

    /**
     * Parses and runs the command line. Help and version print and return without ending the process; so does a
     * service that stopped cleanly (its threads end the JVM).
     */
    static Outcome execute(String[] args, Map<String, String> environment, PrintStream out, PrintStream err) {
        CommandLine line = new CommandLine(new Cli());
        line.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        line.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        line.setParameterExceptionHandler((ex, arguments) -> {
            CommandLine command = ex.getCommandLine();
            String name = command.getCommandSpec().qualifiedName(" ").replaceFirst("^position-sync ?", "");
            err.println("error: " + ex.getMessage() + " (usage: " + oneLineSynopsis(command) + "; more with "
                    + (name.isEmpty() ? "" : name + " ") + "--help)");
            return EXIT_USAGE;
        });
        line.setExecutionExceptionHandler((ex, command, parseResult) -> {
            if (ex instanceof CommandLine.ParameterException parameter) {
                return line.getParameterExceptionHandler().handleParseException(parameter, args);
            }
            // A refused start (bad configuration, data directory in use, ...) is one clear line, not a stack trace.
            err.println("error: " + (ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage()));
            return 1;
        });
        boolean[] service = {true};
        boolean[] helpOnly = {false};
        line.setExecutionStrategy(parseResult -> {
            if (CommandLine.printHelpIfRequested(parseResult)) {
                helpOnly[0] = true;
                return 0;
            }
            CommandLine.ParseResult last = parseResult;
            while (last.hasSubcommand()) {
                last = last.subcommand();
            }
            if (last.commandSpec().userObject() instanceof CommandLine.HelpCommand) {
                helpOnly[0] = true;
                return new CommandLine.RunLast().execute(parseResult);
            }
            service[0] = last.commandSpec().userObject() instanceof Cli || last.commandSpec().userObject() instanceof Run;
            // Nothing silently wrong: a misspelt variable stops every command before anything starts.
            String unknown = unknownVariablesLine(environment);
            if (unknown != null) {
                err.println(unknown);
                return EXIT_USAGE;
            }
            return new CommandLine.RunLast().execute(parseResult);
        });
        int code = line.execute(args);
        if (helpOnly[0]) {
            return new Outcome(code, false);
        }
        return new Outcome(code, code != 0 || !service[0]);
    }

    /** The one {@code error:} line for the {@code PSYNC_*} variables nothing reads, or null when there are none. */
    static String unknownVariablesLine(Map<String, String> environment) {
        List<ConfigurationCheck.UnknownVariable> unknown = ConfigurationCheck.unknownVariables(environment, ConfigurationFile.load());
        if (unknown.isEmpty()) {
            return null;
        }
        return "error: " + ConfigurationCheck.refusal(unknown);
    }

    private static String oneLineSynopsis(CommandLine command) {
        return command.getHelp().synopsis(0).replaceFirst("^Usage:\\s*", "").replaceAll("\\s+", " ").trim();
    }
}

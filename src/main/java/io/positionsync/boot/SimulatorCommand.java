package io.positionsync.boot;

import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.ibkr.sim.Scenario;
import io.positionsync.ibkr.sim.SimulatorOptions;
import io.positionsync.ibkr.sim.SimulatorState;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code simulator} command: runs the gateway simulator until the process is killed.
 *
 * <pre>simulator [--port 7497] [--host 127.0.0.1] [--scenario FILE] [--server-version N]
 *           [--trade-interval-ms MS] [--seed N] [--pacing-limit N] [--latency-ms MS|MIN..MAX]
 *           [--positions-account-limit N] [--push-executions on|off] [--push-late-commissions on|off]</pre>
 *
 * Without {@code --scenario} it serves the built-in demo scenario. Prices move as the scenario's price motion
 * says; the demo trades as the scenario's {@code trading} says unless {@code --trade-interval-ms} (0 = no
 * trading) or {@code --seed} say otherwise. {@code --pacing-limit 50} disconnects, with error 100, a client that
 * sends more than 50 messages within one second, as IB does (0, the default: not enforced). {@code --latency-ms 50}
 * answers each request 50 ms after it arrived ({@code 5..20}: a uniformly random delay in that range), answers keeping their order.
 * {@code --positions-account-limit 50} refuses {@code reqPositions} with error 321 when more than 50 accounts are
 * managed, as IB does (0, the default: never refused).
 * {@code --push-executions off} stops pushing new executions to connected clients as they happen, and
 * {@code --push-late-commissions on} pushes a withheld commission report when it is released (executions are pushed
 * by default, as at IB; late reports are not, so that they come with a later snapshot). Bad arguments: one {@code error: ...} line on stderr and exit code 2.
 */
public final class SimulatorCommand {
    private static final Logger LOG = LoggerFactory.getLogger(SimulatorCommand.class);
    /** The paper-trading TWS port, where clients look by convention. */
    public static final int DEFAULT_PORT = 7497;
    public static final int EXIT_USAGE = 2;
    private static final String USAGE =
            "usage: simulator [--port 7497] [--host 127.0.0.1] [--scenario FILE] [--server-version N]"
                    + " [--trade-interval-ms MS] [--seed N] [--pacing-limit N] [--latency-ms MS|MIN..MAX]"
                    + " [--positions-account-limit N] [--push-executions on|off] [--push-late-commissions on|off]";

    private SimulatorCommand() {
    }

    /** Bad command-line arguments; the message is the one line shown to the user. */
    public static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        public UsageException(String message) {
            super(message);
        }
    }

    /** Entry point for {@code Application}: blocks until the process is killed. */
    public static int run(String[] args) throws InterruptedException {
        return run(args, System.out, System.err);
    }

    public static int run(String[] args, PrintStream out, PrintStream err) throws InterruptedException {
        if (args.length == 1 && ("--help".equals(args[0]) || "-h".equals(args[0]))) {
            out.println(USAGE);
            return 0;
        }
        GatewaySimulator simulator;
        try {
            simulator = start(args);
        } catch (UsageException e) {
            err.println("error: " + e.getMessage());
            return EXIT_USAGE;
        } catch (IOException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(simulator::stop, "gateway-sim-shutdown"));
        new CountDownLatch(1).await();
        return 0;
    }

    /**
     * Parses the arguments, starts the simulator and logs the one "listening" line.
     *
     * @throws UsageException for bad arguments or an unreadable scenario
     * @throws IOException    when the port cannot be bound
     */
    public static GatewaySimulator start(String[] args) throws UsageException, IOException {
        Integer port = null;
        String host = null;
        Path scenarioFile = null;
        Integer serverVersion = null;
        Integer tradeIntervalMs = null;
        Long seed = null;
        Integer pacingLimit = null;
        Duration[] latency = null;
        Integer positionsAccountLimit = null;
        Boolean pushExecutions = null;
        Boolean pushLateCommissions = null;
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            if (!option.startsWith("--")) {
                throw new UsageException("unexpected argument '" + option + "'; " + USAGE);
            }
            if (i + 1 >= args.length) {
                throw new UsageException(option + " needs a value");
            }
            String value = args[++i];
            switch (option) {
                case "--port":
                    port = intValue(option, value, 0, SimulatorOptions.MAX_PORT);
                    break;
                case "--host":
                    if (value.isBlank()) {
                        throw new UsageException("--host needs a value");
                    }
                    host = value;
                    break;
                case "--scenario":
                    scenarioFile = Path.of(value);
                    break;
                case "--server-version":
                    serverVersion = intValue(option, value, SimulatorOptions.DEFAULT_MIN_SERVER_VERSION,
                            SimulatorOptions.FIRST_BINARY_SERVER_VERSION - 1);
                    break;
                case "--trade-interval-ms":
                    tradeIntervalMs = intValue(option, value, 0, Integer.MAX_VALUE);
                    break;
                case "--pacing-limit":
                    pacingLimit = intValue(option, value, 0, Integer.MAX_VALUE);
                    break;
                case "--latency-ms":
                    latency = latencyRange(option, value);
                    break;
                case "--positions-account-limit":
                    positionsAccountLimit = intValue(option, value, 0, Integer.MAX_VALUE);
                    break;
                case "--push-executions":
                    pushExecutions = onOff(option, value);
                    break;
                case "--push-late-commissions":
                    pushLateCommissions = onOff(option, value);
                    break;
                case "--seed":
                    try {
                        seed = Long.parseLong(value.trim());
                    } catch (NumberFormatException e) {
                        throw new UsageException("--seed must be an integer, got '" + value + "'");
                    }
                    break;
                default:
                    throw new UsageException("unknown option '" + option + "'; " + USAGE);
            }
        }
        Scenario scenario = loadScenario(scenarioFile);
        SimulatorOptions options = scenario.simulatorOptions().withPort(port == null ? DEFAULT_PORT : port);
        if (host != null) {
            options = options.withHost(host);
        }
        if (serverVersion != null) {
            options = options.withMaxServerVersion(serverVersion);
        }
        if (tradeIntervalMs != null || seed != null) {
            Duration interval = tradeIntervalMs != null ? Duration.ofMillis(tradeIntervalMs) : options.tradeInterval();
            options = options.withTrading(interval, seed != null ? seed : options.tradeSeed());
        }
        if (pacingLimit != null) {
            options = options.withPacingLimit(pacingLimit);
        }
        if (latency != null) {
            options = options.withLatency(latency[0], latency[1]);
        }
        if (positionsAccountLimit != null) {
            options = options.withPositionsAccountLimit(positionsAccountLimit);
        }
        if (pushExecutions != null) {
            options = options.withExecutionPushes(pushExecutions);
        }
        if (pushLateCommissions != null) {
            options = options.withLateCommissionPushes(pushLateCommissions);
        }
        if (options.maxServerVersion() < options.minServerVersion()) {
            throw new UsageException("server version must be at least " + options.minServerVersion());
        }
        SimulatorState state;
        try {
            state = scenario.toState();
        } catch (IllegalArgumentException e) {
            throw new UsageException("invalid scenario " + (scenarioFile == null ? "demo" : scenarioFile) + ": "
                    + oneLine(e.getMessage()));
        }
        GatewaySimulator simulator;
        try {
            simulator = new GatewaySimulator(state, options).start();
        } catch (java.net.BindException e) {
            throw new java.net.BindException("cannot listen on " + options.host() + ":" + options.port() + ": "
                    + e.getMessage() + " (another process listens there: stop it or choose another --port)");
        } catch (IOException e) {
            throw new IOException("cannot listen on " + options.host() + ":" + options.port() + ": " + e.getMessage(), e);
        }
        List<String> notManaged = state.accounts().stream().filter(account -> !state.isManaged(account)).toList();
        LOG.info("gateway simulator listening on {}:{} (server version <= {}, accounts {}{})", options.host(),
                simulator.port(), options.maxServerVersion(), String.join(", ", state.managedAccounts()),
                notManaged.isEmpty() ? "" : "; reported but not managed: " + String.join(", ", notManaged));
        return simulator;
    }

    private static Scenario loadScenario(Path file) throws UsageException {
        if (file == null) {
            return Scenario.demo();
        }
        if (!Files.isRegularFile(file)) {
            throw new UsageException("scenario file not found: " + file);
        }
        try {
            return Scenario.load(file);
        } catch (NoSuchFileException e) {
            throw new UsageException("scenario file not found: " + file);
        } catch (IOException | IllegalArgumentException e) {
            throw new UsageException("cannot load scenario " + file + ": " + oneLine(e.getMessage()));
        }
    }

    private static int intValue(String option, String value, int min, int max) throws UsageException {
        try {
            int parsed = Integer.parseInt(value.trim());
            if (parsed < min || parsed > max) {
                throw new UsageException(option + " must be in " + min + ".." + max + ", got " + parsed);
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw new UsageException(option + " must be an integer, got '" + value + "'");
        }
    }

    /** {@code MS} (a fixed delay) or {@code MIN..MAX} (a random one), milliseconds, {@code 0 <= MIN <= MAX}. */
    private static Duration[] latencyRange(String option, String value) throws UsageException {
        String text = value.trim();
        int dots = text.indexOf("..");
        int min = intValue(option, dots < 0 ? text : text.substring(0, dots), 0, Integer.MAX_VALUE);
        int max = dots < 0 ? min : intValue(option, text.substring(dots + 2), 0, Integer.MAX_VALUE);
        if (max < min) {
            throw new UsageException(option + " needs MIN..MAX with MIN <= MAX, got '" + value + "'");
        }
        return new Duration[] {Duration.ofMillis(min), Duration.ofMillis(max)};
    }

    private static boolean onOff(String option, String value) throws UsageException {
        switch (value.trim()) {
            case "on":
                return true;
            case "off":
                return false;
            default:
                throw new UsageException(option + " must be on or off, got '" + value + "'");
        }
    }

    private static String oneLine(String message) {
        return message == null ? "" : message.replaceAll("\\s*\\R\\s*", " ");
    }
}

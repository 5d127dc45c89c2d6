package io.positionsync.boot;

import io.positionsync.ibkr.BrokerException;
import io.positionsync.ibkr.SnapshotJson;
import io.positionsync.ibkr.TwsBrokerGateway;
import io.positionsync.ibkr.TwsConnection;
import io.positionsync.ibkr.TwsGatewayConfig;

import io.positionsync.sync.BrokerSnapshot;

import java.io.PrintStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code snapshot --host H --port P --client-id N [--timeout-seconds S]}: connects to a gateway, takes
 * one snapshot and prints it as JSON ({@link SnapshotJson}) on stdout. Exit code 0 only for a complete
 * snapshot. Any failure prints one {@code error: ...} line on stderr: exit 2 for bad arguments, 1
 * otherwise (connect refused, clientId in use, incomplete snapshot; an incomplete snapshot's JSON is
 * still printed, with its reason). Timeouts and backoff default to {@code psync.ibkr.*} in the
 * configuration; {@code --timeout-seconds} sets both the connect and the per-request timeout.
 */
public final class SnapshotCommand {
    static final int EXIT_OK = 0;
    static final int EXIT_FAILED = 1;
    static final int EXIT_USAGE = 2;

    private static final int MAX_PORT = 65535;
    private static final String USAGE = "usage: snapshot [--host H] [--port P] [--client-id N] [--timeout-seconds S]";

    private SnapshotCommand() {
    }

    /** The command as {@code Application} runs it. */
    public static int run(String[] args) {
        return run(args, System.out, System.err, ConfigurationValues.load());
    }

    /**
     * The command as the command line runs it: each option left out (null) comes from the configuration,
     * {@code PSYNC_IBKR_HOST}, {@code PSYNC_IBKR_PORT}, {@code PSYNC_IBKR_CLIENT_ID}, like every other command.
     */
    public static int run(String host, Integer port, Integer clientId, Integer timeoutSeconds) {
        return run(host, port, clientId, timeoutSeconds, System.out, System.err, ConfigurationValues.load());
    }

    static int run(String host, Integer port, Integer clientId, Integer timeoutSeconds, PrintStream out, PrintStream err,
            ConfigurationValues values) {
        String configuredHost = values.find("psync.ibkr.host").orElse(null);
        String effectiveHost = host != null ? host : configuredHost;
        if (effectiveHost == null || "simulator".equalsIgnoreCase(effectiveHost.trim())) {
            err.println("error: no gateway host: give --host or set " + values.variableOf("psync.ibkr.host")
                    + " to the TWS / IB Gateway host (" + USAGE + ")");
            return EXIT_USAGE;
        }
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("--host", effectiveHost,
                "--port", port != null ? port.toString() : values.find("psync.ibkr.port").orElse(""),
                "--client-id", clientId != null ? clientId.toString() : values.find("psync.ibkr.client-id").orElse("")));
        if (timeoutSeconds != null) {
            args.addAll(java.util.List.of("--timeout-seconds", timeoutSeconds.toString()));
        }
        return run(args.toArray(String[]::new), out, err, values);
    }

    public static int run(String[] args, PrintStream out, PrintStream err, ConfigurationValues values) {
        Arguments arguments;
        try {
            arguments = Arguments.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage() + " (" + USAGE + ")");
            return EXIT_USAGE;
        }
        TwsGatewayConfig config;
        try {
            config = arguments.config(values);
        } catch (RuntimeException e) {
            err.println("error: bad configuration: " + e.getMessage());
            return EXIT_FAILED;
        }
        try (TwsBrokerGateway gateway = new TwsBrokerGateway(config)) {
            BrokerSnapshot snapshot = gateway.snapshot();
            out.println(SnapshotJson.writePretty(snapshot));
            out.flush();
            if (!snapshot.complete()) {
                err.println("error: snapshot incomplete: " + snapshot.incompleteReason());
                return EXIT_FAILED;
            }
            return EXIT_OK;
        } catch (BrokerException e) {
            err.println("error: " + e.getMessage());
            return EXIT_FAILED;
        } catch (RuntimeException e) {
            err.println("error: snapshot failed: " + TwsConnection.describe(e));
            return EXIT_FAILED;
        }
    }

    /** The command line, checked; timeouts from the command line override the configuration. */
    private record Arguments(String host, int port, int clientId, Integer timeoutSeconds) {

        static Arguments parse(String[] args) {
            Map<String, String> options = new HashMap<>();
            for (int i = 0; i < args.length; i++) {
                String name = args[i];
                if (!name.equals("--host") && !name.equals("--port") && !name.equals("--client-id")
                        && !name.equals("--timeout-seconds")) {
                    throw new IllegalArgumentException("unknown argument '" + name + "'");
                }
                if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
                    throw new IllegalArgumentException(name + " needs a value");
                }
                options.put(name, args[++i]);
            }
            String host = options.get("--host");
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("--host is required");
            }
            int port = intOption(options, "--port", 1, MAX_PORT);
            int clientId = intOption(options, "--client-id", 0, Integer.MAX_VALUE);
            Integer timeout = options.containsKey("--timeout-seconds")
                    ? intOption(options, "--timeout-seconds", 1, Integer.MAX_VALUE) : null;
            return new Arguments(host.trim(), port, clientId, timeout);
        }

        TwsGatewayConfig config(ConfigurationValues values) {
            Duration connectTimeout = timeoutSeconds == null ? values.getMillis("psync.ibkr.connect-timeout-ms")
                    : Duration.ofSeconds(timeoutSeconds);
            Duration requestTimeout = timeoutSeconds == null ? values.getMillis("psync.ibkr.request-timeout-ms")
                    : Duration.ofSeconds(timeoutSeconds);
            return new TwsGatewayConfig(host, port, clientId, connectTimeout, requestTimeout,
                    values.getMillis("psync.ibkr.backoff-initial-ms"), values.getMillis("psync.ibkr.backoff-max-ms"),
                    values.getMillis("psync.ibkr.commission-wait-ms", TwsGatewayConfig.DEFAULT_COMMISSION_WAIT),
                    ConfigurationBinder.maxMessagesPerSecond(values));
        }
    }

    private static int intOption(Map<String, String> options, String name, int min, int max) {
        String text = options.get(name);
        if (text == null) {
            throw new IllegalArgumentException(name + " is required");
        }
        int value;
        try {
            value = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer, got '" + text + "'");
        }
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be in " + min + ".." + max + ", got " + value);
        }
        return value;
    }
}

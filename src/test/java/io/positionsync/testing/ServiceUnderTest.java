package io.positionsync.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;
import org.awaitility.Awaitility;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.positionsync.boot.Application;
import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.ibkr.sim.SimulatorOptions;
import io.positionsync.ibkr.sim.SimulatorState;
import io.positionsync.run.SyncTriggers;
import io.positionsync.store.TestDatabase;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.sync.SyncTrigger;

/**
 * The service under test, started the one way tests start it: camel-main as the service builds it
 * ({@code config/application.properties}, the route files, the bean configuration named there) with the test's
 * settings as override properties, in this JVM; or the real {@code Application} main in a child JVM configured by
 * {@code PSYNC_*} variables. It holds the test database and the gateway simulator it runs against and offers a small
 * HTTP client, the Camel context, the child process, and a few queries on the database.
 *
 * <p>{@link PositionSyncService} starts and stops one for a test class or method; a test that needs a second one
 * (another setting, a restart) calls the static factories and closes what it started.
 */
public final class ServiceUnderTest implements AutoCloseable {
    /** The API token of every service a test starts. */
    public static final String TOKEN = "test-token-4f1d2c";
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The database the service runs on (null for the demo, which brings its own). */
    public final TestDatabase db;
    /** The gateway simulator the service talks to (for the demo: the built-in one). */
    public final GatewaySimulator simulator;
    /** The running Camel context (null for a child process). */
    public final CamelContext context;
    /** The service's run triggers (null for a child process). */
    public final SyncTriggers triggers;

    private final Main main;
    private final Process process;
    private final int port;
    private final List<AutoCloseable> owned = new ArrayList<>();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private boolean closed;

    private ServiceUnderTest(TestDatabase db, GatewaySimulator simulator, Main main, Process process, int port) {
        this.db = db;
        this.main = main;
        this.process = process;
        this.port = port;
        this.context = main == null ? null : main.getCamelContext();
        this.triggers = context == null ? null : context.getRegistry().lookupByNameAndType("syncTriggers", SyncTriggers.class);
        this.simulator = simulator != null || context == null ? simulator
                : context.getRegistry().lookupByNameAndType("gatewaySimulator", GatewaySimulator.class);
    }

    // ------------------------------------------------------------------------------------------------ settings

    /** The API profile's settings: the token set, the timer's start-up run only (period of an hour), a short back-off. */
    public static Map<String, String> defaults(TestDatabase db, GatewaySimulator sim) {
        Map<String, String> properties = new LinkedHashMap<>();
        if (db != null) {
            properties.putAll(db.settings());
        }
        if (sim != null) {
            properties.put("psync.ibkr.host", sim.host());
            properties.put("psync.ibkr.port", String.valueOf(sim.port()));
        }
        properties.put("psync.http.host", "127.0.0.1");
        properties.put("psync.api.token", TOKEN);
        properties.put("psync.sync.period", "3600000");
        properties.put("psync.sync.live", "false"); // tests of live mode turn it on
        properties.put("psync.ibkr.backoff-initial-ms", "50");
        properties.put("psync.ibkr.backoff-max-ms", "100");
        return properties;
    }

    /** The pipeline profile's settings: only the sync route file, no HTTP server, no timer, short timeouts. */
    public static Map<String, String> pipelineDefaults(TestDatabase db, GatewaySimulator sim) {
        Map<String, String> properties = new LinkedHashMap<>(db.settings());
        properties.put("psync.ibkr.host", sim.host());
        properties.put("psync.ibkr.port", Integer.toString(sim.port()));
        properties.put("psync.ibkr.client-id", "41");
        properties.put("psync.ibkr.request-timeout-ms", "1500");
        properties.put("psync.ibkr.connect-timeout-ms", "1500");
        properties.put("psync.ibkr.backoff-initial-ms", "10");
        properties.put("psync.ibkr.backoff-max-ms", "20");
        properties.put("psync.sync.timer-enabled", "false");
        properties.put("psync.sync.live", "false"); // tests of live mode turn it on
        properties.put("camel.server.enabled", "false");
        properties.put("camel.management.enabled", "false");
        properties.put("camel.main.routes-include-pattern", "file:routes/sync.camel.yaml");
        return properties;
    }

    /** The child process's variables: the API profile's settings, long waits (a run may stall on purpose). */
    public static Map<String, String> processDefaults(TestDatabase db, GatewaySimulator sim) {
        Map<String, String> properties = defaults(db, sim);
        properties.put("psync.ibkr.request-timeout-ms", "120000");
        properties.put("psync.api.sync-wait-ms", "120000");
        properties.put("psync.sync.period", "1h");
        Map<String, String> env = new LinkedHashMap<>();
        properties.forEach((name, value) -> env.put(variable(name), value));
        return env;
    }

    /** {@code psync.ibkr.request-timeout-ms} as the variable that sets it: {@code PSYNC_IBKR_REQUEST_TIMEOUT_MS}. */
    public static String variable(String property) {
        return property.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    // ------------------------------------------------------------------------------------------------ starting

    /**
     * Starts the service in this JVM with {@code properties} overriding the configuration file: every route file
     * unless the properties name others, the HTTP server on {@code psync.http.port} or a free loopback port.
     */
    public static ServiceUnderTest start(Map<String, String> properties) throws Exception {
        return start(null, null, properties);
    }

    /** As {@link #start(Map)}, remembering the database and the simulator the settings point at (not closed with it). */
    public static ServiceUnderTest start(TestDatabase db, GatewaySimulator sim, Map<String, String> properties)
            throws Exception {
        Map<String, String> all = new LinkedHashMap<>(properties);
        int port = all.containsKey("psync.http.port") ? Integer.parseInt(all.get("psync.http.port")) : freePort();
        all.put("psync.http.port", String.valueOf(port));
        Main main = new Main();
        main.setPropertyPlaceholderLocations("file:config/application.properties");
        main.configure().withRoutesIncludePattern("file:routes/*.camel.yaml");
        all.forEach(main::addOverrideProperty);
        try {
            main.start();
        } catch (Exception | Error e) {
            main.stop();
            throw e;
        }
        return new ServiceUnderTest(db, sim, main, null, port);
    }

    /** The sync pipeline on {@code db} and {@code sim} with {@code extra} settings over the pipeline profile's. */
    public static ServiceUnderTest startPipeline(TestDatabase db, GatewaySimulator sim, Map<String, String> extra)
            throws Exception {
        Map<String, String> properties = pipelineDefaults(db, sim);
        properties.putAll(extra);
        return start(db, sim, properties);
    }

    /** The sync pipeline on a fresh schema and a simulator of {@link SyncBook}: closing the service closes both. */
    public static ServiceUnderTest startPipeline() throws Exception {
        return startPipelineOn(TestDatabase.create(), SyncBook.state(), Map.of());
    }

    /**
     * The sync pipeline on a database the test prepared (another application's tables, say) and a simulator of
     * {@code broker}: closing the service closes both.
     */
    public static ServiceUnderTest startPipelineOn(TestDatabase db, SimulatorState broker, Map<String, String> extra)
            throws Exception {
        GatewaySimulator sim = new GatewaySimulator(broker, SimulatorOptions.defaults()).start();
        try {
            return startPipeline(db, sim, extra).owning(sim, db);
        } catch (Exception | Error e) {
            sim.close();
            db.close();
            throw e;
        }
    }

    /**
     * The zero-config default, as a new user starts it: an embedded PostgreSQL under {@code dataDir} (a fresh
     * directory is a first start, the directory of a stopped service its restart), the built-in simulator with its
     * trading demo, every route, the HTTP API on a free loopback port; {@code overrides} change only what a test names.
     */
    public static ServiceUnderTest startDemo(Path dataDir, Map<String, String> overrides) throws Exception {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("psync.data.dir", dataDir.toString());
        all.putAll(overrides);
        return start(all);
    }

    /** The demo on a fresh data directory under {@code target/}. */
    public static ServiceUnderTest startDemo(Map<String, String> overrides) throws Exception {
        return startDemo(java.nio.file.Files.createTempDirectory(Path.of("target"), "demo-"), overrides);
    }

    /**
     * The real {@code Application} main in a child JVM on {@code db} and {@code sim}, with {@link #processDefaults}
     * plus {@code extra} variables; its output is discarded. Closing it kills it (SIGKILL).
     */
    public static ServiceUnderTest startProcess(TestDatabase db, GatewaySimulator sim, Map<String, String> extra)
            throws IOException {
        int port = freePort();
        ProcessBuilder builder = new ProcessBuilder(ChildJvm.command(List.of(), Application.class.getName(), List.of()))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Map<String, String> env = builder.environment();
        env.putAll(processDefaults(db, sim));
        env.put("PSYNC_HTTP_PORT", Integer.toString(port));
        env.putAll(extra);
        return new ServiceUnderTest(db, sim, null, builder.start(), port);
    }

    /** Closes {@code resources} with this service, after it, in the order given. */
    ServiceUnderTest owning(AutoCloseable... resources) {
        owned.addAll(List.of(resources));
        return this;
    }

    /** Closes resources last started first; nulls are skipped. */
    public static void closeAll(AutoCloseable... resources) {
        IllegalStateException failure = null;
        for (AutoCloseable resource : resources) {
            if (resource != null) {
                try {
                    resource.close();
                } catch (Exception e) {
                    if (e instanceof InterruptedException) {
                        Thread.currentThread().interrupt();
                    }
                    if (failure == null) {
                        failure = new IllegalStateException("closing " + resource + " failed", e);
                    } else {
                        failure.addSuppressed(e);
                    }
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------------------------------------ the service

    public CamelContext context() {
        return requireInProcess().getCamelContext();
    }

    /** A bean of the running service's registry. */
    public <T> T bean(String name, Class<T> type) {
        return context().getRegistry().lookupByNameAndType(name, type);
    }

    /** The simulator: the one the test started, or the service's built-in one (the demo). */
    public GatewaySimulator simulator() {
        return simulator;
    }

    /** The simulator's broker state. */
    public SimulatorState broker() {
        return simulator.state();
    }

    /** The child JVM. */
    public Process process() {
        if (process == null) {
            throw new IllegalStateException("the service runs in this JVM, not as a child process");
        }
        return process;
    }

    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:PORT/}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port + "/";
    }

    /** {@link #baseUrl()}. */
    public String base() {
        return baseUrl();
    }

    public String token() {
        return TOKEN;
    }

    /** Stops the service (in this JVM: camel-main; a child process: SIGKILL), keeping its database and simulator. */
    public void stop() {
        if (main != null) {
            main.stop();
        }
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** SIGKILL, and waits for the process to be gone. */
    public void kill() throws InterruptedException {
        process().destroyForcibly();
        process.waitFor();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            stop();
        } finally {
            closeAll(owned.toArray(AutoCloseable[]::new));
        }
    }

    private Main requireInProcess() {
        if (main == null) {
            throw new IllegalStateException("the service runs as a child process: no Camel context here");
        }
        return main;
    }

    // ------------------------------------------------------------------------------------------------ HTTP

    public HttpResponse<String> get(String path, String... headers) {
        return send(HttpRequest.newBuilder(uri(path)).GET(), headers);
    }

    /** {@code POST} without a body, {@code headers} as name, value pairs. */
    public HttpResponse<String> post(String path, String... headers) {
        return send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.noBody()), headers);
    }

    public HttpResponse<String> request(String method, String path, byte[] body, String... headers) {
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(body);
        return send(HttpRequest.newBuilder(uri(path)).method(method, publisher), headers);
    }

    /** POST /api/sync/positions with the right token (and an idempotency key unless null). */
    public HttpResponse<String> sync(String idempotencyKey) {
        return idempotencyKey == null ? post("api/sync/positions", "Authorization", "Bearer " + TOKEN)
                : post("api/sync/positions", "Authorization", "Bearer " + TOKEN, "Idempotency-Key", idempotencyKey);
    }

    /** {@code POST /api/sync/positions} with the token, answered whenever the run ends. */
    public CompletableFuture<HttpResponse<String>> triggerAsync() {
        return client.sendAsync(HttpRequest.newBuilder(uri("api/sync/positions"))
                .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** GET and parse, failing on anything but 200. */
    public JsonNode getJson(String path) {
        HttpResponse<String> response = get(path);
        if (response.statusCode() != 200) {
            throw new AssertionError("GET " + path + " answered " + response.statusCode() + ": " + response.body());
        }
        return json(response);
    }

    /** {@code GET /api/sync/status}, parsed whatever its status code. */
    public JsonNode status() throws IOException, InterruptedException {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri("api/sync/status")).build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(response.body());
    }

    /** Waits (up to 30 s) until the service has a successful run: its start-up run. */
    public ServiceUnderTest awaitFirstSuccessfulRun() {
        Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> !getJson("api/sync/status").get("lastSuccessfulRun").isNull());
        return this;
    }

    /** Waits until the service answers and its start-up run has ended. */
    public ServiceUnderTest awaitStartupRun(Duration atMost) {
        Awaitility.await().atMost(atMost).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> {
                    JsonNode status = status();
                    return !status.get("lastRun").isNull() && !status.get("inFlight").asBoolean();
                });
        return this;
    }

    /**
     * Triggers runs until one succeeds (right after a restart the gateway may still hold the old connection's
     * clientId for a moment).
     */
    public ServiceUnderTest syncUntilSucceeded(Duration atMost) {
        Awaitility.await().atMost(atMost).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> "SUCCEEDED".equals(json(triggerAsync().get().body()).get("status").asText()));
        return this;
    }

    public static JsonNode json(HttpResponse<String> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON (" + response.statusCode() + "): " + response.body(), e);
        }
    }

    public static JsonNode json(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + body, e);
        }
    }

    private URI uri(String path) {
        return URI.create(baseUrl() + (path.startsWith("/") ? path.substring(1) : path));
    }

    private HttpResponse<String> send(HttpRequest.Builder builder, String... headers) {
        builder.timeout(REQUEST_TIMEOUT);
        for (int i = 0; i < headers.length; i += 2) {
            builder.header(headers[i], headers[i + 1]);
        }
        try {
            return client.send(builder.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------------------------------------ the pipeline

    /** One manual sync through the coordinator and the route, waited for. */
    public SyncRunSummary sync() throws Exception {
        return triggers.request(SyncTrigger.MANUAL, null, null).await(Duration.ofSeconds(30))
                .orElseThrow(() -> new AssertionError("sync run did not finish within 30 s"));
    }

    /** Every row of one instrument in one account, oldest lifecycle first. */
    public List<Map<String, Object>> rows(String account, long conId) throws SQLException {
        return query("SELECT * FROM positions WHERE account = ? AND con_id = ? ORDER BY id", account, conId);
    }

    public Map<String, Object> openRow(String account, long conId) throws SQLException {
        List<Map<String, Object>> open = query(
                "SELECT * FROM positions WHERE account = ? AND con_id = ? AND status = 'OPEN'", account, conId);
        if (open.size() != 1) {
            throw new AssertionError("expected one open row for " + account + "/" + conId + ", found " + open.size());
        }
        return open.get(0);
    }

    /** The whole positions table, to prove a run changed nothing. */
    public List<Map<String, Object>> allPositions() throws SQLException {
        return query("SELECT * FROM positions ORDER BY id");
    }

    public long count(String sql, Object... args) throws SQLException {
        return ((Number) query(sql, args).get(0).values().iterator().next()).longValue();
    }

    /** Rows as column label to value, timestamps as {@link java.time.Instant}. */
    public List<Map<String, Object>> query(String sql, Object... args) throws SQLException {
        try (Connection c = db.connection(); PreparedStatement statement = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                statement.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = statement.executeQuery()) {
                List<Map<String, Object>> rows = new ArrayList<>();
                int columns = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int i = 1; i <= columns; i++) {
                        Object value = rs.getObject(i);
                        if (value instanceof java.sql.Timestamp ts) {
                            value = ts.toInstant();
                        } else if (value instanceof java.time.OffsetDateTime odt) {
                            value = odt.toInstant();
                        }
                        row.put(rs.getMetaData().getColumnLabel(i), value);
                    }
                    rows.add(row);
                }
                return rows;
            }
        }
    }

    public void execute(String sql) throws SQLException {
        try (Connection c = db.connection(); var statement = c.createStatement()) {
            statement.execute(sql);
        }
    }

    @Override
    public String toString() {
        return (process != null ? "service process " + process.pid() : "service") + " on " + baseUrl();
    }
}

package io.positionsync.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.store.TestDatabase;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.ServiceUnderTest;

/**
 * The monitoring kit against the running service: its scrape holds the key series with bounded labels, a real
 * Prometheus (Debian's {@code prometheus} binary) scrapes it with the shipped configuration and evaluates the
 * shipped alert rules, the Grafana dashboard names only series the service exposes, and every alert has a rule
 * test that fires it and one that does not. Without the binary the Prometheus test fails with a message, unless
 * {@code -Dpsync.skipPrometheus=true}.
 */
@Tag("prometheus")
@PositionSyncService(awaitFirstRun = true)
class MonitoringTest {
    private static final Path PROMETHEUS_DIR = Path.of("deploy", "prometheus");
    private static final Path DASHBOARD = Path.of("deploy", "grafana", "position-sync.json");
    private static final Duration PROMETHEUS_DEADLINE = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** PromQL words that are not series names. */
    private static final Set<String> PROMQL_WORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without",
            "on", "ignoring", "group_left", "group_right", "inf", "nan");
    /** Series Prometheus makes itself. */
    private static final Set<String> PROMETHEUS_SERIES = Set.of("up", "ALERTS", "ALERTS_FOR_STATE");

    static TestDatabase db;
    static GatewaySimulator sim;
    static ServiceUnderTest service;

    @BeforeAll
    static void start() throws IOException {
        service.get("api/positions/1/history");
        service.get("no/such/path/123");
    }

    @Test
    void theScrapeHasJvmProcessPoolHttpAndDomainSeriesWithBoundedLabels() {
        service.getJson("api/sync/status");
        String scrape = scrape();
        Set<String> names = seriesNames(scrape);

        assertThat(names).contains(
                "jvm_memory_used_bytes", "jvm_gc_memory_allocated_bytes_total", "jvm_threads_live_threads",
                "jvm_classes_loaded_classes", "process_cpu_usage", "process_files_open_files", "process_files_max_files",
                "process_uptime_seconds", "process_start_time_seconds",
                "hikaricp_connections_active", "hikaricp_connections_idle", "hikaricp_connections_pending",
                "hikaricp_connections_max", "hikaricp_connections_timeout_total",
                "http_server_requests_seconds_count",
                "psync_sync_runs_total", "psync_sync_run_duration_seconds_bucket", "psync_sync_last_success_age_seconds",
                "psync_sync_period_seconds", "psync_sync_consecutive_failures", "psync_gateway_state",
                "psync_positions_open", "psync_realized_pnl", "psync_unrealized_pnl", "psync_breaks_open",
                "psync_fills_total", "psync_sync_last_run_fills", "psync_realized_pnl_positions",
                "psync_realized_pnl_estimated_ratio", "psync_executions_missing", "psync_executions_missing_runs",
                "psync_database_up", "psync_gateway_pacing_waits_total", "psync_gateway_pacing_wait_seconds_total");
        assertThat(scrape).contains("psync_database_up 1.0", "psync_gateway_state{state=\"UP\"} 1.0",
                "psync_sync_runs_total{status=\"SUCCEEDED\",trigger=\"STARTUP\"} 1.0",
                "psync_sync_period_seconds 3600.0",
                "psync_positions_open{account=\"DU1000001\"}",
                "psync_breaks_open{kind=\"UNEXPLAINED_QUANTITY\"} 0.0",
                "hikaricp_connections_max{pool=\"psync-db\"}",
                "http_server_requests_seconds_count{method=\"GET\",status=\"200\",uri=\"/api/sync/status\"}",
                "http_server_requests_seconds_count{method=\"GET\",status=\"200\",uri=\"/api/positions/{id}/history\"}",
                "http_server_requests_seconds_count{method=\"GET\",status=\"404\",uri=\"/**\"}");
        assertThat(scrape).as("raw paths never become labels").doesNotContain("/no/such/path", "/api/positions/1/");
    }

    @Test
    void executionsMissingShowsInTheStatusAndTheMetric() {
        SyncStatistics statistics = service.context().getRegistry().lookupByNameAndType("syncStatistics", SyncStatistics.class);
        double estimatedBefore = value(scrape(), "psync_fills_total{outcome=\"estimated\"}");
        try {
            assertThat(service.getJson("api/sync/status").at("/executionsMissing/active").asBoolean()).isFalse();
            for (int run = 0; run < SyncStatistics.DEFAULT_EXECUTIONS_MISSING_RUNS; run++) {
                statistics.recordFills(0, 0, 2);
            }

            JsonNode missing = service.getJson("api/sync/status").get("executionsMissing");
            assertThat(missing.get("active").asBoolean()).isTrue();
            assertThat(missing.get("consecutiveRuns").asInt()).isEqualTo(3);
            assertThat(missing.get("since").asText()).isNotBlank();
            assertThat(missing.get("hint").asText()).contains("Master API client ID", "17 (PSYNC_IBKR_CLIENT_ID)");
            String scrape = scrape();
            assertThat(scrape).contains("psync_executions_missing 1.0", "psync_executions_missing_runs 3.0",
                    "psync_sync_last_run_fills{outcome=\"estimated\"} 2.0");
            assertThat(value(scrape, "psync_fills_total{outcome=\"estimated\"}")).isEqualTo(estimatedBefore + 6);
        } finally {
            statistics.recordFills(1, 0, 0);
        }
        assertThat(service.getJson("api/sync/status").at("/executionsMissing/active").asBoolean()).isFalse();
        assertThat(scrape()).contains("psync_executions_missing 0.0");
    }

    @Test
    void camelsExchangeTimerCountsSyncRunsNotTheirInstruments() {
        JsonNode status = service.getJson("api/sync/status");
        String scrape = scrape();
        double runs = 0;
        for (String line : scrape.split("\n")) {
            if (line.startsWith("psync_sync_runs_total{")) {
                runs += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        double timed = 0;
        for (String line : scrape.split("\n")) {
            if (line.startsWith("camel_exchange_event_notifier_seconds_count{") && line.contains("routeId=\"sync-run\"")
                    && line.contains("eventType=\"ExchangeCompletedEvent\"")) {
                timed += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        // the demo's runs reconcile several instruments each (one split part per instrument)
        assertThat(service.getJson("api/positions?status=open").get("positions").size()).isGreaterThan(1);
        assertThat(runs).as(status.toString()).isPositive();
        assertThat(timed).as("one completed exchange timed per run of sync-run, none per instrument")
                .isEqualTo(runs);
    }

    @Test
    void aRealPrometheusScrapesTheServiceAndEvaluatesTheAlertRules() throws Exception {
        Assumptions.assumeFalse(Boolean.getBoolean("psync.skipPrometheus"), "-Dpsync.skipPrometheus=true");
        Path binary = prometheusBinary();
        Path dir = Files.createTempDirectory("psync-prometheus");
        int port = ServiceUnderTest.freePort();
        Path log = dir.resolve("prometheus.log");
        Process prometheus = new ProcessBuilder(binary.toString(),
                "--config.file=" + scrapeConfig(dir, service.port()),
                "--storage.tsdb.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port,
                "--log.level=warn")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            PrometheusApi api = new PrometheusApi(port, prometheus, log);
            await().atMost(PROMETHEUS_DEADLINE).pollInterval(Duration.ofMillis(250)).ignoreExceptionsMatching(
                    e -> e instanceof UncheckedIOException).until(() -> {
                        JsonNode targets = api.get("api/v1/targets").at("/data/activeTargets");
                        return targets.size() == 1 && "up".equals(targets.get(0).get("health").asText());
                    });

            for (String query : List.of("up{job=\"position-sync\"} == 1", "psync_database_up == 1",
                    "psync_gateway_state{state=\"UP\"} == 1",
                    "psync_sync_runs_total{trigger=\"STARTUP\",status=\"SUCCEEDED\"} == 1",
                    "psync_sync_last_success_age_seconds >= 0", "psync_positions_open > 0", "psync_breaks_open",
                    "psync_executions_missing", "psync_fills_total", "psync_realized_pnl_estimated_ratio",
                    "hikaricp_connections_max", "jvm_memory_used_bytes", "process_cpu_usage",
                    "process_files_open_files", "process_uptime_seconds", "jvm_threads_live_threads",
                    "http_server_requests_seconds_count{uri=\"/api/sync/status\"}")) {
                assertThat(api.query(query)).as(query).isNotEmpty();
            }

            // The shipped rules load and evaluate without error against the real series.
            Set<String> alerts = alertRules().keySet();
            await().atMost(PROMETHEUS_DEADLINE).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                List<String> evaluated = new ArrayList<>();
                for (JsonNode group : api.get("api/v1/rules").at("/data/groups")) {
                    for (JsonNode rule : group.get("rules")) {
                        assertThat(rule.get("health").asText()).as(rule.get("name").asText() + ": " + rule.path("lastError"))
                                .isEqualTo("ok");
                        evaluated.add(rule.get("name").asText());
                    }
                }
                assertThat(evaluated).containsExactlyInAnyOrderElementsOf(alerts);
            });
            assertThat(api.query("ALERTS")).as("a healthy service raises no alert").isEmpty();

            // Every dashboard query is valid PromQL for this Prometheus.
            for (String expr : dashboardQueries()) {
                api.query(expr.replace("$__rate_interval", "1m").replace("$instance", ".*"));
            }
        } finally {
            prometheus.destroy();
            if (!prometheus.waitFor(10, TimeUnit.SECONDS)) {
                prometheus.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            deleteTree(dir);
        }
    }

    @Test
    void theGrafanaDashboardParsesAndNamesOnlySeriesTheServiceExposes() throws IOException {
        JsonNode dashboard = JSON.readTree(DASHBOARD.toFile());
        // jvm_gc_pause_seconds exists once a collection has happened since the binder was bound: make one.
        System.gc();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> scrape().contains("jvm_gc_pause_seconds_sum"));
        Set<String> scraped = seriesNames(scrape());

        assertThat(dashboard.get("title").asText()).isEqualTo("position-sync");
        assertThat(dashboard.get("uid").asText()).isNotBlank();
        assertThat(dashboard.at("/templating/list/0/type").asText()).as("the data source is chosen on import").isEqualTo("datasource");
        List<String> queries = dashboardQueries();
        assertThat(queries).hasSizeGreaterThan(20);
        Set<String> named = new TreeSet<>();
        for (String query : queries) {
            Set<String> series = seriesIn(query);
            assertThat(series).as("a series in " + query).isNotEmpty();
            named.addAll(series);
        }
        assertThat(scraped).containsAll(named);
        assertThat(named).as("freshness, runs, failures, breaks, P&L and the JVM are all shown").contains(
                "psync_sync_last_success_age_seconds", "psync_sync_runs_total", "psync_sync_consecutive_failures",
                "psync_breaks_open", "psync_realized_pnl", "psync_unrealized_pnl", "psync_realized_pnl_estimated_ratio",
                "jvm_memory_used_bytes", "hikaricp_connections_active", "http_server_requests_seconds_count");
        for (JsonNode panel : dashboard.get("panels")) {
            assertThat(panel.has("gridPos")).as(panel.get("title").asText()).isTrue();
            if (!"row".equals(panel.get("type").asText())) {
                assertThat(panel.at("/datasource/uid").asText()).isEqualTo("${datasource}");
            }
        }
    }

    @Test
    void everyAlertHasARunbookAndARuleTestThatFiresItAndOneThatDoesNot() throws IOException {
        Map<String, Map<String, Object>> alerts = alertRules();
        Set<String> scraped = seriesNames(scrape());
        Set<String> fired = new TreeSet<>();
        Set<String> quiet = new TreeSet<>();
        for (Object test : list(yaml(PROMETHEUS_DIR.resolve("tests.yml")).get("tests"))) {
            for (Object check : list(map(test).get("alert_rule_test"))) {
                Map<String, Object> c = map(check);
                (list(c.get("exp_alerts")).isEmpty() ? quiet : fired).add((String) c.get("alertname"));
            }
        }

        assertThat(alerts).hasSize(8);
        assertThat(fired).as("alerts with a firing test").containsExactlyInAnyOrderElementsOf(alerts.keySet());
        assertThat(quiet).as("alerts with a test where they stay quiet").containsExactlyInAnyOrderElementsOf(alerts.keySet());
        alerts.forEach((name, rule) -> {
            assertThat((String) map(rule.get("annotations")).get("runbook")).as(name + " runbook").hasSizeGreaterThan(80);
            Set<String> series = seriesIn((String) rule.get("expr"));
            series.removeAll(PROMETHEUS_SERIES);
            assertThat(scraped).as(name + " watches series the service exposes").containsAll(series);
        });
    }

    @Test
    void seriesAreFoundInPromqlWithoutFunctionsLabelsRangesOrClauses() {
        assertThat(seriesIn("histogram_quantile(0.95, sum by (le) (rate(a_bucket{instance=~\"$instance\",x=\"b c\"}"
                + "[$__rate_interval]))) / on (instance) group_left(job) b_total offset 5m > bool 3 * c:d"))
                .containsExactly("a_bucket", "b_total", "c:d");
        assertThat(seriesIn("x != x and sum without (kind) (y) > 1e3 or z")).containsExactly("x", "y", "z");
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static String scrape() {
        HttpResponse<String> response = service.get("observe/metrics");
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    static Set<String> seriesNames(String scrape) {
        Set<String> names = new TreeSet<>();
        for (String line : scrape.split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                names.add(line.split("[{ ]", 2)[0]);
            }
        }
        return names;
    }

    private static double value(String scrape, String series) {
        for (String line : scrape.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        throw new AssertionError("no " + series + " in the scrape");
    }

    /** The series a PromQL expression names: what is left once strings, matchers, ranges, clauses and calls go. */
    static Set<String> seriesIn(String promql) {
        String bare = promql.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "")
                .replaceAll("\\{[^}]*}", "")
                .replaceAll("\\[[^\\]]*]", "")
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", "");
        Set<String> names = new LinkedHashSet<>();
        Matcher m = Pattern.compile("(?<![\\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(\\s*\\()?").matcher(bare);
        while (m.find()) {
            if (m.group(2) == null && !PROMQL_WORDS.contains(m.group(1).toLowerCase())) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    private static List<String> dashboardQueries() throws IOException {
        List<String> queries = new ArrayList<>();
        collectQueries(JSON.readTree(DASHBOARD.toFile()).get("panels"), queries);
        return queries;
    }

    private static void collectQueries(JsonNode panels, List<String> into) {
        for (JsonNode panel : panels) {
            for (JsonNode target : panel.path("targets")) {
                into.add(target.get("expr").asText());
            }
            collectQueries(panel.path("panels"), into);
        }
    }

    private static Map<String, Map<String, Object>> alertRules() throws IOException {
        Map<String, Map<String, Object>> alerts = new java.util.LinkedHashMap<>();
        for (Object group : list(yaml(PROMETHEUS_DIR.resolve("alerts.yml")).get("groups"))) {
            for (Object rule : list(map(group).get("rules"))) {
                alerts.put((String) map(rule).get("alert"), map(rule));
            }
        }
        return alerts;
    }

    private static Map<String, Object> yaml(Path file) throws IOException {
        return map(new Load(LoadSettings.builder().build()).loadFromString(Files.readString(file)));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object node) {
        return (Map<String, Object>) node;
    }

    private static List<Object> list(Object node) {
        return node == null ? List.of() : new ArrayList<>((List<?>) node);
    }

    /**
     * deploy/prometheus/prometheus.yml and its targets file aimed at the service's port, scraping every second, rules
     * and targets by absolute path.
     */
    private static Path scrapeConfig(Path dir, int servicePort) throws IOException {
        String targets = Files.readString(PROMETHEUS_DIR.resolve("targets").resolve("position-sync.yml"));
        Files.createDirectories(dir.resolve("targets"));
        Files.writeString(dir.resolve("targets").resolve("position-sync.yml"),
                replaceOnce(targets, "'localhost:8080'", "'127.0.0.1:" + servicePort + "'"));
        String shipped = Files.readString(PROMETHEUS_DIR.resolve("prometheus.yml"));
        String config = replaceOnce(shipped, "'targets/*.yml'", "'" + dir.resolve("targets").toAbsolutePath() + "/*.yml'");
        config = replaceOnce(config, "scrape_interval: 15s", "scrape_interval: 1s");
        config = replaceOnce(config, "evaluation_interval: 15s", "evaluation_interval: 1s");
        config = replaceOnce(config, "scrape_timeout: 10s", "scrape_timeout: 1s");
        config = replaceOnce(config, "- alerts.yml", "- '" + PROMETHEUS_DIR.resolve("alerts.yml").toAbsolutePath() + "'");
        Path file = dir.resolve("prometheus.yml");
        Files.writeString(file, config);
        return file;
    }

    private static String replaceOnce(String text, String target, String replacement) {
        assertThat(text).as("deploy/prometheus/prometheus.yml keeps " + target).contains(target);
        return text.replace(target, replacement);
    }

    private static Path prometheusBinary() {
        String given = System.getProperty("psync.prometheus");
        if (given != null) {
            if (!Files.isExecutable(Path.of(given))) {
                fail("-Dpsync.prometheus=" + given + " is not an executable file");
            }
            return Path.of(given);
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, "prometheus");
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return fail("no 'prometheus' binary on the PATH: install it (Debian: apt-get install prometheus; .ci/run does), "
                + "name it with -Dpsync.prometheus=/path/to/prometheus, or skip this test with -Dpsync.skipPrometheus=true");
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** The HTTP API of the Prometheus under test. */
    private record PrometheusApi(int port, Process process, Path log) {
        private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

        JsonNode get(String path) {
            if (!process.isAlive()) {
                throw new AssertionError("prometheus exited with " + process.exitValue() + ": " + logText());
            }
            try {
                HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/" + path))
                        .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 503) {
                    // Prometheus answers 503 until it is ready (storage opened, configuration loaded): not yet, not wrong
                    throw new UncheckedIOException(new IOException("prometheus is not ready yet (503 to " + path + ")"));
                }
                if (response.statusCode() != 200) {
                    throw new AssertionError("prometheus answered " + response.statusCode() + " to " + path + ": " + response.body());
                }
                return JSON.readTree(response.body());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        /** The instant vector of a query (an error answer fails). */
        JsonNode query(String promql) {
            JsonNode answer = get("api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
            assertThat(answer.get("status").asText()).as(promql).isEqualTo("success");
            return answer.at("/data/result");
        }

        private String logText() {
            try {
                return Files.readString(log);
            } catch (IOException e) {
                return "(no log: " + e.getMessage() + ")";
            }
        }
    }
}

package io.positionsync.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import com.fasterxml.jackson.databind.JsonNode;

import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.store.TestDatabase;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.ServiceUnderTest;

/**
 * The dashboard in a real headless Chromium against the running service: it shows the last-synced indicator
 * and the summary, and "Sync now" with the token (a wrong one first) starts a run that the page then shows.
 * Needs Debian's chromium and chromium-driver: without them it fails when CI=true and is skipped otherwise.
 */
@Tag("browser")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@PositionSyncService(awaitFirstRun = true)
class DashboardBrowserTest {
    private static final Duration UI_WAIT = Duration.ofSeconds(20);
    private static final Path SCREENSHOTS = Path.of("target");

    static TestDatabase db;
    static GatewaySimulator sim;
    static ServiceUnderTest service;
    static WebDriver browser;

    @BeforeAll
    static void start() throws Exception {
        HeadlessChrome.require();

        ChromeOptions options = HeadlessChrome.options();
        browser = HeadlessChrome.start(options);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
    }

    @Test
    @Order(1)
    void showsTheStatusAndSummaryAndSyncsWithTheToken() throws IOException {
        long lastRunId = service.getJson("api/sync/runs?limit=1").at("/runs/0/runId").asLong();
        JsonNode overall = service.getJson("api/portfolio/summary").get("overall");
        assertThat(overall.get("byCurrency")).hasSize(1);
        String totalPnl = overall.at("/byCurrency/0/totalPnl").asText();
        String currency = overall.at("/byCurrency/0/currency").asText();
        WebDriverWait wait = new WebDriverWait(browser, UI_WAIT);

        browser.get(service.baseUrl());

        // The last-synced indicator: fresh, with an age; the summary: live, with the total P&L.
        wait.until(d -> "fresh".equals(d.findElement(By.id("last-synced")).getAttribute("data-level")));
        assertThat(text("last-synced-age")).matches("\\d+ s ago");
        assertThat(text("last-synced-cue")).isEqualTo("Up to date");
        wait.until(d -> "LIVE".equals(d.findElement(By.id("summary")).getAttribute("data-source")));
        // Every amount carries its currency.
        assertThat(text("summary-total-pnl")).isEqualTo(currency + " " + formatMoney(totalPnl));
        assertThat(text("summary-open-count")).isEqualTo(
                String.valueOf(service.getJson("api/positions?status=open").get("total").asLong()));
        assertThat(text("win-rate-definition")).contains("realized_pnl > 0");
        assertThat(text("gateway-state")).isEqualTo("UP");
        // One gateway, this one: its last run, fresh as the indicator.
        List<WebElement> gateways = browser.findElements(By.cssSelector("#gateways-table tbody tr[data-gateway]"));
        assertThat(gateways).extracting(row -> row.getAttribute("data-gateway")).containsExactly("default");
        assertThat(gateways.get(0).findElement(By.cssSelector(".freshness")).getAttribute("data-level")).isEqualTo("fresh");
        wait.until(d -> !d.findElements(By.cssSelector("#runs tbody tr[data-run-id]")).isEmpty());
        assertThat(firstRunRowId()).isEqualTo(lastRunId);
        assertThat(browser.findElements(By.cssSelector("#open-positions tbody tr[data-id]"))).isNotEmpty();
        screenshot("dashboard.png");

        // Sync now: the page asks for the token; a wrong one is refused and asked again.
        browser.findElement(By.id("sync-now")).click();
        wait.until(d -> d.findElement(By.id("token-form")).isDisplayed());
        enterToken("not-the-token");
        wait.until(d -> d.findElement(By.id("token-message")).getText().contains("401"));
        assertThat(browser.findElement(By.id("token-form")).isDisplayed()).isTrue();
        assertThat(service.getJson("api/sync/runs?limit=1").at("/runs/0/runId").asLong()).isEqualTo(lastRunId);

        // The right token: a new run, reflected in the result line, the last run and the run list.
        enterToken(ServiceUnderTest.TOKEN);
        wait.until(d -> d.findElement(By.id("sync-result")).getText().contains("SUCCEEDED"));
        long newRunId = service.getJson("api/sync/runs?limit=1").at("/runs/0/runId").asLong();
        assertThat(newRunId).isGreaterThan(lastRunId);
        assertThat(text("sync-result")).startsWith("Run " + newRunId + " SUCCEEDED");
        wait.until(d -> firstRunRowId() == newRunId);
        wait.until(d -> text("last-run").startsWith("Run " + newRunId + " SUCCEEDED (MANUAL)"));
        assertThat(browser.findElement(By.id("token-form")).isDisplayed()).isFalse();
        screenshot("dashboard-after-sync.png");
    }

    /**
     * A committed run shows at once, from the event stream, with polling set to every 10 minutes: no poll happens in
     * between. Without a token in the tab the page listens with EventSource; with one, with fetch and the token in
     * the Authorization header (EventSource cannot send headers; the token never goes into the URL). Next to the
     * last sync the page says whether the gateway connection is live, and since when.
     */
    @Test
    @Order(2)
    void aCommittedRunShowsAtOnceFromTheEventStreamWithoutWaitingForAPoll() throws IOException {
        // the tables are rebuilt as the refresh lands: an element found a moment before may be gone
        org.openqa.selenium.support.ui.Wait<WebDriver> wait = new WebDriverWait(browser, UI_WAIT)
                .ignoring(org.openqa.selenium.StaleElementReferenceException.class);
        JavascriptExecutor page = (JavascriptExecutor) browser;
        for (boolean withToken : new boolean[] {false, true}) {
            browser.get(service.baseUrl() + "?poll=600");
            if (withToken) {
                page.executeScript("sessionStorage.setItem('position-sync.apiToken', arguments[0]);", ServiceUnderTest.TOKEN);
            } else {
                page.executeScript("sessionStorage.removeItem('position-sync.apiToken');");
            }
            browser.navigate().refresh();
            wait.until(d -> "open".equals(attribute("main", "data-live-stream")));
            assertThat(attribute("main", "data-live-stream-kind")).isEqualTo(withToken ? "fetch" : "eventsource");
            long shown = service.getJson("api/sync/runs?limit=1").at("/runs/0/runId").asLong();
            wait.until(d -> firstRunRowId() == shown);
            assertThat(attribute("main", "data-polls")).isEqualTo("1");
            assertThat(attribute("main", "data-poll-delay-ms")).isEqualTo("600000");
            assertThat(text("live-state")).isEqualTo("Not live");

            long runId = ServiceUnderTest.json(service.sync(null)).get("runId").asLong();

            wait.until(d -> firstRunRowId() == runId);
            wait.until(d -> text("last-run").startsWith("Run " + runId + " SUCCEEDED (MANUAL)"));
            assertThat(attribute("main", "data-polls")).as("no poll in between").isEqualTo("1");
            assertThat(attribute("main", "data-last-event-id")).isEqualTo(String.valueOf(runId));
        }
        screenshot("dashboard-live-event.png");

        SyncApi api = service.bean("syncApi", SyncApi.class);
        api.liveSince(() -> java.util.Optional.of(java.time.Instant.parse("2026-12-05T21:50:01Z")));
        try {
            browser.navigate().refresh();
            wait.until(d -> "Live since 2026-12-05 21:50:01 UTC".equals(text("live-state")));
            assertThat(browser.findElement(By.id("live-state")).getAttribute("data-live")).isEqualTo("true");
        } finally {
            api.liveSince(java.util.Optional::empty);
        }
    }

    /** The gateway shows this client no execution (not the master client id): the page says so. */
    @Test
    @Order(3)
    void warnsWhenNoExecutionExplainsTheChangesRunAfterRun() throws Exception {
        WebDriverWait wait = new WebDriverWait(browser, UI_WAIT);
        browser.get(service.baseUrl());
        wait.until(d -> "UP".equals(text("gateway-state")));
        assertThat(browser.findElement(By.id("executions-banner")).isDisplayed()).isFalse();

        sim.state().masterClientId(0);
        try {
            String account = sim.state().accounts().get(0);
            long conId = sim.state().positions(account).get(0).conId();
            for (int i = 0; i < 3; i++) {
                sim.state().trade(io.positionsync.ibkr.sim.Fill.of(account, conId, io.positionsync.ibkr.sim.Side.BOT,
                        java.math.BigDecimal.ONE, new java.math.BigDecimal("100.00"), java.math.BigDecimal.ONE)
                        .withClientId(7));
                assertThat(service.sync(null).statusCode()).isEqualTo(200);
            }
            assertThat(service.getJson("api/sync/status").at("/executionsMissing/active").asBoolean()).isTrue();

            browser.get(service.baseUrl());
            wait.until(d -> d.findElement(By.id("executions-banner")).isDisplayed());
            assertThat(text("executions-banner-text")).contains("Master API client ID").contains("3 runs in a row");
            screenshot("dashboard-executions-missing.png");
        } finally {
            sim.state().masterClientId(null);
        }
    }

    /** Runs last: it takes the gateway and the database away from the service. */
    @Test
    @Order(4)
    void neverClaimsMoreThanItKnows() throws Exception {
        WebDriverWait wait = new WebDriverWait(browser, UI_WAIT);

        // The gateway goes away right after a fresh sync: recent, but no green "Up to date".
        sim.stop();
        await().atMost(Duration.ofSeconds(10)).until(() -> service.getJson("api/sync/status").at("/gateway/state").asText()
                .equals("DOWN"));
        browser.get(service.baseUrl());
        wait.until(d -> "DOWN".equals(text("gateway-state")));
        wait.until(d -> "amber".equals(d.findElement(By.id("last-synced")).getAttribute("data-level")));
        assertThat(text("last-synced-cue")).isEqualTo("Recent, but the gateway is DOWN: not up to date");
        assertThat(text("db-banner-text")).contains("Gateway state: DOWN");
        screenshot("dashboard-gateway-down.png");

        // The database goes away: failures, breaks and the last sync are unknown, not 0 / none / never.
        StatusTruthTest.databaseAway(db, () -> {
            browser.get(service.baseUrl());
            wait.until(d -> "unknown".equals(text("consecutive-failures")));
            assertThat(text("breaks-empty")).isEqualTo("Open breaks unknown: the database is unavailable.");
            assertThat(browser.findElement(By.id("breaks")).getText()).doesNotContain("No open breaks");
            assertThat(text("last-synced-cue")).isEqualTo("Unknown: the database is unavailable");
            assertThat(browser.findElement(By.id("last-synced")).getAttribute("data-level")).isEqualTo("unknown");
            assertThat(text("run-totals")).isEqualTo("unknown");
            assertThat(text("last-run")).isEqualTo("Unknown: the database is unavailable.");
            assertThat(text("gateways-empty")).isEqualTo("Gateways unknown: the database is unavailable.");
            assertThat(browser.findElement(By.id("gateways-table-wrap")).isDisplayed()).isFalse();
            assertThat(text("db-banner-title")).isEqualTo("Database unavailable.");
            assertThat(text("db-banner-text")).doesNotContain("never synced");
            // The newer panels say so too, rather than showing nothing as if there were nothing.
            wait.until(d -> "error".equals(d.findElement(By.id("pnl")).getAttribute("data-state")));
            assertThat(text("pnl-status")).isEqualTo("P&L over time unavailable: database unavailable.");
            wait.until(d -> text("resolved-empty").equals("Recently resolved breaks unknown: they could not be read."));
            screenshot("dashboard-database-down.png");
        });

        // The timer off (the gateway never contacted): no "gateway unreachable", no green either.
        sim.start();
        java.util.Map<String, String> properties = ServiceUnderTest.defaults(db, sim);
        properties.put("psync.sync.timer-enabled", "false");
        try (ServiceUnderTest timerOff = ServiceUnderTest.start(properties)) {
            browser.get(timerOff.baseUrl());
            wait.until(d -> "amber".equals(d.findElement(By.id("last-synced")).getAttribute("data-level")));
            assertThat(text("last-synced-cue")).isEqualTo("Periodic sync is off: recent, but not kept up to date");
            wait.until(d -> text("summary-source").startsWith("From the database (periodic sync off)"));
            assertThat(text("db-banner-text")).contains("The periodic sync is off");
            assertThat(browser.findElement(By.tagName("body")).getText()).doesNotContainIgnoringCase("unreachable");
            screenshot("dashboard-timer-off.png");
        }
    }

    /** Stale data: amber past the first threshold, red past the second, never "Up to date". */
    @Test
    @Order(5)
    void saysWhenTheDataIsGettingStaleThenStale() throws Exception {
        java.util.Map<String, String> properties = ServiceUnderTest.defaults(db, sim);
        properties.put("psync.api.stale-amber-seconds", "3");
        properties.put("psync.api.stale-red-seconds", "8");
        try (ServiceUnderTest stale = ServiceUnderTest.start(properties)) {
            // a run now (the schema also holds the earlier services' runs): fresh, then amber, then red
            assertThat(stale.sync(null).statusCode()).isEqualTo(200);
            WebDriverWait wait = new WebDriverWait(browser, UI_WAIT);
            browser.get(stale.baseUrl());
            wait.until(d -> "fresh".equals(d.findElement(By.id("last-synced")).getAttribute("data-level")));
            wait.until(d -> "amber".equals(d.findElement(By.id("last-synced")).getAttribute("data-level")));
            assertThat(text("last-synced-cue")).isEqualTo("Getting stale: older than 3 s");
            wait.until(d -> "red".equals(d.findElement(By.id("last-synced")).getAttribute("data-level")));
            assertThat(text("last-synced-cue")).isEqualTo("Stale: older than 8 s");
            wait.until(d -> text("summary-source").startsWith("From the database"));
            screenshot("dashboard-stale.png");
        }
    }

    private void enterToken(String token) {
        WebElement input = browser.findElement(By.id("token-input"));
        input.clear();
        input.sendKeys(token);
        browser.findElement(By.id("token-submit")).click();
    }

    private String attribute(String id, String name) {
        return browser.findElement(By.id(id)).getAttribute(name);
    }

    private String text(String id) {
        return browser.findElement(By.id(id)).getText().trim();
    }

    private long firstRunRowId() {
        List<WebElement> rows = browser.findElements(By.cssSelector("#runs tbody tr[data-run-id]"));
        return rows.isEmpty() ? -1 : Long.parseLong(rows.get(0).getAttribute("data-run-id"));
    }

    /** "6134.35" as the dashboard shows money: two decimals, thousands grouped. */
    private static String formatMoney(String decimal) {
        return String.format(java.util.Locale.ROOT, "%,.2f", new java.math.BigDecimal(decimal));
    }

    private void screenshot(String name) throws IOException {
        File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.createDirectories(SCREENSHOTS);
        Files.copy(shot.toPath(), SCREENSHOTS.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }
}

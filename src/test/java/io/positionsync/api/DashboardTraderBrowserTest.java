package io.positionsync.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
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
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import com.fasterxml.jackson.databind.JsonNode;

import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.store.TestDatabase;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.ServiceUnderTest;

/**
 * What a trader opens the dashboard for, in a real headless Chromium against the running service after
 * several days of trading ({@link TradingDays}): realized P&L over time per currency, a lifecycle's story on a
 * click, the page polling politely. Every test ends with no error in the browser's console.
 * Needs Debian's chromium and chromium-driver: without them it fails when CI=true and is skipped otherwise.
 */
@Tag("browser")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@PositionSyncService(awaitFirstRun = true)
class DashboardTraderBrowserTest {
    private static final Duration UI_WAIT = Duration.ofSeconds(20);
    private static final Path SCREENSHOTS = Path.of("target");
    private static final Path DOWNLOADS = Path.of("target", "downloads");

    static TestDatabase db;
    static GatewaySimulator sim;
    static ServiceUnderTest service;
    static WebDriver browser;

    @BeforeAll
    static void start() throws Exception {
        HeadlessChrome.require();
        TradingDays.trade(sim, service, db);

        ChromeOptions options = HeadlessChrome.options();
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        Files.createDirectories(DOWNLOADS);
        options.setExperimentalOption("prefs", java.util.Map.of("download.default_directory",
                DOWNLOADS.toAbsolutePath().toString(), "download.prompt_for_download", false));
        browser = HeadlessChrome.start(options);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
    }

    /** No page error, failed script or failed resource load in the console. */
    @AfterEach
    void noConsoleErrors() {
        List<LogEntry> severe = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                .toList();
        assertThat(severe).as("console errors").isEmpty();
    }

    @Test
    @Order(1)
    void chartsRealizedPnlPerDayOneCurrencyAtATimeWithEstimatesApart() throws IOException {
        JsonNode api = service.getJson("api/pnl/daily");
        WebDriverWait wait = new WebDriverWait(browser, UI_WAIT);
        browser.get(service.baseUrl());

        wait.until(d -> "ok".equals(attribute("pnl", "data-state")));
        // The chart opens on the currency with the most activity: USD (two days, three realizing fills and
        // estimates), not EUR (first in the alphabet, one close). Over the days that have data, not 30 mostly empty.
        assertThat(attribute("pnl", "data-currency")).isEqualTo("USD");
        BigDecimal usdTotal = new BigDecimal(api.at("/totals/1/realizedPnl").asText());
        assertThat(new BigDecimal(attribute("pnl", "data-cumulative"))).isEqualByComparingTo(usdTotal);
        assertThat(attribute("pnl", "data-bar-days")).isEqualTo("2");
        assertThat(attribute("pnl", "data-chart-days")).as("three days ago to today").isEqualTo("4");
        assertThat(text("pnl-status")).startsWith("Realized P&L in USD")
                .contains("(UTC days; 2 days with realized P&L, ");
        assertThat(attribute("pnl-day-zone", "textContent")).isEqualTo("(UTC)");
        assertThat(browser.findElements(By.cssSelector("#pnl-chart canvas"))).isNotEmpty();

        // EUR on request: one day, the SAP close; never added to the USD figures. The choice stays over polls.
        new Select(browser.findElement(By.id("pnl-currency"))).selectByValue("EUR");
        wait.until(d -> "EUR".equals(attribute("pnl", "data-currency")));
        assertThat(new BigDecimal(attribute("pnl", "data-cumulative"))).isEqualByComparingTo(TradingDays.SAP_REALIZED);
        assertThat(attribute("pnl", "data-bar-days")).isEqualTo("1");
        ((JavascriptExecutor) browser).executeScript("document.getElementById('pnl-to').dispatchEvent("
                + "new Event('change', {bubbles: true}));");
        wait.until(d -> "ok".equals(attribute("pnl", "data-state")));
        assertThat(attribute("pnl", "data-currency")).isEqualTo("EUR");

        new Select(browser.findElement(By.id("pnl-currency"))).selectByValue("USD");
        wait.until(d -> "USD".equals(attribute("pnl", "data-currency")));

        // The table behind the chart: per day, executions and estimates apart, the running total in the currency.
        browser.findElement(By.cssSelector(".pnl-details summary")).click();
        List<WebElement> rows = browser.findElements(By.cssSelector("#pnl-table tbody tr[data-day]"));
        assertThat(rows).hasSize(2);
        List<WebElement> today = rows.get(1).findElements(By.tagName("td"));
        assertThat(today.get(0).getText()).isEqualTo("333.90");
        assertThat(today.get(1).getText()).isEqualTo(formatMoney(api.at("/days/3/realizedPnl").asText()));
        assertThat(today.get(2).getText()).isEqualTo(formatMoney(usdTotal.toPlainString()));
        assertThat(browser.findElement(By.cssSelector("#pnl-totals li[data-currency='USD']")).getText())
                .startsWith("USD " + formatMoney(usdTotal.toPlainString())).contains("estimated USD");
        assertThat(browser.findElement(By.cssSelector("#pnl-totals li[data-currency='EUR']")).getText())
                .startsWith("EUR 98.00");
        screenshot("dashboard-pnl.png");

        // Amounts carry their currency and are never added across currencies: the summary and the account rows
        // give one figure per currency.
        JsonNode summary = service.getJson("api/portfolio/summary");
        assertThat(browser.findElement(By.id("summary-realized-pnl")).getText().split("\n")).containsExactly(
                "EUR 98.00", "USD " + formatMoney(summary.at("/overall/byCurrency/1/realizedPnl").asText()));
        assertThat(browser.findElement(By.cssSelector("#accounts-table tr[data-account='DU1000001']")).getText())
                .contains("EUR 98.00").contains("USD ");

        // A narrower range, from the inputs: only the last two days (yesterday's EUR, today's USD).
        setDate("pnl-from", api.get("to").asText().equals(java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString())
                ? java.time.LocalDate.now(java.time.ZoneOffset.UTC).minusDays(1).toString() : api.get("to").asText());
        wait.until(d -> "1".equals(attribute("pnl", "data-bar-days")) && "USD".equals(attribute("pnl", "data-currency")));
        assertThat(new BigDecimal(attribute("pnl", "data-cumulative"))).isEqualByComparingTo(
                usdTotal.subtract(TradingDays.AAPL_REALIZED_DAY_3));
    }

    @Test
    @Order(2)
    void aClickTellsALifecyclesStoryWithItsFillsAndAdjustments() throws IOException {
        WebDriverWait wait = new WebDriverWait(browser, UI_WAIT);
        browser.get(service.baseUrl());
        long aapl = positionId(TradingDays.AAPL, "open");
        wait.until(d -> !d.findElements(By.cssSelector("#open-positions button[data-history='" + aapl + "']")).isEmpty());
        browser.findElement(By.cssSelector("#open-positions button[data-history='" + aapl + "']")).click();

        wait.until(d -> "ok".equals(attribute("history-dialog", "data-state")));
        assertThat(browser.findElement(By.id("history-dialog")).isDisplayed()).isTrue();
        assertThat(text("history-title")).startsWith("AAPL STK in DU1000001");
        List<String> changes = browser.findElements(By.cssSelector("#history-list li[data-change]")).stream()
                .map(li -> li.getAttribute("data-change")).toList();
        assertThat(changes).containsExactly("OPENED", "REDUCED", "REDUCED", "ADJUSTED");
        // A reduction: its execution, exit price and realized amount, in the position's currency.
        WebElement reduced = browser.findElements(By.cssSelector("#history-list li[data-change='REDUCED']")).get(0);
        assertThat(reduced.findElements(By.cssSelector("tr[data-exec-id]"))).hasSize(1);
        assertThat(reduced.getText()).contains("Exit price USD 200.00").contains("Realized USD 323.90")
                .contains("SLD").contains("executions");
        // The adjustment: the commission that came one run late, old and new amounts.
        WebElement adjusted = browser.findElement(By.cssSelector("#history-list li[data-change='ADJUSTED']"));
        assertThat(adjusted.getText()).contains("Late facts changed realized P&L: USD 658.80 \u2192 USD 657.80");
        assertThat(text("history-facts")).contains("USD 657.80").contains("Open for");
        screenshot("dashboard-history-open.png");
        browser.findElement(By.id("history-close")).click();
        wait.until(d -> !d.findElement(By.id("history-dialog")).isDisplayed());

        // Recently closed: the most recently closed first, each with the size it held (not its quantity 0).
        List<String> closedIds = service.getJson("api/positions?status=closed&order=closed&limit=10").findValues("id")
                .stream().map(JsonNode::asText).toList();
        wait.until(d -> rows("#closed-positions tbody tr[data-id]").size() == closedIds.size());
        assertThat(rows("#closed-positions tbody tr[data-id]").stream().map(r -> r.getAttribute("data-id")).toList())
                .containsExactlyElementsOf(closedIds);
        long sapId = positionId(TradingDays.SAP, "closed");
        assertThat(browser.findElement(By.cssSelector("#closed-positions tr[data-id='" + sapId + "'] td.closed-size"))
                .getText()).isEqualTo("10");

        // A closed lifecycle: exit price and holding time.
        long sap = positionId(TradingDays.SAP, "closed");
        wait.until(d -> !d.findElements(By.cssSelector("#closed-positions button[data-history='" + sap + "']")).isEmpty());
        browser.findElement(By.cssSelector("#closed-positions button[data-history='" + sap + "']")).click();
        wait.until(d -> "ok".equals(attribute("history-dialog", "data-state"))
                && String.valueOf(sap).equals(attribute("history-dialog", "data-position-id")));
        assertThat(browser.findElement(By.cssSelector("[data-fact='exit-price']")).getText()).isEqualTo("EUR 210.00");
        assertThat(browser.findElement(By.cssSelector("[data-fact='holding']")).getText()).matches("(\\d+ d )?(\\d+ h )?\\d+ min");
        assertThat(browser.findElement(By.cssSelector("[data-fact='realized']")).getText()).startsWith("EUR 98.00");
        assertThat(browser.findElements(By.cssSelector("#history-list li[data-change]")).stream()
                .map(li -> li.getAttribute("data-change")).toList()).containsExactly("OPENED", "CLOSED");
        screenshot("dashboard-history-closed.png");
        browser.findElement(By.id("history-close")).click();
    }

    @Test
    @Order(5)
    void pollsOnlyWhileVisibleAndBacksOffWhileTheApiFails() {
        WebDriverWait wait = new WebDriverWait(browser, UI_WAIT);
        browser.get(service.baseUrl());
        wait.until(d -> "on".equals(attribute("main", "data-polling")));
        wait.until(d -> "5000".equals(attribute("main", "data-poll-delay-ms")));

        // Hidden: the page stops polling (Chromium's emulation of a hidden tab).
        ((JavascriptExecutor) browser).executeScript(
                "Object.defineProperty(document, 'hidden', {configurable: true, get: function () { return true; }});"
                        + "document.dispatchEvent(new Event('visibilitychange'));");
        wait.until(d -> "paused".equals(attribute("main", "data-polling")));
        ((JavascriptExecutor) browser).executeScript(
                "Object.defineProperty(document, 'hidden', {configurable: true, get: function () { return false; }});"
                        + "document.dispatchEvent(new Event('visibilitychange'));");
        wait.until(d -> "on".equals(attribute("main", "data-polling")));

        // The network fails (every request of the page refused): the wait between polls doubles, and the page
        // says it shows the last data; the first answer brings the normal pace back.
        WebDriverWait slow = new WebDriverWait(browser, Duration.ofSeconds(40));
        ((JavascriptExecutor) browser).executeScript("window.realFetch = window.fetch;"
                + "window.fetch = function () { return Promise.reject(new TypeError('offline')); };");
        slow.until(d -> "10000".equals(attribute("main", "data-poll-delay-ms")));
        assertThat(text("api-status-text")).isEqualTo("API unreachable: showing the last data received. Retrying in 10 s.");
        ((JavascriptExecutor) browser).executeScript("window.fetch = window.realFetch;");
        slow.until(d -> "5000".equals(attribute("main", "data-poll-delay-ms")));
        assertThat(text("api-status-text")).isEqualTo("API connected");
    }

    @Test
    @Order(3)
    void filtersNarrowThePositionsWithTheTrueTotalAndTheCsvHoldsWhatIsShown() throws IOException {
        WebDriverWait wait = new WebDriverWait(browser, UI_WAIT);
        browser.get(service.baseUrl());
        long open = service.getJson("api/positions?status=open").get("total").asLong();
        wait.until(d -> String.valueOf(open).equals(attribute("positions", "data-total")));
        assertThat(text("open-count")).isEqualTo("(" + open + ")");
        assertThat(rows("#open-positions tbody tr[data-id]")).hasSize((int) open);

        // All statuses, one account, one symbol: the closed SAP lifecycle only.
        new Select(browser.findElement(By.id("filter-status"))).selectByValue("all");
        wait.until(d -> new Select(d.findElement(By.id("filter-account"))).getOptions().size() > 1);
        new Select(browser.findElement(By.id("filter-account"))).selectByValue(TradingDays.ACCOUNT);
        browser.findElement(By.id("filter-symbol")).sendKeys("SAP");
        wait.until(d -> "1".equals(attribute("positions", "data-total")));
        List<WebElement> shown = rows("#open-positions tbody tr[data-id]");
        assertThat(shown).hasSize(1);
        assertThat(shown.get(0).getText()).contains("SAP").contains("EUR").contains("CLOSED");
        assertThat(text("open-count")).isEqualTo("(1)");

        // The export: the same filters, every row shown.
        String href = browser.findElement(By.id("positions-csv")).getAttribute("href");
        assertThat(href).contains("api/positions.csv?status=all&account=DU1000001&symbol=SAP");
        String csv = service.get(href.substring(service.baseUrl().length())).body();
        assertThat(csv.split("\r\n")).hasSize(2);
        assertThat(csv.split("\r\n")[1]).startsWith(shown.get(0).getAttribute("data-id") + ",DU1000001," + TradingDays.SAP
                + ",SAP,STK,EUR,1,CLOSED,");
        screenshot("dashboard-filters.png");

        // With a token in the tab (reads need it off loopback) the page fetches the export with it: the file
        // the browser saves is the same CSV.
        Path saved = DOWNLOADS.resolve("positions.csv");
        Files.deleteIfExists(saved);
        ((JavascriptExecutor) browser).executeScript("sessionStorage.setItem('position-sync.apiToken', arguments[0]);",
                ServiceUnderTest.TOKEN);
        try {
            browser.findElement(By.id("positions-csv")).click();
            await().atMost(UI_WAIT).until(() -> Files.isRegularFile(saved) && Files.size(saved) > 0);
            assertThat(Files.readString(saved)).isEqualTo(csv);
        } finally {
            ((JavascriptExecutor) browser).executeScript("sessionStorage.removeItem('position-sync.apiToken');");
        }

        // A day range before anything was open: nothing, said so.
        setDate("filter-to", java.time.LocalDate.now(java.time.ZoneOffset.UTC).minusDays(1).toString());
        wait.until(d -> "0".equals(attribute("positions", "data-total")));
        assertThat(text("open-positions")).contains("No positions match the filters.");
    }

    /**
     * axe-core (from the npm registry, see .ci/run) run in the page, with every panel filled and with a
     * lifecycle's story open: no serious or critical violation of WCAG 2.1 A/AA rules.
     */
    @Test
    @Order(4)
    void hasNoSeriousAccessibilityViolations() throws IOException {
        String axe = axeSource();
        WebDriverWait wait = new WebDriverWait(browser, UI_WAIT);
        browser.get(service.baseUrl());
        wait.until(d -> "ok".equals(attribute("pnl", "data-state")));
        wait.until(d -> !d.findElements(By.cssSelector("#breaks-table tbody tr")).isEmpty()
                && !d.findElements(By.cssSelector("#resolved-table tbody tr")).isEmpty()
                && !d.findElements(By.cssSelector("#runs tbody tr[data-run-id]")).isEmpty());
        browser.findElement(By.cssSelector(".pnl-details summary")).click();
        assertThat(seriousViolations(axe)).as("axe on the dashboard").isEmpty();

        browser.findElement(By.cssSelector("#open-positions button[data-history]")).click();
        wait.until(d -> "ok".equals(attribute("history-dialog", "data-state")));
        assertThat(seriousViolations(axe)).as("axe with a lifecycle's story open").isEmpty();
        browser.findElement(By.id("history-close")).click();
    }

    @SuppressWarnings("unchecked")
    private List<String> seriousViolations(String axe) {
        ((JavascriptExecutor) browser).executeScript(axe);
        Object result = ((JavascriptExecutor) browser).executeAsyncScript("var done = arguments[arguments.length - 1];"
                + "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
                + ".then(function (r) { done(r.violations.filter(function (v) {"
                + "  return v.impact === 'serious' || v.impact === 'critical'; }).map(function (v) {"
                + "  return v.id + ' (' + v.impact + '): ' + v.help + ' at ' + v.nodes.slice(0, 3).map(function (n) {"
                + "    return n.target.join(' '); }).join(', '); })); }, function (e) { done(['axe failed: ' + e]); });");
        return (List<String>) result;
    }

    private static String axeSource() throws IOException {
        Path axe = Path.of(System.getProperty("psync.axe", "node_modules/axe-core/axe.min.js"));
        if (!Files.isReadable(axe)) {
            String missing = "the accessibility check needs axe-core at " + axe.toAbsolutePath()
                    + " (npm install --no-save axe-core, as .ci/run does)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                Assertions.fail(missing + ": missing on CI");
            }
            Assumptions.abort("skipped: " + missing);
        }
        return Files.readString(axe);
    }

    /** Runs last: the run it starts replaces the estimate (and so changes today's figures). */
    @Test
    @Order(6)
    void aBreakIsShownOpenThenResolvedWithTheRunsThatRaisedAndResolvedIt() throws IOException {
        WebDriverWait wait = new WebDriverWait(browser, UI_WAIT);
        browser.get(service.baseUrl());
        By openEstimate = By.cssSelector("#breaks-table tbody tr[data-kind='UNEXPLAINED_QUANTITY']");
        wait.until(d -> !d.findElements(openEstimate).isEmpty());
        WebElement row = browser.findElement(openEstimate);
        long raisedBy = service.getJson("api/breaks").at("/breaks/0/runId").asLong();
        // Quantities are quantities, never money: 40 shares ours, 35 the broker's, 5 apart.
        assertThat(row.getAttribute("data-unit")).isEqualTo("quantity");
        assertThat(row.findElements(By.tagName("td")).stream().skip(3).limit(3).map(WebElement::getText).toList())
                .containsExactly("40", "35", "5");
        assertThat(row.getText()).contains("MSFT").doesNotContain("USD").contains("run " + raisedBy);
        // The late commission's break, resolved by the next run: no figures to compare, its reason instead.
        By pending = By.cssSelector("#resolved-table tr[data-kind='COMMISSION_PENDING']");
        wait.until(d -> !d.findElements(pending).isEmpty());
        WebElement pendingRow = browser.findElement(pending);
        String note = service.getJson("api/breaks?status=resolved&limit=20").findValues("note").stream()
                .map(JsonNode::asText).filter(n -> !n.isEmpty()).filter(n -> pendingRow.getText().contains(n))
                .findFirst().orElse(null);
        assertThat(note).as("the break's note shown in its row: " + pendingRow.getText()).isNotNull();
        assertThat(pendingRow.findElement(By.cssSelector("td.break-note")).getAttribute("colspan")).isEqualTo("3");
        assertThat(pendingRow.getText()).doesNotContain("0.00");
        screenshot("dashboard-breaks-open.png");

        // The execution behind the estimate becomes visible: the next run replaces the estimate and resolves it.
        long runId = ServiceUnderTest.json(service.sync(null)).get("runId").asLong();
        assertThat(service.getJson("api/breaks").get("openCount").asLong()).isZero();
        wait.until(d -> d.findElements(openEstimate).isEmpty());
        assertThat(text("breaks-empty")).isEqualTo("No open breaks: our ledger matches the broker.");
        By resolved = By.cssSelector("#resolved-table tbody tr[data-kind='UNEXPLAINED_QUANTITY']");
        wait.until(d -> !d.findElements(resolved).isEmpty());
        assertThat(browser.findElement(resolved).getText()).contains("MSFT").contains("run " + raisedBy)
                .contains("run " + runId);
        screenshot("dashboard-breaks-resolved.png");
    }

    private long positionId(long conId, String status) {
        for (JsonNode p : service.getJson("api/positions?status=" + status + "&account=" + TradingDays.ACCOUNT).get("positions")) {
            if (p.get("conId").asLong() == conId) {
                return p.get("id").asLong();
            }
        }
        throw new AssertionError("no " + status + " lifecycle of " + conId);
    }

    private void setDate(String id, String isoDay) {
        ((JavascriptExecutor) browser).executeScript("var i = document.getElementById(arguments[0]); i.value = arguments[1];"
                + "i.dispatchEvent(new Event('change', {bubbles: true}));", id, isoDay);
    }

    private List<WebElement> rows(String css) {
        return browser.findElements(By.cssSelector(css));
    }

    private String attribute(String id, String name) {
        return browser.findElement(By.id(id)).getAttribute(name);
    }

    private String text(String id) {
        return browser.findElement(By.id(id)).getText().trim();
    }

    private static String formatMoney(String decimal) {
        return String.format(java.util.Locale.ROOT, "%,.2f", new BigDecimal(decimal));
    }

    private void screenshot(String name) throws IOException {
        File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.createDirectories(SCREENSHOTS);
        Files.copy(shot.toPath(), SCREENSHOTS.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }
}

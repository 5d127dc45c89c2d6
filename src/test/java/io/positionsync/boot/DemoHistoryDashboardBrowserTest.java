package io.positionsync.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

import com.fasterxml.jackson.databind.JsonNode;

import io.positionsync.api.HeadlessChrome;
import io.positionsync.testing.ServiceUnderTest;

/**
 * The zero-config demo's first minutes in a real headless Chromium: while the demo builds its pre-dated history
 * (runs dated days ago) the dashboard says so, with no red "stale" and no "figures not live" banner; the gateway is
 * UP since the real time it connected, not since a day the history plays back.
 */
@Tag("browser")
class DemoHistoryDashboardBrowserTest {
    private static final Duration DEADLINE = Duration.ofSeconds(120);

    private WebDriver browser;
    private ServiceUnderTest service;

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (service != null) {
            service.close();
        }
    }

    @Test
    void whileTheDemoBuildsItsHistoryNothingReadsStaleAndTheGatewayIsUpSinceNow() throws Exception {
        HeadlessChrome.require();
        ChromeOptions options = HeadlessChrome.options();
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        browser = HeadlessChrome.start(options);
        Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        // A history of several days, each run waiting a little for commissions: long enough to be watched.
        service = ServiceUnderTest.startDemo(Files.createTempDirectory(Path.of("target"), "demo-dashboard-"), Map.of(
                "psync.sim.price-tick-ms", "0",
                "psync.sim.history-days", "8",
                "psync.ibkr.commission-wait-ms", "300",
                "psync.sync.period", "1s",
                "psync.sim.trade-interval-ms", "250"));
        // The HTTP server answers before the page is opened (a loaded machine may take a moment to bind it).
        org.awaitility.Awaitility.await().atMost(DEADLINE).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                .until(() -> service.get("api/sync/status").statusCode() == 200);
        browser.get(service.baseUrl());
        WebDriverWait wait = new WebDriverWait(browser, DEADLINE);
        wait.pollingEvery(Duration.ofMillis(200));

        wait.until(d -> "building".equals(level()));
        assertThat(text("last-synced-cue")).startsWith("Building the demo's history: day ");
        // What the old page would have called stale: the history's last success is days old.
        wait.until(d -> {
            JsonNode status = service.getJson("api/sync/status");
            return status.has("demoHistory") && status.get("lastSuccessAgeSeconds").isNumber()
                    && status.get("lastSuccessAgeSeconds").asLong() > Duration.ofDays(1).toSeconds();
        });
        JsonNode during = service.getJson("api/sync/status");
        assertThat(during.at("/demoHistory/days").asInt()).isEqualTo(8);
        assertThat(Instant.parse(during.at("/gateway/since").asText())).as("gateway UP since, real time")
                .isAfterOrEqualTo(started);

        // Every look until the history is over and the start-up run is done: never red, never the banner.
        List<String> seen = new ArrayList<>();
        wait.until(d -> {
            String level = level();
            seen.add(level + (browser.findElement(By.id("db-banner")).isDisplayed() ? " banner" : ""));
            return "fresh".equals(level);
        });
        assertThat(seen).as("indicator levels while the history was built").doesNotContain("red", "red banner")
                .noneMatch(s -> s.endsWith(" banner"));
        JsonNode after = service.getJson("api/sync/status");
        assertThat(after.has("demoHistory")).isFalse();
        assertThat(after.at("/gateway/state").asText()).isEqualTo("UP");
        assertThat(Instant.parse(after.at("/gateway/since").asText())).isAfterOrEqualTo(started);
        assertThat(text("gateway-since")).startsWith("since " + after.at("/gateway/since").asText().substring(0, 10));

        List<LogEntry> severe = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue()).toList();
        assertThat(severe).as("console errors").isEmpty();
    }

    private String level() {
        return browser.findElement(By.id("last-synced")).getAttribute("data-level");
    }

    private String text(String id) {
        return browser.findElement(By.id(id)).getText().trim();
    }
}

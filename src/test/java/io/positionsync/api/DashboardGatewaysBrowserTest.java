package io.positionsync.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;

import io.positionsync.store.TestDatabase;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.ServiceUnderTest;

/**
 * The dashboard's "Gateways" table in a real headless Chromium: every gateway the database knows, also those other
 * instances own and run (their rows written here straight into the database), with its owner, live connection, last
 * run and the age of its last successful sync coloured as the last-synced indicator; the indicator itself unchanged.
 * Needs Debian's chromium and chromium-driver, as {@link DashboardBrowserTest}.
 */
@Tag("browser")
@PositionSyncService(awaitFirstRun = true)
class DashboardGatewaysBrowserTest {
    private static final Duration UI_WAIT = Duration.ofSeconds(20);

    static TestDatabase db;
    static ServiceUnderTest service;
    static WebDriver browser;

    @BeforeAll
    static void start() {
        HeadlessChrome.require();
        browser = HeadlessChrome.start(HeadlessChrome.options());
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
    }

    @Test
    void listsEveryGatewayOfTheDatabaseWithItsOwnerLiveTimeLastRunAndFreshness() throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Instant liveSince = Instant.parse("2026-12-05T21:50:01Z");
        // alpha: owned by node-a, live, synced moments ago; beta: owned by node-b, not live, its last success two hours
        // old and its last run failed
        GatewayRows.owner(db, "alpha", 3, "node-a", now.minusSeconds(3600), liveSince);
        GatewayRows.run(db, "alpha", "node-a", "SUCCEEDED", now.minusSeconds(5), null);
        GatewayRows.owner(db, "beta", 7, "node-b", now.minusSeconds(7200), null);
        GatewayRows.run(db, "beta", "node-b", "SUCCEEDED", now.minusSeconds(7200), null);
        GatewayRows.run(db, "beta", "node-b", "FAILED", now.minusSeconds(3600), null);

        WebDriverWait wait = new WebDriverWait(browser, UI_WAIT);
        browser.get(service.baseUrl());
        wait.until(d -> d.findElements(By.cssSelector("#gateways-table tbody tr[data-gateway]")).size() == 3);
        assertThat(rows()).extracting(row -> row.getAttribute("data-gateway")).containsExactly("alpha", "beta", "default");

        List<WebElement> alpha = cells("alpha");
        assertThat(alpha.get(0).getText()).isEqualTo("alpha");
        assertThat(alpha.get(1).getText()).isEqualTo("node-a");
        assertThat(alpha.get(2).getText()).isEqualTo("Live since 2026-12-05 21:50:01 UTC");
        assertThat(alpha.get(3).getText()).startsWith("SUCCEEDED ");
        assertThat(alpha.get(4).getAttribute("data-level")).isEqualTo("fresh");
        assertThat(alpha.get(4).getText()).matches("\\d+ s ago Up to date");

        List<WebElement> beta = cells("beta");
        assertThat(beta.get(1).getText()).isEqualTo("node-b");
        assertThat(beta.get(2).getText()).isEqualTo("Not live");
        assertThat(beta.get(3).getText()).startsWith("FAILED ").endsWith("(1 failed in a row)");
        assertThat(beta.get(4).getAttribute("data-level")).isEqualTo("red");
        assertThat(beta.get(4).getText()).isEqualTo("2 h 0 min ago Stale: older than 10 min");
        assertThat(row("beta").getAttribute("data-freshness")).isEqualTo("RED");

        // this instance's own gateway, and the indicator as before
        List<WebElement> own = cells("default");
        assertThat(own.get(3).getText()).startsWith("SUCCEEDED ");
        assertThat(own.get(4).getAttribute("data-level")).isEqualTo("fresh");
        assertThat(browser.findElement(By.id("last-synced")).getAttribute("data-level")).isEqualTo("fresh");
        assertThat(browser.findElement(By.id("last-synced-cue")).getText()).isEqualTo("Up to date");
        screenshot("dashboard-gateways.png");
    }

    private List<WebElement> rows() {
        return browser.findElements(By.cssSelector("#gateways-table tbody tr[data-gateway]"));
    }

    private WebElement row(String gateway) {
        return browser.findElement(By.cssSelector("#gateways-table tbody tr[data-gateway='" + gateway + "']"));
    }

    private List<WebElement> cells(String gateway) {
        return row(gateway).findElements(By.cssSelector("th, td"));
    }

    private void screenshot(String name) throws Exception {
        File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.createDirectories(Path.of("target"));
        Files.copy(shot.toPath(), Path.of("target").resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }
}

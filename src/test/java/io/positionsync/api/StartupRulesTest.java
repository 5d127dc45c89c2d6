package io.positionsync.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.store.TestDatabase;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.ServiceUnderTest;

/** How the service starts: where it may listen without a token, and that the token never reaches a log. */
@PositionSyncService(profile = PositionSyncService.Profile.NONE)
class StartupRulesTest {
    static TestDatabase db;
    static GatewaySimulator sim;

    @Test
    void listeningBeyondLoopbackWithoutATokenRefusesToStart() {
        Map<String, String> properties = ServiceUnderTest.defaults(db, sim);
        properties.put("psync.http.host", "0.0.0.0");
        properties.put("psync.api.token", "");

        assertThatThrownBy(() -> ServiceUnderTest.start(properties).close())
                .satisfies(thrown -> {
                    Throwable cause = thrown;
                    while (cause.getCause() != null) {
                        cause = cause.getCause();
                    }
                    assertThat(cause).isInstanceOf(IllegalStateException.class)
                            .hasMessageContaining("refusing to start")
                            .hasMessageContaining("0.0.0.0")
                            .hasMessageContaining("PSYNC_API_TOKEN");
                });
    }

    @Test
    void onLoopbackTheServiceStartsWithoutATokenAndRefusesTheTrigger() throws Exception {
        Map<String, String> properties = ServiceUnderTest.defaults(db, sim);
        properties.put("psync.api.token", "");

        try (ServiceUnderTest service = ServiceUnderTest.start(properties)) {
            assertThat(service.sync(null).statusCode()).isEqualTo(401);
            assertThat(service.post("api/sync/positions", "Authorization", "Bearer ").statusCode()).isEqualTo(401);
            assertThat(service.get("api/sync/status").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void theTokenIsMaskedInTheStartupSummaryAndNeverLogged() throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Logger camelMain = (Logger) LoggerFactory.getLogger("org.apache.camel.main");
        Level camelMainLevel = camelMain.getLevel();
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        root.addAppender(captured);
        camelMain.setLevel(Level.INFO); // the property summary is logged at INFO
        try (ServiceUnderTest service = ServiceUnderTest.start(ServiceUnderTest.defaults(db, sim))) {
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> !service.getJson("api/sync/status").get("lastSuccessfulRun").isNull());
            assertThat(service.sync(null).statusCode()).isEqualTo(200);
            assertThat(service.post("api/sync/positions", "Authorization", "Bearer wrong").statusCode()).isEqualTo(401);
        } finally {
            root.detachAppender(captured);
            camelMain.setLevel(camelMainLevel);
        }

        List<String> lines = captured.list.stream().map(ILoggingEvent::getFormattedMessage).collect(Collectors.toList());
        assertThat(lines).filteredOn(line -> line.contains("psync.api.token"))
                .isNotEmpty()
                .allSatisfy(line -> assertThat(line).contains("psync.api.token=***"));
        assertThat(lines).noneMatch(line -> line.contains(ServiceUnderTest.TOKEN));
        // The values in use, not the file's templates; and where the service really listens.
        assertThat(lines).noneMatch(line -> line.contains("{{env:"));
        assertThat(lines).filteredOn(line -> line.startsWith("configuration in use: ")).singleElement().asString()
                .contains("psync.sync.period=3600000", "psync.http.host=127.0.0.1");
        assertThat(lines).anyMatch(line -> line.matches("listening on 127\\.0\\.0\\.1:\\d+: dashboard http://127\\.0\\.0\\.1:\\d+/.*"));
    }
}

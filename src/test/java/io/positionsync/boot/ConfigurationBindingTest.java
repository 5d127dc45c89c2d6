package io.positionsync.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.positionsync.store.DatabaseConfig;

/**
 * The typed settings of each area as Camel's properties component resolves {@code config/application.properties}:
 * the shipped defaults, a value that does not read (named by its variable), Camel's override properties, and the
 * {@code --config} file.
 */
class ConfigurationBindingTest {

    @Test
    void theShippedDefaultsBindIntoEveryArea() {
        PositionSyncSettings settings = ConfigurationBinder.bind(ConfigurationValues.load(Map.of(), Map.of()));

        assertThat(settings.database().connection().embedded()).isTrue();
        assertThat(settings.database().connection().dataDir()).isEqualTo(Path.of("./data"));
        assertThat(settings.database().writeChunkSize()).isEqualTo(5000);
        assertThat(settings.database().adoption().serviceSchema()).isEqualTo("position_sync");
        assertThat(settings.database().adoption().columns().averagePrice()).isEqualTo("entry_price");
        assertThat(settings.database().projection().newRowGrace()).isEqualTo(Duration.ofSeconds(60));
        assertThat(settings.gateway().host()).isEmpty();
        assertThat(settings.gateway().port()).isEqualTo(4002);
        assertThat(settings.gateway().clientId()).isEqualTo(17);
        assertThat(settings.gateway().commissionWait()).isEqualTo(Duration.ofSeconds(2));
        assertThat(settings.gateway().limits().maxBytes()).isEqualTo(268_435_456L);
        assertThat(settings.gateway().maxMessagesPerSecond()).isEqualTo(45);
        assertThat(settings.sync().period()).isEqualTo(Duration.ofSeconds(60));
        assertThat(settings.sync().breakTolerance()).isEqualByComparingTo(new BigDecimal("0.01"));
        assertThat(settings.sync().timerEnabled()).isTrue();
        assertThat(settings.simulator().syncPeriod()).isEqualTo(Duration.ofSeconds(10));
        assertThat(settings.http().token()).isEmpty();
        assertThat(settings.http().api().staleAmberSeconds()).isEqualTo(180);
        assertThat(settings.http().api().timerPeriod()).isEqualTo(Duration.ofSeconds(60));
        assertThat(settings.monitor().executionsMissingRuns()).isEqualTo(3);
    }

    @Test
    void aValueThatDoesNotReadNamesItsVariable() {
        assertThatThrownBy(() -> ConfigurationBinder.gateway(ConfigurationValues.load(Map.of("PSYNC_IBKR_PORT", "x"),
                Map.of()))).hasMessage("PSYNC_IBKR_PORT must be an integer, got 'x'");
        assertThatThrownBy(() -> ConfigurationBinder.sync(ConfigurationValues.load(Map.of("PSYNC_SYNC_RUN_TIMEOUT_MS",
                "soon"), Map.of()))).hasMessage("PSYNC_SYNC_RUN_TIMEOUT_MS must be a duration (milliseconds such as "
                        + "1500, or 30s, 5m, 1h30m), got 'soon'");
        assertThatThrownBy(() -> ConfigurationBinder.sync(ConfigurationValues.load(Map.of("PSYNC_SYNC_TIMER_ENABLED",
                "yes"), Map.of()))).hasMessage("PSYNC_SYNC_TIMER_ENABLED must be true or false, got 'yes'");
        assertThatThrownBy(() -> ConfigurationBinder.database(ConfigurationValues.load(Map.of("PSYNC_DB_URL",
                "mysql://db/x"), Map.of()))).hasMessageStartingWith("PSYNC_DB_URL ");
    }

    @Test
    void theEnvironmentSetsAKeyThroughItsTemplate() {
        ConfigurationValues values = ConfigurationValues.load(Map.of("PSYNC_IBKR_HOST", "gw.internal",
                "PSYNC_IBKR_PORT", "4001", "PSYNC_API_TOKEN", "t0k-4711", "PSYNC_REPORTING_TIME_ZONE", "America/New_York",
                "PSYNC_IBKR_MAX_MESSAGES_PER_SECOND", "30"), Map.of());

        GatewaySettings gateway = ConfigurationBinder.gateway(values);
        assertThat(gateway.host()).contains("gw.internal");
        assertThat(gateway.client().endpoint()).isEqualTo("gw.internal:4001");
        assertThat(gateway.client().maxMessagesPerSecond()).isEqualTo(30);
        HttpSettings http = ConfigurationBinder.http(values);
        assertThat(http.token()).contains("t0k-4711");
        assertThat(http.toString()).doesNotContain("t0k-4711").contains("token=***");
        assertThat(http.reportingZone()).hasToString("America/New_York");
    }

    @Test
    void anOverridePropertyOfCamelWinsOverTheFileAndTheEnvironment() throws Exception {
        // The service's own path: a CamelContext's properties component with the file and an override property.
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            context.getPropertiesComponent().setLocation(ConfigurationFile.location());
            context.getPropertiesComponent().addOverrideProperty("psync.sync.period", "5m");
            context.getPropertiesComponent().addOverrideProperty("psync.ibkr.port", "x");

            ConfigurationValues values = ConfigurationValues.of(context);
            assertThat(ConfigurationBinder.sync(values).period()).isEqualTo(Duration.ofMinutes(5));
            assertThat(values.isFileDefault("psync.sync.period")).isFalse();
            assertThat(values.isFileDefault("psync.sync.run-timeout-ms")).isTrue();
            assertThatThrownBy(() -> ConfigurationBinder.gateway(values))
                    .hasMessage("PSYNC_IBKR_PORT must be an integer, got 'x'");
        }
        ConfigurationValues commands = ConfigurationValues.load(Map.of("PSYNC_SYNC_PERIOD", "2m"),
                Map.of("psync.sync.period", "5m"));
        assertThat(ConfigurationBinder.sync(commands).period()).isEqualTo(Duration.ofMinutes(5));
        assertThat(ConfigurationBinder.api(commands).timerPeriod()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void theValuesOfTheConfigFileAreUsed(@TempDir Path work) throws Exception {
        Path file = work.resolve("position-sync.properties");
        Files.writeString(file, "psync.ibkr.port = 4100\npsync.sync.period = {{env:PSYNC_SYNC_PERIOD:90s}}\n"
                + "psync.adopt.column.average-price = avg_px\n");
        String before = System.getProperty(ConfigurationFile.CONFIG_FILE_PROPERTY);
        System.setProperty(ConfigurationFile.CONFIG_FILE_PROPERTY, file.toString());
        try {
            ConfigurationValues values = ConfigurationValues.load(Map.of(), Map.of());
            assertThat(ConfigurationBinder.gateway(values).port()).isEqualTo(4100);
            assertThat(ConfigurationBinder.sync(values).period()).isEqualTo(Duration.ofSeconds(90));
            assertThat(ConfigurationBinder.adoption(values).columns().averagePrice()).isEqualTo("avg_px");
            assertThat(ConfigurationBinder.adoption(values).mapped()).containsExactly("average price");
            // A plain value: messages name the key; a template keeps its variable in charge.
            assertThat(values.variableOf("psync.ibkr.port")).isEqualTo("psync.ibkr.port");
            assertThat(values.variableOf("psync.sync.period")).isEqualTo("PSYNC_SYNC_PERIOD");
            assertThat(ConfigurationBinder.sync(ConfigurationValues.load(Map.of("PSYNC_SYNC_PERIOD", "3m"), Map.of()))
                    .period()).isEqualTo(Duration.ofMinutes(3));
            // The variable of a key the file writes plainly is still one the configuration knows.
            assertThat(values.file().knownVariables()).contains("PSYNC_IBKR_PORT");
        } finally {
            if (before == null) {
                System.clearProperty(ConfigurationFile.CONFIG_FILE_PROPERTY);
            } else {
                System.setProperty(ConfigurationFile.CONFIG_FILE_PROPERTY, before);
            }
        }
        assertThat(ConfigurationBinder.gateway(ConfigurationValues.load(Map.of(), Map.of())).port()).isEqualTo(4002);
    }

    @Test
    void theDatabaseComesFromItsKeys() {
        DatabaseConfig config = ConfigurationBinder.connection(ConfigurationValues.load(Map.of("PSYNC_DB_POOL_SIZE", "7",
                "PSYNC_DATA_DIR", "/var/lib/psync"), Map.of()));

        assertThat(config.embedded()).isTrue();
        assertThat(config.poolSize()).isEqualTo(7);
        assertThat(config.dataDir()).isEqualTo(Path.of("/var/lib/psync"));
        assertThat(config.embeddedPort()).isZero();
        assertThat(config.connectionTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.statementTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThatThrownBy(() -> ConfigurationBinder.connection(ConfigurationValues.load(Map.of("PSYNC_DATA_DIR", " "),
                Map.of()))).hasMessage("PSYNC_DATA_DIR must be set (configuration key psync.data.dir)");

        DatabaseConfig bot = ConfigurationBinder.connection(ConfigurationValues.load(Map.of("PSYNC_DB_URL",
                "postgresql://bot:pw1@db.internal:5432/trading"), Map.of()));
        assertThat(bot.embedded()).isFalse();
        assertThat(bot.url().orElseThrow()).startsWith("jdbc:postgresql://db.internal:5432/trading");
        assertThat(bot.user()).contains("bot");
        assertThat(bot.password()).contains("pw1");
    }

    @Test
    void anEmptyValueIsNoValue() {
        ConfigurationValues values = ConfigurationValues.load(Map.of("PSYNC_IBKR_HOST", "  "), Map.of());
        assertThat(values.find("psync.ibkr.host")).isEmpty();
        assertThat(values.find("psync.no.such.key")).isEqualTo(Optional.empty());
        assertThatThrownBy(() -> values.get("psync.db.url")).hasMessage("PSYNC_DB_URL must be set (configuration key "
                + "psync.db.url)");
    }

    @Test
    void theNotifyChannelDefaultsToPositionSyncEmptyTurnsItOffAndANameThatIsNotAnIdentifierIsRefused() {
        assertThat(ConfigurationBinder.sync(ConfigurationValues.load(Map.of(), Map.of())).notifyChannel())
                .contains("position_sync");
        assertThat(ConfigurationBinder.sync(ConfigurationValues.load(Map.of("PSYNC_NOTIFY_CHANNEL", ""), Map.of()))
                .notifyChannel()).isEmpty();
        assertThat(ConfigurationBinder.sync(ConfigurationValues.load(Map.of("PSYNC_NOTIFY_CHANNEL", "bot_events"),
                Map.of())).notifyChannel()).contains("bot_events");
        assertThatThrownBy(() -> ConfigurationBinder.bind(ConfigurationValues.load(
                Map.of("PSYNC_NOTIFY_CHANNEL", "position-sync"), Map.of())))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("PSYNC_NOTIFY_CHANNEL must be a plain lower case identifier")
                .hasMessageContaining("'position-sync'");
    }
}

package io.positionsync.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Configuration errors name the variable and the expectation; unknown variables get their likely meaning. */
class ConfigurationCheckTest {

    private static ConfigurationValues shipped(Map<String, String> environment) {
        return ConfigurationValues.load(environment, Map.of());
    }

    @Test
    void theShippedDefaultsPass() {
        ConfigurationCheck.validate(shipped(Map.of()));
    }

    @Test
    void eachKindOfWrongValueNamesItsVariable() {
        assertThatThrownBy(() -> ConfigurationCheck.validate(shipped(Map.of("PSYNC_DB_POOL_SIZE", "0"))))
                .hasMessage("PSYNC_DB_POOL_SIZE must be an integer 1..1000, got '0'");
        assertThatThrownBy(() -> ConfigurationCheck.validate(shipped(Map.of("PSYNC_DB_POOL_SIZE", "100000"))))
                .hasMessage("PSYNC_DB_POOL_SIZE must be an integer 1..1000, got '100000'");
        assertThatThrownBy(() -> ConfigurationCheck.validate(shipped(Map.of("PSYNC_ADOPT_NEW_ROW_GRACE_MS", "-1"))))
                .hasMessageStartingWith("PSYNC_ADOPT_NEW_ROW_GRACE_MS must be a duration");
        assertThatThrownBy(() -> ConfigurationCheck.validate(shipped(Map.of("PSYNC_ADOPT_ADD_ROWS", "never"))))
                .hasMessage("PSYNC_ADOPT_ADD_ROWS must be true or false, got 'never'");
        assertThatThrownBy(() -> ConfigurationCheck.validate(shipped(Map.of("PSYNC_HTTP_PORT", "70000"))))
                .hasMessage("PSYNC_HTTP_PORT must be a port number 1..65535, got '70000'");
        assertThatThrownBy(() -> ConfigurationCheck.validate(shipped(Map.of("PSYNC_SYNC_PERIOD", "200ms"))))
                .hasMessageStartingWith("PSYNC_SYNC_PERIOD must be a duration").hasMessageEndingWith("of at least 1s, got '200ms'");
        assertThatThrownBy(() -> ConfigurationCheck.validate(shipped(Map.of("PSYNC_SYNC_TIMER_ENABLED", "yes"))))
                .hasMessage("PSYNC_SYNC_TIMER_ENABLED must be true or false, got 'yes'");
        assertThatThrownBy(() -> ConfigurationCheck.validate(shipped(Map.of("PSYNC_BREAK_TOLERANCE", "-1"))))
                .hasMessageStartingWith("PSYNC_BREAK_TOLERANCE must be a decimal amount of at least 0");
        assertThatThrownBy(() -> ConfigurationCheck.validate(shipped(Map.of("PSYNC_API_STALE_RED_SECONDS", "60"))))
                .hasMessage("PSYNC_API_STALE_RED_SECONDS must be at least PSYNC_API_STALE_AMBER_SECONDS (180), got '60'");
        assertThatThrownBy(() -> ConfigurationCheck.validate(shipped(Map.of("PSYNC_SIM_HISTORY_DAYS", "24"))))
                .hasMessage("PSYNC_SIM_HISTORY_DAYS must be a number of days 0..23, got '24'");
        ConfigurationCheck.validate(shipped(Map.of("PSYNC_SIM_HISTORY_DAYS", "0")));
        assertThatThrownBy(() -> ConfigurationCheck.validate(shipped(Map.of("PSYNC_IBKR_MAX_MESSAGES_PER_SECOND", "0"))))
                .hasMessage("PSYNC_IBKR_MAX_MESSAGES_PER_SECOND must be a number of messages of at least 1, got '0'");
    }

    @Test
    void anUnknownVariableIsMatchedToTheClosestKnownOne() {
        Map<String, String> environment = Map.of("PSYNC_IBKR_HOTS", "gw", "PSYNC_DB_ULR", "x", "PSYNC_NOTHING_LIKE_IT", "1",
                "PSYNC_LOG_FORMAT", "json", "PSYNC_IBKR_HOST", "gw", "HOME", "/root");

        List<ConfigurationCheck.UnknownVariable> unknown = ConfigurationCheck.unknownVariables(environment, shipped(environment).file());
        assertThat(unknown).extracting(ConfigurationCheck.UnknownVariable::name)
                .containsExactly("PSYNC_DB_ULR", "PSYNC_IBKR_HOTS", "PSYNC_NOTHING_LIKE_IT");
        assertThat(ConfigurationCheck.refusal(unknown)).isEqualTo("environment variables PSYNC_DB_ULR (did you mean "
                + "PSYNC_DB_URL?), PSYNC_IBKR_HOTS (did you mean PSYNC_IBKR_HOST?), PSYNC_NOTHING_LIKE_IT are not settings "
                + "of position-sync: correct or unset them; nothing was started");
        assertThat(ConfigurationCheck.refusal(unknown.subList(0, 1))).isEqualTo("environment variable PSYNC_DB_ULR (did "
                + "you mean PSYNC_DB_URL?) is not a setting of position-sync: correct or unset it; nothing was started");
    }

    @Test
    void editDistanceCountsASwapAsOneEdit() {
        assertThat(ConfigurationCheck.editDistance("PSYNC_IBKR_HOTS", "PSYNC_IBKR_HOST")).isEqualTo(1);
        assertThat(ConfigurationCheck.editDistance("PSYNC_IBKR_PORTS", "PSYNC_IBKR_PORT")).isEqualTo(1);
        assertThat(ConfigurationCheck.editDistance("abc", "abc")).isZero();
    }

    @Test
    void theStartupLineShowsResolvedValuesWithSecretsMasked() {
        ConfigurationValues settings = shipped(Map.of("PSYNC_DB_URL", "jdbc:postgresql://psync:hunter2@db:5432/trading?password=hunter3&ssl=true",
                "PSYNC_DB_PASSWORD", "hunter4", "PSYNC_API_TOKEN", "tok-123", "PSYNC_IBKR_PORT", "4001"));

        String line = StartupReport.configuration(settings);

        assertThat(line).contains("psync.ibkr.port=4001", "psync.sync.period=60s", "psync.api.token=***", "psync.db.password=***",
                "psync.db.url=jdbc:postgresql://psync:***@db:5432/trading?password=***&ssl=true");
        assertThat(line).doesNotContain("hunter", "tok-123", "{{env:");
    }
}

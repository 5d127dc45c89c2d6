package io.positionsync.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;

import org.junit.jupiter.api.Test;

/** Values as Camel's properties component resolves them, and errors that name the variable a user sets. */
class ConfigurationValuesTest {

    private static ConfigurationValues settings(Map<String, String> environment, String... keyValues) {
        Properties properties = new Properties();
        for (int i = 0; i < keyValues.length; i += 2) {
            properties.setProperty(keyValues[i], keyValues[i + 1]);
        }
        return ConfigurationValues.of(properties, environment);
    }

    @Test
    void environmentOverridesTheDefaultWrittenInTheFile() {
        ConfigurationValues s = settings(Map.of("PSYNC_X", "from-env"), "a", "{{env:PSYNC_X:fallback}}", "b", "{{env:PSYNC_Y:fallback}}",
                "c", "{{env:PSYNC_Z:}}");
        assertThat(s.get("a")).isEqualTo("from-env");
        assertThat(s.get("b")).isEqualTo("fallback");
        assertThat(s.find("c")).as("empty means unset").isEmpty();
    }

    @Test
    void durationsAcceptMillisecondsAndDurationText() {
        ConfigurationValues s = settings(Map.of("PSYNC_SYNC_PERIOD", "5m"), "period", "{{env:PSYNC_SYNC_PERIOD:60s}}", "ms", "1500",
                "mixed", "1h30m", "bad", "soon");
        assertThat(s.getMillis("period")).isEqualTo(Duration.ofMinutes(5));
        assertThat(s.getMillis("ms")).isEqualTo(Duration.ofMillis(1500));
        assertThat(s.getMillis("mixed")).isEqualTo(Duration.ofMinutes(90));
        assertThatThrownBy(() -> s.getMillis("bad")).hasMessage("bad must be a duration (milliseconds such as 1500, or 30s, 5m, 1h30m), got 'soon'");
    }

    @Test
    void errorsNameTheEnvironmentVariableThatSetsTheKey() {
        ConfigurationValues s = settings(Map.of("PSYNC_IBKR_PORT", "abc"), "psync.ibkr.port", "{{env:PSYNC_IBKR_PORT:4002}}");
        assertThatThrownBy(() -> s.getInt("psync.ibkr.port")).hasMessage("PSYNC_IBKR_PORT must be an integer, got 'abc'");
        assertThat(s.variableOf("psync.ibkr.port")).isEqualTo("PSYNC_IBKR_PORT");
    }

    @Test
    void theShippedDefaultPeriodIsOneMinute() {
        assertThat(ConfigurationValues.load(Map.of(), Map.of()).getMillis("psync.sync.period")).isEqualTo(Duration.ofSeconds(60));
    }
}

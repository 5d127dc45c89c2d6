package io.positionsync.boot;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.SortedSet;
import java.util.TreeSet;

import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.spi.PropertiesFunction;
import org.apache.camel.support.service.ServiceHelper;
import org.apache.camel.util.TimeUtils;

/**
 * The {@code psync.*} values as Camel's properties component resolves them (the {@code {{env:NAME:default}}}
 * templates, the {@code --config} file, override properties), read as the types the service needs. A value that
 * does not read fails with one line naming the environment variable that sets it:
 * {@code PSYNC_IBKR_PORT must be an integer, got 'abc'}.
 *
 * <p>The service reads its CamelContext's component ({@link #of(CamelContext)}); the commands that run without one
 * set up the same component over the same files ({@link #load()}).
 */
public final class ConfigurationValues {
    private final PropertiesComponent properties;
    private final ConfigurationFile file;

    ConfigurationValues(PropertiesComponent properties, ConfigurationFile file) {
        this.properties = properties;
        this.file = file;
    }

    /** The configuration a CamelContext resolves (its property sources and overrides included). */
    public static ConfigurationValues of(CamelContext context) {
        return new ConfigurationValues(context.getPropertiesComponent(), ConfigurationFile.load());
    }

    /** The configuration files with the process environment, for a command that runs without a CamelContext. */
    public static ConfigurationValues load() {
        return standalone(ConfigurationFile.location(), null, null, ConfigurationFile.explicitConfiguration(), Map.of(),
                ConfigurationFile.load());
    }

    /**
     * The configuration files with {@code environment} in place of the process's, and {@code overrides} (key ->
     * value) over everything, as a test or a command's option gives them.
     */
    public static ConfigurationValues load(Map<String, String> environment, Map<String, String> overrides) {
        return standalone(ConfigurationFile.location(), null, environment, ConfigurationFile.explicitConfiguration(),
                overrides, ConfigurationFile.load());
    }

    /** A configuration written as {@code written} (no file), with {@code environment} in place of the process's. */
    public static ConfigurationValues of(Properties written, Map<String, String> environment) {
        return standalone(null, written, environment, Map.of(), Map.of(), new ConfigurationFile(written, written));
    }

    /**
     * Camel's properties component over {@code location} (or {@code written}) as camel-main sets it up for the service:
     * the {@code --config} file's keys as override properties, then the caller's.
     */
    private static ConfigurationValues standalone(String location, Properties written, Map<String, String> environment,
            Map<String, String> configFile, Map<String, String> overrides, ConfigurationFile file) {
        org.apache.camel.component.properties.PropertiesComponent component =
                new org.apache.camel.component.properties.PropertiesComponent();
        if (location != null) {
            component.setLocation(location);
        }
        if (written != null) {
            component.setInitialProperties(written);
        }
        configFile.forEach(component::addOverrideProperty);
        overrides.forEach(component::addOverrideProperty);
        if (environment != null) {
            component.setEnvironmentVariableMode(
                    org.apache.camel.component.properties.PropertiesComponent.ENVIRONMENT_VARIABLES_MODE_NEVER);
            component.addPropertiesFunction(new GivenEnvironment(Map.copyOf(environment)));
        }
        // Never started: the component only needs the context's type converter and resource loading.
        DefaultCamelContext context = new DefaultCamelContext(false);
        context.build();
        component.setCamelContext(context);
        ServiceHelper.startService(component);
        return new ConfigurationValues(component, file);
    }

    /** The configuration as written: the variable of each key, the written defaults. */
    public ConfigurationFile file() {
        return file;
    }

    /** The resolved value, trimmed; empty when the key is missing or resolves to blank. */
    public Optional<String> find(String key) {
        return properties.resolveProperty(key).map(String::trim).filter(value -> !value.isEmpty());
    }

    public String get(String key) {
        return find(key).orElseThrow(() -> new IllegalStateException(variableOf(key) + " must be set (configuration key "
                + key + ")"));
    }

    public int getInt(String key) {
        String value = get(key);
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalStateException(variableOf(key) + " must be an integer, got '" + value + "'");
        }
    }

    public long getLong(String key) {
        String value = get(key);
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalStateException(variableOf(key) + " must be an integer, got '" + value + "'");
        }
    }

    /** A duration: milliseconds ({@code 1500}) or Camel's duration text ({@code 60s}, {@code 5m}, {@code 1h30m}). */
    public Duration getMillis(String key) {
        String value = get(key);
        try {
            return Duration.ofMillis(TimeUtils.toMilliSeconds(value));
        } catch (RuntimeException e) {
            // TimeUtils answers text it cannot read with assorted runtime exceptions
            throw new IllegalStateException(variableOf(key) + " must be a duration (milliseconds such as 1500, or 30s, "
                    + "5m, 1h30m), got '" + value + "'");
        }
    }

    /** As {@link #getMillis}, or {@code fallback} where the configuration does not have the key. */
    public Duration getMillis(String key, Duration fallback) {
        return find(key).isPresent() ? getMillis(key) : fallback;
    }

    public boolean getBoolean(String key) {
        String value = get(key);
        if (value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(value);
        }
        throw new IllegalStateException(variableOf(key) + " must be true or false, got '" + value + "'");
    }

    public BigDecimal getDecimal(String key) {
        String value = get(key);
        try {
            return new BigDecimal(value);
        } catch (NumberFormatException e) {
            throw new IllegalStateException(variableOf(key) + " must be a decimal amount, got '" + value + "'");
        }
    }

    /** The environment variable that sets {@code key}, or the key itself when no variable does. */
    public String variableOf(String key) {
        return file.variableOf(key);
    }

    /**
     * Whether {@code key} resolves to the default the configuration writes for it ({@code 60s} of
     * {@code {{env:PSYNC_SYNC_PERIOD:60s}}}): nothing set it to anything else.
     */
    public boolean isFileDefault(String key) {
        Optional<String> written = file.writtenDefault(key);
        return written.isPresent() && find(key).orElse("").equals(written.get());
    }

    /** Every {@code psync.*} key known here (the files' and the overrides'), sorted. */
    public SortedSet<String> keys() {
        SortedSet<String> keys = new TreeSet<>(file.keys());
        properties.loadPropertiesAsMap().keySet().stream().map(Object::toString).filter(k -> k.startsWith("psync."))
                .forEach(keys::add);
        return keys;
    }

    /** {@code {{env:NAME:default}}} answered from a given map instead of the process environment. */
    private record GivenEnvironment(Map<String, String> environment) implements PropertiesFunction {
        @Override
        public String getName() {
            return "env";
        }

        @Override
        public String apply(String remainder) {
            int colon = remainder.indexOf(':');
            String name = colon < 0 ? remainder : remainder.substring(0, colon);
            String value = environment.get(name);
            return value != null ? value : colon < 0 ? null : remainder.substring(colon + 1);
        }
    }
}

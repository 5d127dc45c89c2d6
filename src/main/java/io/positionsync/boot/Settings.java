package io.positionsync.boot;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code config/application.properties} for code that runs outside a CamelContext (the commands), with
 * the same {@code {{env:NAME:default}}} overrides Camel resolves. Explicit overrides (from tests or the
 * command line) win over both.
 */
public final class Settings {
    private static final Pattern ENV = Pattern.compile("\\{\\{env:([A-Za-z0-9_]+)(?::([^}]*))?}}");

    private final Properties properties;
    private final Map<String, String> environment;
    private final Map<String, String> overrides;

    public Settings(Properties properties, Map<String, String> environment, Map<String, String> overrides) {
        this.properties = properties;
        this.environment = Map.copyOf(environment);
        this.overrides = Map.copyOf(overrides);
    }

    /** The service's configuration file with the process environment. */
    public static Settings load() {
        return load(System.getenv(), Map.of());
    }

    public static Settings load(Map<String, String> environment, Map<String, String> overrides) {
        return new Settings(configurationFile(), environment, overrides);
    }

    /** The system property that names the file of {@code --config FILE}. */
    public static final String CONFIG_FILE_PROPERTY = "psync.config.file";

    /** The file given with {@code --config}, if any. */
    static Optional<Path> explicitConfigFile() {
        String file = System.getProperty(CONFIG_FILE_PROPERTY);
        return file == null || file.isBlank() ? Optional.empty() : Optional.of(Path.of(file));
    }

    /** The properties of the {@code --config} file as written (empty without one). */
    static Properties explicitConfiguration() {
        Properties properties = new Properties();
        Optional<Path> file = explicitConfigFile();
        if (file.isPresent()) {
            try (Reader reader = Files.newBufferedReader(file.get(), StandardCharsets.UTF_8)) {
                properties.load(reader);
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the configuration file " + file.get() + " (--config): "
                        + e.getMessage(), e);
            }
        }
        return properties;
    }

    /**
     * The configuration as written ({@code {{env:...}}} templates unresolved): {@code config/application.properties}
     * with the keys of the {@code --config} file over it.
     */
    static Properties configurationFile() {
        Properties properties = defaultConfigurationFile();
        properties.putAll(explicitConfiguration());
        return properties;
    }

    /** {@code config/application.properties} beside the working directory, else the copy in the jar. */
    static Properties defaultConfigurationFile() {
        Properties properties = new Properties();
        Path file = Path.of("config/application.properties");
        try {
            if (Files.isRegularFile(file)) {
                try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                    properties.load(reader);
                }
            } else {
                try (InputStream in = Settings.class.getResourceAsStream("/config/application.properties")) {
                    if (in != null) {
                        properties.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read config/application.properties: " + e.getMessage(), e);
        }
        return properties;
    }

    /**
     * The configuration as a running CamelContext resolved it (its property sources and overrides, such
     * as {@code @CamelMainTest} properties, included), for the beans built from it.
     */
    public static Settings fromCamel(org.apache.camel.CamelContext context) {
        org.apache.camel.spi.PropertiesComponent pc = context.getPropertiesComponent();
        Map<String, String> resolved = new HashMap<>();
        for (String key : pc.loadPropertiesAsMap().keySet()) {
            if (key.startsWith("psync.")) {
                pc.resolveProperty(key).ifPresent(value -> resolved.put(key, value));
            }
        }
        // The file's templates stay at hand so that errors can name the variable a user sets.
        return new Settings(configurationFile(), Map.of(), resolved);
    }

    /**
     * Each key whose value the environment can set, with its variable ({@code psync.ibkr.port} ->
     * {@code PSYNC_IBKR_PORT}), in file order of keys sorted by name.
     */
    public Map<String, String> variables() {
        Map<String, String> variables = new LinkedHashMap<>();
        properties.stringPropertyNames().stream().sorted().forEach(key -> {
            Matcher m = ENV.matcher(properties.getProperty(key));
            if (m.find()) {
                variables.put(key, m.group(1));
            }
        });
        return variables;
    }

    /**
     * Every variable a configuration reads: those of {@link #variables()} and those of the default file, which
     * still names a setting when the {@code --config} file writes its key as a plain value.
     */
    public java.util.Set<String> knownVariables() {
        java.util.Set<String> known = new java.util.TreeSet<>(variables().values());
        Properties defaults = defaultConfigurationFile();
        for (String key : defaults.stringPropertyNames()) {
            Matcher m = ENV.matcher(defaults.getProperty(key));
            while (m.find()) {
                known.add(m.group(1));
            }
        }
        return known;
    }

    /** Every {@code psync.*} key known here (the file's and the overrides), sorted. */
    public java.util.SortedSet<String> keys() {
        java.util.SortedSet<String> keys = new java.util.TreeSet<>(overrides.keySet());
        properties.stringPropertyNames().stream().filter(k -> k.startsWith("psync.")).forEach(keys::add);
        return keys;
    }

    /** The environment variable that sets {@code key}, or the key itself when no variable does. */
    public String variableOf(String key) {
        String raw = properties.getProperty(key);
        Matcher m = raw == null ? null : ENV.matcher(raw);
        return m != null && m.find() ? m.group(1) : key;
    }

    /** The resolved value, or empty when the key is missing or resolves to an empty string. */
    public Optional<String> find(String key) {
        String value = overrides.containsKey(key) ? overrides.get(key) : resolve(properties.getProperty(key));
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
    }

    public String get(String key) {
        return find(key).orElseThrow(() -> new IllegalStateException(variableOf(key) + " must be set (configuration key " + key + ")"));
    }

    public int getInt(String key) {
        String value = get(key);
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalStateException(variableOf(key) + " must be an integer, got '" + value + "'");
        }
    }

    /** A duration: milliseconds ({@code 1500}) or Camel's duration text ({@code 60s}, {@code 5m}, {@code 1h30m}). */
    public Duration getMillis(String key) {
        String value = get(key);
        try {
            return Duration.ofMillis(org.apache.camel.util.TimeUtils.toMilliSeconds(value));
        } catch (RuntimeException e) {
            // TimeUtils answers text it cannot read with assorted runtime exceptions
            throw new IllegalStateException(variableOf(key) + " must be a duration (milliseconds such as 1500, or 30s, 5m, 1h30m), got '"
                    + value + "'");
        }
    }

    /**
     * Whether {@code key} resolves to the default the configuration file writes for it ({@code 60s} in
     * {@code {{env:PSYNC_SYNC_PERIOD:60s}}}): nothing set it to anything else.
     */
    public boolean isFileDefault(String key) {
        String raw = properties.getProperty(key);
        if (raw == null) {
            return false;
        }
        Matcher m = ENV.matcher(raw);
        String fileDefault = m.matches() ? (m.group(2) == null ? "" : m.group(2)) : raw;
        return find(key).orElse("").equals(fileDefault.trim());
    }

    /** Every key with its resolved value, for handing to Camel as initial properties. */
    public Map<String, String> resolvedOverrides() {
        return new HashMap<>(overrides);
    }

    private String resolve(String raw) {
        if (raw == null) {
            return null;
        }
        Matcher m = ENV.matcher(raw);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = environment.get(m.group(1));
            if (value == null) {
                value = m.group(2) == null ? "" : m.group(2);
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }
}

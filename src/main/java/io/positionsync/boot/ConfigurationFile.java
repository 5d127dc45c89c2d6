package io.positionsync.boot;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The configuration as written: {@code config/application.properties} with the keys of the {@code --config} file over
 * it, {@code {{env:NAME:default}}} templates and all. It resolves nothing (Camel's properties component does, see
 * {@link ConfigurationValues}); it knows which environment variable sets a key ({@code psync.ibkr.port} ->
 * {@code PSYNC_IBKR_PORT}), which variables the configuration reads, and the default each key is written with.
 */
public final class ConfigurationFile {
    private static final Pattern ENV = Pattern.compile("\\{\\{env:([A-Za-z0-9_]+)(?::([^}]*))?}}");
    /** Where the shipped file is read from beside the working directory. */
    static final Path DEFAULT_FILE = Path.of("config/application.properties");
    /** The system property that names the file of {@code --config FILE}. */
    public static final String CONFIG_FILE_PROPERTY = "psync.config.file";

    private final Properties written;
    private final Properties defaults;

    /** {@code written}: the keys as the configuration writes them; {@code defaults}: those of the shipped file alone. */
    ConfigurationFile(Properties written, Properties defaults) {
        this.written = written;
        this.defaults = defaults;
    }

    /** The shipped file with the {@code --config} file's keys over it. */
    public static ConfigurationFile load() {
        Properties defaults = defaultConfiguration();
        Properties written = new Properties();
        written.putAll(defaults);
        written.putAll(explicitConfiguration());
        return new ConfigurationFile(written, defaults);
    }

    /** Camel's location of the shipped file: beside the working directory when present, else the copy in the jar. */
    public static String location() {
        return Files.isRegularFile(DEFAULT_FILE) ? "file:" + DEFAULT_FILE : "classpath:" + DEFAULT_FILE;
    }

    /** The file given with {@code --config}, if any. */
    static Optional<Path> explicitFile() {
        String file = System.getProperty(CONFIG_FILE_PROPERTY);
        return file == null || file.isBlank() ? Optional.empty() : Optional.of(Path.of(file));
    }

    /** The keys of the {@code --config} file as written (none without one). */
    public static Map<String, String> explicitConfiguration() {
        Properties properties = new Properties();
        Optional<Path> file = explicitFile();
        if (file.isPresent()) {
            try (Reader reader = Files.newBufferedReader(file.get(), StandardCharsets.UTF_8)) {
                properties.load(reader);
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the configuration file " + file.get() + " (--config): "
                        + e.getMessage(), e);
            }
        }
        Map<String, String> keys = new LinkedHashMap<>();
        properties.stringPropertyNames().stream().sorted().forEach(key -> keys.put(key, properties.getProperty(key)));
        return keys;
    }

    /** {@code config/application.properties} beside the working directory, else the copy in the jar. */
    static Properties defaultConfiguration() {
        Properties properties = new Properties();
        try {
            if (Files.isRegularFile(DEFAULT_FILE)) {
                try (Reader reader = Files.newBufferedReader(DEFAULT_FILE, StandardCharsets.UTF_8)) {
                    properties.load(reader);
                }
            } else {
                try (InputStream in = ConfigurationFile.class.getResourceAsStream("/" + DEFAULT_FILE)) {
                    if (in != null) {
                        properties.load(new InputStreamReader(in, StandardCharsets.UTF_8));
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + DEFAULT_FILE + ": " + e.getMessage(), e);
        }
        return properties;
    }

    /** Each key whose value a variable can set, with that variable, keys sorted by name. */
    public Map<String, String> variables() {
        Map<String, String> variables = new LinkedHashMap<>();
        written.stringPropertyNames().stream().sorted().forEach(key -> {
            Matcher m = ENV.matcher(written.getProperty(key));
            if (m.find()) {
                variables.put(key, m.group(1));
            }
        });
        return variables;
    }

    /**
     * Every variable the configuration reads: those of {@link #variables()} and those of the shipped file, which still
     * names a setting when the {@code --config} file writes its key as a plain value.
     */
    public Set<String> knownVariables() {
        Set<String> known = new TreeSet<>(variables().values());
        for (String key : defaults.stringPropertyNames()) {
            Matcher m = ENV.matcher(defaults.getProperty(key));
            while (m.find()) {
                known.add(m.group(1));
            }
        }
        return known;
    }

    /** The {@code psync.*} keys the configuration writes, sorted. */
    public SortedSet<String> keys() {
        SortedSet<String> keys = new TreeSet<>();
        written.stringPropertyNames().stream().filter(k -> k.startsWith("psync.")).forEach(keys::add);
        return keys;
    }

    /** The environment variable that sets {@code key}, or the key itself when no variable does. */
    public String variableOf(String key) {
        String raw = written.getProperty(key);
        Matcher m = raw == null ? null : ENV.matcher(raw);
        return m != null && m.find() ? m.group(1) : key;
    }

    /**
     * The value the configuration writes for {@code key} when nothing sets it: {@code 60s} of
     * {@code {{env:PSYNC_SYNC_PERIOD:60s}}}, or the plain value; empty for a key it does not write.
     */
    public Optional<String> writtenDefault(String key) {
        String raw = written.getProperty(key);
        if (raw == null) {
            return Optional.empty();
        }
        Matcher m = ENV.matcher(raw);
        return Optional.of((m.matches() ? (m.group(2) == null ? "" : m.group(2)) : raw).trim());
    }
}

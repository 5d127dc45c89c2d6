package io.positionsync;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/** The README's configuration table names every variable the configuration file reads. */
class ConfigurationDocsTest {
    private static final Pattern VARIABLE = Pattern.compile("PSYNC_[A-Z0-9_]+");

    @Test
    void everyEnvironmentVariableOfTheConfigurationIsInTheReadmeTable() throws IOException {
        Set<String> configured = variables(Files.readString(Path.of("config/application.properties")));
        String readme = Files.readString(Path.of("README.md"));
        String table = readme.substring(readme.indexOf("## Configuration"));
        Set<String> documented = variables(table.substring(0, table.indexOf("\n## ", 3)));

        assertThat(configured).isNotEmpty();
        assertThat(documented).as("variables in the README's configuration section").containsAll(configured);
    }

    private static Set<String> variables(String text) {
        Set<String> found = new TreeSet<>();
        Matcher matcher = VARIABLE.matcher(text);
        while (matcher.find()) {
            found.add(matcher.group());
        }
        return found;
    }
}

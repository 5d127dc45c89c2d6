package io.positionsync.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/** The configuration table (docs/configuration.md, linked from the README) names every variable the configuration file reads. */
class ConfigurationDocsTest {
    private static final Pattern VARIABLE = Pattern.compile("PSYNC_[A-Z0-9_]+");

    @Test
    void everyEnvironmentVariableOfTheConfigurationIsInTheReadmeTable() throws IOException {
        Set<String> configured = variables(Files.readString(Path.of("config/application.properties")));
        String doc = Files.readString(Path.of("docs/configuration.md"));
        String table = doc.substring(doc.indexOf("## Configuration"));
        int next = table.indexOf("\n## ", 3);
        Set<String> documented = variables(next < 0 ? table : table.substring(0, next));

        assertThat(configured).isNotEmpty();
        assertThat(documented).as("variables in the configuration section of docs/configuration.md").containsAll(configured);
        assertThat(Files.readString(Path.of("README.md"))).as("the README links the configuration")
                .contains("(docs/configuration.md)");
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

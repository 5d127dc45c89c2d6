package io.positionsync.ibkr;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The repository passes its wire tests on its own: the captured frames travel with it as test resources, and no
 * source reads anything from a folder beside the project directory.
 */
class TwsWireFixturesOnClasspathTest {
    private static final List<String> FIXTURES = List.of(TwsWireFixtures.OFFICIAL_JAVA_CLIENT,
            TwsWireFixtures.STOQEY_IB, TwsWireFixtures.GATEWAY_V157, TwsWireFixtures.GATEWAY_V178,
            TwsWireFixtures.GATEWAY_STATE, "README.md");

    @Test
    void everyFixtureIsATestResourceOfThisProject() throws Exception {
        Path testClasses = Path.of("target", "test-classes").toAbsolutePath().normalize();
        for (String fixture : FIXTURES) {
            assertThat(Path.of("src", "test", "resources", "tws-wire", fixture)).as(fixture).isRegularFile();
            URL url = TwsWireFixtures.class.getClassLoader().getResource(TwsWireFixtures.RESOURCE_FOLDER + fixture);
            assertThat(url).as(fixture + " on the test classpath").isNotNull();
            assertThat(Path.of(url.toURI()).toAbsolutePath().normalize()).as(fixture).startsWith(testClasses);
            assertThat(TwsWireFixtures.text(fixture)).as(fixture).isNotBlank();
        }
        assertThat(TwsWireFixtures.lines(TwsWireFixtures.GATEWAY_V178)).anySatisfy(l -> assertThat(l.isHandshake()).isTrue());
        assertThat(TwsWireFixtures.json(TwsWireFixtures.GATEWAY_STATE).isObject()).isTrue();
    }

    @Test
    void noSourceReadsAFolderBesideTheProject() throws IOException {
        // Built from parts so that this file does not match itself.
        String beside = ".." + "/" + "shared";
        String besideJava = "\"" + ".." + "\", \"" + "shared" + "\"";
        try (Stream<Path> files = Files.walk(Path.of("src"))) {
            List<Path> offenders = files.filter(Files::isRegularFile)
                    .filter(p -> !p.toString().contains("tws-wire"))
                    .filter(p -> {
                        try {
                            String text = Files.readString(p, StandardCharsets.UTF_8);
                            return text.contains(beside) || text.contains(besideJava);
                        } catch (IOException e) {
                            return false; // binary files
                        }
                    })
                    .toList();
            assertThat(offenders).as("sources that read a folder beside the project directory").isEmpty();
        }
        String ci = Files.readString(Path.of(".ci", "run"));
        assertThat(ci).doesNotContain(beside);
    }
}

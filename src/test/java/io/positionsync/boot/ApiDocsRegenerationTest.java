package io.positionsync.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import io.positionsync.testing.ServiceUnderTest;

/**
 * Regenerates the examples of {@code docs/api.md} from the demo at its default settings (only the API token set,
 * so the trigger can be shown), and holds the demo to its promise on the way: at the default pace it shows
 * everything within a minute. Run on purpose, it rewrites the document:
 *
 * <pre>
 * mvn -B verify -Dtest=ApiDocsRegenerationTest -Dpsync.docs.regenerate=true -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 *
 * The normal build checks the document's examples against the real answers instead ({@link DemoTradingServiceTest}).
 */
@EnabledIfSystemProperty(named = "psync.docs.regenerate", matches = "true")
class ApiDocsRegenerationTest {
    static final Path API_DOC = Path.of("docs/api.md");
    private static final Duration WITHIN_A_MINUTE = Duration.ofSeconds(60);

    @Test
    void regeneratesTheExamplesFromTheDemoAtItsDefaultPace() throws Exception {
        try (ServiceUnderTest service = ServiceUnderTest.startDemo(Map.of("psync.api.token", ApiExamples.TOKEN))) {
            DemoProgress progress = DemoTradingServiceTest.awaitEverything(service, WITHIN_A_MINUTE);
            assertThat(progress.complete()).isTrue();

            List<ApiExamples.Example> examples = ApiExamples.capture(service, progress.estimateReplaced);
            String doc = Files.readString(API_DOC, StandardCharsets.UTF_8);
            Files.writeString(API_DOC, ApiExamples.rewrite(doc, examples), StandardCharsets.UTF_8);
        }
    }
}

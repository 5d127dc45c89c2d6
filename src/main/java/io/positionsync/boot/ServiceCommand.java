package io.positionsync.boot;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.apache.camel.main.Main;

/** Runs the service: camel-main with the YAML routes and {@code config/application.properties}. */
final class ServiceCommand {
    private ServiceCommand() {
    }

    static int run(String[] args) throws Exception {
        Main main = createMain(routesPattern(), Map.of());
        try {
            return main.run(args);
        } catch (Exception e) {
            // A refused start: mark the main completed so that the exit that follows is not reported as a
            // "shutdown hook triggered by SIGTERM" (the hook only acts while the main may still run).
            main.completed();
            throw e;
        }
    }

    /**
     * A camel-main set up as the service is: configuration file, route files and the bean configuration
     * (named in the configuration file). {@code overrides} win over the file and the environment.
     */
    static Main createMain(String routesPattern, Map<String, String> overrides) {
        // No main class: it would make camel-main scan the package and apply the configuration twice.
        Main main = new Main();
        main.setPropertyPlaceholderLocations(configLocation());
        main.configure().withRoutesIncludePattern(routesPattern);
        // --config FILE: its keys win over the default file's (as written: {{env:...}} templates still resolve);
        // the command's own overrides win over both.
        ConfigurationFile.explicitConfiguration().forEach(main::addOverrideProperty);
        overrides.forEach(main::addOverrideProperty);
        return main;
    }

    /** {@code config/} beside the working directory when present, else the copy packaged in the jar. */
    static String configLocation() {
        return ConfigurationFile.location();
    }

    /** {@code routes/} beside the working directory when present, else the copies packaged in the jar. */
    static String routesPattern() {
        return Files.isDirectory(Path.of("routes")) ? "file:routes/*.camel.yaml" : "classpath:routes/*.camel.yaml";
    }

    /** Only the sync pipeline's route file (no HTTP), for one-shot commands. */
    static String syncRoutesPattern() {
        return routesPattern().replace("*.camel.yaml", "sync.camel.yaml");
    }
}

package io.positionsync;

import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.camel.main.Main;

/** Runs the service: camel-main with the YAML routes and {@code config/application.properties}. */
final class ServiceCommand {
    private ServiceCommand() {
    }

    static int run(String[] args) throws Exception {
        Main main = new Main();
        main.setPropertyPlaceholderLocations(configLocation());
        main.configure().withRoutesIncludePattern(routesPattern());
        return main.run(args);
    }

    /** {@code config/} beside the working directory when present, else the copy packaged in the jar. */
    static String configLocation() {
        return Files.isRegularFile(Path.of("config/application.properties"))
                ? "file:config/application.properties"
                : "classpath:config/application.properties";
    }

    /** {@code routes/} beside the working directory when present, else the copy packaged in the jar. */
    static String routesPattern() {
        return Files.isDirectory(Path.of("routes")) ? "file:routes/*.camel.yaml" : "classpath:routes/*.camel.yaml";
    }
}

package io.positionsync.boot;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The application in a JVM of its own, as an operator starts it: {@code Application} with arguments and
 * {@code PSYNC_*} variables (none inherited from the test's environment), the production logback
 * configuration, the working directory's {@code config/} and {@code routes/}. For start-up refusals,
 * whose whole point is the exit code and the line printed.
 */
final class CommandProcess {
    static final Duration LIMIT = Duration.ofSeconds(90);

    /** How the process ended. */
    record Result(int exitCode, String stdout, String stderr, Duration elapsed) {
        List<String> stderrLines() {
            return Arrays.stream(stderr.split("\\R")).filter(line -> !line.isBlank()).toList();
        }

        /** The lines starting with {@code error:}. */
        List<String> errorLines() {
            return stderrLines().stream().filter(line -> line.startsWith("error:")).toList();
        }
    }

    private CommandProcess() {
    }

    static Result run(Map<String, String> environment, String... args) throws Exception {
        return run(List.of(), environment, args);
    }

    /** With options for the JVM ({@code -Dname=value}) before the main class. */
    static Result run(List<String> jvmOptions, Map<String, String> environment, String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                "-Dlogback.configurationFile=" + Path.of("src/main/resources/logback.xml").toAbsolutePath()));
        command.addAll(jvmOptions);
        command.add(Application.class.getName());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().keySet().removeIf(name -> name.startsWith("PSYNC_"));
        builder.environment().putAll(environment);
        long started = System.nanoTime();
        Process process = builder.start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
        if (!process.waitFor(LIMIT.toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the process did not end within " + LIMIT + ": " + err.getNow(""));
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
        return new Result(process.exitValue(), out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS), elapsed);
    }

    private static String read(InputStream in) {
        try (in) {
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            in.transferTo(buffer);
            return buffer.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

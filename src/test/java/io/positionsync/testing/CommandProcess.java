package io.positionsync.testing;

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

import io.positionsync.boot.Application;

/**
 * The application in a JVM of its own, as an operator starts it: {@code Application} with arguments and
 * {@code PSYNC_*} variables (none inherited from the test's environment), the production logback
 * configuration, the working directory's {@code config/} and {@code routes/}. For start-up refusals,
 * whose whole point is the exit code and the line printed.
 */
public final class CommandProcess {
    public static final Duration LIMIT = Duration.ofSeconds(90);

    /** How the process ended. */
    public record Result(int exitCode, String stdout, String stderr, Duration elapsed) {
        public List<String> stderrLines() {
            return Arrays.stream(stderr.split("\\R")).filter(line -> !line.isBlank()).toList();
        }

        /** The lines starting with {@code error:}. */
        public List<String> errorLines() {
            return stderrLines().stream().filter(line -> line.startsWith("error:")).toList();
        }
    }

    private CommandProcess() {
    }

    public static Result run(Map<String, String> environment, String... args) throws Exception {
        return run(List.of(), environment, args);
    }

    /** With options for the JVM ({@code -Dname=value}) before the main class. */
    public static Result run(List<String> jvmOptions, Map<String, String> environment, String... args) throws Exception {
        List<String> options = new ArrayList<>(
                List.of("-Dlogback.configurationFile=" + Path.of("src/main/resources/logback.xml").toAbsolutePath()));
        options.addAll(jvmOptions);
        ProcessBuilder builder = new ProcessBuilder(ChildJvm.command(options, Application.class.getName(), List.of(args)));
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

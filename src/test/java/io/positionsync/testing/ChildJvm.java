package io.positionsync.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** The command line of a child JVM on the test's own class path: {@code java -cp ... [options] mainClass [args]}. */
public final class ChildJvm {
    private ChildJvm() {
    }

    public static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    public static List<String> command(List<String> jvmOptions, String mainClass, List<String> args) {
        List<String> command = new ArrayList<>(List.of(java(), "-cp", System.getProperty("java.class.path")));
        command.addAll(jvmOptions);
        command.add(mainClass);
        command.addAll(args);
        return command;
    }

    /** {@code mainClass} with {@code args} in a child JVM, its standard error discarded, its standard output to read. */
    public static Process start(Class<?> mainClass, String... args) throws IOException {
        return new ProcessBuilder(command(List.of(), mainClass.getName(), List.of(args)))
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
    }

    /** The child's next line of standard output ({@code error: ...} if it cannot be read), waited for up to {@code atMost}. */
    public static String readLine(Process child, Duration atMost) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        return CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                return "error: " + e.getMessage();
            }
        }).get(atMost.toSeconds(), TimeUnit.SECONDS);
    }
}

package io.positionsync.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
}

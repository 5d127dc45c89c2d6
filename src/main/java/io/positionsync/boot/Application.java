package io.positionsync.boot;

/**
 * Entry point. With no argument it runs the service; otherwise the first argument names a command (see {@link Cli},
 * or {@code --help}).
 */
public final class Application {

    private Application() {
    }

    public static void main(String[] args) {
        Cli.Outcome outcome = Cli.execute(args, System.getenv(), System.out, System.err);
        if (outcome.exit()) {
            System.exit(outcome.exitCode());
        }
    }
}

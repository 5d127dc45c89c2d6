package io.positionsync.store;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Locale;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops the embedded PostgreSQL when the JVM that started it dies without stopping it ({@code kill -9}, an
 * out-of-memory kill): a small {@code sh} process that waits on a pipe from this JVM. The pipe reaches end-of-file
 * only when the JVM is gone, however it went; the watchdog then asks the server in the data directory to shut down
 * fast (SIGINT to the pid in {@code postmaster.pid}, if that is still a postgres process). A clean stop ends the
 * watchdog after the server. Where there is no {@code /bin/sh} (Windows) there is no watchdog: the next start stops
 * a leftover server instead.
 */
final class EmbeddedWatchdog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedWatchdog.class);
    private static final String SHELL = "/bin/sh";
    /** $1: the PostgreSQL data directory. Reads until the JVM's end of the pipe closes. */
    static final String SCRIPT = String.join("\n",
            "while read -r _; do :; done",
            "pid=$(head -n 1 \"$1/postmaster.pid\" 2>/dev/null) || exit 0",
            "[ -n \"$pid\" ] || exit 0",
            "if [ -r \"/proc/$pid/comm\" ]; then name=$(cat \"/proc/$pid/comm\"); else name=$(ps -o comm= -p \"$pid\" 2>/dev/null); fi",
            "case \"$name\" in *postgres*) kill -INT \"$pid\" ;; esac",
            "");

    private final Process process;
    /** This JVM's end of the pipe: kept open (and referenced) for as long as the server should live. */
    private final OutputStream lifeline;

    private EmbeddedWatchdog(Process process) {
        this.process = process;
        this.lifeline = process.getOutputStream();
    }

    /** Starts the watchdog for the server in {@code pgDir}; null where none can run (logged). */
    static EmbeddedWatchdog start(Path pgDir) {
        if (System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows")
                || !Path.of(SHELL).toFile().canExecute()) {
            LOG.info("no watchdog for the embedded PostgreSQL on this system: if this process is killed, the next "
                    + "start stops the server it left");
            return null;
        }
        try {
            Process process = new ProcessBuilder(SHELL, "-c", SCRIPT, "position-sync-pg-watchdog", pgDir.toString())
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            return new EmbeddedWatchdog(process);
        } catch (IOException e) {
            LOG.warn("the embedded PostgreSQL's watchdog did not start ({}): if this process is killed, the next start "
                    + "stops the server it left", e.getMessage());
            return null;
        }
    }

    /** After a clean stop of the server: ends the watchdog without letting it act. */
    @Override
    public void close() {
        process.destroy(); // SIGTERM ends the shell while it reads
        try {
            lifeline.close();
        } catch (IOException ignored) {
            // the pipe goes with the process
        }
    }
}

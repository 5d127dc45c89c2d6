package io.positionsync.boot;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeoutException;

import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;


import io.positionsync.api.ApiJson;
import io.positionsync.sync.SyncRunJson;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.sync.SyncTrigger;
import io.positionsync.run.SyncTriggers;

/**
 * {@code sync-once}: one sync run with the configured database and gateway, through the same route as the
 * service, without the timer or the HTTP server. Prints the run summary as JSON; exit 0 only if it succeeded.
 */
final class SyncOnceCommand {
    private SyncOnceCommand() {
    }

    static int run(String[] args) throws Exception {
        if (args.length > 0) {
            System.err.println("error: sync-once takes no arguments (configure it with PSYNC_* variables)");
            return 2;
        }
        Main main = ServiceCommand.createMain(ServiceCommand.syncRoutesPattern(), Map.of(
                "psync.sync.timer-enabled", "false",
                "psync.sync.live", "false",
                "camel.server.enabled", "false",
                "camel.management.enabled", "false"));
        try {
            main.start();
            CamelContext context = main.getCamelContext();
            SyncTriggers triggers = context.getRegistry().lookupByNameAndType("syncTriggers", SyncTriggers.class);
            Duration timeout = Wiring.bean(context, SettingsConfiguration.SETTINGS, PositionSyncSettings.class).sync()
                    .runTimeout();
            SyncRunSummary summary = triggers.request(SyncTrigger.MANUAL, null, null).await(timeout)
                    .orElseThrow(() -> new TimeoutException("the run did not finish within " + timeout.toMillis() + " ms"));
            System.out.println(ApiJson.create().writeValueAsString(SyncRunJson.of(summary)));
            if (!summary.succeeded()) {
                System.err.println("error: sync run " + summary.runId() + " " + summary.status()
                        + (summary.error() == null ? "" : ": " + summary.error()));
                return 1;
            }
            return 0;
        } catch (Exception e) {
            System.err.println("error: " + e.getMessage());
            return 1;
        } finally {
            // Completed first: the JVM exit that follows is then not reported as a "shutdown hook triggered by SIGTERM".
            main.completed();
            main.stop();
        }
    }
}

package io.positionsync.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.camel.main.Main;

import io.positionsync.run.SyncTriggers;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.sync.SyncTrigger;

/**
 * The service under measurement, in a JVM of its own (the benchmark starts it with {@code -Xmx256m}): camel-main
 * with the real {@code routes/sync.camel.yaml}, {@code config/application.properties} and configuration class,
 * the properties given as {@code key=value} arguments. It reads one command per line on stdin:
 * {@code sync} runs one manual sync and answers
 * {@code result <nanos> <status> <opened> <updated> <closed> <unchanged> <peakHeapBytes> <error>};
 * {@code quit} stops. Peak heap is the sum of the heap pools' peaks since the command arrived (an upper bound:
 * the pools need not peak together).
 */
public final class BenchService {
    private BenchService() {
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
                StandardCharsets.UTF_8);
        Map<String, String> properties = new LinkedHashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            properties.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        Main main = new Main();
        main.setPropertyPlaceholderLocations("file:config/application.properties");
        properties.forEach(main::addOverrideProperty);
        main.start();
        try {
            SyncTriggers triggers = main.getCamelContext().getRegistry().lookupByNameAndType("syncTriggers",
                    SyncTriggers.class);
            Duration limit = Duration.ofMillis(Long.parseLong(properties.getOrDefault("psync.sync.run-timeout-ms",
                    "600000")));
            out.println("ready");
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null && !"quit".equals(line.trim())) {
                if (!"sync".equals(line.trim())) {
                    out.println("error unknown command " + line);
                    continue;
                }
                System.gc(); // each measured run starts from the same live set, so the peaks compare
                resetPeaks();
                long started = System.nanoTime();
                SyncRunSummary summary = triggers.request(SyncTrigger.MANUAL, null).await(limit).orElse(null);
                long nanos = System.nanoTime() - started;
                long peak = peakHeap();
                if (summary == null) {
                    out.println("result " + nanos + " TIMEOUT 0 0 0 0 " + peak + " no summary within " + limit);
                } else {
                    String error = summary.status() == SyncRunStatus.SUCCEEDED ? "-"
                            : String.valueOf(summary.error()).replace('\n', ' ');
                    out.println("result " + nanos + " " + summary.status() + " " + summary.opened() + " "
                            + summary.updated() + " " + summary.closed() + " " + summary.unchanged() + " " + peak + " "
                            + error);
                }
            }
        } finally {
            main.stop();
        }
        System.exit(0); // the embedded services' non-daemon threads must not keep the benchmark waiting
    }

    private static void resetPeaks() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
            }
        }
    }

    private static long peakHeap() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                sum += pool.getPeakUsage().getUsed();
            }
        }
        return sum;
    }
}

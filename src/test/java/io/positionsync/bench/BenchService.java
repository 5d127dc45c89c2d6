package io.positionsync.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

import com.sun.management.GarbageCollectionNotificationInfo;

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
 * {@code result <nanos> <status> <opened> <updated> <closed> <unchanged> <peakLiveBytes> <peakUsedBytes> <gcNanos> <error>};
 * {@code quit} stops. Peak live heap is the most heap still in use after any collection during the run (or at its
 * end): what the run holds at once. Peak used is the most in use just before a collection, which the collector
 * lets grow towards the maximum heap; gc is the collectors' pause time during the run.
 */
public final class BenchService {
    private BenchService() {
    }

    private static long heapUsed(Map<String, MemoryUsage> pools, Set<String> heapPools) {
        long used = 0;
        for (Map.Entry<String, MemoryUsage> pool : pools.entrySet()) {
            if (heapPools.contains(pool.getKey())) {
                used += pool.getValue().getUsed();
            }
        }
        return used;
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
                StandardCharsets.UTF_8);
        Map<String, String> properties = new LinkedHashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            properties.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        watchCollections();
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
                PEAK_LIVE.set(0);
                PEAK_USED.set(0);
                GC_MILLIS.set(0);
                long started = System.nanoTime();
                SyncRunSummary summary = triggers.request(SyncTrigger.MANUAL, null, null).await(limit).orElse(null);
                long nanos = System.nanoTime() - started;
                long now = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
                String heap = Math.max(PEAK_LIVE.get(), now) + " " + Math.max(PEAK_USED.get(), now) + " "
                        + GC_MILLIS.get() * 1_000_000L;
                if (summary == null) {
                    out.println("result " + nanos + " TIMEOUT 0 0 0 0 " + heap + " no summary within " + limit);
                } else {
                    String error = summary.status() == SyncRunStatus.SUCCEEDED ? "-"
                            : String.valueOf(summary.error()).replace('\n', ' ');
                    out.println("result " + nanos + " " + summary.status() + " " + summary.opened() + " "
                            + summary.updated() + " " + summary.closed() + " " + summary.unchanged() + " " + heap + " "
                            + error);
                }
            }
        } finally {
            main.stop();
        }
        System.exit(0); // the embedded services' non-daemon threads must not keep the benchmark waiting
    }

    private static final AtomicLong PEAK_LIVE = new AtomicLong();
    private static final AtomicLong PEAK_USED = new AtomicLong();
    private static final AtomicLong GC_MILLIS = new AtomicLong();

    /** Records the heap in use before and after every collection (sums over the heap pools) and its duration. */
    private static void watchCollections() {
        Set<String> heapPools = new HashSet<>();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                heapPools.add(pool.getName());
            }
        }
        NotificationListener listener = (notification, handback) -> {
            if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
                GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo
                        .from((CompositeData) notification.getUserData());
                PEAK_USED.accumulateAndGet(heapUsed(info.getGcInfo().getMemoryUsageBeforeGc(), heapPools), Math::max);
                PEAK_LIVE.accumulateAndGet(heapUsed(info.getGcInfo().getMemoryUsageAfterGc(), heapPools), Math::max);
                GC_MILLIS.addAndGet(info.getGcInfo().getDuration());
            }
        };
        for (GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans()) {
            ((NotificationEmitter) collector).addNotificationListener(listener, null, null);
        }
    }
}

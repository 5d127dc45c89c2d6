package io.positionsync.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three service instances (child JVMs), one PostgreSQL, four gateways (simulators), ownership through a real cluster
 * service: every gateway is synced by exactly one instance; when an owner dies its gateways move to the others
 * within the cluster service's failover time plus a run; no two runs of one gateway overlap in time; every fill is
 * stored once; and an owner paused past its session (SIGSTOP) cannot commit when it resumes.
 */
@Tag("process")
class ClusterFailoverTest {
    private static final Duration ZK_SESSION = Duration.ofSeconds(4);
    private static final Duration FILE_INTERVAL = Duration.ofMillis(500);
    private static final int FILE_MULTIPLIER = 4;
    /** Timer period of the instances (1 s), a run, and a JVM's own pauses on a machine shared with the build. */
    private static final Duration ONE_RUN_AND_SLACK = Duration.ofSeconds(8);

    @Test
    void zookeeperOwnershipMovesOnKillAndFencesAStaleOwner() throws Exception {
        try (TestingServer zookeeper = new TestingServer(true);
                GatewayCluster cluster = new GatewayCluster("zookeeper", 4, Map.of(
                        "PSYNC_CLUSTER", "zookeeper",
                        "PSYNC_CLUSTER_ZOOKEEPER", zookeeper.getConnectString(),
                        "PSYNC_CLUSTER_ZOOKEEPER_SESSION_TIMEOUT_MS", Long.toString(ZK_SESSION.toMillis())))) {
            startThreeAndCheckEachGatewayHasOneOwner(cluster);

            Duration failover = killTheOwnerOf("g1", cluster, ZK_SESSION.plus(ONE_RUN_AND_SLACK));
            System.out.printf("failover[zookeeper]: kill -9 to the first committed run on the new owner: %d ms%n",
                    failover.toMillis());

            // A stale owner: paused past its session while another instance takes its gateway, then resumed.
            String gateway = cluster.gateways.keySet().stream().filter(g -> !g.equals("g1")).findFirst().orElseThrow();
            String staleName = cluster.owner(gateway).orElseThrow();
            GatewayCluster.Instance stale = cluster.instances.get(staleName);
            stale.pause();
            Instant pausedAt = Instant.now();
            cluster.trade(gateway, 5);
            // Its session expires; another instance takes the gateway over (a new epoch) ...
            await().atMost(ZK_SESSION.plus(ONE_RUN_AND_SLACK).multipliedBy(2)).pollInterval(Duration.ofMillis(200))
                    .until(() -> !cluster.owner(gateway).orElseThrow().equals(staleName));
            String newOwner = cluster.owner(gateway).orElseThrow();
            Instant takenOver = cluster.ownedSince(gateway);
            // ... but cannot connect while the paused owner holds the client id at the gateway (IB refuses a second
            // connection of one client id, error 326): the paused owner still holds a connection, not the gateway.
            stale.resume();
            // Resumed, it learns it lost the gateway (its session expired) and lets the connection go ...
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> stale.logText().contains("gateway " + gateway + ": this instance (" + staleName
                            + ") no longer owns it"));
            // ... the new owner books what was traded meanwhile, and whatever the stale owner had in flight or started
            // after it resumed never committed.
            cluster.trade(gateway, 6);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> cluster.booked(gateway));
            assertThat(cluster.succeededBy(gateway, takenOver)).containsExactly(newOwner);
            assertThat(cluster.owner(gateway)).contains(newOwner);
            assertThat(pausedAt).isBefore(takenOver);

            everyFillOnceAndNoOverlap(cluster);
        }
    }

    @Test
    void fileOwnershipOnOneHostMovesTheGatewaysOfAKilledOwner(@TempDir Path locks) throws Exception {
        try (GatewayCluster cluster = new GatewayCluster("file", 4, Map.of(
                "PSYNC_CLUSTER", "file",
                "PSYNC_CLUSTER_FILE_ROOT", locks.toString(),
                "PSYNC_CLUSTER_FILE_INTERVAL_MS", Long.toString(FILE_INTERVAL.toMillis()),
                "PSYNC_CLUSTER_FILE_HEARTBEAT_MULTIPLIER", Integer.toString(FILE_MULTIPLIER)))) {
            startThreeAndCheckEachGatewayHasOneOwner(cluster);
            Duration failover = killTheOwnerOf("g1", cluster,
                    FILE_INTERVAL.multipliedBy(FILE_MULTIPLIER).plus(ONE_RUN_AND_SLACK));
            System.out.printf("failover[file]: kill -9 to the first committed run on the new owner: %d ms%n",
                    failover.toMillis());
            everyFillOnceAndNoOverlap(cluster);
        }
    }

    /** Three instances; each gateway gets one owner, which alone syncs it, and a first fill of each is booked. */
    private static void startThreeAndCheckEachGatewayHasOneOwner(GatewayCluster cluster) throws Exception {
        Instant start = Instant.now();
        for (String name : List.of("i1", "i2", "i3")) {
            cluster.start(name);
        }
        for (String gateway : cluster.gateways.keySet()) {
            cluster.trade(gateway, 10);
        }
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).alias("every gateway owned and "
                + "its fill booked").conditionEvaluationListener(c -> {
                    if (c.getRemainingTimeInMS() <= 250) {
                        System.out.println(cluster.state());
                    }
                }).until(() -> {
            for (String gateway : cluster.gateways.keySet()) {
                if (cluster.owner(gateway).isEmpty() || !cluster.booked(gateway)) {
                    return false;
                }
            }
            return true;
        });
        Map<String, String> owners = new LinkedHashMap<>();
        for (String gateway : cluster.gateways.keySet()) {
            String owner = cluster.owner(gateway).orElseThrow();
            owners.put(gateway, owner);
            assertThat(cluster.succeededBy(gateway, start)).as("instances that synced %s", gateway).containsExactly(owner);
        }
        System.out.println("owners: " + owners);
    }

    /**
     * kill -9 of {@code gateway}'s owner: each gateway it owned is taken by another instance, whose first committed run
     * comes within {@code within}; a fill made after the kill is booked. Returns the longest kill-to-commit time.
     */
    private static Duration killTheOwnerOf(String gateway, GatewayCluster cluster, Duration within) throws Exception {
        String victim = cluster.owner(gateway).orElseThrow();
        List<String> owned = cluster.gateways.keySet().stream().filter(g -> {
            try {
                return cluster.owner(g).orElseThrow().equals(victim);
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
        }).toList();
        cluster.instances.get(victim).kill9();
        Instant killed = Instant.now();
        for (String moved : owned) {
            cluster.trade(moved, 3);
        }
        Duration longest = Duration.ZERO;
        for (String moved : owned) {
            await().atMost(within.plus(Duration.ofSeconds(30))).pollInterval(Duration.ofMillis(100))
                    .until(() -> cluster.owner(moved).filter(o -> !o.equals(victim)).isPresent() && cluster.booked(moved));
            String heir = cluster.owner(moved).orElseThrow();
            Optional<Instant> first = cluster.firstSuccessAfter(moved, heir, killed.minusSeconds(1));
            assertThat(first).isPresent();
            Duration took = Duration.between(killed, first.get());
            assertThat(took).as("kill -9 of %s to the first committed run of %s on %s", victim, moved, heir)
                    .isLessThanOrEqualTo(within);
            longest = took.compareTo(longest) > 0 ? took : longest;
            assertThat(cluster.succeededBy(moved, first.get())).doesNotContain(victim);
        }
        return longest;
    }

    private static void everyFillOnceAndNoOverlap(GatewayCluster cluster) throws Exception {
        for (String gateway : cluster.gateways.keySet()) {
            List<String> stored = cluster.storedExecIds(gateway);
            Set<String> made = cluster.fills.get(gateway);
            assertThat(stored).as("fills of %s stored once each", gateway).containsExactlyElementsOf(made);
        }
        assertThat(cluster.overlappingRuns()).as("runs of one gateway that overlap in time").isEmpty();
    }
}

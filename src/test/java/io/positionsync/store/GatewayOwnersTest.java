package io.positionsync.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.positionsync.sync.SyncCounts;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncTrigger;

/**
 * The fence in PostgreSQL: every takeover bumps the gateway's epoch; a run is recorded only under the current epoch and
 * commits only while it holds; a takeover waits for a commit in flight and ends the former owner's runs still RUNNING.
 */
class GatewayOwnersTest {
    private static final Instant T0 = Instant.parse("2026-12-04T14:30:00Z");

    @RegisterExtension
    static final StoreDatabase db = new StoreDatabase();

    private GatewayOwners owners;
    private SyncRunRepository runsOfA;
    private SyncRunRepository runsOfB;

    @BeforeEach
    void fresh() {
        owners = new GatewayOwners(db.dataSource());
        runsOfA = new SyncRunRepository(db.dataSource(), null, "instance-a");
        runsOfB = new SyncRunRepository(db.dataSource(), null, "instance-b");
    }

    private long begin(SyncRunRepository runs, String gateway, long epoch) throws SQLException {
        try (Connection connection = db.connection()) {
            connection.setAutoCommit(true);
            return runs.insertStarted(connection, SyncTrigger.TIMER, Instant.now(), null, null, gateway, epoch);
        }
    }

    @Test
    void everyTakeoverBumpsTheEpochOfThatGatewayAloneAndNamesTheOwner() throws SQLException {
        assertThat(owners.takeOver("g1", "instance-a", T0)).isEqualTo(1);
        assertThat(owners.takeOver("g2", "instance-a", T0)).isEqualTo(1);
        assertThat(owners.takeOver("g1", "instance-b", T0.plusSeconds(5))).isEqualTo(2);

        assertThat(owners.owner("g1")).hasValueSatisfying(o -> {
            assertThat(o.epoch()).isEqualTo(2);
            assertThat(o.owner()).isEqualTo("instance-b");
            assertThat(o.ownedSince()).isEqualTo(T0.plusSeconds(5));
            assertThat(o.liveSince()).isNull();
        });
        assertThat(owners.owner("g2")).map(GatewayOwners.Owner::epoch).contains(1L);
        assertThat(owners.owner("g3")).isEmpty();
    }

    @Test
    void aRunIsRecordedWithItsGatewayInstanceAndEpochOnlyWhileThatEpochIsTheGateways() throws SQLException {
        owners.takeOver("g1", "instance-a", T0);
        long run = begin(runsOfA, "g1", 1);
        assertThat(db.database().dump("SELECT gateway, instance, epoch, status FROM sync_runs WHERE id = " + run))
                .containsExactly("g1|instance-a|1|RUNNING");

        owners.takeOver("g1", "instance-b", T0.plusSeconds(5));

        assertThatThrownBy(() -> begin(runsOfA, "g1", 1)).isInstanceOf(GatewayOwners.FencedException.class)
                .hasMessageContaining("no longer owned under epoch 1");
        assertThat(db.database().dump("SELECT count(*) FROM sync_runs")).containsExactly("1");
        // The takeover ended the former owner's run still in flight: no two runs of g1 are RUNNING together.
        assertThat(db.database().dump("SELECT status, error LIKE 'superseded: gateway g1 was taken over by instance-b%' "
                + "FROM sync_runs WHERE id = " + run)).containsExactly("FAILED|t");
        assertThat(begin(runsOfB, "g1", 2)).isPositive();
        // Without a cluster service (epoch 0) a run is recorded as ever, fenced by nothing.
        assertThat(begin(runsOfA, "default", 0)).isPositive();
    }

    @Test
    void aRunCommitsOnlyWhileItsEpochHoldsAndATakeoverWaitsForACommitInFlight() throws Exception {
        owners.takeOver("g1", "instance-a", T0);
        long run = begin(runsOfA, "g1", 1);
        CompletableFuture<Long> takeover;
        try (Connection connection = db.connection()) {
            connection.setAutoCommit(false);
            runsOfA.lockForRun(connection, "g1");
            GatewayOwners.checkEpoch(connection, "g1", 1, "instance-a");
            // The former owner is committing: the takeover waits for it ...
            takeover = CompletableFuture.supplyAsync(() -> {
                try {
                    return owners.takeOver("g1", "instance-b", T0.plusSeconds(5));
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> !db.database().dump("SELECT count(*) FROM pg_locks l "
                    + "JOIN pg_stat_activity a ON a.pid = l.pid WHERE NOT l.granted AND a.query LIKE 'INSERT INTO "
                    + "gateway_owners%'").equals(List.of("0")));
            assertThat(takeover).isNotDone();
            runsOfA.finish(connection, run, SyncRunStatus.SUCCEEDED, SyncCounts.NONE, null, null, Instant.now());
            connection.commit();
        }
        // ... and comes after it: the run committed under its epoch, which has now moved.
        assertThat(takeover.get(10, TimeUnit.SECONDS)).isEqualTo(2);
        assertThat(db.database().dump("SELECT status FROM sync_runs WHERE id = " + run)).containsExactly("SUCCEEDED");

        try (Connection connection = db.connection()) {
            connection.setAutoCommit(false);
            assertThatThrownBy(() -> GatewayOwners.checkEpoch(connection, "g1", 1, "instance-a"))
                    .isInstanceOf(GatewayOwners.FencedException.class)
                    .hasMessage("fenced: gateway g1 is owned by instance-b since epoch 2, this run of instance-a began "
                            + "under epoch 1; nothing was written");
            connection.rollback();
        }
    }

    @Test
    void aSingleInstanceRecordsItselfUnfencedAndNeverTakesAGatewayAClusterGave() throws SQLException {
        assertThat(owners.recordUnfenced("default", "solo", T0)).isTrue();
        assertThat(owners.recordUnfenced("default", "solo-restarted", T0.plusSeconds(1))).isTrue();
        assertThat(owners.owner("default")).hasValueSatisfying(o -> {
            assertThat(o.epoch()).isZero();
            assertThat(o.owner()).isEqualTo("solo-restarted");
        });

        owners.takeOver("g1", "instance-a", T0);
        assertThat(owners.recordUnfenced("g1", "solo", T0.plusSeconds(2))).isFalse();
        assertThat(owners.owner("g1")).hasValueSatisfying(o -> {
            assertThat(o.epoch()).isEqualTo(1);
            assertThat(o.owner()).isEqualTo("instance-a");
        });
    }

    @Test
    void theRunLockIsPerGatewayAndTheDefaultGatewaysIsTheDatabaseWideOne() throws Exception {
        try (Connection holder = db.connection()) {
            holder.setAutoCommit(false);
            runsOfA.lockForRun(holder, "g1");
            // Another gateway's run takes its own lock at once ...
            try (Connection other = db.connection()) {
                other.setAutoCommit(false);
                runsOfB.lockForRun(other, "g2");
                runsOfB.lockForRun(other, "default");
                other.rollback();
            }
            // ... a run of the same gateway waits for it.
            CompletableFuture<Void> same = CompletableFuture.runAsync(() -> {
                try (Connection other = db.connection()) {
                    other.setAutoCommit(false);
                    runsOfB.lockForRun(other, "g1");
                    other.rollback();
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> !db.database().dump("SELECT count(*) FROM pg_locks "
                    + "WHERE locktype = 'advisory' AND NOT granted").equals(List.of("0")));
            assertThat(same).isNotDone();
            holder.rollback();
            same.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theCommittedRunsWatermarkCountsTheGatewaysOwnRuns() throws SQLException {
        try (Connection connection = db.connection()) {
            connection.setAutoCommit(true);
            for (String gateway : List.of("g1", "g1", "g2")) {
                long id = runsOfA.insertStarted(connection, SyncTrigger.TIMER, T0, null, null, gateway, 0);
                runsOfA.finish(connection, id, SyncRunStatus.SUCCEEDED, SyncCounts.NONE, null, null, T0.plusSeconds(1));
            }
            assertThat(runsOfA.committedRuns(connection, "g1")).isEqualTo(2);
            assertThat(runsOfA.committedRuns(connection, "g2")).isEqualTo(1);
            assertThat(runsOfA.committedRuns(connection)).isEqualTo(3);
        }
    }
}

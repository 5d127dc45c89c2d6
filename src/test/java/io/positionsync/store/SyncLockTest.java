package io.positionsync.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The run lock keeps two processes on one database from applying runs at the same time. */
class SyncLockTest {
    private static final TestDatabase DB = TestDatabase.create();

    @AfterAll
    static void close() {
        DB.close();
    }

    private static boolean tryLock(Connection connection) throws Exception {
        try (PreparedStatement statement = connection.prepareStatement("SELECT pg_try_advisory_xact_lock(?)")) {
            statement.setLong(1, SyncRunRepository.SYNC_LOCK_KEY);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    @Test
    void lockIsHeldUntilTheRunTransactionEnds() throws Exception {
        SyncRunRepository runs = new SyncRunRepository(DB.dataSource());
        try (Connection run = DB.connection(); Connection other = DB.connection()) {
            run.setAutoCommit(false);
            other.setAutoCommit(false);
            runs.lockForRun(run);

            assertThat(tryLock(other)).as("while the run's transaction is open").isFalse();
            other.rollback();

            run.commit();
            assertThat(tryLock(other)).as("after it committed").isTrue();
            other.rollback();
        }
    }
}

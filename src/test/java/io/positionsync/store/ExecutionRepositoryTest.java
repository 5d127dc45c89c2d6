package io.positionsync.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.positionsync.sync.BrokerExecution;
import io.positionsync.sync.ExecutionRecord;
import io.positionsync.sync.ExecutionState;
import io.positionsync.sync.SyncTrigger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import io.positionsync.sync.StoredExecution;

class ExecutionRepositoryTest {
    private static final Instant T0 = Instant.parse("2026-01-05T14:30:00Z");

    @RegisterExtension
    static final StoreDatabase db = new StoreDatabase();
    private static ExecutionRepository executions;
    private static SyncRunRepository runs;

    @BeforeAll
    static void start() {
        executions = new ExecutionRepository(db.dataSource(), 2); // tiny chunks: every list spans several statements
        runs = new SyncRunRepository(db.dataSource());
    }

    private static BrokerExecution fill(String execId, String side, String shares, String price, int minute,
            String commission, String ibPnl) {
        return new BrokerExecution(execId, "DU1", 265598, "AAPL", "STK", side, new BigDecimal(shares),
                new BigDecimal(price), T0.plusSeconds(60L * minute), 7, 70, commission == null ? null : new BigDecimal(commission),
                commission == null ? null : "USD", ibPnl == null ? null : new BigDecimal(ibPnl));
    }

    private static ExecutionRecord seen(BrokerExecution e) {
        return new ExecutionRecord(e, null, ExecutionState.SEEN);
    }

    private static ExecutionRecord applied(BrokerExecution e) {
        return new ExecutionRecord(e, null, ExecutionState.APPLIED);
    }

    /** Upserts in a committed run of its own; returns {runId, inserted}. */
    private static long[] store(List<ExecutionRecord> records) throws SQLException {
        try (Connection connection = db.connection()) {
            connection.setAutoCommit(false);
            long runId = runs.insertStarted(connection, SyncTrigger.TIMER, T0, null);
            int inserted = executions.upsert(connection, runId, records);
            connection.commit();
            return new long[] {runId, inserted};
        }
    }

    private static Map<String, StoredExecution> stored(String... ids) throws SQLException {
        try (Connection connection = db.connection()) {
            return executions.findByExecIds(connection, List.of(ids));
        }
    }

    @Test
    void aReplayStoresEveryExecutionOnce() throws SQLException {
        List<ExecutionRecord> today = List.of(seen(fill("a.01", "BOT", "100", "150", 0, "1.00", null)),
                seen(fill("b.01", "SLD", "40", "151", 1, "0.40", "39.60")),
                seen(fill("c.01", "SLD", "0.5", "152.25", 2, null, null)));

        long[] first = store(today);
        Map<String, StoredExecution> before = stored("a.01", "b.01", "c.01");
        long[] replay = store(today);

        assertThat(first[1]).isEqualTo(3);
        assertThat(replay[1]).isZero();
        assertThat(db.count("FROM executions")).isEqualTo(3);
        assertThat(stored("a.01", "b.01", "c.01")).isEqualTo(before);
        assertThat(before.get("a.01").firstSeenRunId()).isEqualTo(first[0]);
        assertThat(before.get("c.01").execution().shares()).isEqualByComparingTo("0.5");
        assertThat(before.get("b.01").execution()).isEqualTo(today.get(1).execution());
    }

    @Test
    void aDuplicateWithinOneRunIsMerged() throws SQLException {
        BrokerExecution bare = fill("a.01", "SLD", "10", "150", 0, null, null);
        BrokerExecution reported = fill("a.01", "SLD", "10", "150", 0, "0.10", "5.00");

        assertThat(store(List.of(seen(bare), applied(reported)))[1]).isEqualTo(1);

        StoredExecution row = stored("a.01").get("a.01");
        assertThat(row.execution().commission()).isEqualByComparingTo("0.10");
        assertThat(row.applied()).isTrue();
    }

    @Test
    void aLateCommissionReportIsAddedButNeverOverwritten() throws SQLException {
        store(List.of(seen(fill("a.01", "SLD", "10", "150", 0, null, null))));
        store(List.of(seen(fill("a.01", "SLD", "10", "150", 0, "0.35", "12.00"))));
        store(List.of(seen(fill("a.01", "SLD", "10", "150", 0, "9.99", "99.00"))));

        StoredExecution row = stored("a.01").get("a.01");
        assertThat(row.execution().commission()).isEqualByComparingTo("0.35");
        assertThat(row.execution().commissionCurrency()).isEqualTo("USD");
        assertThat(row.execution().realizedPnl()).isEqualByComparingTo("12.00");
    }

    @Test
    void theRunThatAppliedAFillIsKeptForever() throws SQLException {
        BrokerExecution sell = fill("s.01", "SLD", "10", "150", 0, "0.10", null);
        long seenIn = store(List.of(seen(sell)))[0];
        assertThat(stored("s.01").get("s.01").applied()).isFalse();

        long appliedIn = store(List.of(applied(sell)))[0];
        store(List.of(seen(sell)));
        store(List.of(applied(sell)));

        StoredExecution row = stored("s.01").get("s.01");
        assertThat(row.firstSeenRunId()).isEqualTo(seenIn);
        assertThat(row.appliedRunId()).isEqualTo(appliedIn);
    }

    @Test
    void aCorrectionSupersedesTheOriginalAndIsNeverAppliedTwice() throws SQLException {
        BrokerExecution original = fill("0001f4e8.1a2b.01", "SLD", "10", "150.00", 0, "0.10", null);
        BrokerExecution correction = fill("0001f4e8.1a2b.02", "SLD", "10", "150.05", 0, "0.10", null);
        store(List.of(applied(original)));

        store(List.of(seen(original), new ExecutionRecord(correction, original.execId(), ExecutionState.SEEN)));

        Map<String, StoredExecution> rows = stored(original.execId(), correction.execId());
        assertThat(rows.get(original.execId()).supersededBy()).isEqualTo(correction.execId());
        assertThat(rows.get(correction.execId()).superseded()).isFalse();
        assertThat(rows.get(correction.execId()).execution().price()).isEqualByComparingTo("150.05");
        try (Connection connection = db.connection()) {
            assertThat(executions.appliedExecIds(connection, List.of(correction.execId(), "other.01")))
                    .as("the original was applied, so its correction must not be").containsExactly(correction.execId());
            assertThat(executions.knownExecIds(connection, List.of(original.execId(), correction.execId(), "nope.01")))
                    .containsExactlyInAnyOrder(original.execId(), correction.execId());
            assertThat(executions.unappliedSince(connection, T0)).isEmpty();
        }
        // a replay of the older revision after the correction changes nothing
        store(List.of(seen(original)));
        assertThat(stored(original.execId()).get(original.execId()).supersededBy()).isEqualTo(correction.execId());
    }

    @Test
    void anOriginalAndItsCorrectionSeenTogetherLeaveOnlyTheCorrectionAvailable() throws SQLException {
        BrokerExecution original = fill("x.01", "SLD", "10", "150.00", 0, null, null);
        BrokerExecution correction = fill("x.02", "SLD", "10", "149.00", 0, null, null);
        BrokerExecution other = fill("y.01", "BOT", "5", "148.00", 3, null, null);
        BrokerExecution older = fill("z.01", "BOT", "5", "148.00", -10, null, null);

        store(List.of(seen(original), new ExecutionRecord(correction, "x.01", ExecutionState.SEEN), seen(other), seen(older)));

        try (Connection connection = db.connection()) {
            assertThat(executions.unappliedSince(connection, T0)).extracting(StoredExecution::execId)
                    .containsExactly("x.02", "y.01");
            assertThat(executions.appliedExecIds(connection, Set.of("x.01", "x.02", "y.01"))).isEmpty();
        }
        assertThat(stored("x.01").get("x.01").supersededBy()).isEqualTo("x.02");
    }

    @Test
    void findByBasesReturnsEveryRevisionOfTheAskedBasesAndNothingElse() throws SQLException {
        BrokerExecution original = fill("0001f4e8.1a2b.01", "SLD", "10", "150.00", 0, "0.10", null);
        BrokerExecution correction = fill("0001f4e8.1a2b.02", "SLD", "10", "150.05", 0, "0.10", null);
        BrokerExecution other = fill("0001f4e8.1a2c.01", "BOT", "5", "149.00", 1, null, null);
        BrokerExecution unasked = fill("0001f4e8.1a2d.01", "BOT", "7", "148.00", 2, "0.07", null);
        store(List.of(applied(original), seen(other), seen(unasked)));
        store(List.of(new ExecutionRecord(correction, original.execId(), ExecutionState.SEEN)));

        Map<String, StoredExecution> found;
        try (Connection connection = db.connection()) {
            found = executions.findByBases(connection, List.of("0001f4e8.1a2b", "0001f4e8.1a2c", "0001f4e8.ffff"));
            assertThat(executions.findByBases(connection, List.of())).isEmpty();
        }

        assertThat(found).containsOnlyKeys(original.execId(), correction.execId(), other.execId());
        assertThat(found.get(original.execId()).applied()).isTrue();
        assertThat(found.get(original.execId()).supersededBy()).isEqualTo(correction.execId());
        assertThat(found.get(correction.execId()).execution().price()).isEqualByComparingTo("150.05");
        assertThat(found.get(other.execId()).state()).isEqualTo(ExecutionState.SEEN);
        assertThat(found.get(other.execId()).execution()).isEqualTo(other);
    }

    @Test
    void seenExecIdsIncludeCorrectionsOfStoredFills() throws SQLException {
        store(List.of(seen(fill("0001.aa.01", "BOT", "10", "150", 0, null, null)),
                applied(fill("0002.bb.01", "SLD", "10", "151", 1, null, null))));

        try (Connection connection = db.connection()) {
            assertThat(executions.seenExecIds(connection, List.of("0001.aa.01", "0001.aa.02", "0002.bb.01", "0003.cc.01")))
                    .containsExactlyInAnyOrder("0001.aa.01", "0001.aa.02", "0002.bb.01");
            assertThat(executions.appliedExecIds(connection, List.of("0001.aa.01", "0001.aa.02", "0002.bb.03")))
                    .containsExactly("0002.bb.03");
            assertThat(executions.seenExecIds(connection, List.of())).isEmpty();
        }
    }

    @Test
    void executionsOfOneContractInATimeWindow() throws SQLException {
        store(List.of(seen(fill("a.01", "BOT", "1", "1", 0, null, null)), seen(fill("b.01", "BOT", "1", "1", 5, null, null)),
                seen(fill("c.01", "BOT", "1", "1", 10, null, null))));

        assertThat(executions.forContract("DU1", 265598, T0.plusSeconds(60), T0.plusSeconds(600)))
                .extracting(StoredExecution::execId).containsExactly("b.01");
        assertThat(executions.forContract("DU1", 265598, null, null)).extracting(StoredExecution::execId)
                .containsExactly("a.01", "b.01", "c.01");
        assertThat(executions.forContract("DU2", 265598, null, null)).isEmpty();
    }
    /**
     * More records than one statement takes go through COPY into a temporary table: the rows stored are those the
     * array statement stores (text that COPY would read as a delimiter included), and a second large upsert in the
     * same transaction (the table already dropped) only completes what it lacked.
     */
    @Test
    void aLargeUpsertThroughCopyStoresWhatTheArrayStatementStores() throws SQLException {
        BrokerExecution odd = new BrokerExecution("t.01", "DU1", 265598, "A\tB\\C\nD", "STK", "BOT",
                new BigDecimal("0.0001"), new BigDecimal("1234.56789"), T0, 7, 70, null, null, null);
        List<ExecutionRecord> bare = List.of(seen(odd), seen(fill("u.01", "SLD", "10", "150", 1, null, null)),
                seen(fill("v.01", "BOT", "5", "149.5", 2, "0.05", null)));
        List<ExecutionRecord> reported = List.of(applied(fill("u.01", "SLD", "10", "150", 1, "0.10", "4.20")),
                seen(fill("v.01", "BOT", "5", "149.5", 2, "0.05", null)), seen(fill("w.01", "SLD", "1", "151", 3, null, null)));
        long runId;
        int[] inserted = new int[2];
        try (Connection connection = db.connection()) {
            connection.setAutoCommit(false);
            runId = runs.insertStarted(connection, SyncTrigger.TIMER, T0, null);
            inserted[0] = executions.upsert(connection, runId, bare);
            inserted[1] = executions.upsert(connection, runId, reported);
            connection.commit();
        }
        long viaArrays = store(List.of(seen(new BrokerExecution("t.02", "DU1", 265598, "A\tB\\C\nD", "STK", "BOT",
                new BigDecimal("0.0001"), new BigDecimal("1234.56789"), T0, 7, 70, null, null, null))))[0];

        assertThat(inserted).containsExactly(3, 1);
        Map<String, StoredExecution> rows = stored("t.01", "u.01", "v.01", "w.01", "t.02");
        assertThat(rows).hasSize(5);
        assertThat(rows.get("t.01").execution()).isEqualTo(odd);
        assertThat(rows.get("t.01").execution().symbol()).isEqualTo(rows.get("t.02").execution().symbol());
        assertThat(rows.get("t.01").firstSeenRunId()).isEqualTo(runId);
        assertThat(rows.get("t.02").firstSeenRunId()).isEqualTo(viaArrays);
        assertThat(rows.get("u.01").appliedRunId()).isEqualTo(runId);
        assertThat(rows.get("u.01").execution().commission()).isEqualByComparingTo("0.10");
        assertThat(rows.get("u.01").execution().realizedPnl()).isEqualByComparingTo("4.20");
        assertThat(rows.get("v.01").applied()).isFalse();
        assertThat(rows.get("w.01").execution().time()).isEqualTo(T0.plusSeconds(180));
        assertThat(rows.get("t.01").state()).isEqualTo(ExecutionState.SEEN);
    }
    /**
     * Run after run on one connection (past the driver's threshold for server-prepared statements), each large upsert
     * creates and drops its temporary table again: the statement that reads it keeps working.
     */
    @Test
    void largeUpsertsRunAfterRunOnOneConnection() throws SQLException {
        int runsOnConnection = 8;
        try (Connection connection = db.connection()) {
            connection.setAutoCommit(false);
            for (int r = 0; r < runsOnConnection; r++) {
                long runId = runs.insertStarted(connection, SyncTrigger.TIMER, T0.plusSeconds(r), null);
                List<ExecutionRecord> records = List.of(seen(fill("r" + r + ".a.01", "BOT", "1", "10", r, null, null)),
                        seen(fill("r" + r + ".b.01", "BOT", "2", "10", r, null, null)),
                        applied(fill("r" + r + ".c.01", "SLD", "3", "10", r, "0.01", null)));
                assertThat(executions.upsert(connection, runId, records)).isEqualTo(3);
                connection.commit();
            }
        }
        assertThat(db.count("FROM executions")).isEqualTo(3L * runsOnConnection);
        assertThat(db.count("FROM executions WHERE state = 'APPLIED' AND applied_run_id = first_seen_run_id"))
                .isEqualTo(runsOnConnection);
    }
}

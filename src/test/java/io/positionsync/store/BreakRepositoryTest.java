package io.positionsync.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

import io.positionsync.sync.SyncTrigger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import io.positionsync.sync.ReconciliationBreak;

class BreakRepositoryTest {
    private static final Instant T0 = Instant.parse("2026-01-05T14:30:00Z");

    @RegisterExtension
    static final StoreDatabase db = new StoreDatabase();
    private static BreakRepository breaks;
    private static SyncRunRepository runs;

    @BeforeAll
    static void start() {
        breaks = new BreakRepository(db.dataSource());
        runs = new SyncRunRepository(db.dataSource());
    }

    @Test
    void breaksAreRecordedInTheRunAndResolvedLater() throws SQLException {
        long runId;
        try (Connection connection = db.connection()) {
            connection.setAutoCommit(false);
            runId = runs.insertStarted(connection, SyncTrigger.TIMER, T0, null);
            breaks.record(connection, List.of(
                    ReconciliationBreak.detected(runId, null, "DU1", 265598, "AAPL", "USD", new BigDecimal("998.00"),
                            new BigDecimal("997.50"), new BigDecimal("0.01"), T0, null, ReconciliationBreak.REALIZED_PNL_MISMATCH),
                    ReconciliationBreak.detected(runId, null, "DU1", 8314, "IBM", "USD", new BigDecimal("10"), null,
                            new BigDecimal("0.01"), T0.plusSeconds(1), "broker figure missing", "UNEXPLAINED_QUANTITY")));
            connection.commit();
        }

        List<ReconciliationBreak> open = breaks.unresolved(10);
        assertThat(breaks.openCountsByKind()).containsExactly(
                java.util.Map.entry(ReconciliationBreak.REALIZED_PNL_MISMATCH, 1L), java.util.Map.entry("UNEXPLAINED_QUANTITY", 1L));
        assertThat(open).extracting(ReconciliationBreak::symbol).containsExactly("IBM", "AAPL");
        ReconciliationBreak aapl = open.get(1);
        assertThat(aapl.runId()).isEqualTo(runId);
        assertThat(aapl.difference()).isEqualByComparingTo("0.50");
        assertThat(aapl.tolerance()).isEqualByComparingTo("0.01");
        assertThat(open.get(0).difference()).isEqualByComparingTo("10");
        assertThat(breaks.countUnresolved()).isEqualTo(2);

        try (Connection connection = db.connection()) {
            assertThat(breaks.resolve(connection, aapl.id(), T0.plusSeconds(60), "commission corrected")).isTrue();
            assertThat(breaks.resolve(connection, aapl.id(), T0.plusSeconds(61), null)).isFalse();
            assertThat(breaks.resolveContract(connection, "DU1", 8314, T0.plusSeconds(90))).isEqualTo(1);
        }
        assertThat(breaks.unresolved(10)).isEmpty();
        assertThat(breaks.recent(10)).extracting(ReconciliationBreak::resolvedAt)
                .containsExactly(T0.plusSeconds(90), T0.plusSeconds(60));
        assertThat(breaks.recent(10).get(1).note()).isEqualTo("commission corrected");
    }
}

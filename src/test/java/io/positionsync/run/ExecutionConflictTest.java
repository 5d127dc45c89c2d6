package io.positionsync.run;

import static io.positionsync.testing.SyncBook.ACCOUNT;
import static io.positionsync.testing.SyncBook.AAPL;
import static io.positionsync.testing.SyncBook.dec;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.positionsync.ibkr.sim.Execution;
import io.positionsync.ibkr.sim.Side;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.ServiceUnderTest;
import io.positionsync.testing.PositionSyncService.Gateway;
import io.positionsync.testing.PositionSyncService.Lifecycle;
import io.positionsync.testing.PositionSyncService.Profile;

/**
 * An execId already applied that the simulator reports again with other content (price 12 -> 99, then side BOT ->
 * SLD), without a {@code .02} correction: each distinct content is one {@code EXECUTION_CONFLICT} break and one
 * WARN, the fill is never applied a second time, and the breaks resolve when the broker reports the fill as applied.
 */
@PositionSyncService(profile = Profile.PIPELINE, gateway = Gateway.BOOK, lifecycle = Lifecycle.PER_METHOD)
class ExecutionConflictTest {
    private ServiceUnderTest h;
    private ListAppender<ILoggingEvent> events;
    private ch.qos.logback.classic.Logger root;

    @BeforeEach
    void start() throws Exception {
        root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        events = new ListAppender<>();
        events.start();
        root.addAppender(events);
    }

    @AfterEach
    void stop() {
        root.detachAppender(events);
    }

    private SyncRunSummary sync() throws Exception {
        SyncRunSummary run = h.sync();
        assertThat(run.status()).as(run.error()).isEqualTo(SyncRunStatus.SUCCEEDED);
        return run;
    }

    private List<Map<String, Object>> conflicts(boolean open) throws Exception {
        return h.query("SELECT exec_id, note, ours, broker, account, con_id, symbol FROM reconciliation_breaks "
                + "WHERE kind = 'EXECUTION_CONFLICT' AND resolved_at IS " + (open ? "" : "NOT ") + "NULL ORDER BY id");
    }

    private List<String> conflictWarnings() {
        return events.list.stream().filter(e -> e.getLevel() == Level.WARN)
                .map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains("EXECUTION_CONFLICT")).toList();
    }

    private void assertAppliedOnce(String execId) throws Exception {
        Map<String, Object> row = h.openRow(ACCOUNT, AAPL);
        assertThat((BigDecimal) row.get("quantity")).isEqualByComparingTo("10");
        assertThat((BigDecimal) row.get("average_price")).isEqualByComparingTo("12.10");
        assertThat(h.count("SELECT count(*) FROM ledger_entries WHERE exec_id = ?", execId)).isEqualTo(1);
        assertThat((BigDecimal) h.query("SELECT price FROM executions WHERE exec_id = ?", execId).get(0).get("price"))
                .as("the stored fill keeps what was applied").isEqualByComparingTo("12");
    }

    @Test
    void anAppliedExecIdWithOtherContentIsABreakAndAWarningAndIsNeverAppliedTwice() throws Exception {
        sync(); // the account is known: the fill below is applied as a fill, not taken in as an opening balance
        Execution fill = h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("10"), dec("12.00"), dec("1.00"));
        sync();
        assertAppliedOnce(fill.execId());
        assertThat(conflicts(true)).isEmpty();

        h.broker().reportExecutionAs(fill.execId(), null, dec("99.00"));
        SyncRunSummary changedPrice = sync();

        List<Map<String, Object>> open = conflicts(true);
        assertThat(open).hasSize(1);
        assertThat(open.get(0).get("exec_id")).isEqualTo(fill.execId());
        assertThat(open.get(0).get("account")).isEqualTo(ACCOUNT);
        assertThat(((Number) open.get(0).get("con_id")).longValue()).isEqualTo(AAPL);
        assertThat((BigDecimal) open.get(0).get("ours")).isEqualByComparingTo("12");
        assertThat((BigDecimal) open.get(0).get("broker")).isEqualByComparingTo("99");
        assertThat((String) open.get(0).get("note")).startsWith("execId " + fill.execId() + " was applied as BOT 10 @ 12 at ")
                .contains("is now reported as BOT 10 @ 99 at ").endsWith("without a correction; kept as applied, not applied again");
        assertAppliedOnce(fill.execId());
        assertThat(conflictWarnings()).hasSize(1);
        assertThat(conflictWarnings().get(0)).startsWith("run " + changedPrice.runId() + ": EXECUTION_CONFLICT " + ACCOUNT
                + " AAPL: execId " + fill.execId());

        // Reported the same way again: no second break, no second warning.
        sync();
        assertThat(conflicts(true)).hasSize(1);
        assertThat(conflictWarnings()).hasSize(1);
        assertAppliedOnce(fill.execId());

        // Now the side flips too: a new content, a new break.
        h.broker().reportExecutionAs(fill.execId(), Side.SLD, null);
        sync();
        assertThat(conflicts(true)).hasSize(2);
        assertThat((String) conflicts(true).get(1).get("note")).contains("is now reported as SLD 10 @ 99 at ");
        assertThat(conflictWarnings()).hasSize(2);
        assertAppliedOnce(fill.execId());

        // The broker reports the fill as it was applied: both resolve.
        h.broker().reportExecutionAs(fill.execId(), Side.BOT, dec("12.00"));
        sync();
        assertThat(conflicts(true)).isEmpty();
        assertThat(conflicts(false)).hasSize(2);
        assertAppliedOnce(fill.execId());
    }
}

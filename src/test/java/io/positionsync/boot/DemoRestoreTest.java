package io.positionsync.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.positionsync.ibkr.sim.Position;
import io.positionsync.ibkr.sim.Scenario;
import io.positionsync.ibkr.sim.SimulatorState;
import io.positionsync.store.TestDatabase;

/**
 * The demo's restart rebuilds the simulator's book from the database: the open lifecycles, and the fills stored but
 * not yet applied (executed after the last run's positions reply, stopped before the next run), which the broker
 * already held and the next run's ledger is about to apply.
 */
class DemoRestoreTest {
    private TestDatabase db;
    private SimulatorState state;
    private Position held;
    private Position flat;

    @BeforeEach
    void setUp() throws Exception {
        db = TestDatabase.create();
        state = Scenario.demo().toState();
        List<Position> stocks = state.positions().stream()
                .filter(p -> "STK".equals(state.instrument(p.conId()).orElseThrow().secType())).toList();
        held = stocks.get(0);
        flat = stocks.get(1);
        try (Connection c = db.connection(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO sync_runs (id, trigger, status, started_at, finished_at) "
                    + "VALUES (1, 'TIMER', 'SUCCEEDED', now(), now())");
        }
        try (Connection c = db.connection(); PreparedStatement p = c.prepareStatement("INSERT INTO positions (id, account, "
                + "con_id, symbol, sec_type, currency, quantity, average_price, status, opened_at) "
                + "VALUES (1, ?, ?, 'S', 'STK', 'USD', 10, 100, 'OPEN', now())")) {
            p.setString(1, held.account());
            p.setLong(2, held.conId());
            p.executeUpdate();
        }
    }

    @AfterEach
    void tearDown() {
        db.close();
    }

    @Test
    void fillsStoredButNotYetAppliedArePartOfTheRestoredBook() throws Exception {
        seen("a.01", held, "BOT", "5", "110", "1");
        seen("b.01", flat, "SLD", "3", "50", null);

        DemoRestore.fromDatabase(db.dataSource(), state);

        // 10 at 100, then bought 5 at 110 paying 1: (1000 + 550 + 1) / 15 per share, as the broker averages it
        Position restored = position(held);
        assertThat(restored.quantity()).isEqualByComparingTo("15");
        assertThat(restored.avgCost()).isEqualByComparingTo(new BigDecimal("1551").divide(new BigDecimal("15"),
                10, java.math.RoundingMode.HALF_EVEN));
        // no open lifecycle, one unapplied sale: short 3 at 50 (a scenario position it would otherwise make flat)
        Position shortened = position(flat);
        assertThat(shortened.quantity()).isEqualByComparingTo("-3");
        assertThat(shortened.avgCost()).isEqualByComparingTo("50");
    }

    @Test
    void appliedFillsAreAlreadyInTheLifecycleAndAreNotAddedAgain() throws Exception {
        seen("a.01", held, "BOT", "5", "110", "1");
        try (Connection c = db.connection(); Statement s = c.createStatement()) {
            s.execute("UPDATE executions SET state = 'APPLIED'");
        }

        DemoRestore.fromDatabase(db.dataSource(), state);

        assertThat(position(held).quantity()).isEqualByComparingTo("10");
        assertThat(position(flat).quantity()).isZero();
    }

    private void seen(String execId, Position of, String side, String shares, String price, String commission)
            throws Exception {
        try (Connection c = db.connection(); PreparedStatement p = c.prepareStatement("INSERT INTO executions (exec_id, "
                + "base_exec_id, account, con_id, side, shares, price, commission, exec_time, first_seen_run_id, state) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, now(), 1, 'SEEN')")) {
            p.setString(1, execId);
            p.setString(2, execId.substring(0, execId.indexOf('.')));
            p.setString(3, of.account());
            p.setLong(4, of.conId());
            p.setString(5, side);
            p.setBigDecimal(6, new BigDecimal(shares));
            p.setBigDecimal(7, new BigDecimal(price));
            p.setBigDecimal(8, commission == null ? null : new BigDecimal(commission));
            p.executeUpdate();
        }
    }

    private Position position(Position of) {
        return state.positions().stream().filter(p -> p.account().equals(of.account()) && p.conId() == of.conId())
                .findFirst().orElseThrow();
    }
}

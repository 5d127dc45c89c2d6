package io.positionsync.boot;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import javax.sql.DataSource;

import io.positionsync.ibkr.sim.AverageCost;
import io.positionsync.ibkr.sim.Instrument;
import io.positionsync.ibkr.sim.Side;
import io.positionsync.ibkr.sim.Position;
import io.positionsync.ibkr.sim.SimulatorState;
import io.positionsync.sync.PositionKey;

/**
 * The built-in simulator's demo portfolio, rebuilt from what a previous process synced into the same data
 * directory: the demo trades, so after a restart its scenario's starting positions are not what the database
 * holds, and every difference would read as an unexplained quantity. Each open lifecycle of a demo account and
 * instrument becomes the simulator's position (its quantity, its average per contract, its last market price); a
 * position of the scenario the database holds no open lifecycle for is flat. Nothing is rebuilt in a database no run
 * has written to.
 */
public final class DemoRestore {
    private DemoRestore() {
    }

    /** What was rebuilt: positions set from the database, scenario positions made flat. */
    public record Restored(int positions, int flattened) {
    }

    /** Sets {@code state}'s positions to the database's open lifecycles; empty when nothing was ever synced. */
    public static java.util.Optional<Restored> fromDatabase(DataSource dataSource, SimulatorState state)
            throws SQLException {
        Set<String> accounts = new HashSet<>(state.accounts());
        Set<PositionKey> held = new HashSet<>();
        // quantity and average cost per contract of each demo position, as the previous process's broker held it
        java.util.Map<PositionKey, BigDecimal[]> restored = new java.util.LinkedHashMap<>();
        int positions = 0;
        try (Connection connection = dataSource.getConnection()) {
            try (PreparedStatement statement = connection.prepareStatement(
                    "SELECT EXISTS (SELECT 1 FROM sync_runs WHERE status = 'SUCCEEDED')");
                    ResultSet rows = statement.executeQuery()) {
                rows.next();
                if (!rows.getBoolean(1)) {
                    return java.util.Optional.empty();
                }
            }
            try (PreparedStatement statement = connection.prepareStatement("SELECT account, con_id, quantity, "
                    + "average_price, multiplier, market_price FROM positions WHERE status = 'OPEN' ORDER BY id");
                    ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    String account = rows.getString(1);
                    long conId = rows.getLong(2);
                    if (demoInstrument(state, accounts, account, conId).isEmpty()) {
                        continue;
                    }
                    BigDecimal quantity = rows.getBigDecimal(3);
                    BigDecimal average = rows.getBigDecimal(4);
                    BigDecimal multiplier = rows.getBigDecimal(5);
                    BigDecimal perContract = average.multiply(multiplier == null || multiplier.signum() == 0
                            ? BigDecimal.ONE : multiplier);
                    restored.put(new PositionKey(account, conId), new BigDecimal[] {quantity, perContract});
                    BigDecimal price = rows.getBigDecimal(6);
                    if (price != null && price.signum() >= 0) {
                        state.setMarketPrice(conId, price);
                    }
                }
            }
            // Fills stored but not yet applied (executed after the last run's positions reply; the next run applies
            // them) are part of what the previous process's broker held: without them the restored broker would
            // hold less than the ledger is about to apply, and the difference would read as unexplained.
            try (PreparedStatement statement = connection.prepareStatement("SELECT account, con_id, side, shares, "
                    + "price, commission FROM executions WHERE state = 'SEEN' ORDER BY exec_time, exec_id");
                    ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    String account = rows.getString(1);
                    long conId = rows.getLong(2);
                    java.util.Optional<Instrument> instrument = demoInstrument(state, accounts, account, conId);
                    if (instrument.isEmpty()) {
                        continue;
                    }
                    BigDecimal multiplier = instrument.get().multiplier();
                    BigDecimal[] position = restored.getOrDefault(new PositionKey(account, conId),
                            new BigDecimal[] {BigDecimal.ZERO, BigDecimal.ZERO});
                    BigDecimal commission = rows.getBigDecimal(6);
                    // the simulator's own arithmetic, as its broker applied the fill
                    AverageCost.Outcome after = AverageCost.apply(position[0], position[1],
                            multiplier == null || multiplier.signum() == 0 ? BigDecimal.ONE : multiplier,
                            Side.parse(rows.getString(3)), rows.getBigDecimal(4), rows.getBigDecimal(5),
                            commission == null ? BigDecimal.ZERO : commission);
                    restored.put(new PositionKey(account, conId), new BigDecimal[] {after.quantity(), after.avgCost()});
                }
            }
        }
        for (java.util.Map.Entry<PositionKey, BigDecimal[]> position : restored.entrySet()) {
            BigDecimal quantity = position.getValue()[0];
            PositionKey key = position.getKey();
            state.setPosition(key.account(), key.conId(), quantity, quantity.signum() == 0 ? BigDecimal.ZERO
                    : position.getValue()[1]);
            held.add(key);
            positions++;
        }
        // The scenario's own executions are the past the database already holds: yesterday's to the broker now; and
        // new executions never reuse an id the previous process's simulator gave.
        state.rollTradingDay();
        List<String> execIds = new java.util.ArrayList<>();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement("SELECT exec_id FROM executions");
                ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                execIds.add(rows.getString(1));
            }
        }
        state.continueExecIdsAfter(execIds);
        int flattened = 0;
        List<Position> scenario = state.positions();
        for (Position position : scenario) {
            if (!position.isFlat() && !held.contains(new PositionKey(position.account(), position.conId()))) {
                state.setPosition(position.account(), position.conId(), BigDecimal.ZERO, BigDecimal.ZERO);
                flattened++;
            }
        }
        return java.util.Optional.of(new Restored(positions, flattened));
    }

    /** The demo's instrument of a stored row, or empty when the row is not the demo's (another account or contract). */
    private static java.util.Optional<Instrument> demoInstrument(SimulatorState state, Set<String> accounts,
            String account, long conId) {
        return accounts.contains(account) ? state.instrument(conId) : java.util.Optional.empty();
    }
}

package io.positionsync.store;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import io.positionsync.sync.FillLedger;
import io.positionsync.sync.LedgerEntry;
import io.positionsync.sync.LedgerState;
import io.positionsync.sync.StoredPosition;

/**
 * In tests: every stored lifecycle's quantity and realized P&L equal the fold of its stored ledger entries (the
 * database alone is enough to recompute them).
 */
public final class StoredLedgerCheck {
    private StoredLedgerCheck() {
    }

    /** One line per lifecycle whose stored figures differ from its recomputed ones; empty when all agree. */
    public static List<String> violations(DataSource dataSource) throws SQLException {
        List<String> violations = new ArrayList<>();
        PositionRepository positions = new PositionRepository(dataSource, new ExecutionRepository(dataSource, 1000), 1000);
        try (Connection connection = dataSource.getConnection()) {
            List<Long> ids = new ArrayList<>();
            try (var statement = connection.createStatement(); var rows = statement.executeQuery("SELECT id FROM positions")) {
                while (rows.next()) {
                    ids.add(rows.getLong(1));
                }
            }
            Map<Long, StoredPosition> rows = positions.findByIds(connection, ids);
            Map<Long, List<LedgerEntry>> entries = new LedgerRepository(1000).entries(connection, ids);
            for (StoredPosition row : rows.values()) {
                LedgerState folded = FillLedger.fold(entries.get(row.id()), row.multiplier());
                BigDecimal realized = folded.realizedAny() ? FillLedger.stored(folded.realized()) : null;
                boolean realizedAgrees = realized == null ? row.realizedPnl() == null
                        : row.realizedPnl() != null && realized.compareTo(row.realizedPnl()) == 0;
                BigDecimal quantity = row.closedAt() != null ? BigDecimal.ZERO : FillLedger.stored(folded.quantity());
                if (!realizedAgrees || quantity.compareTo(row.quantity()) != 0) {
                    violations.add("lifecycle " + row.id() + " " + row.symbol() + ": stored quantity " + row.quantity()
                            + " realized " + row.realizedPnl() + ", its entries fold to " + folded.quantity() + " / "
                            + realized);
                }
            }
        }
        return violations;
    }
}

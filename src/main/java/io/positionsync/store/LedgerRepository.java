package io.positionsync.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import io.positionsync.sync.EntryKind;
import io.positionsync.sync.LedgerEntry;
import io.positionsync.sync.LifecycleWrite;
import io.positionsync.sync.PositionKey;

/**
 * The {@code ledger_entries} table: each lifecycle's entries in fold order, enough to recompute its quantity,
 * average and realized P&L from the database alone. Written in the run's transaction, set-based.
 */
public final class LedgerRepository {
    private static final String COLUMNS = "position_id, seq, kind, exec_id, entry_time, quantity, price, commission, "
            + "commission_pending, fill_shares, commission_raw, commission_currency, realized_opening, "
            + "opening_estimated, broker_realized_pnl, run_id, fold_time, observed_quantity, observed_average, observed_market";

    private static final String INSERT = """
            INSERT INTO ledger_entries (%s)
            SELECT * FROM unnest(?::bigint[], ?::integer[], ?::text[], ?::text[], ?::timestamptz[], ?::numeric[],
                                 ?::numeric[], ?::numeric[], ?::boolean[], ?::numeric[], ?::numeric[], ?::text[],
                                 ?::numeric[], ?::boolean[], ?::numeric[], ?::bigint[], ?::timestamptz[],
                                 ?::numeric[], ?::numeric[], ?::numeric[])
            """.formatted(COLUMNS);

    private final int writeChunkSize;

    public LedgerRepository(int writeChunkSize) {
        if (writeChunkSize < 1) {
            throw new IllegalArgumentException("writeChunkSize must be at least 1, was " + writeChunkSize);
        }
        this.writeChunkSize = writeChunkSize;
    }

    /** The entries of each lifecycle in {@code positionIds}, in fold order. */
    public Map<Long, List<LedgerEntry>> entries(Connection connection, Collection<Long> positionIds) throws SQLException {
        Map<Long, List<LedgerEntry>> found = new LinkedHashMap<>();
        if (positionIds.isEmpty()) {
            return found;
        }
        for (Long id : positionIds) {
            found.put(id, new ArrayList<>());
        }
        // One index range per lifecycle, never a scan of the whole table: with position_id = ANY (?) the planner
        // scans ledger_entries, which grows with every run, for the few thousand lifecycles a run changes.
        // OFFSET 0 keeps the lookup a per-id subquery the planner cannot turn into a join.
        try (PreparedStatement statement = connection.prepareStatement("SELECT e.* FROM unnest(?::bigint[]) AS l(id)"
                + " CROSS JOIN LATERAL (SELECT " + COLUMNS + " FROM ledger_entries x WHERE x.position_id = l.id"
                + " OFFSET 0) e ORDER BY e.position_id, e.seq")) {
            statement.setArray(1, connection.createArrayOf("bigint", found.keySet().toArray()));
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    found.get(rows.getLong("position_id")).add(entry(rows));
                }
            }
        }
        return found;
    }

    /** Lifecycles holding a share of any of {@code execIds}. */
    public Set<Long> lifecyclesOf(Connection connection, Collection<String> execIds) throws SQLException {
        Set<Long> ids = new LinkedHashSet<>();
        if (execIds.isEmpty()) {
            return ids;
        }
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT DISTINCT position_id FROM ledger_entries WHERE exec_id = ANY (?)")) {
            statement.setArray(1, connection.createArrayOf("text", execIds.toArray(new String[0])));
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    ids.add(rows.getLong(1));
                }
            }
        }
        return ids;
    }

    /**
     * Lifecycles of {@code keys} that still wait for a commission: its report, or the exchange rate to convert it.
     * (An estimate needs no such look-up: only a fill executed before it can replace it, and the run reaches back to
     * every new fill's time anyway.)
     */
    public Set<Long> waitingLifecycles(Connection connection, Collection<PositionKey> keys) throws SQLException {
        Set<Long> ids = new LinkedHashSet<>();
        if (keys.isEmpty()) {
            return ids;
        }
        List<String> accounts = new ArrayList<>(keys.size());
        List<Long> conIds = new ArrayList<>(keys.size());
        for (PositionKey key : keys) {
            accounts.add(key.account());
            conIds.add(key.conId());
        }
        try (PreparedStatement statement = connection.prepareStatement("""
                SELECT DISTINCT e.position_id
                FROM unnest(?::text[], ?::bigint[]) AS k(account, con_id)
                JOIN positions p ON p.account = k.account AND p.con_id = k.con_id
                JOIN ledger_entries e ON e.position_id = p.id
                WHERE e.commission_pending
                """)) {
            statement.setArray(1, connection.createArrayOf("text", accounts.toArray(new String[0])));
            statement.setArray(2, connection.createArrayOf("bigint", conIds.toArray()));
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    ids.add(rows.getLong(1));
                }
            }
        }
        return ids;
    }

    /**
     * Writes the run's entries: a rewritten lifecycle's stored entries are replaced, others only gain their new
     * entries (from {@link LifecycleWrite#firstSeq()}). Every write carries its lifecycle's final id.
     */
    public void write(Connection connection, long runId, List<LifecycleWrite> writes) throws SQLException {
        List<Long> rewritten = new ArrayList<>();
        int count = 0;
        for (LifecycleWrite write : writes) {
            if (write.rewriteEntries()) {
                rewritten.add(write.row().id());
            }
            count += write.entries().size();
        }
        if (!rewritten.isEmpty()) {
            try (PreparedStatement statement = connection.prepareStatement(
                    "DELETE FROM ledger_entries WHERE position_id = ANY (?)")) {
                statement.setArray(1, connection.createArrayOf("bigint", rewritten.toArray()));
                statement.executeUpdate();
            }
        }
        // More than one statement's worth is streamed, each row made as COPY asks for it (never all held at once).
        Iterable<Object[]> rows = () -> writes.stream().flatMap(write -> rows(write, runId)).iterator();
        if (count > writeChunkSize) {
            CopyRows.copy(connection, "ledger_entries", COLUMNS, rows);
        } else {
            List<Object[]> listed = new ArrayList<>(count);
            rows.forEach(listed::add);
            ArrayColumns.executeChunked(connection, INSERT, 20, writeChunkSize, listed);
        }
    }

    /** A lifecycle's new entries in {@link #COLUMNS} order, numbered from its first new seq. */
    private static Stream<Object[]> rows(LifecycleWrite write, long runId) {
        long positionId = write.row().id();
        int firstSeq = write.firstSeq();
        List<LedgerEntry> entries = write.entries();
        return IntStream.range(0, entries.size()).mapToObj(i -> {
            LedgerEntry e = entries.get(i);
            return new Object[] {positionId, firstSeq + i, e.kind(), e.execId(), e.time(), e.quantity(), e.price(),
                e.commission(), e.commissionPending(), e.fillShares(), e.commissionRaw(), e.commissionCurrency(),
                e.realizedOpening(), e.openingEstimated(), e.brokerRealizedPnl(), e.runId() == 0 ? runId : e.runId(),
                e.foldTime(), e.observedQuantity(), e.observedAverage(), e.observedMarket()};
        });
    }

    private static LedgerEntry entry(ResultSet rows) throws SQLException {
        return new LedgerEntry(
                EntryKind.valueOf(rows.getString("kind")),
                rows.getString("exec_id"),
                Jdbc.instant(rows, "entry_time"),
                rows.getBigDecimal("quantity"),
                rows.getBigDecimal("price"),
                rows.getBigDecimal("commission"),
                rows.getBoolean("commission_pending"),
                rows.getBigDecimal("fill_shares"),
                rows.getBigDecimal("commission_raw"),
                rows.getString("commission_currency"),
                rows.getBigDecimal("realized_opening"),
                rows.getBoolean("opening_estimated"),
                rows.getBigDecimal("broker_realized_pnl"),
                rows.getLong("run_id"),
                Jdbc.instant(rows, "fold_time"),
                rows.getBigDecimal("observed_quantity"),
                rows.getBigDecimal("observed_average"),
                rows.getBigDecimal("observed_market"));
    }
}

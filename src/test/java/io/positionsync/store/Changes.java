package io.positionsync.store;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import io.positionsync.sync.ChangeKind;
import io.positionsync.sync.HistoryEntry;
import io.positionsync.sync.LedgerEntry;
import io.positionsync.sync.LifecycleWrite;
import io.positionsync.sync.PositionStatus;
import io.positionsync.sync.RealizedPnlSource;
import io.positionsync.sync.StoredPosition;

/** Builders for {@link LifecycleWrite}s in store tests, and the run's write sequence (ids, rows, entries). */
final class Changes {
    private Changes() {
    }

    static BigDecimal d(String value) {
        return new BigDecimal(value);
    }

    /** Reserves ids for created lifecycles and writes rows, history and entries, as a run's persist step does. */
    static List<LifecycleWrite> apply(PositionRepository positions, Connection connection, long runId,
            List<LifecycleWrite> writes, Instant at) throws SQLException {
        long created = writes.stream().filter(LifecycleWrite::created).count();
        long[] ids = positions.reserveIds(connection, (int) created);
        List<LifecycleWrite> withIds = new ArrayList<>();
        int next = 0;
        for (LifecycleWrite write : writes) {
            withIds.add(write.created() ? write.withId(ids[next++]) : write);
        }
        positions.write(connection, runId, withIds, at);
        new LedgerRepository(100).write(connection, runId, withIds);
        return withIds;
    }

    static LifecycleWrite opened(String account, long conId, String symbol, String quantity, String averagePrice,
            Instant at, String... execIds) {
        StoredPosition row = new StoredPosition(0, account, conId, symbol, "STK", "USD", BigDecimal.ONE, d(quantity),
                d(averagePrice), d(averagePrice), BigDecimal.ZERO, null, null, PositionStatus.OPEN, at, null, at);
        return new LifecycleWrite(0, true, row,
                List.of(LedgerEntry.openingBalance(at, d(quantity), d(averagePrice), null, false, 1)), 0, false,
                List.of(new HistoryEntry(ChangeKind.OPENED, BigDecimal.ZERO, d(quantity), d(averagePrice),
                        d(averagePrice), null, null, null, null, null, null, null, List.of(execIds), at)),
                false);
    }

    static LifecycleWrite unchanged(StoredPosition p, String marketPrice, String unrealizedPnl) {
        return new LifecycleWrite(0, false, row(p, p.quantity(), p.averagePrice(), d(marketPrice), d(unrealizedPnl),
                p.realizedPnl(), p.realizedPnlSource(), PositionStatus.OPEN, null), List.of(), 0, false, List.of(), true);
    }

    static LifecycleWrite increased(StoredPosition p, String quantity, String averagePrice, Instant at,
            String... execIds) {
        return new LifecycleWrite(0, false, row(p, d(quantity), d(averagePrice), p.marketPrice(), p.unrealizedPnl(),
                p.realizedPnl(), p.realizedPnlSource(), PositionStatus.OPEN, null), List.of(), 1, false,
                List.of(new HistoryEntry(ChangeKind.INCREASED, p.quantity(), d(quantity), d(averagePrice),
                        p.marketPrice(), null, p.realizedPnl(), null, null, null, null, null, List.of(execIds), at)),
                false);
    }

    /** A reduction realizing {@code delta} (total = {@code total}) at {@code exitPrice}. */
    static LifecycleWrite reduced(StoredPosition p, String quantity, String delta, String total,
            RealizedPnlSource source, String exitPrice, String commission, String brokerPnl, Instant at,
            String... execIds) {
        return new LifecycleWrite(0, false, row(p, d(quantity), p.averagePrice(), d(exitPrice), p.unrealizedPnl(),
                total == null ? null : d(total), source, PositionStatus.OPEN, null), List.of(), 1, false,
                List.of(new HistoryEntry(ChangeKind.REDUCED, p.quantity(), d(quantity), p.averagePrice(), d(exitPrice),
                        d(delta), total == null ? null : d(total), null, source, d(exitPrice),
                        commission == null ? null : d(commission), brokerPnl == null ? null : d(brokerPnl),
                        List.of(execIds), at)),
                false);
    }

    static LifecycleWrite closed(StoredPosition p, String delta, String total, RealizedPnlSource source,
            String exitPrice, String commission, String brokerPnl, Instant at, String... execIds) {
        return new LifecycleWrite(0, false, row(p, BigDecimal.ZERO, p.averagePrice(), d(exitPrice), BigDecimal.ZERO,
                total == null ? null : d(total), source, PositionStatus.CLOSED, at), List.of(), 1, false,
                List.of(new HistoryEntry(ChangeKind.CLOSED, p.quantity(), BigDecimal.ZERO, p.averagePrice(),
                        d(exitPrice), d(delta), total == null ? null : d(total), null, source, d(exitPrice),
                        commission == null ? null : d(commission), brokerPnl == null ? null : d(brokerPnl),
                        List.of(execIds), at)),
                false);
    }

    private static StoredPosition row(StoredPosition p, BigDecimal quantity, BigDecimal average, BigDecimal market,
            BigDecimal unrealized, BigDecimal realized, RealizedPnlSource source, PositionStatus status,
            Instant closedAt) {
        return new StoredPosition(p.id(), p.account(), p.conId(), p.symbol(), p.secType(), p.currency(), p.multiplier(),
                quantity, average, market, unrealized, realized, source, status, p.openedAt(), closedAt, null);
    }
}

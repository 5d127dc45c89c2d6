package io.positionsync.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import io.positionsync.sync.LifecycleWrite;

/**
 * Rows a sync run keeps in step outside the service's own tables, written in the run's transaction after the
 * service's rows (so they commit or roll back together). {@link #NONE} in a database the service owns alone;
 * {@link BotTableProjection} in an adopted one.
 */
@FunctionalInterface
public interface PositionProjection {
    /** Nothing beyond the service's own tables. */
    PositionProjection NONE = (connection, runId, writes, syncedAt) -> { };

    /** Writes the run's lifecycles ({@code writes}, ids assigned, already stored) wherever they are projected. */
    void project(Connection connection, long runId, List<LifecycleWrite> writes, Instant syncedAt) throws SQLException;

    /**
     * The broker's local symbols (conId -> {@code localSymbol}: {@code ESZ6}, an option's OCC symbol) of the run's
     * snapshot, handed over before the run lets go of the snapshot; a projection that names rows by them keeps them.
     */
    default void reported(Map<Long, String> localSymbols) {
    }
}

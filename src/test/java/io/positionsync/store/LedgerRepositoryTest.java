package io.positionsync.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.positionsync.sync.EntryKind;
import io.positionsync.sync.LedgerEntry;

/** Reading lifecycles' ledger entries back, as a run loads those it may change. */
class LedgerRepositoryTest {
    @RegisterExtension
    static final StoreDatabase db = new StoreDatabase();
    private static final LedgerRepository LEDGER = new LedgerRepository(100);

    @Test
    void entriesAreEachAskedLifecyclesInFoldOrderAndNoOthers() throws SQLException {
        try (Connection connection = db.connection(); Statement s = connection.createStatement()) {
            // written out of order: the read gives them in fold order (seq)
            s.execute("INSERT INTO ledger_entries (position_id, seq, kind, exec_id, quantity, price, fill_shares, run_id)"
                    + " VALUES (10, 2, 'FILL', 'c.01', -5, 103, 5, 2), (10, 0, 'OPENING_BALANCE', NULL, 20, 100, NULL, 1),"
                    + " (10, 1, 'FILL', 'b.01', 10, 101, 10, 2), (11, 0, 'FILL', 'd.01', 3, 50, 3, 1),"
                    + " (13, 0, 'FILL', 'e.01', 1, 10, 1, 1), (13, 1, 'FILL', 'f.01', 1, 11, 1, 1)");
        }

        Map<Long, List<LedgerEntry>> entries;
        try (Connection connection = db.connection()) {
            entries = LEDGER.entries(connection, List.of(11L, 10L, 12L, 10L));
            assertThat(LEDGER.entries(connection, List.of())).isEmpty();
        }

        assertThat(entries).containsOnlyKeys(10L, 11L, 12L);
        assertThat(entries.get(10L)).extracting(LedgerEntry::kind)
                .containsExactly(EntryKind.OPENING_BALANCE, EntryKind.FILL, EntryKind.FILL);
        assertThat(entries.get(10L)).extracting(LedgerEntry::execId).containsExactly(null, "b.01", "c.01");
        assertThat(entries.get(10L).get(2).quantity()).isEqualByComparingTo("-5");
        assertThat(entries.get(11L)).extracting(LedgerEntry::execId).containsExactly("d.01");
        assertThat(entries.get(12L)).as("a lifecycle without entries").isEmpty();
    }
}

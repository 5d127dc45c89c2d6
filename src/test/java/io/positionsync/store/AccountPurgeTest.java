package io.positionsync.store;

import io.positionsync.boot.PurgeAccountCommand;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.positionsync.boot.ConfigurationValues;

/** {@code purge-account}: a dry run by default; with --execute every row of the account goes, in one transaction. */
class AccountPurgeTest {
    private TestDatabase db;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void setUp() throws Exception {
        db = TestDatabase.create();
        try (Connection c = db.connection(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO sync_runs (id, trigger, status, started_at, finished_at) "
                    + "VALUES (1, 'TIMER', 'SUCCEEDED', now(), now())");
            for (String account : List.of("DU111", "DU222")) {
                long base = account.equals("DU111") ? 10 : 20;
                for (long id = base; id < base + 2; id++) {
                    s.execute("INSERT INTO positions (id, account, con_id, symbol, sec_type, currency, quantity, average_price, "
                            + "status, opened_at) VALUES (" + id + ", '" + account + "', " + id + ", 'S" + id
                            + "', 'STK', 'USD', 10, 100, 'OPEN', now())");
                    s.execute("INSERT INTO position_history (position_id, run_id, change_kind, quantity_before, quantity_after, "
                            + "recorded_at) VALUES (" + id + ", 1, 'OPENED', 0, 10, now())");
                    s.execute("INSERT INTO executions (exec_id, base_exec_id, account, con_id, side, shares, price, "
                            + "first_seen_run_id, state) VALUES ('e" + id + "', 'e" + id + "', '" + account + "', " + id
                            + ", 'BOT', 10, 100, 1, 'APPLIED')");
                    s.execute("INSERT INTO ledger_entries (position_id, seq, kind, exec_id, quantity, price, fill_shares, run_id) "
                            + "VALUES (" + id + ", 0, 'FILL', 'e" + id + "', 10, 100, 10, 1)");
                }
                s.execute("INSERT INTO exchange_rates (run_id, account, currency, rate) VALUES (1, '" + account + "', 'EUR', 1.1)");
                s.execute("INSERT INTO accounts (account, first_run_id, first_seen_at, last_reported_at) VALUES ('" + account
                        + "', 1, now(), now())");
                s.execute("INSERT INTO reconciliation_breaks (run_id, position_id, account, con_id, difference, tolerance, "
                        + "detected_at, kind) VALUES (1, " + base + ", '" + account + "', " + base
                        + ", 1, 0.01, now(), 'REALIZED_PNL_MISMATCH')");
            }
        }
    }

    @AfterEach
    void tearDown() {
        db.close();
    }

    private int purge(String... args) {
        return PurgeAccountCommand.run(args, ConfigurationValues.load(Map.of(), db.settings()),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void aDryRunCountsAndChangesNothing() throws Exception {
        assertThat(purge("DU111")).isZero();

        assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("dry run: would remove 11 rows of account DU111")
                .contains("--execute").containsPattern("position_history\\s+2").containsPattern("reconciliation_breaks\\s+1")
                .containsPattern("executions\\s+2").containsPattern("positions\\s+2")
                .containsPattern("ledger_entries\\s+2").containsPattern("exchange_rates\\s+1").containsPattern("accounts\\s+1");
        assertThat(count("SELECT count(*) FROM positions")).isEqualTo(4);
        assertThat(count("SELECT count(*) FROM executions")).isEqualTo(4);
    }

    @Test
    void executeRemovesTheAccountsRowsAndTheirHistoryOnly() throws Exception {
        assertThat(purge("DU111", "--execute")).isZero();

        assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("removed 11 rows of account DU111");
        for (String table : List.of("positions", "executions", "reconciliation_breaks", "exchange_rates", "accounts")) {
            assertThat(count("SELECT count(*) FROM " + table + " WHERE account = 'DU111'")).as(table).isZero();
        }
        assertThat(count("SELECT count(*) FROM position_history WHERE position_id IN (10, 11)")).isZero();
        assertThat(count("SELECT count(*) FROM ledger_entries WHERE position_id IN (10, 11)")).isZero();
        assertThat(count("SELECT count(*) FROM ledger_entries")).isEqualTo(2);
        assertThat(count("SELECT count(*) FROM accounts")).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM positions WHERE account = 'DU222'")).isEqualTo(2);
        assertThat(count("SELECT count(*) FROM position_history")).isEqualTo(2);
        assertThat(count("SELECT count(*) FROM executions")).isEqualTo(2);
        assertThat(count("SELECT count(*) FROM reconciliation_breaks")).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM sync_runs")).as("runs are shared").isEqualTo(1);
    }

    @Test
    void everyTableWithAnAccountColumnIsInTheScope() throws Exception {
        // A new table keyed by account must join AccountPurge.SCOPE; this names the one that did not.
        List<String> tables = new java.util.ArrayList<>();
        try (Connection c = db.connection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() "
                        + "AND column_name = 'account' ORDER BY 1")) {
            while (rs.next()) {
                tables.add(rs.getString(1));
            }
        }
        assertThat(AccountPurge.SCOPE).extracting(AccountPurge.Scope::table).containsAll(tables);
    }

    @Test
    void anUnknownAccountSaysWhichAccountsThereAre() {
        assertThat(purge("DU999", "--execute")).isZero();

        assertThat(out.toString(StandardCharsets.UTF_8)).contains("account DU999 has no rows")
                .contains("accounts there: DU111, DU222");
    }

    @Test
    void withoutAnAccountItShowsTheUsage() {
        assertThat(purge()).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("error: name the account (usage: purge-account ACCOUNT [--execute])");
    }

    private long count(String sql) throws Exception {
        try (Connection c = db.connection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}

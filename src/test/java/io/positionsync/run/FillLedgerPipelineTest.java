package io.positionsync.run;

import static io.positionsync.testing.SyncBook.AAPL;
import static io.positionsync.testing.SyncBook.ABC;
import static io.positionsync.testing.SyncBook.ACCOUNT;
import static io.positionsync.testing.SyncBook.ES;
import static io.positionsync.testing.SyncBook.XYZ;
import static io.positionsync.testing.SyncBook.dec;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.positionsync.ibkr.sim.Execution;
import io.positionsync.ibkr.sim.Fill;
import io.positionsync.ibkr.sim.Instrument;
import io.positionsync.ibkr.sim.Side;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.ServiceUnderTest;
import io.positionsync.testing.PositionSyncService.Gateway;
import io.positionsync.testing.PositionSyncService.Lifecycle;
import io.positionsync.testing.PositionSyncService.Profile;

/**
 * The fill ledger end to end: several fills between two runs, through the simulator over a real socket, the
 * route and PostgreSQL. Every case starts from a run that has already seen the (empty) accounts, so positions
 * are built from their fills, not taken as opening balances.
 */
@PositionSyncService(profile = Profile.PIPELINE, gateway = Gateway.BOOK, lifecycle = Lifecycle.PER_METHOD)
class FillLedgerPipelineTest {
    private ServiceUnderTest h;

    @BeforeEach
    void start() throws Exception {
        assertThat(h.sync().status()).isEqualTo(SyncRunStatus.SUCCEEDED);
    }

    private void assertMoney(Object actual, String expected) {
        assertThat((BigDecimal) actual).isEqualByComparingTo(expected);
    }

    private SyncRunSummary sync() throws Exception {
        SyncRunSummary run = h.sync();
        assertThat(run.status()).as("run %s: %s", run.runId(), run.error()).isEqualTo(SyncRunStatus.SUCCEEDED);
        return run;
    }

    @Test
    void buysThenAPartialSellBetweenTwoRunsBookTheSale() throws Exception {
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("100"), dec("10.00"), dec("1.00"));
        sync();
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("50"), dec("12.00"), dec("0.50"));
        h.broker().trade(ACCOUNT, AAPL, Side.SLD, dec("120"), dec("15.00"), dec("1.20"));

        SyncRunSummary run = sync();

        // worked example 5: the sale is priced at the average after the buy, 10.67667, not at 10.01
        Map<String, Object> row = h.openRow(ACCOUNT, AAPL);
        assertMoney(row.get("quantity"), "30");
        assertMoney(row.get("realized_pnl"), "517.60");
        assertThat(row.get("realized_pnl_source")).isEqualTo("EXECUTIONS");
        assertMoney(row.get("average_price"), "10.67666667");
        assertThat(run.fills().applied()).isEqualTo(2);
        assertThat(run.fills().estimated()).isZero();
        assertThat(h.count("SELECT count(*) FROM reconciliation_breaks")).isZero();
    }

    @Test
    void netUpStillBooksTheSaleInBetween() throws Exception {
        h.broker().trade(ACCOUNT, XYZ, Side.BOT, dec("100"), dec("20.00"), dec("1.00"));
        h.broker().trade(ACCOUNT, XYZ, Side.SLD, dec("40"), dec("22.00"), dec("1.00"));
        h.broker().trade(ACCOUNT, XYZ, Side.BOT, dec("60"), dec("21.00"), dec("1.00"));

        sync();

        Map<String, Object> row = h.openRow(ACCOUNT, XYZ);
        assertMoney(row.get("quantity"), "120");
        // A = 20.01; R = (22.00 - 20.01) * 40 - 1.00 = 78.60
        assertMoney(row.get("realized_pnl"), "78.60");
    }

    @Test
    void sellAndBuyBackTheSameQuantityBooksTheRoundTrip() throws Exception {
        h.broker().trade(ACCOUNT, XYZ, Side.BOT, dec("100"), dec("20.00"), dec("1.00"));
        sync();
        h.broker().trade(ACCOUNT, XYZ, Side.SLD, dec("50"), dec("25.00"), dec("1.00"));
        h.broker().trade(ACCOUNT, XYZ, Side.BOT, dec("50"), dec("24.00"), dec("1.00"));

        sync();

        Map<String, Object> row = h.openRow(ACCOUNT, XYZ);
        assertMoney(row.get("quantity"), "100");
        // (25.00 - 20.01) * 50 - 1.00 = 248.50; the buy back moves the average
        assertMoney(row.get("realized_pnl"), "248.50");
        // (50 * 20.01 + 50 * 24.00 + 1.00) / 100
        assertMoney(row.get("average_price"), "22.015");
        List<Map<String, Object>> history = h.query("SELECT change_kind, realized_pnl_delta FROM position_history"
                + " WHERE position_id = ? ORDER BY run_id", row.get("id"));
        assertThat(history).extracting(r -> r.get("change_kind")).containsExactly("OPENED", "REDUCED");
        assertMoney(history.get(1).get("realized_pnl_delta"), "248.50");
    }

    @Test
    void goingFlatAndReopeningBetweenTwoRunsIsTwoLifecycles() throws Exception {
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("100"), dec("150.00"), dec("1.00"));
        sync();
        Execution sale = h.broker().trade(ACCOUNT, AAPL, Side.SLD, dec("100"), dec("160.00"), dec("1.00"));
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("50"), dec("155.00"), dec("1.00"));

        SyncRunSummary run = sync();

        List<Map<String, Object>> rows = h.rows(ACCOUNT, AAPL);
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0).get("status")).isEqualTo("CLOSED");
        assertMoney(rows.get(0).get("realized_pnl"), "998.00");
        assertThat(rows.get(0).get("closed_at")).isEqualTo(sale.time());
        assertMoney(rows.get(0).get("unrealized_pnl"), "0");
        assertThat(rows.get(1).get("status")).isEqualTo("OPEN");
        assertMoney(rows.get(1).get("average_price"), "155.02");
        assertThat(rows.get(1).get("realized_pnl")).isNull();
        assertThat(run.closed()).isEqualTo(1);
        assertThat(run.opened()).isEqualTo(1);
    }

    @Test
    void aWholeRoundTripBetweenTwoRunsLeavesAClosedLifecycle() throws Exception {
        h.broker().trade(ACCOUNT, ABC, Side.BOT, dec("200"), dec("9.00"), dec("1.00"));
        h.broker().trade(ACCOUNT, ABC, Side.SLD, dec("200"), dec("9.50"), dec("1.00"));

        sync();

        List<Map<String, Object>> rows = h.rows(ACCOUNT, ABC);
        assertThat(rows).singleElement().satisfies(row -> {
            assertThat(row.get("status")).isEqualTo("CLOSED");
            // A = 9.005; R = (9.50 - 9.005) * 200 - 1.00 = 98.00
            assertMoney(row.get("realized_pnl"), "98.00");
            assertThat(row.get("realized_pnl_source")).isEqualTo("EXECUTIONS");
        });
        assertThat(h.query("SELECT change_kind FROM position_history WHERE position_id = ?", rows.get(0).get("id")))
                .extracting(r -> r.get("change_kind")).containsExactlyInAnyOrder("OPENED", "CLOSED");
    }

    @Test
    void aFutureFlipClosesOneLifecycleAndOpensTheNextWithItsShareOfTheCommission() throws Exception {
        h.broker().trade(ACCOUNT, ES, Side.BOT, dec("2"), dec("5000.00"), dec("4.80"));
        sync();
        h.broker().trade(ACCOUNT, ES, Side.SLD, dec("3"), dec("5010.00"), dec("7.20"));

        sync();

        List<Map<String, Object>> rows = h.rows(ACCOUNT, ES);
        assertThat(rows).hasSize(2);
        // A = 5000 + 4.80 / 50 / 2 = 5000.048; R = (5010 - 5000.048) * 2 * 50 - 7.20 * 2/3 = 990.40
        assertMoney(rows.get(0).get("realized_pnl"), "990.40");
        assertMoney(rows.get(1).get("quantity"), "-1");
        // 5010 - 2.40 / 50 = 5009.952
        assertMoney(rows.get(1).get("average_price"), "5009.952");
    }

    @Test
    void aCorrectionOfAnAppliedFillAdjustsTheClosedLifecycle() throws Exception {
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("100"), dec("150.00"), dec("1.00"));
        sync();
        Execution sale = h.broker().trade(ACCOUNT, AAPL, Side.SLD, dec("100"), dec("160.00"), dec("1.00"));
        sync();
        assertMoney(h.rows(ACCOUNT, AAPL).get(0).get("realized_pnl"), "998.00");

        Execution corrected = h.broker().correctExecution(sale.execId(), dec("161.00"));
        SyncRunSummary run = sync();

        Map<String, Object> row = h.rows(ACCOUNT, AAPL).get(0);
        assertThat(row.get("status")).isEqualTo("CLOSED");
        assertMoney(row.get("realized_pnl"), "1098.00");
        List<Map<String, Object>> adjusted = h.query("SELECT run_id, realized_pnl_before, realized_pnl_total, exec_ids"
                + " FROM position_history WHERE position_id = ? AND change_kind = 'ADJUSTED'", row.get("id"));
        assertThat(adjusted).singleElement().satisfies(entry -> {
            assertThat(entry.get("run_id")).isEqualTo(run.runId());
            assertMoney(entry.get("realized_pnl_before"), "998.00");
            assertMoney(entry.get("realized_pnl_total"), "1098.00");
            assertThat((String[]) ((java.sql.Array) entry.get("exec_ids")).getArray()).contains(corrected.execId());
        });
        assertThat(h.query("SELECT state, superseded_by FROM executions WHERE exec_id = ?", sale.execId()))
                .singleElement().satisfies(e -> {
                    assertThat(e.get("state")).isEqualTo("SUPERSEDED");
                    assertThat(e.get("superseded_by")).isEqualTo(corrected.execId());
                });
    }

    @Test
    void aCloseWithoutAnyExecutionIsAnEstimateWithABreak() throws Exception {
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("100"), dec("150.00"), dec("1.00"));
        sync();
        h.broker().setMarketPrice(AAPL, dec("158.00"));
        h.broker().brokerClose(ACCOUNT, AAPL);

        SyncRunSummary run = sync();

        Map<String, Object> row = h.rows(ACCOUNT, AAPL).get(0);
        assertThat(row.get("status")).isEqualTo("CLOSED");
        // (158.00 - 150.01) * 100 = 799.00 at the last market price
        assertMoney(row.get("realized_pnl"), "799.00");
        assertThat(row.get("realized_pnl_source")).isEqualTo("MARKET_PRICE");
        assertThat(run.fills().estimated()).isEqualTo(1);
        assertThat(h.query("SELECT kind, resolved_at FROM reconciliation_breaks")).singleElement()
                .satisfies(b -> assertThat(b.get("kind")).isEqualTo("UNEXPLAINED_QUANTITY"));

        // the next run sees the broker flat again: the agreement the estimate itself produced explains nothing, the
        // break stays open until a fact (the real sale) explains it
        sync();
        assertThat(h.query("SELECT resolved_run_id, subject FROM reconciliation_breaks")).singleElement()
                .satisfies(b -> {
                    assertThat(b.get("resolved_run_id")).isNull();
                    assertThat((String) b.get("subject")).startsWith("obs:");
                });
    }

    @Test
    void anUnchangedReRunChangesNothingButTheSyncTime() throws Exception {
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("100"), dec("150.00"), dec("1.00"));
        h.broker().trade(ACCOUNT, XYZ, Side.SLD, dec("50"), dec("20.00"), dec("1.00"));
        sync();
        String before = h.query("SELECT id, quantity, average_price, realized_pnl, status FROM positions ORDER BY id")
                .toString();
        long entries = h.count("SELECT count(*) FROM ledger_entries");
        long history = h.count("SELECT count(*) FROM position_history");

        SyncRunSummary again = sync();

        assertThat(h.query("SELECT id, quantity, average_price, realized_pnl, status FROM positions ORDER BY id")
                .toString()).isEqualTo(before);
        assertThat(h.count("SELECT count(*) FROM ledger_entries")).isEqualTo(entries);
        assertThat(h.count("SELECT count(*) FROM position_history")).isEqualTo(history);
        assertThat(again.unchanged()).isEqualTo(2);
        assertThat(h.count("SELECT count(*) FROM positions WHERE last_synced_at = (SELECT max(last_synced_at) FROM positions)"))
                .isEqualTo(2);
    }

    @Test
    void aCommissionReportThatArrivesInALaterSnapshotAdjustsTheBookedFill() throws Exception {
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("100"), dec("150.00"), dec("1.00"));
        sync();
        Execution sale = h.broker().trade(Fill.of(ACCOUNT, AAPL, Side.SLD, dec("100"), dec("160.00"), dec("1.00"))
                .withCommissionWithheld());

        SyncRunSummary withoutReport = sync();

        Map<String, Object> row = h.rows(ACCOUNT, AAPL).get(0);
        assertMoney(row.get("realized_pnl"), "999.00");
        assertThat(h.query("SELECT kind FROM reconciliation_breaks WHERE resolved_at IS NULL")).singleElement()
                .satisfies(b -> assertThat(b.get("kind")).isEqualTo("COMMISSION_PENDING"));

        h.broker().releaseCommission(sale.execId());
        SyncRunSummary withReport = sync();

        row = h.rows(ACCOUNT, AAPL).get(0);
        assertMoney(row.get("realized_pnl"), "998.00");
        assertThat(h.query("SELECT realized_pnl_before, realized_pnl_total FROM position_history"
                + " WHERE change_kind = 'ADJUSTED' AND run_id = ?", withReport.runId())).singleElement().satisfies(a -> {
                    assertMoney(a.get("realized_pnl_before"), "999.00");
                    assertMoney(a.get("realized_pnl_total"), "998.00");
                });
        assertThat(h.query("SELECT resolved_run_id FROM reconciliation_breaks WHERE kind = 'COMMISSION_PENDING'"))
                .singleElement().satisfies(b -> assertThat(b.get("resolved_run_id")).isEqualTo(withReport.runId()));
        assertThat(withoutReport.runId()).isLessThan(withReport.runId());
    }

    @Test
    void aFillBetweenThePositionsAndTheExecutionsReplyIsAppliedOnceByTheNextRun() throws Exception {
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("100"), dec("10.00"), dec("1.00"));
        sync();
        h.broker().trade(ACCOUNT, AAPL, Side.SLD, dec("40"), dec("12.00"), dec("1.00"));
        int next = h.broker().executionsRequests() + 1;
        h.broker().beforeExecutionsReply(next, state -> state.trade(ACCOUNT, AAPL, Side.SLD, dec("10"), dec("12.50"),
                dec("1.00")));

        SyncRunSummary deferring = sync();

        assertThat(deferring.fills().deferred()).isEqualTo(1);
        assertThat(deferring.fills().estimated()).isZero();
        assertMoney(h.openRow(ACCOUNT, AAPL).get("quantity"), "60");
        assertThat(h.count("SELECT count(*) FROM executions WHERE state = 'SEEN'")).isEqualTo(1);

        SyncRunSummary applying = sync();

        assertThat(applying.fills().applied()).isEqualTo(1);
        Map<String, Object> row = h.openRow(ACCOUNT, AAPL);
        assertMoney(row.get("quantity"), "50");
        assertMoney(row.get("realized_pnl"), "102.50");
        assertThat(h.count("SELECT count(*) FROM executions WHERE state = 'SEEN'")).isZero();
        assertThat(h.count("SELECT count(*) FROM reconciliation_breaks")).isZero();
    }

    @Test
    void aCommissionInAnotherCurrencyIsConvertedWithTheSnapshotsExchangeRate() throws Exception {
        long sap = 14204L;
        h.broker().addInstrument(new Instrument(sap, "SAP", "STK", "EUR", "SMART", "IBIS", "SAP", "XETRA", null, null,
                null, null, null));
        h.broker().setMarketPrice(sap, dec("200.00"));
        h.broker().exchangeRate("EUR", dec("1.10"));
        h.broker().trade(Fill.of(ACCOUNT, sap, Side.BOT, dec("10"), dec("200.00"), dec("1.10"))
                .withCommissionCurrency("USD"));
        h.broker().trade(Fill.of(ACCOUNT, sap, Side.SLD, dec("10"), dec("210.00"), dec("2.20"))
                .withCommissionCurrency("USD"));

        sync();

        // USD 1.10 = EUR 1.00 and USD 2.20 = EUR 2.00: (210 - 200.10) * 10 - 2.00 = 97.00 EUR
        Map<String, Object> row = h.rows(ACCOUNT, sap).get(0);
        assertThat(row.get("currency")).isEqualTo("EUR");
        assertMoney(row.get("realized_pnl"), "97.00");
        assertThat(h.count("SELECT count(*) FROM reconciliation_breaks")).isZero();
        assertThat(h.query("SELECT rate FROM exchange_rates WHERE account = ? AND currency = 'EUR'", ACCOUNT))
                .isNotEmpty();
    }

    @Test
    void executionsOfOtherClientsAreInvisibleWithoutTheMasterClientIdAndEverythingBecomesAnEstimate() throws Exception {
        h.broker().masterClientId(0);
        h.broker().trade(Fill.of(ACCOUNT, AAPL, Side.BOT, dec("100"), dec("150.00"), dec("1.00")).withClientId(7));

        SyncRunSummary run = sync();

        assertThat(run.fills().applied()).isZero();
        assertThat(run.fills().estimated()).isEqualTo(1);
        assertThat(h.openRow(ACCOUNT, AAPL).get("realized_pnl_source")).isNull();
        assertThat(h.query("SELECT kind FROM reconciliation_breaks")).singleElement()
                .satisfies(b -> assertThat(b.get("kind")).isEqualTo("UNEXPLAINED_QUANTITY"));
    }

    @Test
    void sellBuySellInterleavedPricesEachSaleAtTheAverageOfItsMoment() throws Exception {
        h.broker().trade(ACCOUNT, XYZ, Side.BOT, dec("100"), dec("20.00"), dec("1.00"));
        sync();
        h.broker().trade(ACCOUNT, XYZ, Side.SLD, dec("50"), dec("22.00"), dec("1.00"));
        h.broker().trade(ACCOUNT, XYZ, Side.BOT, dec("50"), dec("26.00"), dec("1.00"));
        h.broker().trade(ACCOUNT, XYZ, Side.SLD, dec("80"), dec("25.00"), dec("1.00"));

        sync();

        Map<String, Object> row = h.openRow(ACCOUNT, XYZ);
        assertMoney(row.get("quantity"), "20");
        // A = 20.01; SLD 50: (22 - 20.01) * 50 - 1 = 98.50; BOT 50: A = (50 * 20.01 + 50 * 26 + 1) / 100 = 23.015;
        // SLD 80: (25 - 23.015) * 80 - 1 = 157.80; total 256.30
        assertMoney(row.get("realized_pnl"), "256.30");
        assertMoney(row.get("average_price"), "23.015");
    }

    @Test
    void aLateExecutionThatExplainsAnEarlierEstimateReplacesIt() throws Exception {
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("100"), dec("150.00"), dec("1.00"));
        sync();
        // the sale is placed by another client while this client is not the master: invisible to it
        h.broker().masterClientId(0);
        h.broker().setMarketPrice(AAPL, dec("158.00"));
        h.broker().trade(Fill.of(ACCOUNT, AAPL, Side.SLD, dec("100"), dec("160.00"), dec("1.00")).withClientId(7));
        SyncRunSummary estimating = sync();
        assertThat(estimating.fills().estimated()).isEqualTo(1);
        Map<String, Object> row = h.rows(ACCOUNT, AAPL).get(0);
        assertMoney(row.get("realized_pnl"), "799.00");
        assertThat(row.get("realized_pnl_source")).isEqualTo("MARKET_PRICE");

        // the operator makes this client the master: the sale shows up, executed before the estimate's run
        h.broker().masterClientId(41);
        SyncRunSummary explaining = sync();

        row = h.rows(ACCOUNT, AAPL).get(0);
        assertThat(h.rows(ACCOUNT, AAPL)).hasSize(1);
        assertMoney(row.get("realized_pnl"), "998.00");
        assertThat(row.get("realized_pnl_source")).isEqualTo("EXECUTIONS");
        assertThat(h.query("SELECT realized_pnl_before, realized_pnl_total FROM position_history"
                + " WHERE change_kind = 'ADJUSTED' AND run_id = ?", explaining.runId())).singleElement().satisfies(a -> {
                    assertMoney(a.get("realized_pnl_before"), "799.00");
                    assertMoney(a.get("realized_pnl_total"), "998.00");
                });
        assertThat(h.count("SELECT count(*) FROM ledger_entries WHERE kind = 'ESTIMATE'")).isZero();
        assertThat(h.query("SELECT resolved_run_id FROM reconciliation_breaks WHERE kind = 'UNEXPLAINED_QUANTITY'"))
                .singleElement().satisfies(b -> assertThat(b.get("resolved_run_id")).isNotNull());
    }

    @Test
    void anExecutionOfAnAccountOutsideManagedAccountsIsLeftOutAndTheManagedAccountsStillSync() throws Exception {
        h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("100"), dec("150.00"), dec("1.00"));
        sync();
        String unlinked = "DU5559999";
        h.broker().addAccount(unlinked).setManaged(unlinked, false);
        h.broker().trade(unlinked, XYZ, Side.BOT, dec("10"), dec("20.00"), dec("1.00"));
        h.broker().trade(ACCOUNT, AAPL, Side.SLD, dec("40"), dec("155.00"), dec("1.00"));
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory
                .getLogger(SyncRunSteps.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> events =
                new ch.qos.logback.core.read.ListAppender<>();
        events.start();
        logger.addAppender(events);
        SyncRunSummary run;
        try {
            run = sync();
        } finally {
            logger.detachAppender(events);
        }

        // The managed account's sale is applied: (155.00 - 150.01) * 40 - 1.00
        Map<String, Object> row = h.openRow(ACCOUNT, AAPL);
        assertMoney(row.get("quantity"), "60");
        assertMoney(row.get("realized_pnl"), "198.60");
        assertThat(run.fills().applied()).isEqualTo(1);
        // No row of the unlinked account anywhere: every table with an account column.
        List<Map<String, Object>> tables = h.query("SELECT table_name FROM information_schema.columns"
                + " WHERE table_schema = current_schema() AND column_name = 'account'");
        assertThat(tables).extracting(t -> t.get("table_name")).contains("positions", "executions", "accounts", "reconciliation_breaks");
        for (Map<String, Object> table : tables) {
            assertThat(h.count("SELECT count(*) FROM " + table.get("table_name") + " WHERE account = ?", unlinked))
                    .as("rows of %s in %s", unlinked, table.get("table_name")).isZero();
        }
        assertThat(events.list).filteredOn(e -> e.getFormattedMessage().startsWith("sync run " + run.runId() + " "))
                .singleElement().satisfies(e -> assertThat(e.getFormattedMessage()).endsWith(
                        "; 2 rows of accounts outside managedAccounts left out (DU5559999: 1 position, "
                                + "0 portfolio values, 1 execution)"));
    }

    @Test
    void eachReconcileWarningIsLoggedOnceAtWarn() throws Exception {
        ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory
                .getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> events =
                new ch.qos.logback.core.read.ListAppender<>();
        events.start();
        root.addAppender(events);
        try {
            h.broker().trade(ACCOUNT, AAPL, Side.BOT, dec("100"), dec("150.00"), dec("1.00"));
            sync();
            h.broker().brokerClose(ACCOUNT, AAPL);
            sync();
        } finally {
            root.detachAppender(events);
        }
        assertThat(events.list).filteredOn(e -> e.getFormattedMessage().contains("ESTIMATED_FILL"))
                .singleElement().satisfies(e -> assertThat(e.getLevel()).isEqualTo(ch.qos.logback.classic.Level.WARN));
    }

    @Test
    void aFillExecutedBeforeTheAccountsFirstSightButReportedLaterIsInTheOpeningBalance() throws Exception {
        try (ServiceUnderTest fresh = ServiceUnderTest.startPipeline()) {
            Execution buy = fresh.broker().trade(Fill.of(ACCOUNT, AAPL, Side.BOT, dec("100"), dec("150.00"), dec("1.00"))
                    .at(java.time.Instant.now().minusSeconds(600)));
            fresh.broker().withholdExecution(buy.execId());
            assertThat(fresh.sync().status()).isEqualTo(SyncRunStatus.SUCCEEDED); // first sight: the balance holds 100

            fresh.broker().releaseExecution(buy.execId());
            SyncRunSummary next = fresh.sync();

            assertThat(next.fills()).isEqualTo(io.positionsync.sync.FillCounts.NONE);
            assertThat(fresh.rows(ACCOUNT, AAPL)).singleElement().satisfies(row -> assertMoney(row.get("quantity"), "100"));
            assertThat(fresh.query("SELECT state FROM executions WHERE exec_id = ?", buy.execId())).singleElement()
                    .satisfies(e -> assertThat(e.get("state")).isEqualTo("COVERED"));
            assertThat(fresh.count("SELECT count(*) FROM reconciliation_breaks")).isZero();
        }
    }
}

package io.positionsync.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.store.TestDatabase;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.ServiceUnderTest;

/**
 * The reads behind the dashboard a trader uses, over real runs spread across several days (see
 * {@link TradingDays}): {@code GET /api/pnl/daily} and {@code GET /api/breaks}.
 */
@PositionSyncService(awaitFirstRun = true)
class TraderReadsApiTest {
    static TestDatabase db;
    static GatewaySimulator sim;
    static ServiceUnderTest service;
    static final LocalDate TODAY = LocalDate.now(ZoneOffset.UTC);

    @BeforeAll
    static void start() throws Exception {
        TradingDays.trade(sim, service, db);
    }

    @Test
    void realizedPnlPerDayAccountAndCurrencyWithEstimatesApart() {
        JsonNode json = service.getJson("api/pnl/daily?from=" + TODAY.minusDays(6) + "&to=" + TODAY);
        assertThat(json.get("from").asText()).isEqualTo(TODAY.minusDays(6).toString());
        List<JsonNode> days = list(json.get("days"));

        assertThat(days).extracting(d -> d.get("day").asText() + " " + d.get("account").asText() + " "
                + d.get("currency").asText() + " " + d.get("source").asText()).containsExactly(
                TODAY.minusDays(3) + " DU1000001 USD EXECUTIONS",
                TODAY.minusDays(1) + " DU1000001 EUR EXECUTIONS",
                TODAY + " DU1000001 USD EXECUTIONS",
                TODAY + " DU1000001 USD MARKET_PRICE");
        assertThat(new BigDecimal(days.get(0).get("realizedPnl").asText())).isEqualByComparingTo(TradingDays.AAPL_REALIZED_DAY_3);
        assertThat(new BigDecimal(days.get(1).get("realizedPnl").asText())).isEqualByComparingTo(TradingDays.SAP_REALIZED);
        // Today: the fill whose commission came one run late, as the ledger holds it now (commission included).
        assertThat(new BigDecimal(days.get(2).get("realizedPnl").asText())).isEqualByComparingTo(TradingDays.AAPL_REALIZED_TODAY);
        assertThat(days.get(2).get("changes").asLong()).isEqualTo(1);
        assertThat(json.get("timeZone").asText()).isEqualTo("UTC");
        // The estimate: the market price's P&L of the 5 MSFT no execution explained, what its lifecycle says.
        BigDecimal estimated = new BigDecimal(days.get(3).get("realizedPnl").asText());
        assertThat(estimated).isEqualByComparingTo(lifecycleRealized(TradingDays.MSFT));
        assertThat(estimated.signum()).isPositive();

        // Totals per currency, execution-backed and estimated apart; USD and EUR never added.
        List<JsonNode> totals = list(json.get("totals"));
        assertThat(totals).extracting(t -> t.get("currency").asText()).containsExactly("EUR", "USD");
        assertThat(new BigDecimal(totals.get(0).get("realizedPnl").asText())).isEqualByComparingTo(TradingDays.SAP_REALIZED);
        BigDecimal usdExecutions = TradingDays.AAPL_REALIZED_DAY_3.add(TradingDays.AAPL_REALIZED_TODAY);
        assertThat(new BigDecimal(totals.get(1).get("executions").asText())).isEqualByComparingTo(usdExecutions);
        assertThat(new BigDecimal(totals.get(1).get("estimated").asText())).isEqualByComparingTo(estimated);
        assertThat(new BigDecimal(totals.get(1).get("realizedPnl").asText()))
                .isEqualByComparingTo(usdExecutions.add(estimated));
    }

    @Test
    void theRangeAndTheAccountNarrowIt() {
        JsonNode recent = service.getJson("api/pnl/daily?from=" + TODAY.minusDays(1) + "&to=" + TODAY.minusDays(1));
        assertThat(list(recent.get("days"))).extracting(d -> d.get("currency").asText()).containsExactly("EUR");
        JsonNode other = service.getJson("api/pnl/daily?account=DU1000002&from=" + TODAY.minusDays(6));
        assertThat(other.get("account").asText()).isEqualTo("DU1000002");
        assertThat(other.get("days")).isEmpty();
        assertThat(other.get("totals")).isEmpty();
        // Without a range: the last 30 days up to today.
        JsonNode defaults = service.getJson("api/pnl/daily");
        assertThat(defaults.get("to").asText()).isEqualTo(TODAY.toString());
        assertThat(defaults.get("from").asText()).isEqualTo(TODAY.minusDays(29).toString());
        assertThat(defaults.get("days")).hasSize(4);
    }

    @Test
    void badParametersAreRefusedByName() {
        assertThat(service.get("api/pnl/daily?from=yesterday").statusCode()).isEqualTo(400);
        assertThat(service.get("api/pnl/daily?from=2026-02-30").body()).contains("'from'");
        assertThat(service.get("api/pnl/daily?from=2026-03-02&to=2026-03-01").body()).contains("must not be after");
        assertThat(service.get("api/pnl/daily?from=2020-01-01&to=2026-01-01").body()).contains("at most 366 days");
        assertThat(service.get("api/pnl/daily?account=a%27b").statusCode()).isEqualTo(400);
        assertThat(service.post("api/pnl/daily").statusCode()).isEqualTo(405);
    }

    /** The planner can answer a date range from the index instead of reading every change ever recorded. */
    @Test
    void theRangeIsAnIndexScan() throws Exception {
        try (Connection connection = db.connection(); Statement statement = connection.createStatement()) {
            statement.execute("SET enable_seqscan = off");
            StringBuilder plan = new StringBuilder();
            try (ResultSet rows = statement.executeQuery("EXPLAIN SELECT DISTINCT position_id FROM ledger_entries "
                    + "WHERE entry_time >= now() - interval '7 days' AND entry_time < now() AND kind <> 'AVERAGE_RESET'")) {
                while (rows.next()) {
                    plan.append(rows.getString(1)).append('\n');
                }
            }
            assertThat(plan.toString()).contains("ledger_entries_entry_time_idx");
        }
    }

    /** The late commission raised a COMMISSION_PENDING break the next run resolved; the estimate's break is open. */
    @Test
    void breaksOpenAndRecentlyResolvedWithTheirRuns() {
        JsonNode open = service.getJson("api/breaks");
        assertThat(open.get("status").asText()).isEqualTo("open");
        assertThat(open.get("openCount").asLong()).isEqualTo(open.get("breaks").size());
        JsonNode unexplained = only(open.get("breaks"), "UNEXPLAINED_QUANTITY");
        assertThat(unexplained.get("conId").asLong()).isEqualTo(TradingDays.MSFT);
        assertThat(unexplained.get("currency").asText()).isEqualTo("USD");
        assertThat(new BigDecimal(unexplained.get("ours").asText())).isEqualByComparingTo("40");
        assertThat(new BigDecimal(unexplained.get("broker").asText())).isEqualByComparingTo("35");
        assertThat(unexplained.get("resolvedAt").isNull()).isTrue();
        assertThat(unexplained.get("runId").asLong()).isPositive();

        JsonNode resolved = service.getJson("api/breaks?status=resolved&limit=5");
        JsonNode pending = only(resolved.get("breaks"), "COMMISSION_PENDING");
        assertThat(pending.get("conId").asLong()).isEqualTo(TradingDays.AAPL);
        assertThat(pending.get("resolvedRunId").asLong()).isGreaterThan(pending.get("runId").asLong());
        assertThat(pending.get("resolvedAt").asText()).isNotEmpty();

        assertThat(service.get("api/breaks?status=closed").statusCode()).isEqualTo(400);
        assertThat(service.get("api/breaks?limit=0").statusCode()).isEqualTo(400);
    }

    @Test
    void positionsByAccountSymbolStatusAndDaysWithTheTrueTotal() {
        JsonNode all = service.getJson("api/positions?limit=1");
        assertThat(all.get("positions")).hasSize(1);
        assertThat(all.get("total").asLong()).isEqualTo(service.getJson("api/positions?limit=1000").get("positions").size());

        JsonNode sap = service.getJson("api/positions?symbol=SAP&account=DU1000001&status=closed");
        assertThat(sap.get("total").asLong()).isEqualTo(1);
        assertThat(sap.at("/positions/0/currency").asText()).isEqualTo("EUR");
        // Open at some time in the range: every lifecycle of today, none that closed before the range.
        assertThat(service.getJson("api/positions?symbol=SAP&from=" + TODAY).get("total").asLong()).isEqualTo(1);
        assertThat(service.getJson("api/positions?from=" + TODAY.plusDays(1)).get("total").asLong())
                .isEqualTo(service.getJson("api/positions?status=open").get("total").asLong());
        assertThat(service.getJson("api/positions?to=" + TODAY.minusDays(1)).get("total").asLong()).isZero();
        assertThat(service.get("api/positions?symbol=%3Dcmd()").statusCode()).isEqualTo(400);
        assertThat(service.get("api/positions?from=" + TODAY + "&to=" + TODAY.minusDays(1)).statusCode()).isEqualTo(400);
    }

    @Test
    void theCsvHoldsEveryRowTheFiltersSelect() {
        java.net.http.HttpResponse<String> csv = service.get("api/positions.csv?account=DU1000001");
        assertThat(csv.statusCode()).isEqualTo(200);
        assertThat(csv.headers().firstValue("Content-Type")).hasValue("text/csv; charset=utf-8");
        assertThat(csv.headers().firstValue("Content-Disposition")).hasValue("attachment; filename=\"positions.csv\"");
        String[] lines = csv.body().split("\r\n");
        assertThat(lines[0]).isEqualTo(PositionsCsv.HEADER.strip());
        JsonNode listed = service.getJson("api/positions?account=DU1000001&limit=1000");
        assertThat(lines).hasSize(1 + listed.get("total").asInt());
        JsonNode first = listed.at("/positions/0");
        assertThat(lines[1]).startsWith(first.get("id").asLong() + ",DU1000001," + first.get("conId").asLong() + ","
                + first.get("symbol").asText() + ",");
        String sap = java.util.Arrays.stream(lines).filter(l -> l.contains(",SAP,")).findFirst().orElseThrow();
        assertThat(sap).contains(",DU1000001," + TradingDays.SAP + ",SAP,STK,EUR,1,CLOSED,0,200.10000000,")
                .contains(",98.00000000,EXECUTIONS,");
        assertThat(service.get("api/positions.csv?status=nope").statusCode()).isEqualTo(400);
    }

    /** A closed lifecycle's size (its quantity is 0); the order itself: {@code ClosedPositionsOrderTest}. */
    @Test
    void closedPositionsCarryTheSizeTheyHeld() {
        JsonNode closed = service.getJson("api/positions?status=closed&order=closed&limit=100");
        assertThat(closed.get("order").asText()).isEqualTo("closed");
        List<JsonNode> rows = list(closed.get("positions"));
        JsonNode sap = rows.stream().filter(p -> p.get("symbol").asText().equals("SAP")).findFirst().orElseThrow();
        assertThat(new BigDecimal(sap.get("quantity").asText())).isZero();
        assertThat(new BigDecimal(sap.get("peakQuantity").asText())).isEqualByComparingTo("10");
        // The default order is the instrument's, as before.
        assertThat(service.getJson("api/positions?status=closed").get("order").asText()).isEqualTo("instrument");
        assertThat(service.get("api/positions?order=newest").statusCode()).isEqualTo(400);
    }

    /** Days of the reporting time zone: a fill counts on its own day there. */
    @Test
    void daysAreThoseOfTheReportingTimeZone() throws Exception {
        java.time.ZoneId kiritimati = java.time.ZoneId.of("Pacific/Kiritimati"); // UTC+14
        java.time.Instant fill;
        try (Connection connection = db.connection(); Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT e.entry_time FROM ledger_entries e JOIN positions p "
                        + "ON p.id = e.position_id WHERE p.symbol = 'SAP' AND e.kind = 'FILL' AND e.quantity < 0")) {
            assertThat(rows.next()).isTrue();
            fill = rows.getObject(1, java.time.OffsetDateTime.class).toInstant();
        }
        LocalDate there = LocalDate.ofInstant(fill, kiritimati);
        io.positionsync.store.DailyPnlRepository repository = new io.positionsync.store.DailyPnlRepository(
                db.dataSource(), kiritimati);

        List<io.positionsync.store.DailyPnl> eur = repository.daily(TODAY.minusDays(7), TODAY.plusDays(1), null).stream()
                .filter(d -> d.currency().equals("EUR")).toList();

        assertThat(eur).hasSize(1);
        assertThat(eur.get(0).day()).isEqualTo(there);
        assertThat(eur.get(0).realizedPnl()).isEqualByComparingTo(TradingDays.SAP_REALIZED);
        assertThat(repository.daily(there.plusDays(1), there.plusDays(2), null).stream()
                .filter(d -> d.currency().equals("EUR"))).isEmpty();
    }

    /** More rows than one page: the stream reads page after page and ends after the last row. */
    @Test
    void theCsvStreamReadsPageAfterPage() throws Exception {
        io.positionsync.store.PositionRepository repository = new io.positionsync.store.PositionRepository(db.dataSource(),
                new io.positionsync.store.ExecutionRepository(db.dataSource(), 100), 100);
        io.positionsync.store.PositionQuery everything = new io.positionsync.store.PositionQuery(
                io.positionsync.store.PositionQuery.Status.ALL, null, null, 1, 0);
        long total = repository.count(everything);
        assertThat(total).isGreaterThan(3);
        try (PositionsCsv csv = new PositionsCsv(repository, everything, 2)) {
            String text = new String(csv.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(text.split("\r\n")).hasSize((int) total + 1);
            assertThat(text.lines().skip(1).map(l -> l.substring(0, l.indexOf(','))).distinct().count()).isEqualTo(total);
        }
        assertThat(PositionsCsv.text("=HYPERLINK(\"x\")")).isEqualTo("\"'=HYPERLINK(\"\"x\"\")\"");
        assertThat(PositionsCsv.text("BRK B")).isEqualTo("BRK B");
    }

    private static JsonNode only(JsonNode breaks, String kind) {
        List<JsonNode> found = new ArrayList<>();
        breaks.forEach(b -> {
            if (kind.equals(b.get("kind").asText())) {
                found.add(b);
            }
        });
        assertThat(found).as(kind + " in " + breaks).hasSize(1);
        return found.get(0);
    }

    private static BigDecimal lifecycleRealized(long conId) {
        for (JsonNode position : service.getJson("api/positions?account=" + TradingDays.ACCOUNT + "&status=open").get("positions")) {
            if (position.get("conId").asLong() == conId) {
                assertThat(position.get("realizedPnlSource").asText()).isEqualTo("MARKET_PRICE");
                return new BigDecimal(position.get("realizedPnl").asText());
            }
        }
        throw new AssertionError("no open lifecycle of " + conId);
    }

    private static List<JsonNode> list(JsonNode array) {
        List<JsonNode> list = new ArrayList<>();
        array.forEach(list::add);
        return list;
    }
}

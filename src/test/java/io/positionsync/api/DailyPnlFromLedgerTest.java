package io.positionsync.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.positionsync.ibkr.sim.Execution;
import io.positionsync.ibkr.sim.Fill;
import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.ibkr.sim.Side;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.ServiceUnderTest;

/**
 * P&amp;L over time is read from the fill ledger as it stands: an estimate booked while an execution was missing is
 * gone from it once the execution arrives and replaces it, and the day counts in the reporting time zone
 * ({@code PSYNC_REPORTING_TIME_ZONE}). Running service, simulator over a socket, PostgreSQL.
 */
class DailyPnlFromLedgerTest {
    private static final String ACCOUNT = "DU1000001";
    private static final long AAPL = 265598;

    private GatewaySimulator sim;
    private ServiceUnderTest service;

    private JsonNode sync() {
        HttpResponse<String> response = service.sync(null);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return ServiceUnderTest.json(response);
    }

    private List<String> rows(JsonNode daily) {
        List<String> rows = new ArrayList<>();
        daily.get("days").forEach(d -> rows.add(d.get("currency").asText() + " " + d.get("source").asText() + " "
                + new BigDecimal(d.get("realizedPnl").asText()).stripTrailingZeros().toPlainString()));
        return rows;
    }

    @Test
    @PositionSyncService(awaitFirstRun = true)
    void anEstimateReplacedByItsExecutionLeavesNoEstimatedAmount() throws Exception {
        // A sale whose execution the gateway does not report yet: the run books an estimate at the market price.
        Execution sale = sim.state().trade(Fill.of(ACCOUNT, AAPL, Side.SLD, new BigDecimal("10"), new BigDecimal("200.00"),
                BigDecimal.ONE));
        assertThat(sim.state().withholdExecution(sale.execId())).isTrue();
        sync();
        JsonNode estimated = service.getJson("api/pnl/daily");
        assertThat(rows(estimated)).anySatisfy(r -> assertThat(r).startsWith("USD MARKET_PRICE "));

        // The execution arrives: it replaces the estimate in the ledger, and so in P&L over time.
        assertThat(sim.state().releaseExecution(sale.execId())).isTrue();
        sync();
        JsonNode daily = service.getJson("api/pnl/daily");

        // (200.00 - 167.51) * 10 - 1.00 commission, from the execution only.
        assertThat(rows(daily)).containsExactly("USD EXECUTIONS 323.9");
        assertThat(daily.at("/totals/0/estimated").asText()).isEqualTo("0");
    }

    @Test
    @PositionSyncService(awaitFirstRun = true, properties = "psync.reporting.time-zone=Pacific/Kiritimati")
    void theReportingTimeZoneSetsTheDays() throws Exception {
        sim.state().trade(Fill.of(ACCOUNT, AAPL, Side.SLD, new BigDecimal("10"), new BigDecimal("200.00"), BigDecimal.ONE));
        JsonNode run = sync();
        LocalDate there = LocalDate.ofInstant(java.time.Instant.parse(run.get("finishedAt").asText()),
                ZoneId.of("Pacific/Kiritimati"));

        JsonNode daily = service.getJson("api/pnl/daily");

        assertThat(daily.get("timeZone").asText()).isEqualTo("Pacific/Kiritimati");
        // Without a range: the days up to today in that zone (UTC+14: often tomorrow in UTC).
        assertThat(daily.get("to").asText()).isEqualTo(LocalDate.now(ZoneId.of("Pacific/Kiritimati")).toString());
        assertThat(daily.get("days")).hasSize(1);
        assertThat(daily.at("/days/0/day").asText()).isEqualTo(there.toString());
    }
}

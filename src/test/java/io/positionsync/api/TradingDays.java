package io.positionsync.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

import io.positionsync.ibkr.sim.Fill;
import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.store.TestDatabase;

/**
 * Trading over several days against the demo simulator: each day's fills go through a real sync run, then the
 * changes that run recorded are moved back to the day they stand for (the service's clock is the system's).
 * The days, in account DU1000001 (see the demo scenario):
 * <ol>
 *   <li>first sight (today): AAPL 200 at 167.51 and MSFT 40 at 410.525 taken as they stand</li>
 *   <li>three days ago: SLD 10 AAPL at 200.00 (commission 1.00): realized 323.90 USD</li>
 *   <li>two days ago: BOT 10 SAP at 200.00 (commission 1.00 EUR): opens, realizes nothing</li>
 *   <li>yesterday: SLD 4 SAP at 210.00 (commission 1.00 EUR): realized 38.60 EUR</li>
 *   <li>today: SLD 5 MSFT that no execution explains (another client, not the master): an estimate
 *       at the market price, {@code MARKET_PRICE}</li>
 * </ol>
 */
final class TradingDays {
    static final String ACCOUNT = "DU1000001";
    static final long AAPL = 265598;
    static final long SAP = 14204;
    static final long MSFT = 272093;
    static final BigDecimal AAPL_REALIZED = new BigDecimal("323.90");
    static final BigDecimal SAP_REALIZED = new BigDecimal("38.60");

    private TradingDays() {
    }

    static void trade(GatewaySimulator sim, RunningService service, TestDatabase db) throws SQLException {
        day(sim, service, db, 3, Fill.of(ACCOUNT, AAPL, io.positionsync.ibkr.sim.Side.SLD, new BigDecimal("10"),
                new BigDecimal("200.00"), BigDecimal.ONE));
        day(sim, service, db, 2, Fill.of(ACCOUNT, SAP, io.positionsync.ibkr.sim.Side.BOT, new BigDecimal("10"),
                new BigDecimal("200.00"), BigDecimal.ONE));
        day(sim, service, db, 1, Fill.of(ACCOUNT, SAP, io.positionsync.ibkr.sim.Side.SLD, new BigDecimal("4"),
                new BigDecimal("210.00"), BigDecimal.ONE));
        sim.state().masterClientId(0);
        try {
            day(sim, service, db, 0, Fill.of(ACCOUNT, MSFT, io.positionsync.ibkr.sim.Side.SLD, new BigDecimal("5"),
                    new BigDecimal("416.00"), BigDecimal.ONE).withClientId(7));
        } finally {
            sim.state().masterClientId(null);
        }
    }

    private static void day(GatewaySimulator sim, RunningService service, TestDatabase db, int daysAgo, Fill fill)
            throws SQLException {
        sim.state().trade(fill);
        HttpResponse<String> response = service.sync(null);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        long runId = RunningService.json(response).get("runId").asLong();
        try (Connection connection = db.connection();
                PreparedStatement statement = connection.prepareStatement(
                        "UPDATE position_history SET recorded_at = recorded_at - make_interval(days => ?) WHERE run_id = ?")) {
            statement.setInt(1, daysAgo);
            statement.setLong(2, runId);
            assertThat(statement.executeUpdate()).as("changes of run " + runId).isPositive();
        }
    }
}

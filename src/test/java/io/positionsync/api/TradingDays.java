package io.positionsync.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

import io.positionsync.ibkr.sim.Execution;
import io.positionsync.ibkr.sim.Fill;
import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.ibkr.sim.Side;
import io.positionsync.store.TestDatabase;
import io.positionsync.testing.ServiceUnderTest;

/**
 * Trading over several days against the demo simulator: each day's fills go through real sync runs, then the
 * changes those runs recorded and the fills they booked are moved back to the day they stand for (the service's
 * clock is the system's).
 * In account DU1000001 (see the demo scenario), first sight takes AAPL 200 at 167.51 and MSFT 40 at 410.525; then:
 * <ol>
 *   <li>three days ago: SLD 10 AAPL at 200.00 (commission 1.00): realized 323.90 USD</li>
 *   <li>two days ago: BOT 10 SAP at 200.00 (commission 1.00 EUR): opens at 200.10, realizes nothing</li>
 *   <li>yesterday: SLD 10 SAP at 210.00 (commission 1.00 EUR): closes, realized 98.00 EUR</li>
 *   <li>today: SLD 10 AAPL at 201.00 whose commission (1.00) comes one run late: 334.90, then ADJUSTED to
 *       333.90 USD; and SLD 5 MSFT that no execution explains (another client, not the master): an estimate at
 *       the market price, {@code MARKET_PRICE}</li>
 * </ol>
 */
final class TradingDays {
    static final String ACCOUNT = "DU1000001";
    static final long AAPL = 265598;
    static final long SAP = 14204;
    static final long MSFT = 272093;
    static final BigDecimal AAPL_REALIZED_DAY_3 = new BigDecimal("323.90");
    static final BigDecimal SAP_REALIZED = new BigDecimal("98.00");
    static final BigDecimal AAPL_REALIZED_TODAY = new BigDecimal("333.90");

    private TradingDays() {
    }

    static void trade(GatewaySimulator sim, ServiceUnderTest service, TestDatabase db) throws SQLException {
        sim.state().trade(Fill.of(ACCOUNT, AAPL, Side.SLD, new BigDecimal("10"), new BigDecimal("200.00"), BigDecimal.ONE));
        long threeDaysAgo = sync(service);
        sim.state().trade(Fill.of(ACCOUNT, SAP, Side.BOT, new BigDecimal("10"), new BigDecimal("200.00"), BigDecimal.ONE));
        long twoDaysAgo = sync(service);
        sim.state().trade(Fill.of(ACCOUNT, SAP, Side.SLD, new BigDecimal("10"), new BigDecimal("210.00"), BigDecimal.ONE));
        long yesterday = sync(service);

        Execution late = sim.state().trade(Fill.of(ACCOUNT, AAPL, Side.SLD, new BigDecimal("10"), new BigDecimal("201.00"),
                BigDecimal.ONE).withCommissionWithheld());
        sync(service);
        assertThat(sim.state().releaseCommission(late.execId())).isTrue();
        sync(service);
        sim.state().masterClientId(0);
        try {
            sim.state().trade(Fill.of(ACCOUNT, MSFT, Side.SLD, new BigDecimal("5"), new BigDecimal("416.00"), BigDecimal.ONE)
                    .withClientId(7));
            sync(service);
        } finally {
            sim.state().masterClientId(null);
        }
        // Once every run is done (a later run of the same instrument refolds its fills by their times, in order).
        moveBack(db, threeDaysAgo, 3);
        moveBack(db, twoDaysAgo, 2);
        moveBack(db, yesterday, 1);
    }

    private static long sync(ServiceUnderTest service) {
        HttpResponse<String> response = service.sync(null);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return ServiceUnderTest.json(response).get("runId").asLong();
    }

    /** The run's changes and the fills it booked (their execution times) to {@code days} ago. */
    private static void moveBack(TestDatabase db, long runId, int days) throws SQLException {
        try (Connection connection = db.connection();
                PreparedStatement statement = connection.prepareStatement(
                        "UPDATE position_history SET recorded_at = recorded_at - make_interval(days => ?) WHERE run_id = ?");
                PreparedStatement fills = connection.prepareStatement("UPDATE ledger_entries SET entry_time = "
                        + "entry_time - make_interval(days => ?) WHERE run_id = ? AND kind = 'FILL'")) {
            statement.setInt(1, days);
            statement.setLong(2, runId);
            assertThat(statement.executeUpdate()).as("changes of run " + runId).isPositive();
            fills.setInt(1, days);
            fills.setLong(2, runId);
            assertThat(fills.executeUpdate()).as("fills of run " + runId).isPositive();
        }
    }
}

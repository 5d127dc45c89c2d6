package io.positionsync.ibkr.sim;

import static io.positionsync.ibkr.sim.Books.AAPL;
import static io.positionsync.ibkr.sim.Books.ACC1;
import static io.positionsync.ibkr.sim.Books.ACC2;
import static io.positionsync.ibkr.sim.Books.ES;
import static io.positionsync.ibkr.sim.Books.TSLA;
import static io.positionsync.ibkr.sim.Books.d;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.positionsync.ibkr.wire.MessageIds;

/** Subscriptions keep reporting state changes made while clients are connected. */
class PushUpdatesTest {

    @Test
    void positionSubscribersReceiveEveryChangeUntilTheyCancel() throws Exception {
        SimulatorState state = Books.book();
        try (GatewaySimulator sim = Books.start(state);
                RawTwsClient first = RawTwsClient.connected(sim.port(), 1);
                RawTwsClient second = RawTwsClient.connected(sim.port(), 2)) {
            first.reqPositions();
            first.until(MessageIds.POSITION_END);
            second.reqPositions();
            second.until(MessageIds.POSITION_END);

            state.trade(ACC1, AAPL, Side.SLD, d("40"), d("160.00"), d("1.00"));
            for (RawTwsClient client : new RawTwsClient[] {first, second}) {
                RawTwsClient.Msg pushed = client.expect(MessageIds.POSITION);
                assertThat(pushed.get(2)).isEqualTo(ACC1);
                assertThat(pushed.get(3)).isEqualTo("265598");
                assertThat(pushed.fields().subList(14, 16)).containsExactly("60", "150.01");
                // Nobody is the Master API client here, so every client sees the fill, pushed as it happened.
                RawTwsClient.Msg fill = client.expect(MessageIds.EXECUTION_DATA);
                assertThat(fill.get(1)).as("reqId of a push").isEqualTo("-1");
                assertThat(fill.get(3)).isEqualTo("265598");
                client.expect(MessageIds.COMMISSION_REPORT);
            }

            state.brokerClose(ACC1, ES);
            assertThat(first.expect(MessageIds.POSITION).fields().subList(14, 16)).containsExactly("0", "0");
            second.expect(MessageIds.POSITION);

            first.cancelPositions();
            first.reqCurrentTime();
            first.expect(MessageIds.CURRENT_TIME);
            state.setPosition(ACC2, TSLA, d("-10"), d("240"));
            first.reqCurrentTime();
            first.expect(MessageIds.CURRENT_TIME);
            assertThat(second.expect(MessageIds.POSITION).fields().subList(14, 16)).containsExactly("-10", "240");
        }
    }

    @Test
    void closedPositionIsPushedAsZeroEvenWhenNotReportedLater() throws Exception {
        SimulatorState state = Books.book().reportClosedAsZero(false);
        try (GatewaySimulator sim = Books.start(state);
                RawTwsClient client = RawTwsClient.connected(sim.port(), 1)) {
            client.reqPositions();
            client.until(MessageIds.POSITION_END);
            state.trade(ACC2, TSLA, Side.BOT, d("30"), d("239.00"), d("1.00"));
            assertThat(client.expect(MessageIds.POSITION).fields().subList(14, 16)).containsExactly("0", "0");
            client.reqPositions();
            assertThat(client.until(MessageIds.POSITION_END)).filteredOn(m -> m.id() == MessageIds.POSITION)
                    .extracting(m -> m.get(3)).containsExactly("265598", "495512563");
        }
    }

    @Test
    void accountSubscriberReceivesPortfolioAndValuesOfItsAccountOnly() throws Exception {
        SimulatorState state = Books.book();
        try (GatewaySimulator sim = new GatewaySimulator(state, SimulatorOptions.defaults().withExecutionPushes(false)).start();
                RawTwsClient client = RawTwsClient.connected(sim.port(), 1)) {
            client.reqAccountUpdates(true, ACC1);
            client.until(MessageIds.ACCOUNT_DOWNLOAD_END);

            state.setMarketPrice(AAPL, d("161.25"));
            RawTwsClient.Msg line = client.expect(MessageIds.UPDATE_PORTFOLIO);
            assertThat(line.get(2)).isEqualTo("265598");
            assertThat(line.fields().subList(13, 20)).containsExactly("100", "161.25", "16125", "150.01", "1124",
                    "0", ACC1);
            RawTwsClient.Msg value = client.expect(MessageIds.UPDATE_ACCOUNT_VALUE);
            assertThat(value.get(5)).isEqualTo(ACC1);

            // ACC2 changes are not ACC1's business; the next message is the answer asked for afterwards (fills are
            // not pushed here: this is about the account subscription alone).
            state.trade(ACC2, TSLA, Side.BOT, d("5"), d("240"), d("1"));
            state.setMarketPrice(TSLA, d("241"));
            client.reqCurrentTime();
            assertThat(client.until(MessageIds.CURRENT_TIME))
                    .noneMatch(m -> m.id() == MessageIds.UPDATE_PORTFOLIO);

            state.trade(ACC1, ES, Side.SLD, d("1"), d("5012.00"), d("2.40"));
            RawTwsClient.Msg es = client.expect(MessageIds.UPDATE_PORTFOLIO);
            // (5012.00 * 50 - 250002.40) * 1 - 2.40
            assertThat(es.fields().subList(13, 19)).containsExactly("1", "5010", "250500", "250002.4", "497.6",
                    "595.2");

            client.reqAccountUpdates(false, ACC1);
            // the gateway handles requests in order: once this answer is here, the unsubscribe is done
            client.reqCurrentTime();
            client.until(MessageIds.CURRENT_TIME);
            state.setMarketPrice(AAPL, d("162"));
            client.reqCurrentTime();
            assertThat(client.until(MessageIds.CURRENT_TIME))
                    .noneMatch(m -> m.id() == MessageIds.UPDATE_PORTFOLIO);
        }
    }

    @Test
    void subscribingAnotherAccountReplacesTheFirst() throws Exception {
        SimulatorState state = Books.book();
        try (GatewaySimulator sim = Books.start(state);
                RawTwsClient client = RawTwsClient.connected(sim.port(), 1)) {
            client.reqAccountUpdates(true, ACC1);
            client.until(MessageIds.ACCOUNT_DOWNLOAD_END);
            client.reqAccountUpdates(true, ACC2);
            client.until(MessageIds.ACCOUNT_DOWNLOAD_END);
            state.setMarketPrice(AAPL, d("170"));
            state.setMarketPrice(TSLA, d("250"));
            RawTwsClient.Msg line = client.expect(MessageIds.UPDATE_PORTFOLIO);
            assertThat(line.get(2)).isEqualTo("76792991");
        }
    }
}

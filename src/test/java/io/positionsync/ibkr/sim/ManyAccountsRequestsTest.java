package io.positionsync.ibkr.sim;

import static io.positionsync.ibkr.sim.Books.AAPL;
import static io.positionsync.ibkr.sim.Books.ACC1;
import static io.positionsync.ibkr.sim.Books.ACC2;
import static io.positionsync.ibkr.sim.Books.ES;
import static io.positionsync.ibkr.sim.Books.TSLA;
import static io.positionsync.ibkr.sim.Books.d;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.positionsync.ibkr.wire.MessageIds;

/**
 * What a master of many accounts meets: {@code reqPositionsMulti} per account (answered, then pushing that
 * account's changes until cancelled), {@code reqPositions} refused above the account limit, one account at a time
 * for {@code reqAccountUpdates}, and answers that take a while yet keep their order.
 */
class ManyAccountsRequestsTest {

    /** Fill pushes off: the test reads a subscription's messages one by one, and only those. */
    private static GatewaySimulator withoutFillPushes(SimulatorState state) throws Exception {
        return new GatewaySimulator(state, SimulatorOptions.defaults().withExecutionPushes(false)).start();
    }

    @Test
    void positionsMultiAnswersOneAccountThenPushesItsChangesUntilCancelled() throws Exception {
        SimulatorState state = Books.book();
        try (GatewaySimulator sim = withoutFillPushes(state);
                RawTwsClient client = RawTwsClient.connected(sim.port(), 1)) {
            client.reqPositionsMulti(7, ACC1);
            List<RawTwsClient.Msg> answer = client.until(MessageIds.POSITION_MULTI_END);

            assertThat(answer.get(answer.size() - 1).fields()).containsExactly("72", "1", "7");
            List<RawTwsClient.Msg> rows = answer.subList(0, answer.size() - 1);
            assertThat(rows).allSatisfy(m -> {
                assertThat(m.id()).isEqualTo(MessageIds.POSITION_MULTI);
                assertThat(m.get(2)).isEqualTo("7");
                assertThat(m.get(3)).isEqualTo(ACC1);
            });
            assertThat(rows).extracting(m -> m.get(4)).containsExactly(Long.toString(AAPL), Long.toString(ES));
            // version, reqId, account, conId, symbol, secType, expiry, strike, right, multiplier, exchange,
            // currency, localSymbol, tradingClass, position, avgCost, modelCode
            assertThat(rows.get(0).fields()).hasSize(18);
            assertThat(rows.get(0).fields().subList(15, 18)).containsExactly("100", "150.01", "");

            // Another account's change is not pushed to this subscription; its own is.
            state.trade(ACC2, TSLA, Side.BOT, d("5"), d("240"), d("1"));
            state.trade(ACC1, AAPL, Side.SLD, d("40"), d("160.00"), d("1.00"));
            RawTwsClient.Msg pushed = client.expect(MessageIds.POSITION_MULTI);
            assertThat(pushed.fields().subList(2, 5)).containsExactly("7", ACC1, Long.toString(AAPL));
            assertThat(pushed.get(15)).isEqualTo("60");

            client.cancelPositionsMulti(7);
            client.reqCurrentTime();
            client.expect(MessageIds.CURRENT_TIME);
            state.trade(ACC1, AAPL, Side.SLD, d("10"), d("160.00"), d("1.00"));
            client.reqCurrentTime();
            assertThat(client.until(MessageIds.CURRENT_TIME)).as("cancelled: nothing pushed")
                    .noneMatch(m -> m.id() == MessageIds.POSITION_MULTI);
        }
    }

    @Test
    void reqPositionsIsRefusedAboveTheAccountLimitWhileReqPositionsMultiServesEachAccount() throws Exception {
        SimulatorState state = Books.book();
        state.addAccount("DU1000003", d("1000"));
        try (GatewaySimulator sim = new GatewaySimulator(state,
                SimulatorOptions.defaults().withPositionsAccountLimit(2)).start();
                RawTwsClient client = RawTwsClient.connected(sim.port(), 1)) {
            client.reqPositions();
            RawTwsClient.Msg refused = client.expect(MessageIds.ERROR);
            assertThat(refused.fields().subList(2, 4)).containsExactly("-1", "321");
            assertThat(refused.get(4)).contains("more than 2 accounts").contains("reqPositionsMulti");
            // Nothing else answers reqPositions: the next message is the answer asked for afterwards.
            client.reqCurrentTime();
            client.expect(MessageIds.CURRENT_TIME);

            client.reqPositionsMulti(1, ACC2);
            assertThat(client.until(MessageIds.POSITION_MULTI_END)).filteredOn(m -> m.id() == MessageIds.POSITION_MULTI)
                    .extracting(m -> m.get(4)).containsExactly(Long.toString(TSLA));
            client.reqPositionsMulti(2, "DU1000003");
            assertThat(client.until(MessageIds.POSITION_MULTI_END)).as("no positions: the end marker alone")
                    .hasSize(1);
        }
    }

    @Test
    void reqPositionsIsAnsweredAtOrBelowTheAccountLimit() throws Exception {
        try (GatewaySimulator sim = new GatewaySimulator(Books.book(),
                SimulatorOptions.defaults().withPositionsAccountLimit(2)).start();
                RawTwsClient client = RawTwsClient.connected(sim.port(), 1)) {
            client.reqPositions();
            assertThat(client.until(MessageIds.POSITION_END)).filteredOn(m -> m.id() == MessageIds.POSITION)
                    .hasSize(3);
        }
    }

    @Test
    void accountUpdatesServeOneAccountAtATimeSubscribingTheNextStopsThePrevious() throws Exception {
        SimulatorState state = Books.book();
        try (GatewaySimulator sim = withoutFillPushes(state);
                RawTwsClient client = RawTwsClient.connected(sim.port(), 1)) {
            client.reqAccountUpdates(true, ACC1);
            client.until(MessageIds.ACCOUNT_DOWNLOAD_END);
            state.trade(ACC1, ES, Side.SLD, d("1"), d("5012.00"), d("2.40"));
            assertThat(client.expect(MessageIds.UPDATE_PORTFOLIO).get(19)).isEqualTo(ACC1);
            client.reqCurrentTime();
            client.until(MessageIds.CURRENT_TIME);

            client.reqAccountUpdates(true, ACC2);
            client.until(MessageIds.ACCOUNT_DOWNLOAD_END);
            // ACC1 changes, no unsubscribe was sent: nothing of ACC1 comes any more.
            state.trade(ACC1, AAPL, Side.SLD, d("10"), d("160.00"), d("1.00"));
            state.setMarketPrice(AAPL, d("170"));
            client.reqCurrentTime();
            assertThat(client.until(MessageIds.CURRENT_TIME)).noneMatch(m -> m.fields().contains(ACC1));
            state.trade(ACC2, TSLA, Side.BOT, d("5"), d("240"), d("1"));
            assertThat(client.expect(MessageIds.UPDATE_PORTFOLIO).get(19)).isEqualTo(ACC2);
        }
    }

    @Test
    void latencyDelaysEveryAnswerAndKeepsTheirOrder() throws Exception {
        Duration min = Duration.ofMillis(30);
        try (GatewaySimulator sim = new GatewaySimulator(Books.book(),
                SimulatorOptions.defaults().withLatency(min, Duration.ofMillis(60))).start();
                RawTwsClient client = RawTwsClient.connected(sim.port(), 1)) {
            long started = System.nanoTime();
            client.reqCurrentTime();
            client.expect(MessageIds.CURRENT_TIME);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(min);

            // Twenty requests at once, each waiting its own random time: answered in the order asked.
            List<Integer> reqIds = new ArrayList<>();
            for (int i = 1; i <= 20; i++) {
                client.reqPositionsMulti(i, i % 2 == 0 ? ACC1 : ACC2);
                reqIds.add(i);
            }
            List<Integer> ends = new ArrayList<>();
            while (ends.size() < reqIds.size()) {
                RawTwsClient.Msg message = client.next();
                if (message.id() == MessageIds.POSITION_MULTI_END) {
                    ends.add(Integer.parseInt(message.get(2)));
                }
            }
            assertThat(ends).containsExactlyElementsOf(reqIds);
        }
    }
}

package io.positionsync.ibkr.sim;

import static io.positionsync.ibkr.sim.Books.AAPL;
import static io.positionsync.ibkr.sim.Books.ACC1;
import static io.positionsync.ibkr.sim.Books.ACC2;
import static io.positionsync.ibkr.sim.Books.ES;
import static io.positionsync.ibkr.sim.Books.NOW;
import static io.positionsync.ibkr.sim.Books.TSLA;
import static io.positionsync.ibkr.sim.Books.d;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.positionsync.ibkr.wire.MessageIds;

/** The answers to each request, field by field, in the layout of the negotiated version. */
class RequestAnswersTest {
    private static final String UNSET = GatewayMessages.UNSET_DOUBLE;

    @Test
    void currentTimeAndManagedAccounts() throws Exception {
        try (GatewaySimulator sim = Books.start(Books.book());
                RawTwsClient client = RawTwsClient.connected(sim.port(), 1)) {
            client.reqCurrentTime();
            assertThat(client.expect(MessageIds.CURRENT_TIME).fields())
                    .containsExactly("49", "1", Long.toString(NOW.getEpochSecond()));
            client.send(MessageIds.REQ_MANAGED_ACCTS, 1);
            assertThat(client.expect(MessageIds.MANAGED_ACCOUNTS).fields())
                    .containsExactly("15", "1", "DU1000001,DU1000002");
        }
    }

    @Test
    void positionsOfEveryAccountThenPositionEnd() throws Exception {
        try (GatewaySimulator sim = Books.start(Books.book());
                RawTwsClient client = RawTwsClient.connected(sim.port(), 1)) {
            client.reqPositions();
            List<RawTwsClient.Msg> answer = client.until(MessageIds.POSITION_END);
            assertThat(answer).extracting(m -> m.fields()).containsExactly(
                    List.of("61", "3", ACC1, "265598", "AAPL", "STK", "", "0", "", "", "SMART", "USD", "AAPL", "NMS",
                            "100", "150.01"),
                    List.of("61", "3", ACC1, "495512563", "ES", "FUT", "20261218", "0", "", "50", "CME", "USD", "ESZ6",
                            "ES", "2", "250002.4"),
                    List.of("61", "3", ACC2, "76792991", "TSLA", "STK", "", "0", "", "", "SMART", "USD", "TSLA", "NMS",
                            "-30", "242.05"),
                    List.of("62", "1"));
        }
    }

    @Test
    void optionPositionCarriesStrikeRightAndMultiplier() throws Exception {
        SimulatorState state = Books.empty();
        state.trade(ACC2, Books.AAPL_CALL, Side.BOT, d("5"), d("6.25"), d("3.25"));
        try (GatewaySimulator sim = Books.start(state);
                RawTwsClient client = RawTwsClient.connected(sim.port(), 1)) {
            client.reqPositions();
            assertThat(client.expect(MessageIds.POSITION).fields()).containsExactly("61", "3", ACC2, "700000001",
                    "AAPL", "OPT", "20261218", "200", "C", "100", "SMART", "USD", "AAPL  261218C00200000", "AAPL", "5",
                    "625.65");
            client.expect(MessageIds.POSITION_END);
        }
    }

    @Test
    void accountUpdatesOfOneAccountEndWithAccountDownloadEnd() throws Exception {
        try (GatewaySimulator sim = Books.start(Books.book());
                RawTwsClient client = RawTwsClient.connected(sim.port(), 1)) {
            client.reqAccountUpdates(true, ACC1);
            List<RawTwsClient.Msg> answer = client.until(MessageIds.ACCOUNT_DOWNLOAD_END);
            assertThat(answer).filteredOn(m -> m.id() == MessageIds.UPDATE_ACCOUNT_VALUE)
                    .extracting(m -> m.fields()).contains(
                            List.of("6", "2", "AccountCode", ACC1, "", ACC1),
                            // cash 100000.00 + 100 * 160.00 + 2 * 5010.00 * 50
                            List.of("6", "2", "NetLiquidation", "617000.00", "USD", ACC1),
                            // (160.00 - 150.01) * 100 + (5010.00 * 50 - 250002.40) * 2
                            List.of("6", "2", "UnrealizedPnL", "1994.20", "USD", ACC1));
            assertThat(answer).filteredOn(m -> m.id() == MessageIds.UPDATE_PORTFOLIO).extracting(m -> m.fields())
                    .containsExactly(
                            List.of("7", "8", "265598", "AAPL", "STK", "", "0", "", "", "NASDAQ", "USD", "AAPL", "NMS",
                                    "100", "160", "16000", "150.01", "999", "0", ACC1),
                            List.of("7", "8", "495512563", "ES", "FUT", "20261218", "0", "", "50", "CME", "USD", "ESZ6",
                                    "ES", "2", "5010", "501000", "250002.4", "995.2", "0", ACC1));
            assertThat(answer.get(answer.size() - 2).fields()).containsExactly("8", "1", "15:00");
            assertThat(answer.get(answer.size() - 1).fields()).containsExactly("54", "1", ACC1);

            client.reqAccountUpdates(true, ACC2);
            List<RawTwsClient.Msg> second = client.until(MessageIds.ACCOUNT_DOWNLOAD_END);
            assertThat(second).filteredOn(m -> m.id() == MessageIds.UPDATE_PORTFOLIO).extracting(m -> m.get(2))
                    .containsExactly("76792991");
            assertThat(second).allMatch(m -> m.fields().get(m.size() - 1).equals(ACC2) || m.id() == 8);
        }
    }

    @Test
    void executionsWithCommissionReportsThenExecDetailsEnd() throws Exception {
        SimulatorState state = Books.book();
        Execution buy = state.trade(ACC1, AAPL, Side.BOT, d("100"), d("150.00"), d("1.00"));
        Execution sell = state.trade(ACC1, AAPL, Side.SLD, d("40"), d("155.50"), d("1.00"));
        try (GatewaySimulator sim = Books.start(state);
                RawTwsClient client = RawTwsClient.connected(sim.port(), 1)) {
            client.reqExecutions(5);
            List<RawTwsClient.Msg> answer = client.until(MessageIds.EXECUTION_DATA_END);
            assertThat(answer).extracting(RawTwsClient.Msg::id).containsExactly(11, 59, 11, 59, 55);
            assertThat(answer.get(0).fields()).containsExactly("11", "5", Long.toString(buy.orderId()), "265598",
                    "AAPL", "STK", "", "0", "", "", "SMART", "USD", "AAPL", "NMS", buy.execId(),
                    "20261124 15:00:00 UTC", ACC1, "NASDAQ", "BOT", "100", "150", Long.toString(buy.permId()), "0",
                    "0", "100", "150", "", "", "0", "", "2", "0");
            assertThat(answer.get(1).fields()).containsExactly("59", "1", buy.execId(), "1", "USD", UNSET, UNSET,
                    "0");
            assertThat(answer.get(2).get(14)).isEqualTo(sell.execId());
            assertThat(answer.get(2).get(18)).isEqualTo("SLD");
            // (155.50 - 150.01) * 40 - 1.00
            assertThat(answer.get(3).fields()).containsExactly("59", "1", sell.execId(), "1", "USD", "218.6", UNSET,
                    "0");
            assertThat(answer.get(4).fields()).containsExactly("55", "1", "5");
        }
    }

    @Test
    void executionFilterNarrowsByAccountSymbolSideAndTime() throws Exception {
        SimulatorState state = Books.book();
        Execution early = state.trade(ACC1, AAPL, Side.BOT, d("10"), d("150"), d("1"), NOW.minus(Duration.ofHours(2)));
        Execution late = state.trade(ACC1, AAPL, Side.SLD, d("5"), d("151"), d("1"), NOW.minus(Duration.ofMinutes(10)));
        Execution other = state.trade(ACC2, TSLA, Side.BOT, d("5"), d("240"), d("1"), NOW.minus(Duration.ofMinutes(5)));
        try (GatewaySimulator sim = Books.start(state);
                RawTwsClient client = RawTwsClient.connected(sim.port(), 1)) {
            assertThat(execIds(client, 1, 0, ACC1, "", "", "", "", "")).containsExactly(early.execId(), late.execId());
            assertThat(execIds(client, 2, 0, "", "", "TSLA", "", "", "")).containsExactly(other.execId());
            assertThat(execIds(client, 3, 0, "", "", "", "STK", "", "SELL")).containsExactly(late.execId());
            assertThat(execIds(client, 4, 0, "", "20261124-14:00:00", "", "", "", ""))
                    .containsExactly(late.execId(), other.execId());
            // 09:52 in New York is 14:52 UTC
            assertThat(execIds(client, 5, 0, "", "20261124 09:52:00 America/New_York", "", "", "", ""))
                    .containsExactly(other.execId());
            assertThat(execIds(client, 6, 17, "", "", "", "", "", "")).isEmpty();
        }
    }

    private static List<String> execIds(RawTwsClient client, int reqId, int clientId, String account, String time,
            String symbol, String secType, String exchange, String side) throws Exception {
        client.reqExecutions(reqId, clientId, account, time, symbol, secType, exchange, side);
        List<RawTwsClient.Msg> answer = client.until(MessageIds.EXECUTION_DATA_END);
        assertThat(answer.get(answer.size() - 1).get(2)).isEqualTo(Integer.toString(reqId));
        return answer.stream().filter(m -> m.id() == MessageIds.EXECUTION_DATA).map(m -> m.get(14)).toList();
    }

    @Test
    void correctionIsReportedBesideTheOriginalAndMovesThePosition() throws Exception {
        SimulatorState state = Books.empty();
        Execution buy = state.trade(ACC1, AAPL, Side.BOT, d("100"), d("150.00"), d("1.00"));
        try (GatewaySimulator sim = Books.start(state);
                RawTwsClient client = RawTwsClient.connected(sim.port(), 1)) {
            client.reqPositions();
            client.until(MessageIds.POSITION_END);
            Execution corrected = state.correctExecution(buy.execId(), d("149.50"));
            assertThat(client.expect(MessageIds.POSITION).fields().subList(14, 16)).containsExactly("100", "149.51");
            client.reqExecutions(9);
            // The answer to request 9 (the correction is also pushed, with reqId -1, around it).
            List<RawTwsClient.Msg> details = client.until(MessageIds.EXECUTION_DATA_END).stream()
                    .filter(m -> m.id() == MessageIds.EXECUTION_DATA && m.get(1).equals("9")).toList();
            assertThat(details).extracting(m -> m.get(14) + "@" + m.get(20))
                    .containsExactly(buy.execId() + "@150", corrected.execId() + "@149.5");
            assertThat(corrected.execId()).endsWith(".02");
        }
    }

    @ParameterizedTest(name = "server version {0}: error has {1} fields, execDetails {2}")
    @CsvSource({"178, 6, 32", "177, 6, 31", "166, 6, 31", "165, 5, 31", "157, 5, 31"})
    void fieldCountsFollowTheNegotiatedVersion(int version, int errorFields, int execFields) throws Exception {
        SimulatorState state = Books.book();
        state.trade(ACC1, AAPL, Side.BOT, d("1"), d("150"), d("1"));
        try (GatewaySimulator sim = Books.start(state, version);
                RawTwsClient client = RawTwsClient.connect(sim.port())) {
            assertThat(client.handshake("v157..178")).isEqualTo(version);
            client.startApi(1);
            assertThat(client.expectStartupMessages()).filteredOn(m -> m.id() == MessageIds.ERROR)
                    .allSatisfy(m -> assertThat(m.size()).isEqualTo(errorFields));
            client.reqExecutions(1);
            RawTwsClient.Msg exec = client.expect(MessageIds.EXECUTION_DATA);
            assertThat(exec.size()).isEqualTo(execFields);
            assertThat(exec.get(1)).as("reqId right after the message id").isEqualTo("1");
            assertThat(exec.get(14)).matches("[0-9a-f]{8}\\.[0-9a-f]{8}\\.01\\.01");
            assertThat(client.expect(MessageIds.COMMISSION_REPORT).size()).isEqualTo(8);
            client.expect(MessageIds.EXECUTION_DATA_END);
            client.reqPositions();
            assertThat(client.expect(MessageIds.POSITION).size()).isEqualTo(16);
            client.until(MessageIds.POSITION_END);
            client.reqAccountUpdates(true, ACC2);
            assertThat(client.until(MessageIds.ACCOUNT_DOWNLOAD_END)).filteredOn(m -> m.id() == 7)
                    .allSatisfy(m -> assertThat(m.size()).isEqualTo(20)).isNotEmpty();
        }
    }

    @Test
    void unknownRequestsAreIgnoredAndTheConnectionStaysUsable() throws Exception {
        try (GatewaySimulator sim = Books.start(Books.book());
                RawTwsClient client = RawTwsClient.connected(sim.port(), 1)) {
            client.send(999, 1, "whatever");
            client.send(MessageIds.REQ_CURRENT_TIME, 1);
            client.expect(MessageIds.CURRENT_TIME);
        }
    }

    @Test
    void missingMarketPriceIsSentAsUnset() throws Exception {
        SimulatorState state = Books.empty();
        state.setPosition(ACC1, ES, d("1"), d("250000"));
        try (GatewaySimulator sim = Books.start(state);
                RawTwsClient client = RawTwsClient.connected(sim.port(), 1)) {
            client.reqAccountUpdates(true, ACC1);
            RawTwsClient.Msg line = client.until(MessageIds.ACCOUNT_DOWNLOAD_END).stream()
                    .filter(m -> m.id() == MessageIds.UPDATE_PORTFOLIO).findFirst().orElseThrow();
            assertThat(line.fields().subList(14, 18)).containsExactly(UNSET, UNSET, "250000", UNSET);
        }
    }
}

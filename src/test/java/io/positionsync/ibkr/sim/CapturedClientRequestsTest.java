package io.positionsync.ibkr.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.positionsync.ibkr.wire.FieldWriter;
import io.positionsync.ibkr.IncomingMessage;
import io.positionsync.ibkr.MessageDecoder;
import io.positionsync.ibkr.wire.MessageIds;
import io.positionsync.ibkr.TwsWireFixtures;

/**
 * The simulator answers, over a real socket, the exact request bytes real clients send: IB's official Java
 * client 10.32 and {@code @stoqey/ib} 1.6.10 (whose empty execution filter has empty numeric fields, read as
 * 0 / unset). Every captured client frame is written as captured; each answer is decoded by our decoder and
 * compared with the simulator's book; after the last request the connection is still up.
 */
class CapturedClientRequestsTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {TwsWireFixtures.OFFICIAL_JAVA_CLIENT, TwsWireFixtures.STOQEY_IB})
    void answersEveryCapturedRequest(String file) throws Exception {
        List<TwsWireFixtures.Line> requests = TwsWireFixtures.lines(file);
        try (GatewaySimulator sim = GatewaySimulator.startDemo();
                RawTwsClient client = RawTwsClient.connect(sim.port())) {
            SimulatorState state = sim.state();
            int version = 0;
            int answered = 0;
            for (TwsWireFixtures.Line request : requests) {
                assertThat(request.fromClient()).as("request files hold client frames only").isTrue();
                if (request.isHandshake()) {
                    client.sendBytes(request.bytes());
                    RawTwsClient.Msg hello = client.next();
                    // The client offers 100..193; the simulator speaks up to 178.
                    version = Integer.parseInt(hello.get(0));
                    assertThat(version).isEqualTo(SimulatorOptions.DEFAULT_MAX_SERVER_VERSION);
                    answered++;
                    continue;
                }
                client.sendBytes(request.framed());
                List<String> fields = request.fields();
                int id = Integer.parseInt(fields.get(0));
                switch (id) {
                    case MessageIds.START_API -> {
                        List<RawTwsClient.Msg> startup = client.expectStartupMessages();
                        assertThat(startup).filteredOn(m -> m.id() == MessageIds.MANAGED_ACCOUNTS)
                                .singleElement().satisfies(m -> assertThat(m.get(2)).isEqualTo("DU1000001,DU1000002"));
                        assertThat(sim.connectedClientIds()).containsExactly(Integer.parseInt(fields.get(2)));
                    }
                    case MessageIds.REQ_POSITIONS -> {
                        List<RawTwsClient.Msg> answer = client.until(MessageIds.POSITION_END);
                        List<IncomingMessage.Position> positions = new ArrayList<>();
                        for (RawTwsClient.Msg m : answer.subList(0, answer.size() - 1)) {
                            positions.add((IncomingMessage.Position) decode(m, version));
                        }
                        assertThat(positions).hasSameSizeAs(state.positions());
                        for (Position expected : state.positions()) {
                            assertThat(positions).filteredOn(p -> p.account().equals(expected.account())
                                    && p.contract().conId() == expected.conId()).singleElement().satisfies(p -> {
                                        assertThat(p.position()).isEqualByComparingTo(expected.quantity());
                                        assertThat(p.avgCost()).isEqualByComparingTo(expected.avgCost());
                                    });
                        }
                    }
                    case MessageIds.REQ_ACCOUNT_UPDATES -> {
                        String account = fields.get(3);
                        if ("1".equals(fields.get(2))) {
                            List<RawTwsClient.Msg> answer = client.until(MessageIds.ACCOUNT_DOWNLOAD_END);
                            assertThat(answer.get(answer.size() - 1).get(2)).isEqualTo(account);
                            List<IncomingMessage.UpdatePortfolio> lines = new ArrayList<>();
                            for (RawTwsClient.Msg m : answer) {
                                if (decode(m, version) instanceof IncomingMessage.UpdatePortfolio u) {
                                    lines.add(u);
                                }
                            }
                            assertThat(lines).extracting(u -> u.contract().conId()).containsExactlyElementsOf(
                                    state.portfolio(account).stream().map(e -> e.position().conId()).toList());
                            assertThat(lines).allMatch(u -> u.account().equals(account));
                        } else {
                            assertStillAnswering(client);
                        }
                    }
                    case MessageIds.REQ_EXECUTIONS -> {
                        int reqId = Integer.parseInt(fields.get(2));
                        List<RawTwsClient.Msg> answer = client.until(MessageIds.EXECUTION_DATA_END);
                        List<String> execIds = new ArrayList<>();
                        List<String> reports = new ArrayList<>();
                        for (RawTwsClient.Msg m : answer) {
                            IncomingMessage message = decode(m, version);
                            if (message instanceof IncomingMessage.ExecDetails e) {
                                assertThat(e.reqId()).isEqualTo(reqId);
                                execIds.add(e.execId());
                            } else if (message instanceof IncomingMessage.CommissionReport r) {
                                reports.add(r.execId());
                            } else {
                                assertThat(message).isEqualTo(new IncomingMessage.ExecDetailsEnd(reqId));
                            }
                        }
                        List<String> all = state.executions().stream().map(Execution::execId).toList();
                        // An empty filter (clientId "0" or "") filters nothing.
                        assertThat(execIds).containsExactlyElementsOf(all);
                        assertThat(reports).containsExactlyElementsOf(all);
                    }
                    default -> throw new AssertionError("a request the test does not know: " + fields);
                }
                answered++;
            }
            assertThat(answered).isEqualTo(requests.size());
            assertStillAnswering(client);
        }
    }

    /** The connection is still up and in step: a current-time request is the next thing answered. */
    private static void assertStillAnswering(RawTwsClient client) throws Exception {
        client.reqCurrentTime();
        assertThat(client.next().id()).isEqualTo(MessageIds.CURRENT_TIME);
    }

    private static IncomingMessage decode(RawTwsClient.Msg message, int version) {
        FieldWriter writer = new FieldWriter();
        message.fields().forEach(writer::add);
        return MessageDecoder.decode(writer.payload(), version);
    }
}

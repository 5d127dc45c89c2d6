package io.positionsync.ibkr.sim;

import static io.positionsync.ibkr.sim.Books.ACC2;
import static io.positionsync.ibkr.sim.Books.TSLA;
import static io.positionsync.ibkr.sim.Books.d;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ConnectException;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.positionsync.ibkr.wire.MessageIds;

class RestartTest {

    @Test
    void stopDropsClientsAndStartListensOnTheSamePortWithTheSameState() throws Exception {
        SimulatorState state = Books.book();
        try (GatewaySimulator sim = Books.start(state)) {
            int port = sim.port();
            assertThat(port).isPositive();
            RawTwsClient client = RawTwsClient.connected(port, 5);
            sim.stop();
            assertThat(sim.isRunning()).isFalse();
            assertThat(client.awaitClosed(RawTwsClient.TIMEOUT)).isTrue();
            client.close();
            assertThatThrownBy(() -> RawTwsClient.connect(port)).isInstanceOf(ConnectException.class);
            assertThat(sim.connectedClientIds()).isEmpty();

            state.trade(ACC2, TSLA, Side.BOT, d("30"), d("239"), d("1"));
            sim.start();
            assertThat(sim.port()).isEqualTo(port);
            try (RawTwsClient again = RawTwsClient.connected(port, 5)) {
                again.reqPositions();
                List<RawTwsClient.Msg> positions = again.until(MessageIds.POSITION_END);
                assertThat(positions).filteredOn(m -> m.id() == MessageIds.POSITION && m.get(2).equals(ACC2))
                        .singleElement().satisfies(m -> assertThat(m.get(14)).isEqualTo("0"));
                // pushes work again after the restart
                state.trade(ACC2, TSLA, Side.SLD, d("1"), d("239"), d("1"));
                assertThat(again.expect(MessageIds.POSITION).get(14)).isEqualTo("-1");
            }
        }
    }

    @Test
    void startingTwiceIsAnError() throws Exception {
        try (GatewaySimulator sim = Books.start(Books.book())) {
            assertThatThrownBy(sim::start).isInstanceOf(IllegalStateException.class);
        }
    }
}

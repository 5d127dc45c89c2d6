package io.positionsync.ibkr.sim;

import static io.positionsync.ibkr.sim.Books.ACC1;
import static io.positionsync.ibkr.sim.Books.ACC2;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.positionsync.ibkr.wire.MessageIds;

class HandshakeTest {

    @ParameterizedTest(name = "simulator max {0} -> {1}")
    @CsvSource({"178, 178", "166, 166", "157, 157", "200, 178"})
    void picksTheHighestVersionBothSidesSpeak(int simulatorMax, int expected) throws Exception {
        try (GatewaySimulator sim = Books.start(Books.book(), simulatorMax);
                RawTwsClient client = RawTwsClient.connect(sim.port())) {
            assertThat(client.handshake("v157..178")).isEqualTo(expected);
            client.startApi(3);
            client.expectStartupMessages();
            assertThat(sim.serverVersionOf(3)).hasValue(expected);
        }
    }

    @Test
    void acceptsConnectOptionsAfterTheRange() throws Exception {
        try (GatewaySimulator sim = Books.start(Books.book(), 170);
                RawTwsClient client = RawTwsClient.connect(sim.port())) {
            assertThat(client.handshake("v100..178 +PACEAPI")).isEqualTo(170);
        }
    }

    @Test
    void closesWhenTheRangesDoNotOverlap() throws Exception {
        try (GatewaySimulator sim = Books.start(Books.book(), 150);
                RawTwsClient client = RawTwsClient.connect(sim.port())) {
            client.sendHello("v157..178");
            assertThat(client.awaitClosed(RawTwsClient.TIMEOUT)).isTrue();
        }
        SimulatorOptions modernOnly = SimulatorOptions.defaults().withMinServerVersion(170);
        try (GatewaySimulator sim = new GatewaySimulator(Books.book(), modernOnly).start();
                RawTwsClient client = RawTwsClient.connect(sim.port())) {
            client.sendHello("v157..166");
            assertThatThrownBy(client::next).hasMessageContaining("closed");
        }
    }

    @Test
    void closesWithoutTheApiPrefix() throws Exception {
        try (GatewaySimulator sim = Books.start(Books.book());
                Socket socket = new Socket("127.0.0.1", sim.port())) {
            OutputStream out = socket.getOutputStream();
            out.write("GET / HTTP/1.1\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.flush();
            socket.setSoTimeout((int) RawTwsClient.TIMEOUT.toMillis());
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
        }
    }

    @Test
    void startApiAnswersNextValidIdManagedAccountsAndFarmNotices() throws Exception {
        SimulatorState state = Books.book().nextOrderId(42);
        try (GatewaySimulator sim = Books.start(state, 178);
                RawTwsClient client = RawTwsClient.connect(sim.port())) {
            client.handshake("v157..178");
            client.startApi(9);
            List<RawTwsClient.Msg> startup = client.expectStartupMessages();
            assertThat(startup).filteredOn(m -> m.id() == MessageIds.NEXT_VALID_ID).singleElement()
                    .satisfies(m -> assertThat(m.fields()).containsExactly("9", "1", "42"));
            assertThat(startup).filteredOn(m -> m.id() == MessageIds.MANAGED_ACCOUNTS).singleElement()
                    .satisfies(m -> assertThat(m.fields()).containsExactly("15", "1", ACC1 + "," + ACC2));
            assertThat(startup).filteredOn(m -> m.id() == MessageIds.ERROR)
                    .extracting(m -> m.get(2) + "/" + m.get(3))
                    .containsExactlyInAnyOrder("-1/2104", "-1/2106", "-1/2158");
            assertThat(sim.connectedClientIds()).containsExactly(9);
        }
    }

    @Test
    void requestsBeforeStartApiAreIgnored() throws Exception {
        try (GatewaySimulator sim = Books.start(Books.book());
                RawTwsClient client = RawTwsClient.connect(sim.port())) {
            client.handshake("v157..178");
            client.reqCurrentTime();
            client.reqPositions();
            client.startApi(1);
            client.expectStartupMessages();
            client.reqCurrentTime();
            client.expect(MessageIds.CURRENT_TIME);
        }
    }

    @Test
    void duplicateClientIdGets326AndIsDroppedUntilTheFirstLeaves() throws Exception {
        try (GatewaySimulator sim = Books.start(Books.book())) {
            RawTwsClient first = RawTwsClient.connected(sim.port(), 7);
            try (RawTwsClient second = RawTwsClient.connect(sim.port())) {
                second.handshake("v157..178");
                second.startApi(7);
                RawTwsClient.Msg error = second.expect(MessageIds.ERROR);
                assertThat(error.fields()).containsExactly("4", "2", "-1", "326",
                        GatewaySimulator.errorText(326), "");
                assertThat(second.awaitClosed(RawTwsClient.TIMEOUT)).isTrue();
            }
            first.reqCurrentTime();
            first.expect(MessageIds.CURRENT_TIME);
            first.close();
            await().atMost(Duration.ofSeconds(5)).until(() -> !sim.connectedClientIds().contains(7));
            try (RawTwsClient third = RawTwsClient.connected(sim.port(), 7)) {
                third.reqCurrentTime();
                third.expect(MessageIds.CURRENT_TIME);
                assertThat(sim.connectedClientIds()).containsExactly(7);
            }
        }
    }
}

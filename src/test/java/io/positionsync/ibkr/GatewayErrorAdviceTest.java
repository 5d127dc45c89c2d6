package io.positionsync.ibkr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.positionsync.ibkr.sim.GatewaySimulator;

/**
 * Each way of not reaching a gateway is one line that names the endpoint and what to check; and a gateway
 * that stays away is "down since" the moment it went, not since the latest retry.
 */
class GatewayErrorAdviceTest {
    private static final Instant T0 = Instant.parse("2026-03-02T14:00:00Z");

    private static TwsGatewayConfig config(int port, Duration connectTimeout) {
        return new TwsGatewayConfig("127.0.0.1", port, 17, connectTimeout, Duration.ofSeconds(2), Duration.ofMillis(10),
                Duration.ofMillis(20));
    }

    private static int closedPort() throws Exception {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    @Test
    void refusedNamesTheEndpointTheSocketSettingAndTheUsualPorts() throws Exception {
        int port = closedPort();
        try (TwsBrokerGateway gateway = new TwsBrokerGateway(config(port, Duration.ofSeconds(2)))) {
            assertThatThrownBy(gateway::snapshot).hasMessageContaining("127.0.0.1:" + port)
                    .hasMessageContaining("connection refused")
                    .hasMessageContaining("Enable ActiveX and Socket Clients")
                    .hasMessageContaining("7497").hasMessageContaining("7496")
                    .hasMessageContaining("4002").hasMessageContaining("4001")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        }
    }

    @Test
    void closedWhileConnectingPointsAtTrustedIpsAndTheClientId() throws Exception {
        try (ServerSocket rude = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Thread closer = new Thread(() -> {
                try (Socket accepted = rude.accept()) {
                    // closed at once, as TWS does with a client from an untrusted address
                } catch (Exception ignored) {
                    // the test ends either way
                }
            });
            closer.start();
            try (TwsBrokerGateway gateway = new TwsBrokerGateway(config(rude.getLocalPort(), Duration.ofSeconds(5)))) {
                assertThatThrownBy(gateway::snapshot).hasMessageContaining("127.0.0.1:" + rude.getLocalPort())
                        .hasMessageContaining("closed the connection while connecting as clientId 17")
                        .hasMessageContaining("Trusted IPs")
                        .hasMessageContaining("clientId 17 is already in use")
                        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
            }
            closer.join(5000);
        }
    }

    @Test
    void silentAfterAcceptTimesOutWithWhatToCheck() throws Exception {
        CountDownLatch testDone = new CountDownLatch(1);
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Thread holder = new Thread(() -> {
                try (Socket accepted = silent.accept()) {
                    testDone.await(10, TimeUnit.SECONDS); // accepts, never answers: TWS waiting for its dialog
                } catch (Exception ignored) {
                    // the test ends either way
                }
            });
            holder.start();
            try (TwsBrokerGateway gateway = new TwsBrokerGateway(config(silent.getLocalPort(), Duration.ofMillis(300)))) {
                assertThatThrownBy(gateway::snapshot).hasMessageContaining("127.0.0.1:" + silent.getLocalPort())
                        .hasMessageContaining("did not send its handshake reply within 300 ms")
                        .hasMessageContaining("accept the incoming connection")
                        .hasMessageContaining("7497")
                        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
            } finally {
                testDone.countDown();
                holder.join(5000);
            }
        }
    }

    @Test
    void downSinceIsWhenTheGatewayWentAwayNotTheLatestRetry() throws Exception {
        MutableClock clock = new MutableClock(T0);
        GatewaySimulator sim = GatewaySimulator.startDemo();
        try (TwsBrokerGateway gateway = new TwsBrokerGateway(config(sim.port(), Duration.ofSeconds(2)), clock)) {
            gateway.connect();
            assertThat(gateway.status().state()).isEqualTo(ConnectionState.UP);

            clock.advance(Duration.ofSeconds(10));
            Instant wentDown = clock.instant();
            sim.stop();
            await().atMost(Duration.ofSeconds(10)).until(() -> gateway.status().state() == ConnectionState.DOWN);
            assertThat(gateway.status().since()).isEqualTo(wentDown);

            for (int retry = 1; retry <= 3; retry++) {
                clock.advance(Duration.ofMinutes(1)); // past the backoff: a real attempt, refused
                assertThatThrownBy(gateway::snapshot).isInstanceOf(BrokerException.class);
                assertThat(gateway.status().state()).isEqualTo(ConnectionState.DOWN);
                assertThat(gateway.status().since()).as("after retry %d", retry).isEqualTo(wentDown);
            }

            sim.start(); // back on the same port: UP since the reconnect, and a later drop starts a new "since"
            clock.advance(Duration.ofMinutes(1));
            gateway.connect();
            assertThat(gateway.status().state()).isEqualTo(ConnectionState.UP);
            assertThat(gateway.status().since()).isEqualTo(clock.instant());
        } finally {
            sim.close();
        }
    }
}

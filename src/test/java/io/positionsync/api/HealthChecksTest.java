package io.positionsync.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;

import org.apache.camel.health.HealthCheck;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import io.positionsync.ibkr.ConnectionState;
import io.positionsync.ibkr.ConnectionStatus;
import io.positionsync.store.TestDatabase;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.ServiceUnderTest;

@PositionSyncService(profile = PositionSyncService.Profile.NONE, gateway = PositionSyncService.Gateway.NONE)
class HealthChecksTest {
    private static final Duration TIMEOUT = Duration.ofMillis(500);

    static TestDatabase db;

    @Test
    void databaseIsReadyWhenItAnswers() {
        HealthCheck.Result result = call(new DatabaseHealthCheck(db.dataSource(), TIMEOUT));

        assertThat(result.getState()).isEqualTo(HealthCheck.State.UP);
        assertThat(result.getDetails()).containsKey("database.responseMs");
    }

    @Test
    void databaseIsNotReadyWhenUnreachable() {
        int closedPort = ServiceUnderTest.freePort();
        try (HikariDataSource dataSource = pool("jdbc:postgresql://127.0.0.1:" + closedPort + "/postgres", 250)) {
            HealthCheck.Result result = call(new DatabaseHealthCheck(dataSource, Duration.ofSeconds(5)));

            assertThat(result.getState()).isEqualTo(HealthCheck.State.DOWN);
            assertThat(result.getMessage()).hasValueSatisfying(m -> assertThat(m).startsWith("the database is unreachable"));
        }
    }

    @Test
    void aDatabaseThatDoesNotAnswerIsNotReadyWithinTheTimeout() throws IOException {
        // Accepts connections and never says a word: the pool waits, the check does not.
        try (ServerSocket silent = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
                HikariDataSource dataSource = pool("jdbc:postgresql://127.0.0.1:" + silent.getLocalPort()
                        + "/postgres?loginTimeout=2&socketTimeout=2", 2000)) {
            Thread acceptor = new Thread(() -> {
                try {
                    Socket ignored = silent.accept(); // held open until the server socket closes
                    ignored.getInputStream().read();
                } catch (IOException e) {
                    // closed at the end of the test
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            long started = System.nanoTime();

            HealthCheck.Result result = call(new DatabaseHealthCheck(dataSource, TIMEOUT));

            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
            assertThat(result.getState()).isEqualTo(HealthCheck.State.DOWN);
            assertThat(result.getMessage()).hasValue("the database did not answer within 500 ms");
        }
    }

    @Test
    void gatewayDownIsReportedAsDegradedButStaysUp() {
        Instant since = Instant.parse("2026-03-02T10:00:00Z");
        GatewayHealthCheck check = new GatewayHealthCheck(
                () -> new ConnectionStatus(ConnectionState.DOWN, since, "connection refused", since.plusSeconds(4)));

        HealthCheck.Result result = call(check);

        assertThat(check.isReadiness()).isTrue();
        assertThat(check.isLiveness()).isFalse();
        assertThat(result.getState()).isEqualTo(HealthCheck.State.UP);
        assertThat(result.getMessage()).hasValueSatisfying(m -> assertThat(m).startsWith("DEGRADED: gateway DOWN"));
        assertThat(result.getDetails())
                .containsEntry("gateway.state", "DOWN")
                .containsEntry("mode", "DEGRADED")
                .containsEntry("gateway.detail", "connection refused")
                .containsEntry("gateway.nextAttemptAt", "2026-03-02T10:00:04Z");
    }

    @Test
    void gatewayUpIsLive() {
        HealthCheck.Result result = call(new GatewayHealthCheck(
                () -> new ConnectionStatus(ConnectionState.UP, Instant.now(), "connected", null)));

        assertThat(result.getState()).isEqualTo(HealthCheck.State.UP);
        assertThat(result.getDetails()).containsEntry("mode", "LIVE");
    }

    @Test
    void databaseCheckIsReadinessOnly() {
        DatabaseHealthCheck check = new DatabaseHealthCheck(db.dataSource(), TIMEOUT);

        assertThat(check.isReadiness()).isTrue();
        assertThat(check.isLiveness()).isFalse();
    }

    private static HealthCheck.Result call(org.apache.camel.impl.health.AbstractHealthCheck check) {
        check.setCamelContext(new DefaultCamelContext());
        return check.call();
    }

    private static HikariDataSource pool(String url, long connectionTimeoutMs) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setUsername("postgres");
        config.setInitializationFailTimeout(-1); // the pool starts although the server is not there
        config.setConnectionTimeout(connectionTimeoutMs);
        config.setMaximumPoolSize(1);
        return new HikariDataSource(config);
    }
}

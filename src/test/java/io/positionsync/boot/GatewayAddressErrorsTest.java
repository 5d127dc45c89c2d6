package io.positionsync.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.util.Map;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import io.positionsync.store.TestDatabase;
import io.positionsync.testing.CommandProcess;
import io.positionsync.testing.PositionSyncService;

/**
 * The gateway's address wrong in the ways operators get it wrong, each in a JVM of its own: a PostgreSQL port is
 * named as such ("not a TWS API gateway"), a misspelt host as an unknown host, and a simulator that cannot listen
 * names the port that is taken.
 */
@Tag("process")
@PositionSyncService(profile = PositionSyncService.Profile.NONE, gateway = PositionSyncService.Gateway.NONE)
class GatewayAddressErrorsTest {
    static TestDatabase db;

    @Test
    void aPostgresqlPortIsNotATwsGateway() throws Exception {
        URI url = URI.create(db.jdbcUrl().substring("jdbc:".length()));
        CommandProcess.Result result = CommandProcess.run(Map.of(), "snapshot", "--host", url.getHost(),
                "--port", Integer.toString(url.getPort()), "--client-id", "5", "--timeout-seconds", "10");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.errorLines()).containsExactly("error: " + url.getHost() + ":" + url.getPort() + " is a PostgreSQL "
                + "server, not a TWS API gateway: point PSYNC_IBKR_HOST / PSYNC_IBKR_PORT at TWS or IB Gateway (TWS 7497 "
                + "paper / 7496 live, IB Gateway 4002 paper / 4001 live)");
        assertThat(result.stderr()).doesNotContain("Trusted IPs").doesNotContain("already in use");
    }

    @Test
    void aMisspeltHostIsAnUnknownHost() throws Exception {
        CommandProcess.Result result = CommandProcess.run(Map.of("PSYNC_IBKR_HOST", "gatewya.invalid"), "snapshot",
                "--timeout-seconds", "10");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.errorLines()).containsExactly("error: could not connect to the gateway at gatewya.invalid:4002: "
                + "unknown host 'gatewya.invalid' (the name does not resolve); check the gateway host (PSYNC_IBKR_HOST, "
                + "--host) for a typo");
    }

    @Test
    void aSimulatorOnABusyPortNamesThePort() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CommandProcess.Result result = CommandProcess.run(Map.of(), "simulator", "--host", "127.0.0.1", "--port",
                    Integer.toString(taken.getLocalPort()));

            assertThat(result.exitCode()).isEqualTo(1);
            assertThat(result.errorLines()).singleElement().asString()
                    .startsWith("error: cannot listen on 127.0.0.1:" + taken.getLocalPort() + ": ")
                    .endsWith("(another process listens there: stop it or choose another --port)");
        }
    }
}

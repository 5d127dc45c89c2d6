package io.positionsync.api;

import io.positionsync.boot.DatabaseLink;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.positionsync.boot.DatabaseLink;
import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.store.TestDatabase;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.ServiceUnderTest;

/**
 * {@code GET /api/sync/status} while the database is gone answers within the health check's timeout (as readiness
 * does), not after the pool's connection timeout.
 */
@PositionSyncService(awaitFirstRun = true, databaseLink = true, properties = {
        "psync.db.connection-timeout-ms=10000", "psync.api.health-db-timeout-ms=1000" }) // POOL_WAIT, HEALTH_TIMEOUT
class StatusWithinHealthTimeoutTest {
    private static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration POOL_WAIT = Duration.ofSeconds(10);

    static TestDatabase db;
    static GatewaySimulator sim;
    static DatabaseLink link;
    static ServiceUnderTest service;

    @Test
    void withTheDatabaseGoneTheStatusAnswersWithinTheHealthTimeout() {
        link.cut();
        try {
            // The pool's idle connections died with the link: the first read fails at once and the pool drops
            // them; from then on every read waits for a new connection the database does not give.
            service.getJson("api/sync/status");
            long started = System.nanoTime();
            JsonNode status = service.getJson("api/sync/status");
            Duration took = Duration.ofNanos(System.nanoTime() - started);

            assertThat(status.at("/database/available").asBoolean()).isFalse();
            assertThat(status.get("openBreakCount").isNull()).isTrue();
            assertThat(took).as("bounded by the health timeout, not the pool's wait of " + POOL_WAIT)
                    .isLessThan(HEALTH_TIMEOUT.plusSeconds(3));
            System.out.printf("status with the database gone: %d ms (health timeout %d ms, pool wait %d ms)%n",
                    took.toMillis(), HEALTH_TIMEOUT.toMillis(), POOL_WAIT.toMillis());
        } finally {
            link.restore();
        }
        // back once the link is: the pool makes new connections (within its own timeout), no restart needed
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> service.getJson("api/sync/status").at("/database/available").asBoolean());
    }
}

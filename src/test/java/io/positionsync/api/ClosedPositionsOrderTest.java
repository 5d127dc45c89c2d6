package io.positionsync.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.positionsync.ibkr.sim.Fill;
import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.ibkr.sim.Side;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.ServiceUnderTest;

/**
 * "Recently closed" as the dashboard asks for it ({@code order=closed}): the most recently closed first, not by
 * account and symbol, each with the size it held. Running service, simulator over a socket, PostgreSQL.
 */
@PositionSyncService
class ClosedPositionsOrderTest {
    private static final String ACCOUNT = "DU1000001";
    private static final long AAPL = 265598;
    private static final long MSFT = 272093;

    private GatewaySimulator sim;
    private ServiceUnderTest service;

    private void sync() {
        HttpResponse<String> response = service.sync(null);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }

    @Test
    void theMostRecentlyClosedComeFirstWithTheSizeTheyHeld() throws Exception {
        await().atMost(Duration.ofSeconds(30))
                .until(() -> !service.getJson("api/sync/status").get("lastSuccessfulRun").isNull());
        // AAPL (200 held) closes first, then MSFT (40 held): MSFT is the newer close, though after AAPL alphabetically.
        java.time.Instant now = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        sim.state().trade(Fill.of(ACCOUNT, AAPL, Side.SLD, new BigDecimal("200"), new BigDecimal("201.00"), BigDecimal.ONE)
                .at(now.minusSeconds(120)));
        sync();
        sim.state().trade(Fill.of(ACCOUNT, MSFT, Side.SLD, new BigDecimal("40"), new BigDecimal("416.00"), BigDecimal.ONE)
                .at(now.minusSeconds(60)));
        sync();

        JsonNode byClose = service.getJson("api/positions?status=closed&account=" + ACCOUNT + "&order=closed");
        JsonNode byInstrument = service.getJson("api/positions?status=closed&account=" + ACCOUNT);

        List<String> newestFirst = new ArrayList<>();
        byClose.get("positions").forEach(p -> newestFirst.add(p.get("symbol").asText() + " "
                + new BigDecimal(p.get("quantity").asText()).stripTrailingZeros().toPlainString() + " held "
                + new BigDecimal(p.get("peakQuantity").asText()).stripTrailingZeros().toPlainString()));
        assertThat(newestFirst).containsSubsequence("MSFT 0 held 40", "AAPL 0 held 200");
        List<java.time.Instant> closedAt = new ArrayList<>();
        byClose.get("positions").forEach(p -> closedAt.add(java.time.Instant.parse(p.get("closedAt").asText())));
        assertThat(closedAt).isSortedAccordingTo(java.util.Comparator.reverseOrder());
        // By instrument (the default) AAPL and MSFT stand in their alphabetical place.
        List<String> alphabetical = new ArrayList<>();
        byInstrument.get("positions").forEach(p -> alphabetical.add(p.get("symbol").asText()));
        assertThat(alphabetical).isSorted();
    }
}

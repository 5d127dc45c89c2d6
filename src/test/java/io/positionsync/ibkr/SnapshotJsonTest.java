package io.positionsync.ibkr;

import io.positionsync.sync.BrokerExecution;
import io.positionsync.sync.BrokerPosition;
import io.positionsync.sync.PortfolioValue;

import io.positionsync.sync.BrokerSnapshot;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;

class SnapshotJsonTest {
    private static final Instant TAKEN = Instant.parse("2026-11-24T16:00:00Z");

    private static BrokerSnapshot sample(boolean complete) {
        BrokerPosition position = new BrokerPosition("DU1", 12087792L, "XYZ", "STK", "USD", "XYZ", null,
                new BigDecimal("-30"), new BigDecimal("20.02"));
        PortfolioValue value = new PortfolioValue("DU1", 12087792L, "XYZ", "STK", "USD", null, new BigDecimal("-30"),
                new BigDecimal("18.00"), new BigDecimal("-540.00"), new BigDecimal("20.02"), new BigDecimal("60.60"), null);
        BrokerExecution execution = new BrokerExecution("0000e0d5.01.01", "DU1", 12087792L, "XYZ", "STK", "BOT",
                new BigDecimal("20"), new BigDecimal("18.00"), Instant.parse("2026-11-24T14:30:05Z"), 42, 7,
                new BigDecimal("0.40"), "USD", new BigDecimal("40.00"));
        BrokerExecution noCommission = new BrokerExecution("0000e0d6.01.01", "DU1", 12087792L, "XYZ", "STK", "SLD",
                new BigDecimal("0.5"), new BigDecimal("18.10"), null, 43, 8, null, null, null);
        return new BrokerSnapshot(178, complete, complete ? null : "positionEnd not received within 15000 ms", TAKEN,
                TAKEN, List.of("DU1", "DU2"), List.of(position), List.of(value), List.of(execution, noCommission));
    }

    @Test
    void completeSnapshotHasExactlyTheAgreedShape() {
        String json = SnapshotJson.write(sample(true));

        assertThat(json).isEqualTo("{\"serverVersion\":178,\"complete\":true,\"accounts\":[\"DU1\",\"DU2\"],"
                + "\"positions\":[{\"account\":\"DU1\",\"conId\":12087792,\"symbol\":\"XYZ\",\"secType\":\"STK\","
                + "\"currency\":\"USD\",\"multiplier\":null,\"position\":\"-30\",\"avgCost\":\"20.02\"}],"
                + "\"portfolio\":[{\"account\":\"DU1\",\"conId\":12087792,\"symbol\":\"XYZ\",\"position\":\"-30\","
                + "\"marketPrice\":\"18.00\",\"marketValue\":\"-540.00\",\"averageCost\":\"20.02\","
                + "\"unrealizedPnl\":\"60.60\",\"realizedPnl\":null}],"
                + "\"executions\":[{\"execId\":\"0000e0d5.01.01\",\"account\":\"DU1\",\"conId\":12087792,"
                + "\"symbol\":\"XYZ\",\"side\":\"BOT\",\"shares\":\"20\",\"price\":\"18.00\","
                + "\"time\":\"2026-11-24T14:30:05Z\",\"commission\":\"0.40\",\"commissionCurrency\":\"USD\","
                + "\"realizedPnl\":\"40.00\"},"
                + "{\"execId\":\"0000e0d6.01.01\",\"account\":\"DU1\",\"conId\":12087792,\"symbol\":\"XYZ\","
                + "\"side\":\"SLD\",\"shares\":\"0.5\",\"price\":\"18.10\",\"time\":null,\"commission\":null,"
                + "\"commissionCurrency\":null,\"realizedPnl\":null}]}");
    }

    @Test
    void incompleteSnapshotAddsItsReason() throws Exception {
        JsonNode tree = new ObjectMapper().readTree(SnapshotJson.write(sample(false)));

        assertThat(tree.get("complete").asBoolean()).isFalse();
        assertThat(tree.get("incompleteReason").asText()).isEqualTo("positionEnd not received within 15000 ms");
        assertThat(tree.fieldNames()).toIterable()
                .containsExactly("serverVersion", "complete", "incompleteReason", "accounts", "positions", "portfolio",
                        "executions");
    }

    @Test
    void decimalsAreStringsWithoutExponent() throws Exception {
        BrokerPosition tiny = new BrokerPosition("DU1", 1, "BTC", "CRYPTO", "USD", null, new BigDecimal("1E+1"),
                new BigDecimal("1E-8"), new BigDecimal("43000"));
        BrokerSnapshot snapshot = new BrokerSnapshot(157, true, null, TAKEN, null, List.of("DU1"), List.of(tiny), List.of(),
                List.of());

        JsonNode position = new ObjectMapper().readTree(SnapshotJson.writePretty(snapshot)).get("positions").get(0);

        assertThat(position.get("position").isTextual()).isTrue();
        assertThat(position.get("position").asText()).isEqualTo("0.00000001");
        assertThat(position.get("multiplier").asText()).isEqualTo("10");
        assertThat(position.get("conId").isNumber()).isTrue();
    }
}

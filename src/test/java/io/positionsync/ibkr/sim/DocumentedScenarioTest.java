package io.positionsync.ibkr.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.positionsync.sync.BrokerExecution;
import io.positionsync.sync.BrokerPosition;
import io.positionsync.sync.BrokerSnapshot;
import io.positionsync.ibkr.TwsBrokerGateway;
import io.positionsync.ibkr.TwsGatewayConfig;

/** The scenario example in {@code docs/simulator.md} loads and does what the page says, snapshot by snapshot. */
class DocumentedScenarioTest {
    private static final Instant NOW = Instant.parse("2026-11-30T15:00:00Z");

    private static String documentedExample() throws Exception {
        String page = Files.readString(Path.of("docs", "simulator.md"));
        int intro = page.indexOf("Example, every situation the sync must handle:");
        assertThat(intro).as("the example in docs/simulator.md").isPositive();
        int start = page.indexOf("```json", intro) + "```json".length();
        return page.substring(start, page.indexOf("```", start));
    }

    private static TwsBrokerGateway client(GatewaySimulator sim, int clientId) {
        return new TwsBrokerGateway(new TwsGatewayConfig("127.0.0.1", sim.port(), clientId, Duration.ofSeconds(2),
                Duration.ofMillis(1500), Duration.ofMillis(50), Duration.ofMillis(200)));
    }

    private static BrokerPosition position(BrokerSnapshot snapshot, String account, long conId) {
        return snapshot.positions().stream().filter(p -> p.account().equals(account) && p.conId() == conId)
                .findFirst().orElseThrow();
    }

    @Test
    void theDocumentedExampleDoesWhatThePageSays() throws Exception {
        Scenario scenario = Scenario.read(new ByteArrayInputStream(
                documentedExample().getBytes(StandardCharsets.UTF_8)), "docs/simulator.md");
        try (GatewaySimulator sim = new GatewaySimulator(scenario.toState(Clock.fixed(NOW, ZoneOffset.UTC)),
                SimulatorOptions.defaults()).start();
                TwsBrokerGateway master = client(sim, 17)) {
            BrokerSnapshot first = master.snapshot();
            assertThat(first.complete()).isTrue();
            assertThat(first.executions()).hasSize(1);
            assertThat(first.accounts()).containsExactly("DU1000001", "DU1000002");
            assertThat(first.unmanaged().byAccount()).containsExactly(
                    java.util.Map.entry("DU1000009", new io.positionsync.sync.UnmanagedRows.Counts(1, 0, 1)));

            BrokerSnapshot second = master.snapshot();
            assertThat(position(second, "DU1000001", 265598).position()).isEqualByComparingTo("30");
            List<BrokerExecution> aapl = second.executions().stream().filter(e -> e.conId() == 265598).toList();
            assertThat(aapl).hasSize(2);
            assertThat(aapl.get(1).commission()).as("withheld").isNull();

            BrokerSnapshot third = master.snapshot();
            assertThat(position(third, "DU1000001", 265598).position()).as("before the fill between replies")
                    .isEqualByComparingTo("30");
            assertThat(third.executions().stream().filter(e -> e.conId() == 265598)).hasSize(3)
                    .allMatch(e -> e.commission() != null);
            assertThat(third.executions().stream().filter(e -> e.conId() == 14204)).singleElement()
                    .satisfies(e -> assertThat(e.execId()).endsWith(".02"));

            BrokerSnapshot fourth = master.snapshot();
            assertThat(position(fourth, "DU1000001", 265598).position()).isEqualByComparingTo("0");
            assertThat(position(fourth, "DU1000002", 14204).position()).isEqualByComparingTo("0");
            assertThat(fourth.executions()).hasSize(4);

            try (TwsBrokerGateway other = client(sim, 18)) {
                assertThat(other.snapshot().executions()).as("not the master, placed nothing").isEmpty();
            }
        }
    }
}

package io.positionsync.ibkr;

import io.positionsync.boot.SnapshotCommand;

import static io.positionsync.ibkr.SimulatedGateway.ACC1;
import static io.positionsync.ibkr.SimulatedGateway.ACC2;
import static io.positionsync.ibkr.SimulatedGateway.CLIENT_ID;
import static io.positionsync.ibkr.SimulatedGateway.ES;
import static io.positionsync.ibkr.SimulatedGateway.TSLA;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.positionsync.boot.ConfigurationValues;
import io.positionsync.ibkr.sim.Execution;
import io.positionsync.ibkr.sim.Instrument;
import io.positionsync.ibkr.sim.PortfolioEntry;
import io.positionsync.ibkr.sim.Position;
import io.positionsync.ibkr.sim.SnapshotPhase;

/** The {@code snapshot} command against an in-process simulator: exit codes and the exact JSON shape. */
class SnapshotCommandAgainstSimulatorTest {
    private static final List<String> ROOT = List.of("serverVersion", "complete", "accounts", "positions", "portfolio",
            "executions");
    private static final List<String> POSITION = List.of("account", "conId", "symbol", "secType", "currency",
            "multiplier", "position", "avgCost");
    private static final List<String> PORTFOLIO = List.of("account", "conId", "symbol", "position", "marketPrice",
            "marketValue", "averageCost", "unrealizedPnl", "realizedPnl");
    private static final List<String> EXECUTION = List.of("execId", "account", "conId", "symbol", "side", "shares",
            "price", "time", "commission", "commissionCurrency", "realizedPnl");

    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private SimulatedGateway env;

    @AfterEach
    void tearDown() {
        if (env != null) {
            env.close();
        }
    }

    private static ConfigurationValues settings() {
        Properties p = new Properties();
        p.setProperty("psync.ibkr.connect-timeout-ms", "2000");
        p.setProperty("psync.ibkr.request-timeout-ms", "5000");
        p.setProperty("psync.ibkr.backoff-initial-ms", "50");
        p.setProperty("psync.ibkr.backoff-max-ms", "200");
        return ConfigurationValues.of(p, Map.of());
    }

    private int run(String... args) {
        return SnapshotCommand.run(args, new PrintStream(stdout, true, StandardCharsets.UTF_8),
                new PrintStream(stderr, true, StandardCharsets.UTF_8), settings());
    }

    private String out() {
        return stdout.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return stderr.toString(StandardCharsets.UTF_8);
    }

    private void assertOneErrorLine(String containing) {
        assertThat(err().lines()).singleElement().satisfies(line -> {
            assertThat(line).startsWith("error: ");
            assertThat(line).contains(containing);
        });
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** A decimal is a JSON string holding exactly the value, or null when absent. */
    private static void assertDecimal(JsonNode node, String field, BigDecimal expected) {
        JsonNode value = node.get(field);
        assertThat(value).as("%s present", field).isNotNull();
        if (expected == null) {
            assertThat(value.isNull()).as("%s is null in %s", field, node).isTrue();
        } else {
            assertThat(value.isTextual()).as("%s is a string in %s", field, node).isTrue();
            assertThat(new BigDecimal(value.asText())).as("%s of %s", field, node).isEqualByComparingTo(expected);
        }
    }

    private static JsonNode find(JsonNode array, String account, long conId) {
        for (JsonNode node : array) {
            if (node.get("account").asText().equals(account) && node.get("conId").asLong() == conId) {
                return node;
            }
        }
        throw new AssertionError("no " + account + "/" + conId + " in " + array);
    }

    @Test
    void completeSnapshotOfTheDemoPrintsJsonInTheFixedShapeAndExitsZero() throws Exception {
        env = SimulatedGateway.demo();

        int code = run("--host", "127.0.0.1", "--port", Integer.toString(env.sim.port()), "--client-id",
                Integer.toString(CLIENT_ID));

        assertThat(code).as(err()).isZero();
        assertThat(err()).isEmpty();
        JsonNode json = new ObjectMapper().readTree(out());
        assertThat(fieldNames(json)).containsExactlyElementsOf(ROOT);
        assertThat(json.get("serverVersion").isInt()).isTrue();
        assertThat(json.get("serverVersion").asInt()).isEqualTo(178);
        assertThat(json.get("complete").isBoolean()).isTrue();
        assertThat(json.get("complete").asBoolean()).isTrue();
        assertThat(json.get("accounts")).extracting(JsonNode::asText).containsExactly(ACC1, ACC2);

        List<Position> positions = env.state.positions();
        assertThat(json.get("positions")).hasSameSizeAs(positions);
        for (JsonNode node : json.get("positions")) {
            assertThat(fieldNames(node)).containsExactlyElementsOf(POSITION);
            assertThat(node.get("conId").isIntegralNumber()).isTrue();
        }
        for (Position expected : positions) {
            JsonNode node = find(json.get("positions"), expected.account(), expected.conId());
            Instrument instrument = env.state.instrument(expected.conId()).orElseThrow();
            assertThat(node.get("symbol").asText()).isEqualTo(instrument.symbol());
            assertThat(node.get("secType").asText()).isEqualTo(instrument.secType());
            assertThat(node.get("currency").asText()).isEqualTo(instrument.currency());
            assertDecimal(node, "multiplier", instrument.multiplier());
            assertDecimal(node, "position", expected.quantity());
            assertDecimal(node, "avgCost", expected.avgCost());
        }
        JsonNode shortPosition = find(json.get("positions"), ACC2, TSLA);
        assertThat(shortPosition.get("position").asText()).isEqualTo("-30");
        assertThat(shortPosition.get("avgCost").asText()).isEqualTo("242.05");
        assertThat(shortPosition.get("multiplier").isNull()).isTrue();
        assertThat(find(json.get("positions"), ACC1, ES).get("multiplier").asText()).isEqualTo("50");

        int lines = 0;
        for (JsonNode node : json.get("portfolio")) {
            assertThat(fieldNames(node)).containsExactlyElementsOf(PORTFOLIO);
        }
        for (String account : env.state.accounts()) {
            for (PortfolioEntry expected : env.state.portfolio(account)) {
                lines++;
                Position held = expected.position();
                JsonNode node = find(json.get("portfolio"), account, held.conId());
                assertDecimal(node, "position", held.quantity());
                assertDecimal(node, "marketPrice", expected.marketPrice());
                assertDecimal(node, "marketValue", expected.marketValue());
                assertDecimal(node, "averageCost", held.avgCost());
                assertDecimal(node, "unrealizedPnl", expected.unrealizedPnl());
                assertDecimal(node, "realizedPnl", held.realizedPnlToday());
            }
        }
        assertThat(json.get("portfolio")).hasSize(lines);

        List<Execution> executions = env.state.executions();
        assertThat(json.get("executions")).hasSameSizeAs(executions);
        for (int i = 0; i < executions.size(); i++) {
            Execution expected = executions.get(i);
            JsonNode node = json.get("executions").get(i);
            assertThat(fieldNames(node)).containsExactlyElementsOf(EXECUTION);
            assertThat(node.get("execId").asText()).isEqualTo(expected.execId());
            assertThat(node.get("account").asText()).isEqualTo(expected.account());
            assertThat(node.get("conId").asLong()).isEqualTo(expected.conId());
            assertThat(node.get("side").asText()).isEqualTo(expected.side().name());
            assertDecimal(node, "shares", expected.shares());
            assertDecimal(node, "price", expected.price());
            assertThat(Instant.parse(node.get("time").asText())).isEqualTo(expected.time());
            assertDecimal(node, "commission", expected.commission());
            assertThat(node.get("commissionCurrency").asText()).isEqualTo("USD");
            assertDecimal(node, "realizedPnl", expected.realizedPnl());
        }
        assertThat(json.get("executions")).filteredOn(e -> e.get("realizedPnl").isNull())
                .as("opening fills realize nothing: null, not 0").hasSize(4);
        assertThat(json.has("incompleteReason")).isFalse();
    }

    @Test
    void absentValuesAreJsonNulls() throws Exception {
        env = SimulatedGateway.demo();
        long unpriced = 12087792;
        env.state.addInstrument(Instrument.stock(unpriced, "XYZ", "NYSE"));
        env.state.setPosition(ACC1, unpriced, new BigDecimal("-30"), new BigDecimal("20.02"));

        int code = run("--host", "127.0.0.1", "--port", Integer.toString(env.sim.port()), "--client-id",
                Integer.toString(CLIENT_ID));

        assertThat(code).as(err()).isZero();
        JsonNode json = new ObjectMapper().readTree(out());
        JsonNode line = find(json.get("portfolio"), ACC1, unpriced);
        assertThat(fieldNames(line)).containsExactlyElementsOf(PORTFOLIO);
        assertThat(line.get("marketPrice").isNull()).isTrue();
        assertThat(line.get("marketValue").isNull()).isTrue();
        assertThat(line.get("unrealizedPnl").isNull()).isTrue();
        assertThat(line.get("position").asText()).isEqualTo("-30");
        assertThat(line.get("averageCost").asText()).isEqualTo("20.02");
        assertThat(find(json.get("positions"), ACC1, unpriced).get("multiplier").isNull()).isTrue();
    }

    @Test
    void incompleteSnapshotPrintsItsJsonWithTheReasonAndExitsOne() throws Exception {
        env = SimulatedGateway.demo();
        env.sim.faults().withholdEnd(SnapshotPhase.EXECUTIONS);

        int code = run("--host", "127.0.0.1", "--port", Integer.toString(env.sim.port()), "--client-id",
                Integer.toString(CLIENT_ID), "--timeout-seconds", "1");

        assertThat(code).isEqualTo(1);
        assertOneErrorLine("snapshot incomplete: execDetailsEnd not received within 1000 ms");
        JsonNode json = new ObjectMapper().readTree(out());
        assertThat(fieldNames(json)).containsExactly("serverVersion", "complete", "incompleteReason", "accounts",
                "positions", "portfolio", "executions");
        assertThat(json.get("complete").asBoolean()).isFalse();
        assertThat(json.get("incompleteReason").asText()).isEqualTo("execDetailsEnd not received within 1000 ms");
    }

    @Test
    void clientIdInUseExitsOneWithOneErrorLine() throws Exception {
        env = SimulatedGateway.demo();
        env.gateway(Duration.ofSeconds(5)).connect();

        int code = run("--host", "127.0.0.1", "--port", Integer.toString(env.sim.port()), "--client-id",
                Integer.toString(CLIENT_ID));

        assertThat(code).isEqualTo(1);
        assertOneErrorLine("clientId " + CLIENT_ID + " is already in use");
        assertThat(out()).isEmpty();
    }

    @Test
    void refusedPortExitsOneWithOneErrorLine() throws Exception {
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = probe.getLocalPort();
        }

        int code = run("--host", "127.0.0.1", "--port", Integer.toString(closedPort), "--client-id", "7");

        assertThat(code).isEqualTo(1);
        assertOneErrorLine("could not connect to the gateway at 127.0.0.1:" + closedPort);
        assertThat(out()).isEmpty();
    }
}

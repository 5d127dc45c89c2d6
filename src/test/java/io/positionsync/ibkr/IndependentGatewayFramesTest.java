package io.positionsync.ibkr;

import io.positionsync.sync.BrokerExecution;
import io.positionsync.sync.BrokerPosition;
import io.positionsync.sync.PortfolioValue;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Whole sessions captured between IB's official Java client and a gateway written independently from the
 * protocol facts, at server versions 157 and 178: every gateway frame, decoded by our {@link MessageDecoder} at
 * the negotiated version and collected by our {@link SnapshotAssembler}, must give exactly the state that
 * gateway served ({@code independent-gateway-state.json}): positions, portfolio values of the account it
 * downloaded, executions (a {@code .02} correction among them) with their commission reports, and nothing
 * but informational notices in between.
 */
class IndependentGatewayFramesTest {

    /** What one session decoded to. */
    private record Decoded(int serverVersion, List<String> accounts, SnapshotAssembler assembler,
            Map<String, IncomingMessage.Position> positions, Map<String, IncomingMessage.UpdatePortfolio> portfolio,
            Map<String, IncomingMessage.ExecDetails> executions, List<IncomingMessage.ErrorMessage> errors,
            Set<String> downloadedAccounts, int execDetailsEnds) {
    }

    private static Decoded decode(String file) {
        int version = 0;
        List<String> accounts = List.of();
        SnapshotAssembler assembler = new SnapshotAssembler();
        Map<String, IncomingMessage.Position> positions = new LinkedHashMap<>();
        Map<String, IncomingMessage.UpdatePortfolio> portfolio = new LinkedHashMap<>();
        Map<String, IncomingMessage.ExecDetails> executions = new LinkedHashMap<>();
        List<IncomingMessage.ErrorMessage> errors = new ArrayList<>();
        Set<String> downloaded = new HashSet<>();
        int ends = 0;
        for (TwsWireFixtures.Line line : TwsWireFixtures.lines(file)) {
            if (line.fromClient()) {
                continue;
            }
            if (version == 0) {
                // The handshake answer: version and connection time, no message id.
                String[] fields = new String(line.bytes(), StandardCharsets.UTF_8).split("\0");
                version = Integer.parseInt(fields[0]);
                continue;
            }
            IncomingMessage message = MessageDecoder.decode(line.bytes(), version);
            assembler.add(message);
            if (message instanceof IncomingMessage.ManagedAccounts m) {
                accounts = m.accounts();
            } else if (message instanceof IncomingMessage.Position p) {
                positions.put(p.account() + "/" + p.contract().conId(), p);
            } else if (message instanceof IncomingMessage.UpdatePortfolio u) {
                portfolio.put(u.account() + "/" + u.contract().conId(), u);
            } else if (message instanceof IncomingMessage.ExecDetails e) {
                executions.put(e.execId(), e);
            } else if (message instanceof IncomingMessage.ErrorMessage e) {
                errors.add(e);
            } else if (message instanceof IncomingMessage.AccountDownloadEnd end) {
                downloaded.add(end.account());
            } else if (message instanceof IncomingMessage.ExecDetailsEnd) {
                ends++;
            }
        }
        return new Decoded(version, accounts, assembler, positions, portfolio, executions, errors, downloaded, ends);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({TwsWireFixtures.GATEWAY_V157 + ",157", TwsWireFixtures.GATEWAY_V178 + ",178"})
    void decodesTheIndependentGatewaySessionToExactlyTheStateItServed(String file, int expectedVersion) {
        JsonNode state = TwsWireFixtures.json(TwsWireFixtures.GATEWAY_STATE);
        Decoded session = decode(file);

        assertThat(session.serverVersion()).isEqualTo(expectedVersion);
        List<String> accounts = new ArrayList<>();
        state.path("accounts").forEach(a -> accounts.add(a.asText()));
        assertThat(session.accounts()).containsExactlyElementsOf(accounts);
        assertThat(session.errors()).as("only farm notices arrive between the data").isNotEmpty()
                .allMatch(IncomingMessage.ErrorMessage::isInformational);
        assertThat(session.errors()).extracting(IncomingMessage.ErrorMessage::advancedOrderRejectJson)
                .allMatch(json -> expectedVersion >= 166 ? json == null || json.isEmpty() : json == null);
        assertThat(session.execDetailsEnds()).isEqualTo(1);

        // Positions: every one, every field, exactly.
        List<BrokerPosition> positions = session.assembler().positions();
        assertThat(positions).hasSize(state.path("positions").size());
        for (JsonNode expected : state.path("positions")) {
            String key = expected.path("account").asText() + "/" + expected.path("conId").asLong();
            BrokerPosition actual = positions.stream()
                    .filter(p -> (p.account() + "/" + p.conId()).equals(key)).findFirst()
                    .orElseThrow(() -> new AssertionError("position " + key + " not decoded"));
            assertThat(actual.symbol()).isEqualTo(expected.path("symbol").asText());
            assertThat(actual.secType()).isEqualTo(expected.path("secType").asText());
            assertThat(actual.currency()).isEqualTo(expected.path("currency").asText());
            assertThat(actual.localSymbol()).isEqualTo(expected.path("localSymbol").asText());
            assertDecimal(actual.multiplier(), expected.path("multiplier").asText(), "multiplier of " + key);
            assertDecimal(actual.position(), expected.path("position").asText(), "position of " + key);
            assertDecimal(actual.avgCost(), expected.path("avgCost").asText(), "avgCost of " + key);
            Contract contract = session.positions().get(key).contract();
            assertThat(orEmpty(contract.lastTradeDateOrContractMonth())).isEqualTo(expected.path("expiry").asText());
            assertDecimal(contract.strike(), expected.path("strike").asText(), "strike of " + key);
            assertThat(orEmpty(contract.right())).isEqualTo(expected.path("right").asText());
            assertThat(orEmpty(contract.exchange())).isEqualTo(expected.path("exchange").asText());
            assertThat(orEmpty(contract.tradingClass())).isEqualTo(expected.path("tradingClass").asText());
        }

        // Portfolio values: exactly those of the accounts the session downloaded.
        List<PortfolioValue> portfolio = session.assembler().portfolio();
        int downloadedLines = 0;
        for (JsonNode expected : state.path("positions")) {
            String account = expected.path("account").asText();
            if (!session.downloadedAccounts().contains(account)) {
                continue;
            }
            downloadedLines++;
            String key = account + "/" + expected.path("conId").asLong();
            PortfolioValue actual = portfolio.stream().filter(p -> (p.account() + "/" + p.conId()).equals(key))
                    .findFirst().orElseThrow(() -> new AssertionError("portfolio line " + key + " not decoded"));
            assertDecimal(actual.position(), expected.path("position").asText(), "portfolio position of " + key);
            assertDecimal(actual.marketPrice(), expected.path("marketPrice").asText(), "marketPrice of " + key);
            assertDecimal(actual.averageCost(), expected.path("avgCost").asText(), "averageCost of " + key);
            assertDecimal(actual.unrealizedPnl(), expected.path("unrealizedPnl").asText(), "unrealizedPnl of " + key);
            assertDecimal(actual.realizedPnl(), expected.path("realizedPnl").asText(), "realizedPnl of " + key);
            assertThat(actual.currency()).isEqualTo(expected.path("currency").asText());
            Contract contract = session.portfolio().get(key).contract();
            assertThat(orEmpty(contract.primaryExchange())).isEqualTo(expected.path("primaryExchange").asText());
        }
        assertThat(session.downloadedAccounts()).containsExactly("DU7000001");
        assertThat(portfolio).hasSize(downloadedLines);

        // Executions: each joined with its commission report; the corrected id (.02) kept as sent.
        List<BrokerExecution> executions = session.assembler().executions();
        assertThat(executions).extracting(BrokerExecution::execId).containsExactlyInAnyOrderElementsOf(
                ids(state.path("executions")));
        for (JsonNode expected : state.path("executions")) {
            String execId = expected.path("execId").asText();
            BrokerExecution actual = executions.stream().filter(e -> e.execId().equals(execId)).findFirst()
                    .orElseThrow();
            assertThat(actual.account()).isEqualTo(expected.path("account").asText());
            assertThat(actual.conId()).isEqualTo(expected.path("conId").asLong());
            assertThat(actual.symbol()).isEqualTo(expected.path("symbol").asText());
            assertThat(actual.secType()).isEqualTo(expected.path("secType").asText());
            assertThat(actual.side()).isEqualTo(expected.path("side").asText());
            assertDecimal(actual.shares(), expected.path("shares").asText(), "shares of " + execId);
            assertDecimal(actual.price(), expected.path("price").asText(), "price of " + execId);
            assertThat(actual.time()).isEqualTo(TwsTime.parseExecutionTime(expected.path("time").asText()));
            assertDecimal(actual.commission(), expected.path("commission").asText(), "commission of " + execId);
            assertThat(actual.commissionCurrency()).isEqualTo(expected.path("currency").asText());
            if (expected.path("realizedPnl").isNull()) {
                assertThat(actual.realizedPnl()).as("realizedPnl of %s", execId).isNull();
            } else {
                assertDecimal(actual.realizedPnl(), expected.path("realizedPnl").asText(), "realizedPnl of " + execId);
            }
            Contract contract = session.executions().get(execId).contract();
            assertDecimal(contract.multiplier(), expected.path("multiplier").asText(), "multiplier of " + execId);
            assertThat(contract.currency()).isEqualTo(expected.path("currency").asText());
        }
        assertThat(session.assembler().execIdsWithoutCommission()).isEmpty();
    }

    private static List<String> ids(JsonNode executions) {
        List<String> ids = new ArrayList<>();
        executions.forEach(e -> ids.add(e.path("execId").asText()));
        return ids;
    }

    private static String orEmpty(String text) {
        return text == null ? "" : text;
    }

    /** An empty expected text means "absent"; otherwise equal by value. */
    private static void assertDecimal(BigDecimal actual, String expected, String what) {
        if (expected.isEmpty()) {
            assertThat(actual).as(what).isNull();
        } else {
            assertThat(actual).as(what).isNotNull().isEqualByComparingTo(new BigDecimal(expected));
        }
    }
}

package io.positionsync.ibkr.sim;

import io.positionsync.boot.SimulatorCommand;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

class SimulatorCommandTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "--bogus 1|error: unknown option '--bogus'",
            "--port abc|error: --port must be an integer, got 'abc'",
            "--port 70000|error: --port must be in 0..65535, got 70000",
            "--port|error: --port needs a value",
            "--server-version 201|error: --server-version must be in 100..200, got 201",
            "--server-version 99|error: --server-version must be in 100..200, got 99",
            "--scenario /nonexistent/scenario.json|error: scenario file not found: /nonexistent/scenario.json",
            "stray|error: unexpected argument 'stray'",
            "--seed x|error: --seed must be an integer, got 'x'",
            "--trade-interval-ms -5|error: --trade-interval-ms must be in 0..2147483647, got -5",
            "--pacing-limit -1|error: --pacing-limit must be in 0..2147483647, got -1",
            "--latency-ms 20..5|error: --latency-ms needs MIN..MAX with MIN <= MAX, got '20..5'",
            "--latency-ms x|error: --latency-ms must be an integer, got 'x'",
            "--positions-account-limit -1|error: --positions-account-limit must be in 0..2147483647, got -1",
            "--push-executions yes|error: --push-executions must be on or off, got 'yes'"})
    void badArgumentsGiveOneErrorLineAndExitCode2(String args, String expected) throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = SimulatorCommand.run(args.split(" "), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(2);
        String text = err.toString(StandardCharsets.UTF_8);
        assertThat(text.lines()).hasSize(1);
        assertThat(text).startsWith(expected);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void brokenScenarioFileIsABadArgument(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("broken.json");
        Files.writeString(file, "{ \"accounts\": [ { \"code\": \"U1\" } ],\n \"positions\": [ { \"account\": \"U2\", "
                + "\"conId\": 1, \"quantity\": 1 } ] }");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = SimulatorCommand.run(new String[] {"--scenario", file.toString()}, System.out,
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("error: invalid scenario").contains("U2")
                .hasLineCount(1);
    }

    @Test
    void startsWithTheGivenScenarioAndVersionAndLogsOneListeningLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("s.json");
        Files.writeString(file, """
                { "maxServerVersion": 170, "accounts": [ { "code": "U1" }, { "code": "U2" } ] }
                """);
        Logger logger = (Logger) LoggerFactory.getLogger(SimulatorCommand.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try (GatewaySimulator sim = SimulatorCommand.start(new String[] {"--port", "0", "--host", "127.0.0.1",
                "--scenario", file.toString(), "--server-version", "166"});
                RawTwsClient client = RawTwsClient.connect(sim.port())) {
            assertThat(client.handshake("v157..178")).isEqualTo(166);
            assertThat(appender.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
                    "gateway simulator listening on 127.0.0.1:" + sim.port() + " (server version <= 166, accounts U1, U2)");
        } finally {
            logger.detachAppender(appender);
        }
    }

    @Test
    void defaultsToTheDemoScenarioAndItsVersion() throws Exception {
        try (GatewaySimulator sim = SimulatorCommand.start(new String[] {"--port", "0"})) {
            assertThat(sim.options().maxServerVersion()).isEqualTo(178);
            assertThat(sim.state().accounts()).containsExactly("DU1000001", "DU1000002");
            assertThat(sim.options().priceTickInterval()).as("the command lets prices move").isNotNull();
            assertThat(sim.host()).isEqualTo("127.0.0.1");
        }
    }

    @Test
    void theDemoTradesAsItsScenarioSaysUnlessTheOptionsSayOtherwise() throws Exception {
        try (GatewaySimulator sim = SimulatorCommand.start(new String[] {"--port", "0"})) {
            assertThat(sim.options().tradeInterval()).isEqualTo(Duration.ofMillis(5000));
            assertThat(sim.options().tradeSeed()).isEqualTo(7);
        }
        try (GatewaySimulator sim = SimulatorCommand.start(new String[] {"--port", "0", "--seed", "42",
                "--trade-interval-ms", "250"})) {
            assertThat(sim.options().tradeInterval()).isEqualTo(Duration.ofMillis(250));
            assertThat(sim.options().tradeSeed()).isEqualTo(42);
        }
        try (GatewaySimulator sim = SimulatorCommand.start(new String[] {"--port", "0", "--trade-interval-ms", "0"})) {
            assertThat(sim.options().tradeInterval()).as("0: no trading").isNull();
        }
    }

    @Test
    void pacingIsEnforcedOnlyWhenTheOptionSaysSo() throws Exception {
        try (GatewaySimulator sim = SimulatorCommand.start(new String[] {"--port", "0"})) {
            assertThat(sim.options().pacingEnforced()).isFalse();
        }
        try (GatewaySimulator sim = SimulatorCommand.start(new String[] {"--port", "0", "--pacing-limit", "50"})) {
            assertThat(sim.options().pacingLimit()).isEqualTo(50);
        }
    }

    @Test
    void latencyAndTheRefusalOfReqPositionsAreOffUnlessTheOptionsSaySo() throws Exception {
        try (GatewaySimulator sim = SimulatorCommand.start(new String[] {"--port", "0"})) {
            assertThat(sim.options().hasLatency()).isFalse();
            assertThat(sim.options().positionsAccountLimit()).isZero();
        }
        try (GatewaySimulator sim = SimulatorCommand.start(new String[] {"--port", "0", "--latency-ms", "50",
                "--positions-account-limit", "50"})) {
            assertThat(sim.options().latencyMin()).isEqualTo(Duration.ofMillis(50));
            assertThat(sim.options().latencyMax()).isEqualTo(Duration.ofMillis(50));
            assertThat(sim.options().positionsAccountLimit()).isEqualTo(50);
        }
        try (GatewaySimulator sim = SimulatorCommand.start(new String[] {"--port", "0", "--latency-ms", "5..20"})) {
            assertThat(sim.options().latencyMin()).isEqualTo(Duration.ofMillis(5));
            assertThat(sim.options().latencyMax()).isEqualTo(Duration.ofMillis(20));
        }
    }

    @Test
    void fillsArePushedUnlessSwitchedOffAndLateCommissionsOnlyWhenSwitchedOn() throws Exception {
        try (GatewaySimulator sim = SimulatorCommand.start(new String[] {"--port", "0"})) {
            assertThat(sim.options().pushExecutions()).isTrue();
            assertThat(sim.options().pushLateCommissions()).isFalse();
        }
        try (GatewaySimulator sim = SimulatorCommand.start(new String[] {"--port", "0", "--push-executions", "off",
                "--push-late-commissions", "on"})) {
            assertThat(sim.options().pushExecutions()).isFalse();
            assertThat(sim.options().pushLateCommissions()).isTrue();
        }
    }
}

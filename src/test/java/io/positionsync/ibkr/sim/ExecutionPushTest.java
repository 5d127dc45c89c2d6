package io.positionsync.ibkr.sim;

import static io.positionsync.ibkr.sim.Books.AAPL;
import static io.positionsync.ibkr.sim.Books.ACC1;
import static io.positionsync.ibkr.sim.Books.ACC2;
import static io.positionsync.ibkr.sim.Books.TSLA;
import static io.positionsync.ibkr.sim.Books.d;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.positionsync.ibkr.wire.MessageIds;

/**
 * Fills are pushed as they happen ({@code execDetails} with reqId -1, then the commission report) to the clients
 * that may see them: the Master API client sees every client's, another client only its own.
 */
class ExecutionPushTest {
    private static final int MASTER = 17;
    private static final int OTHER = 18;
    private static final int EXEC_ID = 14;
    private static final int ACCOUNT = 16;

    private static SimulatorState withMaster() {
        return Books.book().masterClientId(MASTER);
    }

    /** The next message must be the answer to a time request: nothing else was queued for this client before it. */
    private static void assertNothingPushed(RawTwsClient client) throws Exception {
        client.reqCurrentTime();
        client.expect(MessageIds.CURRENT_TIME);
    }

    @Test
    void theMasterHearsEveryClientsFillsAndAnotherClientOnlyItsOwn() throws Exception {
        SimulatorState state = withMaster();
        try (GatewaySimulator sim = Books.start(state);
                RawTwsClient master = RawTwsClient.connected(sim.port(), MASTER);
                RawTwsClient other = RawTwsClient.connected(sim.port(), OTHER)) {
            Execution manual = state.trade(Fill.of(ACC1, AAPL, Side.BOT, d("10"), d("160.00"), d("1.00")));
            RawTwsClient.Msg pushed = master.expect(MessageIds.EXECUTION_DATA);
            assertThat(pushed.get(1)).as("reqId of a push").isEqualTo("-1");
            assertThat(pushed.get(EXEC_ID)).isEqualTo(manual.execId());
            assertThat(pushed.get(ACCOUNT)).isEqualTo(ACC1);
            RawTwsClient.Msg report = master.expect(MessageIds.COMMISSION_REPORT);
            assertThat(report.get(2)).isEqualTo(manual.execId());
            assertThat(report.get(3)).isEqualTo("1");
            assertNothingPushed(other);

            Execution own = state.trade(Fill.of(ACC2, TSLA, Side.BOT, d("5"), d("240.00"), d("1.00"))
                    .withClientId(OTHER));
            for (RawTwsClient client : new RawTwsClient[] {master, other}) {
                assertThat(client.expect(MessageIds.EXECUTION_DATA).get(EXEC_ID)).isEqualTo(own.execId());
                assertThat(client.expect(MessageIds.COMMISSION_REPORT).get(2)).isEqualTo(own.execId());
            }
            assertThat(sim.sentExecIds(MASTER)).containsExactly(manual.execId(), own.execId());
            assertThat(sim.sentExecIds(OTHER)).containsExactly(own.execId());
        }
    }

    @Test
    void aWithheldReportIsNotPushedAndAReleasedOneOnlyWhenLateReportsArePushed() throws Exception {
        SimulatorState state = withMaster();
        try (GatewaySimulator sim = new GatewaySimulator(state, SimulatorOptions.defaults()
                .withLateCommissionPushes(true)).start();
                RawTwsClient master = RawTwsClient.connected(sim.port(), MASTER)) {
            Execution late = state.trade(Fill.of(ACC1, AAPL, Side.SLD, d("10"), d("160.00"), d("1.00"))
                    .withCommissionWithheld());
            assertThat(master.expect(MessageIds.EXECUTION_DATA).get(EXEC_ID)).isEqualTo(late.execId());
            assertNothingPushed(master);

            assertThat(state.releaseCommission(late.execId())).isTrue();
            RawTwsClient.Msg report = master.expect(MessageIds.COMMISSION_REPORT);
            assertThat(report.get(2)).isEqualTo(late.execId());
            assertNothingPushed(master);
        }
        SimulatorState quiet = withMaster();
        try (GatewaySimulator sim = Books.start(quiet);
                RawTwsClient master = RawTwsClient.connected(sim.port(), MASTER)) {
            Execution late = quiet.trade(Fill.of(ACC1, AAPL, Side.SLD, d("10"), d("160.00"), d("1.00"))
                    .withCommissionWithheld());
            master.expect(MessageIds.EXECUTION_DATA);
            quiet.releaseCommission(late.execId());
            assertThat(sim.options().pushLateCommissions()).as("off by default").isFalse();
            assertNothingPushed(master);
        }
    }

    @Test
    void aCorrectionIsPushedWithItsReportAndAWithheldExecutionWhenReleased() throws Exception {
        SimulatorState state = withMaster();
        try (GatewaySimulator sim = Books.start(state);
                RawTwsClient master = RawTwsClient.connected(sim.port(), MASTER)) {
            Execution fill = state.trade(Fill.of(ACC1, AAPL, Side.BOT, d("10"), d("160.00"), d("1.00")));
            master.expect(MessageIds.EXECUTION_DATA);
            master.expect(MessageIds.COMMISSION_REPORT);

            Execution corrected = state.correctExecution(fill.execId(), d("159.50"));
            assertThat(corrected.execId()).endsWith(".02");
            RawTwsClient.Msg pushed = master.expect(MessageIds.EXECUTION_DATA);
            assertThat(pushed.get(EXEC_ID)).isEqualTo(corrected.execId());
            assertThat(pushed.get(EXEC_ID + 6)).as("price").isEqualTo("159.5");
            assertThat(master.expect(MessageIds.COMMISSION_REPORT).get(2)).isEqualTo(corrected.execId());

            Execution hidden;
            synchronized (state) {
                // As the demo's trader does: withheld in the same step that traded it.
                hidden = state.trade(Fill.of(ACC1, AAPL, Side.SLD, d("5"), d("161.00"), d("1.00")));
                state.withholdExecution(hidden.execId());
            }
            assertNothingPushed(master);
            state.releaseExecution(hidden.execId());
            assertThat(master.expect(MessageIds.EXECUTION_DATA).get(EXEC_ID)).isEqualTo(hidden.execId());
            assertThat(master.expect(MessageIds.COMMISSION_REPORT).get(2)).isEqualTo(hidden.execId());
        }
    }

    @Test
    void pushesSwitchedOffLeaveExecutionsToTheirRequests() throws Exception {
        SimulatorState state = withMaster();
        try (GatewaySimulator sim = new GatewaySimulator(state, SimulatorOptions.defaults()
                .withExecutionPushes(false)).start();
                RawTwsClient master = RawTwsClient.connected(sim.port(), MASTER)) {
            Execution fill = state.trade(Fill.of(ACC1, AAPL, Side.BOT, d("10"), d("160.00"), d("1.00")));
            assertNothingPushed(master);
            master.reqExecutions(3);
            assertThat(master.until(MessageIds.EXECUTION_DATA_END)).filteredOn(m -> m.id() == MessageIds.EXECUTION_DATA)
                    .extracting(m -> m.get(EXEC_ID)).containsExactly(fill.execId());
        }
    }
}

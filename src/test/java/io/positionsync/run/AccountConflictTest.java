package io.positionsync.run;

import static io.positionsync.testing.SyncBook.AAPL;
import static io.positionsync.testing.SyncBook.ABC;
import static io.positionsync.testing.SyncBook.ACCOUNT;
import static io.positionsync.testing.SyncBook.ACCOUNT_2;
import static io.positionsync.testing.SyncBook.XYZ;
import static io.positionsync.testing.SyncBook.dec;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.positionsync.ibkr.TwsBrokerGateway;
import io.positionsync.ibkr.TwsGatewayConfig;
import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.ibkr.sim.Instrument;
import io.positionsync.ibkr.sim.Side;
import io.positionsync.ibkr.sim.SimulatorOptions;
import io.positionsync.ibkr.sim.SimulatorState;
import io.positionsync.store.TestDatabase;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.sync.SyncTrigger;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.PositionSyncService.Gateway;
import io.positionsync.testing.PositionSyncService.Lifecycle;
import io.positionsync.testing.PositionSyncService.Profile;
import io.positionsync.testing.ServiceUnderTest;

/**
 * Two gateways over two simulators, the real route and PostgreSQL: the {@code default} gateway reports
 * {@value #A1} and {@value #SHARED}, the gateway {@code g2} reports {@value #SHARED} and {@value #A3}. The shared
 * account is an {@code ACCOUNT_CONFLICT} break, raised once, and no run of either gateway opens, changes or closes
 * anything of it, whatever either broker says of it, while every other account syncs as usual; once one gateway no
 * longer reports it, the break is resolved and the other reconciles it again. A run of some accounts never drops a
 * gateway's claim.
 */
@PositionSyncService(profile = Profile.NONE, gateway = Gateway.BOOK, lifecycle = Lifecycle.PER_METHOD)
class AccountConflictTest {
    private static final String A1 = ACCOUNT;
    private static final String SHARED = ACCOUNT_2;
    private static final String A3 = "DU5550003";
    private static final String G2 = "g2";

    private TestDatabase db;
    private GatewaySimulator sim;
    private ServiceUnderTest h;
    private SimulatorState broker2;
    /** g2's simulator (not a field of its own type: the extension sets the one of the book). */
    private Second second;
    private TwsBrokerGateway client2;

    private record Second(GatewaySimulator sim) {
    }
    private ListAppender<ILoggingEvent> events;
    private ch.qos.logback.classic.Logger logger;

    @BeforeEach
    void secondGateway() throws Exception {
        logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(SyncRunSteps.class);
        events = new ListAppender<>();
        events.start();
        logger.addAppender(events);
        broker2 = new SimulatorState()
                .addAccount(SHARED)
                .addAccount(A3)
                .addInstrument(Instrument.stock(XYZ, "XYZ", "NYSE"))
                .addInstrument(Instrument.stock(ABC, "ABC", "NYSE"))
                .reportClosedAsZero(true);
        broker2.setMarketPrice(XYZ, dec("20.00"));
        broker2.setMarketPrice(ABC, dec("9.00"));
        GatewaySimulator sim2 = new GatewaySimulator(broker2, SimulatorOptions.defaults()).start();
        second = new Second(sim2);
        // the sync pipeline with two gateways: the book's simulator is the default gateway, the second one g2
        h = ServiceUnderTest.startPipeline(db, sim, Map.of("psync.gateways", "default=" + sim.host() + ":" + sim.port()
                + ":41," + G2 + "=" + sim2.host() + ":" + sim2.port() + ":42"));
    }

    /**
     * g2's runs take their snapshots through a new client: a new connection hears the simulator's managed accounts
     * as they are now (a connection hears them once, when it starts).
     */
    private void reconnectSecondGateway() {
        if (client2 != null) {
            client2.close();
        }
        client2 = new TwsBrokerGateway(new TwsGatewayConfig(second.sim().host(), second.sim().port(), 43, Duration.ofMillis(1500),
                Duration.ofMillis(1500), Duration.ofMillis(10), Duration.ofMillis(20)));
        h.bean("syncRunSteps", SyncRunSteps.class).addGateway(G2, client2);
    }

    @AfterEach
    void stop() {
        logger.detachAppender(events);
        ServiceUnderTest.closeAll(h, client2, second == null ? null : second.sim());
    }

    private static SyncRunSummary succeeded(SyncRunSummary run) {
        assertThat(run.status()).as("run %s: %s", run.runId(), run.error()).isEqualTo(SyncRunStatus.SUCCEEDED);
        return run;
    }

    /** A manual run of {@code gateway} through its coordinator and the sync route, of every account or of some. */
    private SyncRunSummary run(String gateway, String... accounts) throws Exception {
        return succeeded(h.bean(Gateways.BEAN, Gateways.class).request(gateway, SyncTrigger.MANUAL, null,
                List.of(accounts)).await(Duration.ofSeconds(30)).orElseThrow());
    }

    private SyncRunSummary runDefault(String... accounts) throws Exception {
        return run("default", accounts);
    }

    private SyncRunSummary runG2(String... accounts) throws Exception {
        return run(G2, accounts);
    }

    private List<Map<String, Object>> accountConflicts() throws Exception {
        return h.query("SELECT account, con_id, note, run_id, resolved_at, resolved_run_id FROM reconciliation_breaks "
                + "WHERE kind = 'ACCOUNT_CONFLICT' ORDER BY id");
    }

    private List<Map<String, Object>> sharedRows() throws Exception {
        return h.query("SELECT * FROM positions WHERE account = ? ORDER BY id", SHARED);
    }

    private List<String> lines(Level level, String containing) {
        return events.list.stream().filter(e -> e.getLevel() == level).map(ILoggingEvent::getFormattedMessage)
                .filter(m -> m.contains(containing)).toList();
    }

    private String runLine(long runId) {
        return events.list.stream().map(ILoggingEvent::getFormattedMessage)
                .filter(m -> m.startsWith("sync run " + runId + " SUCCEEDED")).findFirst().orElseThrow();
    }

    private static BigDecimal quantity(Map<String, Object> row) {
        return (BigDecimal) row.get("quantity");
    }

    /**
     * The default gateway syncs A1 (AAPL 10) and the shared account (XYZ 100) alone; then g2 reports the shared
     * account too, with XYZ 40, and A3 with ABC 5. Returns g2's run.
     */
    private SyncRunSummary conflict() throws Exception {
        h.broker().trade(A1, AAPL, Side.BOT, dec("10"), dec("150.00"), dec("1.00"));
        h.broker().trade(SHARED, XYZ, Side.BOT, dec("100"), dec("20.00"), dec("1.00"));
        runDefault();
        assertThat(quantity(h.openRow(SHARED, XYZ))).isEqualByComparingTo("100");

        broker2.trade(SHARED, XYZ, Side.BOT, dec("40"), dec("21.00"), dec("1.00"));
        broker2.trade(A3, ABC, Side.BOT, dec("5"), dec("9.00"), dec("1.00"));
        return runG2();
    }

    @Test
    void anAccountTwoGatewaysReportIsABreakAndNeitherGatewaysRunsTouchIt() throws Exception {
        h.broker().trade(A1, AAPL, Side.BOT, dec("10"), dec("150.00"), dec("1.00"));
        h.broker().trade(SHARED, XYZ, Side.BOT, dec("100"), dec("20.00"), dec("1.00"));
        runDefault();
        List<Map<String, Object>> shared = sharedRows();
        assertThat(shared).singleElement().satisfies(row -> assertThat(quantity(row)).isEqualByComparingTo("100"));

        // g2 reports the shared account with another quantity: left out, raised; its own account syncs.
        broker2.trade(SHARED, XYZ, Side.BOT, dec("40"), dec("21.00"), dec("1.00"));
        broker2.trade(A3, ABC, Side.BOT, dec("5"), dec("9.00"), dec("1.00"));
        SyncRunSummary g2 = runG2();

        assertThat(quantity(h.openRow(A3, ABC))).isEqualByComparingTo("5");
        assertThat(sharedRows()).as("g2 neither opened, changed nor closed anything of it").isEqualTo(shared);
        assertThat(h.count("SELECT count(*) FROM executions WHERE account = ?", SHARED)).isEqualTo(1);
        List<Map<String, Object>> breaks = accountConflicts();
        assertThat(breaks).singleElement().satisfies(b -> {
            assertThat(b.get("account")).isEqualTo(SHARED);
            assertThat(b.get("con_id")).isNull();
            assertThat(b.get("note")).isEqualTo("account " + SHARED + " is reported by gateways default and g2: no run "
                    + "reconciles it until only one of them reports it");
            assertThat(((Number) b.get("run_id")).longValue()).isEqualTo(g2.runId());
            assertThat(b.get("resolved_at")).isNull();
        });
        assertThat(lines(Level.WARN, "ACCOUNT_CONFLICT")).containsExactly("run " + g2.runId() + ": ACCOUNT_CONFLICT "
                + SHARED + ": account " + SHARED + " is reported by gateways default and g2: no run reconciles it until "
                + "only one of them reports it");
        assertThat(runLine(g2.runId())).contains(", gateway g2").endsWith("; 1 account reported by another gateway "
                + "too left out (ACCOUNT_CONFLICT): " + SHARED + " (also reported by gateway default)");
        assertThat(h.db.dump("SELECT gateway, account FROM gateway_accounts ORDER BY 1, 2")).containsExactly(
                "default|" + A1, "default|" + SHARED, "g2|" + SHARED, "g2|" + A3);

        // The default gateway's broker now holds nothing of XYZ there (sold), and A1 buys more: A1 syncs, the shared
        // account's position is not closed, and the break is not raised again.
        h.broker().trade(SHARED, XYZ, Side.SLD, dec("100"), dec("21.00"), dec("1.00"));
        h.broker().trade(A1, AAPL, Side.BOT, dec("5"), dec("152.00"), dec("1.00"));
        SyncRunSummary byDefault = runDefault();

        assertThat(quantity(h.openRow(A1, AAPL))).isEqualByComparingTo("15");
        assertThat(sharedRows()).as("the default gateway did not close it").isEqualTo(shared);
        assertThat(h.count("SELECT count(*) FROM executions WHERE account = ?", SHARED)).isEqualTo(1);
        assertThat(accountConflicts()).hasSize(1).allSatisfy(b -> assertThat(b.get("resolved_at")).isNull());
        assertThat(runLine(byDefault.runId())).endsWith("; 1 account reported by another gateway too left out "
                + "(ACCOUNT_CONFLICT): " + SHARED + " (also reported by gateway g2)");

        // g2 again, its broker with yet another quantity there: still nothing changes of it; A3 syncs.
        broker2.trade(SHARED, XYZ, Side.BOT, dec("7"), dec("21.50"), dec("1.00"));
        broker2.trade(A3, ABC, Side.BOT, dec("5"), dec("9.50"), dec("1.00"));
        runG2();

        assertThat(quantity(h.openRow(A3, ABC))).isEqualByComparingTo("10");
        assertThat(sharedRows()).isEqualTo(shared);
        assertThat(accountConflicts()).hasSize(1).allSatisfy(b -> assertThat(b.get("resolved_at")).isNull());
        assertThat(lines(Level.WARN, "ACCOUNT_CONFLICT")).as("raised once while it lasts").hasSize(1);
        assertThat(h.count("SELECT count(*) FROM reconciliation_breaks WHERE account = ? AND kind <> 'ACCOUNT_CONFLICT'",
                SHARED)).as("nothing was reconciled there, so nothing else is raised").isZero();
    }

    @Test
    void theConflictEndsWhenOneGatewayNoLongerReportsTheAccountAndTheOtherReconcilesItAgain() throws Exception {
        conflict();
        List<Map<String, Object>> shared = sharedRows();
        h.broker().trade(SHARED, XYZ, Side.SLD, dec("100"), dec("21.00"), dec("1.00"));
        runDefault();
        assertThat(sharedRows()).isEqualTo(shared);

        // g2 no longer reports the shared account: its next run of every account drops its claim, the conflict is over.
        broker2.setManaged(SHARED, false);
        reconnectSecondGateway();
        SyncRunSummary released = runG2();

        assertThat(h.db.dump("SELECT gateway, account FROM gateway_accounts ORDER BY 1, 2")).containsExactly(
                "default|" + A1, "default|" + SHARED, "g2|" + A3);
        assertThat(accountConflicts()).singleElement().satisfies(b -> {
            assertThat(b.get("resolved_at")).isNotNull();
            assertThat(((Number) b.get("resolved_run_id")).longValue()).isEqualTo(released.runId());
        });
        assertThat(lines(Level.INFO, "ACCOUNT_CONFLICT " + SHARED + " resolved")).hasSize(1);
        assertThat(sharedRows()).as("g2 does not report it: nothing of it is g2's to change").isEqualTo(shared);

        // The default gateway reconciles it again: the sale closes the position.
        SyncRunSummary again = runDefault();
        List<Map<String, Object>> rows = sharedRows();
        assertThat(rows).singleElement().satisfies(row -> {
            assertThat(row.get("status")).isEqualTo("CLOSED");
            assertThat((BigDecimal) row.get("realized_pnl")).isEqualByComparingTo("98.00");
        });
        assertThat(runLine(again.runId())).doesNotContain("ACCOUNT_CONFLICT");
        assertThat(accountConflicts()).hasSize(1);
    }

    @Test
    void theRemainingGatewaysRunResolvesTheBreakWhenTheOtherDroppedItFirst() throws Exception {
        conflict();
        // g2 reports the shared account no more, but its run of some accounts (A3) says nothing of it: no claim dropped
        broker2.setManaged(SHARED, false);
        reconnectSecondGateway();
        runG2(A3);
        assertThat(accountConflicts()).singleElement().satisfies(b -> assertThat(b.get("resolved_at")).isNull());

        // its claim dropped by hand (as a run of every account of g2 would): the default gateway's run resolves it
        assertThat(h.query("DELETE FROM gateway_accounts WHERE gateway = ? AND account = ? RETURNING account", G2,
                SHARED)).hasSize(1);
        SyncRunSummary resolving = runDefault();
        assertThat(accountConflicts()).singleElement().satisfies(b -> assertThat(((Number) b.get("resolved_run_id"))
                .longValue()).isEqualTo(resolving.runId()));
    }

    @Test
    void aRunOfSomeAccountsNeverDropsAClaimAndLeavesAConflictingAccountOutToo() throws Exception {
        conflict();
        List<Map<String, Object>> shared = sharedRows();

        // runs of some accounts of either gateway: the claims on the shared account stay, and so does the break
        runDefault(A1);
        runG2(A3);
        assertThat(h.db.dump("SELECT gateway, account FROM gateway_accounts ORDER BY 1, 2")).containsExactly(
                "default|" + A1, "default|" + SHARED, "g2|" + SHARED, "g2|" + A3);
        assertThat(accountConflicts()).singleElement().satisfies(b -> assertThat(b.get("resolved_at")).isNull());

        // a run of the shared account alone leaves it out as well, though its broker closed the position
        h.broker().trade(SHARED, XYZ, Side.SLD, dec("100"), dec("21.00"), dec("1.00"));
        SyncRunSummary scoped = runDefault(SHARED);
        assertThat(sharedRows()).isEqualTo(shared);
        assertThat(runLine(scoped.runId())).contains(" of " + SHARED).endsWith("(ACCOUNT_CONFLICT): " + SHARED
                + " (also reported by gateway g2)");
        assertThat(accountConflicts()).hasSize(1);
    }
}

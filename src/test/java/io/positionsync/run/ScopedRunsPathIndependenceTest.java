package io.positionsync.run;

import static io.positionsync.testing.SyncBook.AAPL;
import static io.positionsync.testing.SyncBook.ACCOUNT;
import static io.positionsync.testing.SyncBook.ACCOUNT_2;
import static io.positionsync.testing.SyncBook.ES;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.Duration;


import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;

import io.positionsync.ibkr.sim.Execution;
import io.positionsync.ibkr.sim.Fill;
import io.positionsync.ibkr.sim.Side;
import io.positionsync.ibkr.sim.SimulatorState;
import io.positionsync.store.TestDatabase;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.sync.SyncRunSummary;
import io.positionsync.sync.SyncTrigger;
import io.positionsync.testing.ServiceUnderTest;
import io.positionsync.testing.SyncBook;

/**
 * Path independence (ledger version 3) through runs of some accounts, end to end: the same random history of fills
 * across two accounts and two contracts (a stock, a future with multiplier 50; flips, commissions reported later,
 * price corrections) is synced two ways, each on its own simulator and schema:
 * <ul>
 *   <li>as live mode does: after every fact, a run of the account it concerns only ({@code EVENT}), and a full run
 *   now and then;</li>
 *   <li>one full run once everything is known.</li>
 * </ul>
 * Both must store the same lifecycles (status, quantity, average, realized P&L, in order) and the same applied
 * executions, in execution id order (the two brokers make the same ids). Times are not compared: the two
 * brokers trade a few milliseconds apart. {@code -Dpsync.property.scoped-sequences=N} runs more seeds.
 */
class ScopedRunsPathIndependenceTest {
    private static final long[] CONTRACTS = {AAPL, ES};
    private static final String[] ACCOUNTS = {ACCOUNT, ACCOUNT_2};

    /** One fact of the history, applied the same way to each schedule's broker. */
    private record Fact(String account, Consumer<Context> apply) {
    }

    /** A schedule's broker and the executions its fills made (facts later in the history refer to them). */
    private static final class Context {
        final SimulatorState broker;
        final List<Execution> executions = new ArrayList<>();

        Context(SimulatorState broker) {
            this.broker = broker;
        }
    }

    private static List<Fact> history(long seed) {
        Random random = new Random(seed);
        List<Fact> facts = new ArrayList<>();
        List<Integer> withheld = new ArrayList<>();
        List<String> fillAccounts = new ArrayList<>();
        int count = 6 + random.nextInt(8);
        for (int i = 0; i < count; i++) {
            String account = ACCOUNTS[random.nextInt(2)];
            long conId = CONTRACTS[random.nextInt(2)];
            boolean future = conId == ES;
            BigDecimal shares = BigDecimal.valueOf(1 + random.nextInt(future ? 4 : 30));
            BigDecimal price = future ? BigDecimal.valueOf(499_000 + random.nextInt(2_000), 2)
                    .multiply(BigDecimal.TEN) : BigDecimal.valueOf(14_000 + random.nextInt(2_000), 2);
            BigDecimal commission = BigDecimal.valueOf(100 + random.nextInt(200), 2);
            Side side = random.nextBoolean() ? Side.BOT : Side.SLD;
            boolean withhold = random.nextInt(4) == 0;
            int index = i;
            fillAccounts.add(account);
            facts.add(new Fact(account, c -> {
                Fill fill = Fill.of(account, conId, side, shares, price, commission);
                c.executions.add(c.broker.trade(withhold ? fill.withCommissionWithheld() : fill));
            }));
            if (withhold) {
                withheld.add(index);
            }
            if (!withheld.isEmpty() && random.nextInt(3) == 0) {
                int late = withheld.remove(0);
                facts.add(new Fact(fillAccounts.get(late),
                        c -> c.broker.releaseCommission(c.executions.get(late).execId())));
            }
            if (random.nextInt(6) == 0) {
                BigDecimal corrected = price.add(new BigDecimal("0.25"));
                facts.add(new Fact(account, c -> c.broker.correctExecution(c.executions.get(index).execId(), corrected)));
            }
        }
        for (int late : withheld) {
            facts.add(new Fact(fillAccounts.get(late),
                    c -> c.broker.releaseCommission(c.executions.get(late).execId())));
        }
        return facts;
    }

    private static SyncRunSummary run(ServiceUnderTest service, SyncTrigger trigger, List<String> accounts)
            throws Exception {
        SyncRunSummary run = service.triggers.request(trigger, null, accounts).await(Duration.ofSeconds(30)).orElseThrow();
        assertThat(run.status()).as("run %s of %s: %s", run.runId(), accounts, run.error())
                .isEqualTo(SyncRunStatus.SUCCEEDED);
        return run;
    }

    private static List<Map<String, Object>> lifecycles(ServiceUnderTest service) throws Exception {
        return service.query("SELECT account, con_id, status, trim_scale(quantity)::text AS quantity,"
                + " trim_scale(average_price)::text AS average, trim_scale(realized_pnl)::text AS realized"
                + " FROM positions ORDER BY account, con_id, opened_at, closed_at NULLS LAST");
    }

    private static List<Map<String, Object>> executions(ServiceUnderTest service) throws Exception {
        return service.query("SELECT account, con_id, side, trim_scale(shares)::text AS shares,"
                + " trim_scale(price)::text AS price, trim_scale(commission)::text AS commission"
                + " FROM executions WHERE state = 'APPLIED' ORDER BY exec_id");
    }

    @Test
    void runsOfSomeAccountsStoreWhatOneFullRunStores() throws Exception {
        int sequences = Integer.getInteger("psync.property.scoped-sequences", 4);
        int eventRuns = 0;
        for (long seed = 1; seed <= sequences; seed++) {
            List<Fact> facts = history(seed);
            Random schedule = new Random(seed * 17 + 3);
            // A withheld commission is not waited for: the run that lacks it books it when it comes.
            Map<String, String> settings = Map.of("psync.ibkr.commission-wait-ms", "50");
            try (ServiceUnderTest events = ServiceUnderTest.startPipelineOn(TestDatabase.create(), SyncBook.state(),
                    settings);
                    ServiceUnderTest once = ServiceUnderTest.startPipelineOn(TestDatabase.create(), SyncBook.state(),
                            settings)) {
                Context eventsBroker = new Context(events.broker());
                Context onceBroker = new Context(once.broker());
                // Both see the accounts empty first: every fill after is one the ledger folds.
                run(events, SyncTrigger.STARTUP, List.of());
                run(once, SyncTrigger.STARTUP, List.of());
                for (Fact fact : facts) {
                    fact.apply().accept(eventsBroker);
                    fact.apply().accept(onceBroker);
                    // The run a live event makes: of the fact's account only.
                    run(events, SyncTrigger.EVENT, List.of(fact.account()));
                    eventRuns++;
                    if (schedule.nextInt(5) == 0) {
                        run(events, SyncTrigger.TIMER, List.of());
                    }
                }
                run(once, SyncTrigger.TIMER, List.of());

                String where = "seed " + seed;
                assertThat(lifecycles(events)).as("%s: lifecycles", where).isEqualTo(lifecycles(once));
                assertThat(executions(events)).as("%s: applied executions", where).isEqualTo(executions(once));
                assertThat(once.count("SELECT count(*) FROM positions")).as("%s: something was traded", where).isPositive();
            }
        }
        System.out.printf("scoped path independence: %d sequences, %d event runs%n", sequences, eventRuns);
    }
}

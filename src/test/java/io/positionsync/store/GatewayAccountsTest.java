package io.positionsync.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.positionsync.sync.AccountClaims;

/**
 * The gateways' claims on the accounts of their complete snapshots: an account another gateway holds a row for is
 * named with that gateway; a run of every account drops the rows of accounts it no longer reports, a run of some
 * accounts drops none; two claims at once are serialized by the claim lock, so the second sees the first's rows.
 */
class GatewayAccountsTest {
    private static final TestDatabase DB = TestDatabase.create();
    private static final Instant T1 = Instant.parse("2026-12-01T10:00:00Z");
    private static final Instant T2 = Instant.parse("2026-12-01T10:05:00Z");

    private final GatewayAccounts claims = new GatewayAccounts(DB.dataSource());
    private ExecutorService threads;

    @AfterAll
    static void close() {
        DB.close();
    }

    @BeforeEach
    void clean() throws Exception {
        threads = Executors.newFixedThreadPool(2);
        try (Connection c = DB.connection(); var s = c.createStatement()) {
            s.execute("DELETE FROM gateway_accounts");
        }
    }

    @AfterEach
    void stopThreads() throws Exception {
        threads.shutdownNow();
        assertThat(threads.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    private List<String> rows() throws Exception {
        return DB.dump("SELECT gateway, account, first_seen_at, last_seen_at, last_run_id FROM gateway_accounts "
                + "ORDER BY gateway, account");
    }

    @Test
    void theClaimsOfAGatewayNoLongerConfiguredAreDroppedSoTheyBlockNothing() throws Exception {
        claims.claim("default", 1, List.of("DU1", "DU2"), true, T1); // the service before it named its gateways
        claims.claim("paper", 2, List.of("DU1"), true, T1);

        assertThat(claims.forgetAllBut(List.of("paper", "live"))).isEqualTo(2);

        assertThat(rows()).allMatch(row -> row.startsWith("paper|"));
        assertThat(claims.claim("paper", 3, List.of("DU1", "DU2"), true, T2).conflicting()).isEmpty();
        assertThat(claims.forgetAllBut(List.of("paper"))).isZero();
    }

    @Test
    void aClaimRecordsTheSnapshotsAccountsAndNamesTheOtherGatewaysHoldingOne() throws Exception {
        AccountClaims first = claims.claim("default", 1, List.of("DU1", "DU2"), true, T1);
        assertThat(first.conflicting()).isEmpty();
        assertThat(first.settled()).isEmpty();

        AccountClaims second = claims.claim("g2", 2, List.of("DU2", "DU3"), true, T1);
        assertThat(second.conflicting()).isEqualTo(Map.of("DU2", Set.of("default")));
        assertThat(second.leftOut()).containsExactly("DU2");
        assertThat(second.conflicts()).singleElement().satisfies(c -> {
            assertThat(c.account()).isEqualTo("DU2");
            assertThat(c.gateways()).containsExactly("default", "g2");
            assertThat(c.note()).isEqualTo("account DU2 is reported by gateways default and g2: no run reconciles it "
                    + "until only one of them reports it");
        });

        AccountClaims again = claims.claim("default", 3, List.of("DU1", "DU2"), true, T2);
        assertThat(again.conflicting()).isEqualTo(Map.of("DU2", Set.of("g2")));
        assertThat(again.describe()).isEqualTo("DU2 (also reported by gateway g2)");
        // first sight kept, last sight and run moved on
        assertThat(rows()).containsExactly(
                "default|DU1|2026-12-01 10:00:00+00|2026-12-01 10:05:00+00|3",
                "default|DU2|2026-12-01 10:00:00+00|2026-12-01 10:05:00+00|3",
                "g2|DU2|2026-12-01 10:00:00+00|2026-12-01 10:00:00+00|2",
                "g2|DU3|2026-12-01 10:00:00+00|2026-12-01 10:00:00+00|2");
    }

    @Test
    void aRunOfEveryAccountDropsWhatItNoLongerReportsAndARunOfSomeAccountsDropsNothing() throws Exception {
        claims.claim("default", 1, List.of("DU1", "DU2"), true, T1);
        claims.claim("g2", 2, List.of("DU2"), true, T1);

        // a run of DU1 only says nothing of DU2: the claim on it stays, and so does the conflict
        AccountClaims scoped = claims.claim("default", 3, List.of("DU1"), false, T2);
        assertThat(scoped.settled()).isEmpty();
        assertThat(rows()).extracting(r -> r.substring(0, r.indexOf('|', r.indexOf('|') + 1)))
                .containsExactly("default|DU1", "default|DU2", "g2|DU2");
        assertThat(claims.claim("g2", 4, List.of("DU2"), true, T2).conflicting())
                .isEqualTo(Map.of("DU2", Set.of("default")));

        // a run of every account without DU2 drops it: only g2 holds it now, its conflict is over
        AccountClaims full = claims.claim("default", 5, List.of("DU1"), true, T2);
        assertThat(full.conflicting()).isEmpty();
        assertThat(full.settled()).containsExactly("DU2");
        assertThat(full.resolvedAmong(List.of("DU1"))).containsExactly("DU1", "DU2");
        assertThat(claims.claim("g2", 6, List.of("DU2"), true, T2).conflicting()).isEmpty();
    }

    @Test
    void anAccountDroppedByOneOfThreeGatewaysIsStillInConflict() throws Exception {
        claims.claim("a", 1, List.of("DU2"), true, T1);
        claims.claim("b", 2, List.of("DU2"), true, T1);
        assertThat(claims.claim("c", 3, List.of("DU2"), true, T1).conflicting())
                .isEqualTo(Map.of("DU2", Set.of("a", "b")));
        assertThat(claims.claim("c", 3, List.of("DU2"), true, T1).conflicts().get(0).note())
                .startsWith("account DU2 is reported by gateways a, b and c: ");

        AccountClaims dropped = claims.claim("a", 4, List.of(), true, T2);
        assertThat(dropped.settled()).as("b and c still both report it").isEmpty();
        assertThat(dropped.resolvedAmong(List.of())).isEmpty();
    }

    @Test
    void accountCodesAreBoundNeverSpliced() throws Exception {
        String hostile = "DU1'); DELETE FROM gateway_accounts; --";
        claims.claim("default", 1, List.of("DU9"), true, T1);
        claims.claim("g2'--", 2, List.of(hostile), true, T1);

        assertThat(rows()).hasSize(2);
        assertThat(claims.claim("default", 3, List.of("DU9", hostile), true, T2).conflicting())
                .isEqualTo(Map.of(hostile, Set.of("g2'--")));
    }

    /** Waiting transaction-scoped claim locks of this schema. */
    private static long waitingClaims(Connection connection) throws Exception {
        try (PreparedStatement statement = connection.prepareStatement("SELECT count(*) FROM pg_locks "
                + "WHERE locktype = 'advisory' AND NOT granted AND classid::bigint = ? AND objsubid = 2 "
                + "AND objid::bigint = (hashtext(coalesce(current_schema(), ''))::bigint & 4294967295)")) {
            statement.setLong(1, GatewayAccounts.CLAIM_LOCK_CLASS);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    @Test
    void twoClaimsAtOnceAreSerializedAndTheSecondSeesTheFirst() throws Exception {
        CompletableFuture<AccountClaims> a;
        CompletableFuture<AccountClaims> b;
        try (Connection gate = DB.connection()) {
            // Hold the claim lock: both claims queue on it, then go one after the other once it is released.
            gate.setAutoCommit(false);
            try (PreparedStatement lock = gate.prepareStatement(
                    "SELECT pg_advisory_xact_lock(?, hashtext(coalesce(current_schema(), '')))")) {
                lock.setInt(1, GatewayAccounts.CLAIM_LOCK_CLASS);
                lock.execute();
            }
            a = CompletableFuture.supplyAsync(() -> claim("default", 1, "DU7"), threads);
            b = CompletableFuture.supplyAsync(() -> claim("g2", 2, "DU7"), threads);
            await().atMost(Duration.ofSeconds(20)).until(() -> waitingClaims(gate) == 2);
            assertThat(a).as("a claim waits for the lock").isNotDone();
            assertThat(b).isNotDone();
            gate.commit();
        }
        AccountClaims first = a.get(20, TimeUnit.SECONDS);
        AccountClaims second = b.get(20, TimeUnit.SECONDS);

        // whichever went second saw the first's row; the first saw nothing yet
        List<AccountClaims> seeing = new ArrayList<>();
        for (AccountClaims claim : List.of(first, second)) {
            if (!claim.conflicting().isEmpty()) {
                seeing.add(claim);
            }
        }
        assertThat(seeing).singleElement().satisfies(claim -> assertThat(claim.conflicting())
                .isEqualTo(Map.of("DU7", Set.of(claim.gateway().equals("default") ? "g2" : "default"))));
        // and the one that went first sees the other's on its next claim: each sees the other's
        AccountClaims firstAgain = seeing.get(0) == first ? claim("g2", 3, "DU7") : claim("default", 3, "DU7");
        assertThat(firstAgain.conflicting()).containsKey("DU7");
    }

    @Test
    void claimsRacingForTheSameAccountNeverBothMissEachOther() throws Exception {
        for (int round = 0; round < 20; round++) {
            String account = "DU" + (100 + round);
            CyclicBarrier start = new CyclicBarrier(2);
            CompletableFuture<AccountClaims> a = CompletableFuture.supplyAsync(() -> {
                arrive(start);
                return claim("default", 1, account);
            }, threads);
            CompletableFuture<AccountClaims> b = CompletableFuture.supplyAsync(() -> {
                arrive(start);
                return claim("g2", 2, account);
            }, threads);
            int saw = (a.get(20, TimeUnit.SECONDS).conflicting().isEmpty() ? 0 : 1)
                    + (b.get(20, TimeUnit.SECONDS).conflicting().isEmpty() ? 0 : 1);
            assertThat(saw).as("round %d: exactly the second claim sees the first's row", round).isEqualTo(1);
        }
    }

    private static void arrive(CyclicBarrier barrier) {
        try {
            barrier.await(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private AccountClaims claim(String gateway, long runId, String account) {
        try {
            // a run of some accounts: the other rounds' rows stay
            return claims.claim(gateway, runId, List.of(account), false, T1);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}

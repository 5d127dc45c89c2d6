package io.positionsync.sync;

import static io.positionsync.sync.Fixtures.T0;
import static io.positionsync.sync.Fixtures.d;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

/** An account another gateway reports too: what the run leaves out of its snapshot, raises and resolves. */
class AccountClaimsTest {

    private static BrokerPosition position(String account, long conId, String quantity) {
        return new BrokerPosition(account, conId, "S" + conId, "STK", "USD", null, null, d(quantity), d("10"));
    }

    private static PortfolioValue value(String account, long conId) {
        return new PortfolioValue(account, conId, "S" + conId, "STK", "USD", null, d("5"), d("11"), d("55"), d("10"),
                d("5"), null);
    }

    @Test
    void aSnapshotWithoutAnAccountHoldsNoRowOfIt() {
        BrokerSnapshot snapshot = new BrokerSnapshot(176, true, null, T0, T0, List.of("DU1", "DU2"),
                List.of(position("DU1", 1, "5"), position("DU2", 2, "7")),
                List.of(value("DU1", 1), value("DU2", 2)),
                List.of(Fixtures.fill("E1", "DU1", 1, "BOT", "5", "10", "1", null, 0),
                        Fixtures.fill("E2", "DU2", 2, "BOT", "7", "10", "1", null, 1)),
                List.of(new ExchangeRate("DU1", "EUR", d("1.1")), new ExchangeRate("DU2", "EUR", d("1.1"))));

        BrokerSnapshot without = snapshot.without(Set.of("DU2"));

        assertThat(without.accounts()).containsExactly("DU1");
        assertThat(without.positions()).extracting(BrokerPosition::account).containsExactly("DU1");
        assertThat(without.portfolio()).extracting(PortfolioValue::account).containsExactly("DU1");
        assertThat(without.executions()).extracting(BrokerExecution::account).containsExactly("DU1");
        assertThat(without.exchangeRates()).extracting(ExchangeRate::account).containsExactly("DU1");
        assertThat(without.complete()).isTrue();
        assertThat(snapshot.without(Set.of())).isSameAs(snapshot);
    }

    @Test
    void theRunRaisesOneBreakPerAccountLeftOutAndResolvesTheOthers() {
        AccountClaims claims = new AccountClaims("g2", Map.of("DU2", new TreeSet<>(Set.of("default", "g3"))),
                Set.of("DU9"));

        assertThat(claims.leftOut()).containsExactly("DU2");
        assertThat(claims.conflicts()).singleElement().satisfies(c -> {
            assertThat(c.gateways()).containsExactly("default", "g2", "g3");
            assertThat(c.note()).isEqualTo("account DU2 is reported by gateways default, g2 and g3: no run reconciles "
                    + "it until only one of them reports it");
        });
        assertThat(claims.describe()).isEqualTo("DU2 (also reported by gateways default and g3)");
        assertThat(claims.resolvedAmong(List.of("DU1", "DU2"))).containsExactly("DU1", "DU9");
        assertThat(AccountClaims.none("default").resolvedAmong(List.of("DU1"))).containsExactly("DU1");
        assertThat(AccountClaims.none("default").conflicts()).isEmpty();
    }
}

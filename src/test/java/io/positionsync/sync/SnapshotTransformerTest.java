package io.positionsync.sync;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.List;

import static io.positionsync.sync.Fixtures.ACCOUNT;
import static io.positionsync.sync.Fixtures.NOW;
import static io.positionsync.sync.Fixtures.d;
import static io.positionsync.sync.Fixtures.fill;
import static org.assertj.core.api.Assertions.assertThat;

class SnapshotTransformerTest {
    private final SnapshotTransformer transformer = new SnapshotTransformer();

    private static BrokerPosition position(String account, long conId, String symbol, String multiplier,
                                           String quantity, String avgCost) {
        return new BrokerPosition(account, conId, symbol, "STK", "USD", symbol, d(multiplier), d(quantity), d(avgCost));
    }

    private static PortfolioValue value(String account, long conId, String symbol, String multiplier, String quantity,
                                        String marketPrice, String averageCost, String unrealized, String realized) {
        BigDecimal price = d(marketPrice);
        BigDecimal marketValue = price == null ? null : price.multiply(d(quantity));
        return new PortfolioValue(account, conId, symbol, "STK", "USD", d(multiplier), d(quantity), price, marketValue,
                d(averageCost), d(unrealized), d(realized));
    }

    private static BrokerSnapshot snapshot(List<BrokerPosition> positions, List<PortfolioValue> portfolio,
                                           List<BrokerExecution> executions) {
        return new BrokerSnapshot(178, true, null, NOW, NOW, List.of(ACCOUNT, "DU7654321"), positions, portfolio,
                executions);
    }

    @Test
    void joinsPortfolioValuesByAccountAndConId() {
        BrokerSnapshot snapshot = snapshot(
                List.of(position(ACCOUNT, 265598, "AAPL", null, "100", "150.01"),
                        position("DU7654321", 265598, "AAPL", null, "-5", "151")),
                List.of(value(ACCOUNT, 265598, "AAPL", null, "100", "155.5", "150.01", "549", "12.5"),
                        value("DU7654321", 265598, "AAPL", null, "-5", "155.4", "151", "-22", null)),
                List.of());

        List<SnapshotPosition> positions = transformer.positions(snapshot);

        assertThat(positions).hasSize(2);
        SnapshotPosition first = positions.get(0);
        assertThat(first.key()).isEqualTo(new PositionKey(ACCOUNT, 265598));
        assertThat(first.quantity()).isEqualByComparingTo("100");
        assertThat(first.averagePrice()).isEqualByComparingTo("150.01");
        assertThat(first.marketPrice()).isEqualByComparingTo("155.5");
        assertThat(first.marketValue()).isEqualByComparingTo("15550");
        assertThat(first.unrealizedPnl()).isEqualByComparingTo("549");
        assertThat(first.brokerRealizedPnl()).isEqualByComparingTo("12.5");
        SnapshotPosition second = positions.get(1);
        assertThat(second.key()).isEqualTo(new PositionKey("DU7654321", 265598));
        assertThat(second.quantity()).isEqualByComparingTo("-5");
        assertThat(second.marketPrice()).isEqualByComparingTo("155.4");
        assertThat(second.brokerRealizedPnl()).isNull();
    }

    @Test
    void averagePriceIsPerUnitAvgCostOverMultiplier() {
        BrokerSnapshot snapshot = snapshot(
                List.of(position(ACCOUNT, 495512551, "ES", "50", "2", "250002.40"),
                        position(ACCOUNT, 1, "AAPL", null, "100", "15000"),
                        position(ACCOUNT, 2, "XYZ", "0", "3", "100")),
                List.of(), List.of());

        List<SnapshotPosition> positions = transformer.positions(snapshot);

        SnapshotPosition es = positions.stream().filter(p -> p.conId() == 495512551).findFirst().orElseThrow();
        assertThat(es.averagePrice()).isEqualByComparingTo("5000.048");
        assertThat(es.averagePrice().scale()).isEqualTo(3);
        assertThat(es.effectiveMultiplier()).isEqualByComparingTo("50");
        // Whole numbers keep a plain form: 150, not 1.5E+2.
        assertThat(positions.get(0).averagePrice().toString()).isEqualTo("15000");
        // A zero multiplier reads as 1.
        assertThat(positions.get(1).averagePrice()).isEqualByComparingTo("100");
    }

    @Test
    void nonTerminatingAverageKeepsSixteenSignificantDigits() {
        assertThat(SnapshotPosition.averagePerUnit(d("100"), d("3"), MathContext.DECIMAL64))
                .isEqualByComparingTo("33.33333333333333");
        assertThat(SnapshotPosition.averagePerUnit(null, d("3"), MathContext.DECIMAL64)).isNull();
    }

    @Test
    void keepsAZeroQuantityPositionAsFlat() {
        BrokerSnapshot snapshot = snapshot(
                List.of(position(ACCOUNT, 265598, "AAPL", null, "0", "0")),
                List.of(value(ACCOUNT, 265598, "AAPL", null, "0", "160", "0", "0", "998")),
                List.of());

        List<SnapshotPosition> positions = transformer.positions(snapshot);

        assertThat(positions).singleElement().satisfies(p -> {
            assertThat(p.quantity().signum()).isZero();
            assertThat(p.marketPrice()).isEqualByComparingTo("160");
            assertThat(p.brokerRealizedPnl()).isEqualByComparingTo("998");
        });
    }

    @Test
    void portfolioEntryWithoutPositionMessageUsesPortfolioQuantityAndAverageCost() {
        BrokerSnapshot snapshot = snapshot(
                List.of(),
                List.of(value(ACCOUNT, 495512551, "ES", "50", "2", "5010", "250002.40", "995.2", null)),
                List.of());

        assertThat(transformer.positions(snapshot)).singleElement().satisfies(p -> {
            assertThat(p.quantity()).isEqualByComparingTo("2");
            assertThat(p.averagePrice()).isEqualByComparingTo("5000.048");
            assertThat(p.multiplier()).isEqualByComparingTo("50");
            assertThat(p.marketPrice()).isEqualByComparingTo("5010");
        });
    }

    @Test
    void portfolioMultiplierIsUsedWhenThePositionMessageHasNone() {
        BrokerSnapshot snapshot = snapshot(
                List.of(position(ACCOUNT, 495512551, "ES", null, "2", "250002.40")),
                List.of(value(ACCOUNT, 495512551, "ES", "50", "2", "5010", "250002.40", "995.2", null)),
                List.of());

        assertThat(transformer.positions(snapshot)).singleElement()
                .satisfies(p -> assertThat(p.averagePrice()).isEqualByComparingTo("5000.048"));
    }

    @Test
    void oneRecordPerKeySortedByAccountThenConIdLaterMessageWins() {
        BrokerSnapshot snapshot = snapshot(
                List.of(position("DU7654321", 5, "E", null, "1", "1"),
                        position(ACCOUNT, 9, "C", null, "10", "1"),
                        position(ACCOUNT, 3, "A", null, "10", "1"),
                        position(ACCOUNT, 9, "C", null, "12", "1")),
                List.of(value(ACCOUNT, 4, "B", null, "7", "2", "1", "7", null)),
                List.of());

        List<SnapshotPosition> positions = transformer.positions(snapshot);

        assertThat(positions).extracting(SnapshotPosition::key).containsExactly(
                new PositionKey(ACCOUNT, 3), new PositionKey(ACCOUNT, 4), new PositionKey(ACCOUNT, 9),
                new PositionKey("DU7654321", 5));
        assertThat(positions.get(2).quantity()).isEqualByComparingTo("12");
    }

    @Test
    void executionsAreGroupedByPositionOldestFirst() {
        BrokerExecution late = fill("a.01", 1, "SLD", "10", "11", "0.1", "5", 30);
        BrokerExecution early = fill("b.01", 1, "SLD", "10", "10", "0.1", "5", 10);
        BrokerExecution other = fill("c.01", "DU7654321", 1, "BOT", "1", "10", "0.1", null, 20);

        SnapshotExecutions executions = transformer.executions(snapshot(List.of(), List.of(), List.of(late, other, early)));

        assertThat(executions.forKey(new PositionKey(ACCOUNT, 1))).containsExactly(early, late);
        assertThat(executions.forKey(new PositionKey("DU7654321", 1))).containsExactly(other);
        assertThat(executions.forKey(new PositionKey(ACCOUNT, 2))).isEmpty();
        assertThat(executions.all()).containsExactly(early, other, late);
    }

    @Test
    void repeatedExecIdIsKeptOnceWithoutLosingItsCommission() {
        BrokerExecution reported = fill("a.01", 1, "SLD", "10", "11", "1.00", "9", 1);
        BrokerExecution replayedWithoutReport = fill("a.01", 1, "SLD", "10", "11", null, null, 1);

        SnapshotExecutions executions = SnapshotExecutions.of(List.of(reported, replayedWithoutReport));

        assertThat(executions.all()).singleElement().satisfies(e -> {
            assertThat(e.commission()).isEqualByComparingTo("1.00");
            assertThat(e.realizedPnl()).isEqualByComparingTo("9");
        });
        assertThat(executions.supersededIds()).isEmpty();
    }

    @Test
    void correctionReplacesEarlierRevisionInAnyArrivalOrder() {
        BrokerExecution original = fill("0001f4e8.1a2b.01", 1, "SLD", "10", "11.00", "1.00", null, 1);
        BrokerExecution corrected = fill("0001f4e8.1a2b.02", 1, "SLD", "10", "11.50", "1.00", null, 1);

        SnapshotExecutions inOrder = SnapshotExecutions.of(List.of(original, corrected));
        SnapshotExecutions replayedOld = SnapshotExecutions.of(List.of(corrected, original));

        for (SnapshotExecutions executions : List.of(inOrder, replayedOld)) {
            assertThat(executions.all()).containsExactly(corrected);
            assertThat(executions.supersedes("0001f4e8.1a2b.02")).isEqualTo("0001f4e8.1a2b.01");
        }
    }

    @Test
    void aMapBuiltElsewhereIsNormalisedTheSameWay() {
        BrokerExecution original = fill("0001f4e8.1a2b.01", 1, "SLD", "10", "11.00", "1.00", null, 5);
        BrokerExecution corrected = fill("0001f4e8.1a2b.02", 1, "SLD", "10", "11.50", "1.00", null, 5);
        BrokerExecution earlier = fill("0001f4e8.0000.01", 1, "SLD", "10", "10.00", "1.00", null, 1);

        SnapshotExecutions executions = SnapshotExecutions.of(
                java.util.Map.of(new PositionKey(ACCOUNT, 1), List.of(original, corrected, earlier)));

        assertThat(executions.forKey(new PositionKey(ACCOUNT, 1))).containsExactly(earlier, corrected);
        assertThat(executions.supersedes("0001f4e8.1a2b.02")).isEqualTo("0001f4e8.1a2b.01");
    }
}

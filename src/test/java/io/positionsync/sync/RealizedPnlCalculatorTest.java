package io.positionsync.sync;

import io.positionsync.ibkr.BrokerExecution;
import org.junit.jupiter.api.Test;

import java.math.RoundingMode;
import java.util.List;

import static io.positionsync.sync.Fixtures.d;
import static io.positionsync.sync.Fixtures.fill;
import static io.positionsync.sync.Fixtures.list;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RealizedPnlCalculatorTest {
    private final RealizedPnlCalculator calculator = new RealizedPnlCalculator();

    @Test
    void workedExample1LongStockClosedByOneSale() {
        RealizedPnl pnl = calculator.realize(d("100"), d("150.01"), null, d("100"),
                list(fill("e1.01", 1, "SLD", "100", "160.00", "1.00", "998.00", 1)), null);

        assertThat(pnl.amount()).isEqualByComparingTo("998.00");
        assertThat(pnl.source()).isEqualTo(RealizedPnlSource.EXECUTIONS);
        assertThat(pnl.exitPrice()).isEqualByComparingTo("160.00");
        assertThat(pnl.exitCommission()).isEqualByComparingTo("1.00");
        assertThat(pnl.brokerRealizedPnl()).isEqualByComparingTo("998.00");
        assertThat(pnl.fullyExplained()).isTrue();
    }

    @Test
    void workedExample2ShortPartlyBoughtBack() {
        RealizedPnl pnl = calculator.realize(d("-50"), d("20.02"), null, d("20"),
                list(fill("e2.01", 1, "BOT", "20", "18.00", "0.40", null, 1)), null);

        assertThat(pnl.amount()).isEqualByComparingTo("40.00");
        assertThat(pnl.exitPrice()).isEqualByComparingTo("18.00");
    }

    @Test
    void workedExample3FuturesMultiplier() {
        RealizedPnl pnl = calculator.realize(d("2"), d("5000.048"), d("50"), d("2"),
                list(fill("e3.01", 1, "SLD", "2", "5010.00", "4.80", null, 1)), null);

        assertThat(pnl.amount()).isEqualByComparingTo("990.40");
    }

    @Test
    void workedExample4CloseLegOfAFlipProratesTheCommission() {
        RealizedPnl pnl = calculator.realize(d("100"), d("9.00"), null, d("100"),
                list(fill("e4.01", 1, "SLD", "150", "10.00", "1.50", null, 1)), null);

        assertThat(pnl.amount()).isEqualByComparingTo("99.00");
        assertThat(pnl.exitCommission()).isEqualByComparingTo("1.00");
        assertThat(pnl.uses()).singleElement().satisfies(use -> {
            assertThat(use.quantity()).isEqualByComparingTo("100");
            assertThat(use.partial()).isTrue();
        });
    }

    @Test
    void resultsAreRoundedOnceToTheConfiguredScale() {
        RealizedPnl pnl = calculator.realize(d("1"), d("9"), null, d("1"),
                list(fill("p.01", 1, "SLD", "3", "10", "1.00", null, 1)), null);

        // 1 - 1.00 / 3, rounded half-even to 8 places.
        assertThat(pnl.amount()).isEqualByComparingTo("0.66666667");
        assertThat(pnl.amount().scale()).isEqualTo(8);
        assertThat(pnl.exitCommission()).isEqualByComparingTo("0.33333333");

        RealizedPnl twoPlaces = new RealizedPnlCalculator(2, RoundingMode.HALF_EVEN).realize(d("1"), d("9"), null,
                d("1"), list(fill("p.01", 1, "SLD", "3", "10", "1.00", null, 1)), null);
        assertThat(twoPlaces.amount().toPlainString()).isEqualTo("0.67");
    }

    @Test
    void volumeWeightedExitOverSeveralFillsOldestFirst() {
        List<BrokerExecution> fills = list(
                fill("a.01", 1, "SLD", "30", "10.00", "0.30", null, 1),
                fill("b.01", 1, "SLD", "50", "12.00", "0.50", null, 2),
                fill("c.01", 1, "SLD", "40", "99.00", "0.40", null, 3));

        RealizedPnl pnl = calculator.realize(d("100"), d("9"), null, d("60"), fills, null);

        // 30 @ 10 + 30 of 50 @ 12; the third fill is not reached.
        assertThat(pnl.exitPrice()).isEqualByComparingTo("11");
        assertThat(pnl.exitCommission()).isEqualByComparingTo("0.60");
        assertThat(pnl.amount()).isEqualByComparingTo("119.40");
        assertThat(pnl.execIds()).containsExactly("a.01", "b.01");
    }

    @Test
    void onlyReducingSideCounts() {
        List<BrokerExecution> fills = list(
                fill("buy.01", 1, "BOT", "40", "1.00", "0.40", null, 1),
                fill("sell.01", 1, "SLD", "40", "12.00", "0.40", null, 2));

        RealizedPnl longPnl = calculator.realize(d("100"), d("10"), null, d("40"), fills, null);
        RealizedPnl shortPnl = calculator.realize(d("-100"), d("10"), null, d("40"), fills, null);

        assertThat(longPnl.execIds()).containsExactly("sell.01");
        assertThat(longPnl.amount()).isEqualByComparingTo("79.60");
        assertThat(shortPnl.execIds()).containsExactly("buy.01");
        assertThat(shortPnl.amount()).isEqualByComparingTo("359.60");
    }

    @Test
    void optionMultiplierHundred() {
        // 2 calls bought at 3.50 with 1.30 commission: avgCost (700 + 1.30) / 2 = 350.65 -> 3.5065 per unit.
        RealizedPnl pnl = calculator.realize(d("2"), d("3.5065"), d("100"), d("2"),
                list(fill("o.01", 1, "SLD", "2", "4.20", "1.30", null, 1)), null);

        assertThat(pnl.amount()).isEqualByComparingTo("137.40");
    }

    @Test
    void fractionalQuantities() {
        RealizedPnl pnl = calculator.realize(d("0.5"), d("30000"), null, d("0.2"),
                list(fill("f.01", 1, "SLD", "0.2", "31000.5", "0.31", null, 1)), null);

        assertThat(pnl.amount()).isEqualByComparingTo("199.79");
    }

    @Test
    void noExecutionPricesAtTheMarketAsAnEstimate() {
        RealizedPnl pnl = calculator.realize(d("100"), d("10"), null, d("100"), List.of(), d("12.5"));

        assertThat(pnl.amount()).isEqualByComparingTo("250");
        assertThat(pnl.source()).isEqualTo(RealizedPnlSource.MARKET_PRICE);
        assertThat(pnl.exitPrice()).isEqualByComparingTo("12.5");
        assertThat(pnl.exitCommission()).isNull();
        assertThat(pnl.explainedQuantity().signum()).isZero();
    }

    @Test
    void partlyExplainedReductionPricesTheRestAtTheMarketAndIsTaggedMarketPrice() {
        RealizedPnl pnl = calculator.realize(d("100"), d("10"), null, d("100"),
                list(fill("x.01", 1, "SLD", "60", "11", "0.60", "59.40", 1)), d("12"));

        // 60 @ 11 + 40 @ 12 = 1140; minus 100 @ 10; minus 0.60.
        assertThat(pnl.amount()).isEqualByComparingTo("139.40");
        assertThat(pnl.exitPrice()).isEqualByComparingTo("11.40");
        assertThat(pnl.source()).isEqualTo(RealizedPnlSource.MARKET_PRICE);
        assertThat(pnl.explainedQuantity()).isEqualByComparingTo("60");
        assertThat(pnl.fullyExplained()).isFalse();
    }

    @Test
    void withoutExecutionsOrMarketPriceNothingIsInvented() {
        RealizedPnl pnl = calculator.realize(d("100"), d("10"), null, d("100"),
                list(fill("x.01", 1, "SLD", "60", "11", "0.60", null, 1)), null);

        assertThat(pnl.priced()).isFalse();
        assertThat(pnl.amount()).isNull();
        assertThat(pnl.source()).isNull();
        assertThat(pnl.exitPrice()).isNull();
        // The fill still explains part of the change, so it is reported as used.
        assertThat(pnl.execIds()).containsExactly("x.01");
    }

    @Test
    void missingCommissionReportIsFlaggedAndCountedAsZero() {
        RealizedPnl pnl = calculator.realize(d("10"), d("10"), null, d("10"),
                list(fill("n.01", 1, "SLD", "10", "11", null, null, 1)), null);

        assertThat(pnl.amount()).isEqualByComparingTo("10");
        assertThat(pnl.commissionMissing()).isTrue();
        assertThat(pnl.brokerRealizedPnl()).isNull();
    }

    @Test
    void brokerFigureIsTheSumOnlyWhenEveryUsedFillHasOne() {
        RealizedPnl both = calculator.realize(d("20"), d("10"), null, d("20"), list(
                fill("a.01", 1, "SLD", "10", "11", "0.10", "9.90", 1),
                fill("b.01", 1, "SLD", "10", "12", "0.10", "19.90", 2)), null);
        RealizedPnl oneMissing = calculator.realize(d("20"), d("10"), null, d("20"), list(
                fill("a.01", 1, "SLD", "10", "11", "0.10", "9.90", 1),
                fill("b.01", 1, "SLD", "10", "12", "0.10", null, 2)), null);

        assertThat(both.brokerRealizedPnl()).isEqualByComparingTo("29.80");
        assertThat(oneMissing.brokerRealizedPnl()).isNull();
    }

    @Test
    void rejectsNothingToRealize() {
        assertThatThrownBy(() -> calculator.realize(d("0"), d("10"), null, d("1"), List.of(), d("1")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> calculator.realize(d("10"), d("10"), null, d("0"), List.of(), d("1")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}

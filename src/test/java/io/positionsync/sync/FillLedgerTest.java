package io.positionsync.sync;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The fill ledger against the worked examples of reconcile-and-pnl version 2, and its edge cases. */
class FillLedgerTest {
    private static final Instant T = Instant.parse("2026-11-24T14:30:00Z");
    private static final BigDecimal ONE = BigDecimal.ONE;

    static BigDecimal d(String value) {
        return new BigDecimal(value);
    }

    static LedgerEntry bot(String qty, String price, String commission) {
        return fill("B", d(qty), price, commission);
    }

    static LedgerEntry sld(String qty, String price, String commission) {
        return fill("S", d(qty).negate(), price, commission);
    }

    private static LedgerEntry fill(String id, BigDecimal q, String price, String commission) {
        return LedgerEntry.fill(id + q + price, T, q, d(price), d(commission), false, q.abs(), d(commission), "USD", null, 1);
    }

    @Test
    void example1BuyThenSellRealizes998() {
        LedgerState bought = FillLedger.fold(List.of(bot("100", "150.00", "1.00")), ONE);
        assertThat(bought.average()).isEqualByComparingTo("150.01");
        LedgerState sold = FillLedger.apply(bought, sld("100", "160.00", "1.00"), ONE);
        assertThat(FillLedger.stored(sold.realized())).isEqualByComparingTo("998.00");
        assertThat(sold.flat()).isTrue();
        assertThat(sold.source()).isEqualTo(RealizedPnlSource.EXECUTIONS);
    }

    @Test
    void example2ShortCoveredInPartRealizes40AndStaysOpen() {
        LedgerState shortPosition = FillLedger.fold(List.of(
                LedgerEntry.openingBalance(T, d("-50"), d("20.02"), null, false, 1)), ONE);
        LedgerState covered = FillLedger.apply(shortPosition, bot("20", "18.00", "0.40"), ONE);
        assertThat(FillLedger.stored(covered.realized())).isEqualByComparingTo("40.00");
        assertThat(covered.quantity()).isEqualByComparingTo("-30");
        assertThat(covered.average()).isEqualByComparingTo("20.02");
    }

    @Test
    void example3FutureWithMultiplier50Realizes990_40() {
        LedgerState state = FillLedger.fold(List.of(
                LedgerEntry.openingBalance(T, d("2"), d("5000.048"), null, false, 1),
                sld("2", "5010.00", "4.80")), d("50"));
        assertThat(FillLedger.stored(state.realized())).isEqualByComparingTo("990.40");
    }

    @Test
    void example4OneSaleThroughZeroClosesTheLongAndOpensAShortAt9_99() {
        LedgerEntry sale = sld("150", "10.00", "1.50");
        LedgerState longState = FillLedger.fold(List.of(LedgerEntry.openingBalance(T, d("100"), d("9.00"), null, false, 1)), ONE);
        LedgerEntry[] legs = sale.split(longState.quantity().abs(), FillLedger.WORKING);
        LedgerState closed = FillLedger.apply(longState, legs[0], ONE);
        assertThat(FillLedger.stored(closed.realized())).isEqualByComparingTo("99.00");
        assertThat(closed.flat()).isTrue();
        LedgerState opened = FillLedger.apply(LedgerState.FLAT, legs[1], ONE);
        assertThat(opened.quantity()).isEqualByComparingTo("-50");
        assertThat(opened.average()).isEqualByComparingTo("9.99");
        assertThat(legs[0].commission().add(legs[1].commission())).isEqualByComparingTo("1.50");
    }

    @Test
    void example5BuyThenSellBetweenRunsPricesTheSaleAtTheNewAverage() {
        LedgerState state = FillLedger.fold(List.of(
                LedgerEntry.openingBalance(T, d("100"), d("10.01"), null, false, 1),
                bot("50", "12.00", "0.50")), ONE);
        assertThat(FillLedger.stored(state.average())).isEqualByComparingTo("10.67666667");
        state = FillLedger.apply(state, sld("120", "15.00", "1.20"), ONE);
        assertThat(FillLedger.stored(state.realized())).isEqualByComparingTo("517.60");
        assertThat(state.quantity()).isEqualByComparingTo("30");
    }

    @Test
    void example6CloseThenReopenAreTwoLifecycles() {
        LedgerState first = FillLedger.fold(List.of(bot("100", "150.00", "1.00"), sld("100", "160.00", "1.00")), ONE);
        assertThat(FillLedger.stored(first.realized())).isEqualByComparingTo("998.00");
        assertThat(first.flat()).isTrue();
        LedgerState second = FillLedger.fold(List.of(bot("50", "155.00", "1.00")), ONE);
        assertThat(second.average()).isEqualByComparingTo("155.02");
        assertThat(second.realizedAny()).isFalse();
    }

    @Test
    void example7AnEstimateIsMarketPriceUntilTheRealFillReplacesIt() {
        LedgerEntry opening = LedgerEntry.openingBalance(T, d("100"), d("150.01"), null, false, 1);
        LedgerState estimated = FillLedger.fold(List.of(opening, LedgerEntry.estimate(T, d("-100"), d("158.00"), 2)), ONE);
        assertThat(FillLedger.stored(estimated.realized())).isEqualByComparingTo("799.00");
        assertThat(estimated.source()).isEqualTo(RealizedPnlSource.MARKET_PRICE);
        LedgerState real = FillLedger.fold(List.of(opening, sld("100", "160.00", "1.00")), ONE);
        assertThat(FillLedger.stored(real.realized())).isEqualByComparingTo("998.00");
        assertThat(real.source()).isEqualTo(RealizedPnlSource.EXECUTIONS);
    }

    @Test
    void optionFlipWithMultiplier100SplitsTheCommissionByQuantity() {
        LedgerState longCalls = FillLedger.fold(List.of(bot("3", "2.50", "1.95")), d("100"));
        // (3*2.50 + 1.95/100) / 3 = 2.5065
        assertThat(longCalls.average()).isEqualByComparingTo("2.5065");
        LedgerEntry[] legs = sld("5", "3.00", "3.25").split(d("3"), FillLedger.WORKING);
        LedgerState closed = FillLedger.apply(longCalls, legs[0], d("100"));
        // (3.00 - 2.5065) * 3 * 100 - 3.25 * 3/5 = 148.05 - 1.95 = 146.10
        assertThat(FillLedger.stored(closed.realized())).isEqualByComparingTo("146.10");
        LedgerState shortCalls = FillLedger.apply(LedgerState.FLAT, legs[1], d("100"));
        // 3.00 - 1.30/100/2 = 2.9935
        assertThat(shortCalls.average()).isEqualByComparingTo("2.9935");
        assertThat(shortCalls.quantity()).isEqualByComparingTo("-2");
    }

    @Test
    void futureShortFlipToLongWithMultiplier50() {
        LedgerState shortEs = FillLedger.fold(List.of(sld("1", "5000.00", "2.40")), d("50"));
        assertThat(shortEs.average()).isEqualByComparingTo("4999.952");
        LedgerEntry[] legs = bot("3", "4990.00", "7.20").split(d("1"), FillLedger.WORKING);
        LedgerState covered = FillLedger.apply(shortEs, legs[0], d("50"));
        // (4999.952 - 4990) * 1 * 50 - 2.40 = 495.20
        assertThat(FillLedger.stored(covered.realized())).isEqualByComparingTo("495.20");
        LedgerState longEs = FillLedger.apply(LedgerState.FLAT, legs[1], d("50"));
        assertThat(longEs.average()).isEqualByComparingTo("4990.048");
    }

    @Test
    void fractionalQuantitiesFoldExactly() {
        LedgerState state = FillLedger.fold(List.of(bot("0.5", "200.00", "0.35"), bot("1.25", "210.00", "0.35"),
                sld("0.75", "220.00", "0.35")), ONE);
        // A = (0.5*200 + 0.35 + 1.25*210 + 0.35) / 1.75 = 207.542857...; R = (220 - A) * 0.75 - 0.35
        assertThat(state.quantity()).isEqualByComparingTo("1.00");
        assertThat(FillLedger.stored(state.realized())).isEqualByComparingTo("8.99285714");
    }

    @Test
    void shortsGainWhenBoughtBackLower() {
        LedgerState state = FillLedger.fold(List.of(sld("10", "50.00", "1.00"), bot("10", "45.00", "1.00")), ONE);
        // A = 50 - 1/10 = 49.90; R = (49.90 - 45) * 10 - 1 = 48.00
        assertThat(FillLedger.stored(state.realized())).isEqualByComparingTo("48.00");
    }

    @Test
    void anAverageResetReplacesTheAverageAndKeepsQuantityAndRealized() {
        List<LedgerEntry> entries = new ArrayList<>(List.of(bot("10", "100.00", "0"), sld("5", "110.00", "0")));
        entries.add(LedgerEntry.averageReset(T, d("101.00"), 2));
        LedgerState state = FillLedger.fold(entries, ONE);
        assertThat(state.average()).isEqualByComparingTo("101.00");
        assertThat(state.quantity()).isEqualByComparingTo("5");
        assertThat(state.realized()).isEqualByComparingTo("50");
        state = FillLedger.apply(state, sld("5", "111.00", "0"), ONE);
        assertThat(state.realized()).isEqualByComparingTo("100");
    }

    @Test
    void aCommissionStillPendingCountsAsZero() {
        LedgerEntry pending = LedgerEntry.fill("X.01", T, d("-10"), d("12.00"), null, true, d("10"), null, null, null, 1);
        LedgerState state = FillLedger.fold(List.of(bot("10", "10.00", "0"), pending), ONE);
        assertThat(state.realized()).isEqualByComparingTo("20");
    }

    private static final BigDecimal[] MULTIPLIERS = {d("50"), d("100"), d("1000"), d("5"), d("25"), d("0.1"), d("2.5"),
        d("12.5"), d("3"), d("7"), d("40"), d("1E+3"), d("0.01")};

    @Test
    void aShareIsExactlyTheDivisionItSkipsValueAndScale() {
        java.util.Random random = new java.util.Random(20261130);
        int skipped = 0;
        for (int i = 0; i < 200_000; i++) {
            BigDecimal amount = i % 10 == 0
                    ? new BigDecimal(new java.math.BigInteger(130, random), random.nextInt(40)) // beyond 34 digits
                    : BigDecimal.valueOf(random.nextLong() % 10_000_000_000L, random.nextInt(12) - 2);
            BigDecimal whole = switch (i % 8) {
                case 2 -> ONE; // a multiplier of one, as in amount * 1 / m
                case 6 -> MULTIPLIERS[random.nextInt(MULTIPLIERS.length)]; // terminating or not
                default -> BigDecimal.valueOf(1 + random.nextInt(1_000_000), random.nextInt(6) - 1);
            };
            BigDecimal part = switch (i % 5) {
                case 0 -> whole; // the whole fill
                case 1 -> whole.setScale(whole.scale() + 1); // equal, written with another scale
                case 2, 3 -> ONE; // amount * 1 / m
                default -> BigDecimal.valueOf(random.nextInt(1_000_000), random.nextInt(4));
            };
            BigDecimal divided = amount.multiply(part).divide(whole, FillLedger.WORKING);
            BigDecimal share = FillLedger.share(amount, part, whole);
            assertThat(share).as("%s * %s / %s", amount, part, whole).isEqualTo(divided); // equals: scale too
            skipped += share == amount ? 1 : 0;
        }
        assertThat(skipped).as("the common cases skip the division").isGreaterThan(20_000);
    }
}

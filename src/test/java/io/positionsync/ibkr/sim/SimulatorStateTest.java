package io.positionsync.ibkr.sim;

import static io.positionsync.ibkr.sim.Books.AAPL;
import static io.positionsync.ibkr.sim.Books.AAPL_CALL;
import static io.positionsync.ibkr.sim.Books.ACC1;
import static io.positionsync.ibkr.sim.Books.ACC2;
import static io.positionsync.ibkr.sim.Books.ES;
import static io.positionsync.ibkr.sim.Books.TSLA;
import static io.positionsync.ibkr.sim.Books.d;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.positionsync.sync.ExecIds;

/** IB-style position arithmetic, checked to the cent with BigDecimal. */
class SimulatorStateTest {

    private final SimulatorState state = Books.empty();

    private Position position(String account, long conId) {
        return state.position(account, conId).orElseThrow();
    }

    @Test
    void openingBuyIncludesTheCommissionInAvgCostAndRealizesNothing() {
        Execution fill = state.trade(ACC1, AAPL, Side.BOT, d("100"), d("150.00"), d("1.00"));
        assertThat(position(ACC1, AAPL).quantity()).isEqualByComparingTo("100");
        assertThat(position(ACC1, AAPL).avgCost()).isEqualByComparingTo("150.01");
        assertThat(fill.realizedPnl()).isNull();
        assertThat(fill.commission()).isEqualByComparingTo("1.00");
        assertThat(fill.shares()).isEqualByComparingTo("100");
        assertThat(fill.side()).isEqualTo(Side.BOT);
    }

    @Test
    void rollingTheTradingDayMakesEarlierFillsPriorDayAndKeepsThePosition() {
        Execution yesterday = state.trade(ACC1, AAPL, Side.BOT, d("100"), d("150.00"), d("1.00"));
        state.rollTradingDay();
        Execution today = state.trade(ACC1, AAPL, Side.SLD, d("40"), d("151.00"), d("1.00"));
        assertThat(state.isPriorDay(yesterday.execId())).isTrue();
        assertThat(state.isPriorDay(today.execId())).isFalse();
        assertThat(position(ACC1, AAPL).quantity()).isEqualByComparingTo("60");
        assertThat(position(ACC1, AAPL).avgCost()).isEqualByComparingTo("150.01");
    }

    @Test
    void rollingTheTradingDayStartsTheDaysRealizedPnlAgainButCarriesAWithheldExecutionIntoTheNewDay() {
        state.trade(ACC1, AAPL, Side.BOT, d("100"), d("150.00"), d("1.00"));
        state.trade(ACC1, AAPL, Side.SLD, d("10"), d("160.00"), d("0.10"));
        Execution late = state.trade(ACC1, AAPL, Side.SLD, d("40"), d("160.00"), d("0.40"));
        state.withholdExecution(late.execId());
        assertThat(position(ACC1, AAPL).realizedPnlToday()).isEqualByComparingTo("499.00"); // 99.80 + 399.20

        state.rollTradingDay();

        // the reported sale is yesterday's; the withheld one is booked in the day it is reported in
        assertThat(position(ACC1, AAPL).realizedPnlToday()).isEqualByComparingTo("399.20");
        assertThat(state.isPriorDay(late.execId())).isFalse();
        state.releaseExecution(late.execId());
        state.rollTradingDay();
        assertThat(position(ACC1, AAPL).realizedPnlToday()).isZero();
        assertThat(state.isPriorDay(late.execId())).isTrue();
        assertThat(position(ACC1, AAPL).quantity()).isEqualByComparingTo("50");
    }

    @Test
    void aCorrectionAfterTheRollKeepsTheNewDaysRealizedPnl() {
        Execution buy = state.trade(ACC1, AAPL, Side.BOT, d("100"), d("150.00"), d("1.00"));
        state.trade(ACC1, AAPL, Side.SLD, d("10"), d("160.00"), d("0.10"));
        state.rollTradingDay();
        state.trade(ACC1, AAPL, Side.SLD, d("10"), d("161.00"), d("0.10"));
        assertThat(position(ACC1, AAPL).realizedPnlToday()).isEqualByComparingTo("109.80");

        state.correctExecution(buy.execId(), d("149.00"));

        // the replay moves what the later sales realize by 10 * 1.00 each, today's figure keeps its day
        assertThat(position(ACC1, AAPL).avgCost()).isEqualByComparingTo("149.01");
        assertThat(position(ACC1, AAPL).realizedPnlToday()).isEqualByComparingTo("129.80");
    }

    @Test
    void aMisreportedRealizedPnlAndADailySkewChangeOnlyWhatTheGatewayReports() {
        state.setMarketPrice(AAPL, d("160.00"));
        state.trade(ACC1, AAPL, Side.BOT, d("100"), d("150.00"), d("1.00"));
        Execution sale = state.trade(ACC1, AAPL, Side.SLD, d("40"), d("160.00"), d("0.40"));

        state.misreportRealizedPnl(sale.execId(), d("5.00"));
        state.skewDailyRealizedPnl(ACC1, AAPL, d("-2.50"));

        assertThat(state.reportedCommission(sale).realizedPnl()).isEqualByComparingTo("404.20");
        assertThat(sale.realizedPnl()).isEqualByComparingTo("399.20");
        assertThat(state.portfolio(ACC1)).singleElement()
                .satisfies(e -> assertThat(e.position().realizedPnlToday()).isEqualByComparingTo("396.70"));
        assertThat(position(ACC1, AAPL).realizedPnlToday()).isEqualByComparingTo("399.20");
        Execution corrected = state.correctExecution(sale.execId(), d("160.00"));
        assertThat(state.reportedCommission(corrected).realizedPnl()).isEqualByComparingTo("399.20");

        state.misreportRealizedPnl(sale.execId(), null);
        state.skewDailyRealizedPnl(ACC1, AAPL, BigDecimal.ZERO);
        assertThat(state.reportedCommission(sale).realizedPnl()).isEqualByComparingTo("399.20");
        assertThat(state.portfolio(ACC1)).singleElement()
                .satisfies(e -> assertThat(e.position().realizedPnlToday()).isEqualByComparingTo("399.20"));
    }

    @Test
    void addingWeighsTheOldAndNewCostIncludingCommission() {
        state.trade(ACC1, AAPL, Side.BOT, d("100"), d("150.00"), d("1.00"));
        Execution add = state.trade(ACC1, AAPL, Side.BOT, d("100"), d("160.00"), d("1.00"));
        // (100 * 150.01 + 100 * 160.00 + 1.00) / 200
        assertThat(position(ACC1, AAPL).avgCost()).isEqualByComparingTo("155.01");
        assertThat(position(ACC1, AAPL).quantity()).isEqualByComparingTo("200");
        assertThat(add.realizedPnl()).isNull();
    }

    @Test
    void reducingKeepsAvgCostAndRealizesNetOfCommission_thenClosingRealizesTheRest() {
        state.trade(ACC1, AAPL, Side.BOT, d("100"), d("150.00"), d("1.00"));
        state.trade(ACC1, AAPL, Side.BOT, d("100"), d("160.00"), d("1.00"));
        Execution reduce = state.trade(ACC1, AAPL, Side.SLD, d("50"), d("170.00"), d("1.00"));
        // (170.00 - 155.01) * 50 - 1.00
        assertThat(reduce.realizedPnl()).isEqualByComparingTo("748.50");
        assertThat(position(ACC1, AAPL).avgCost()).isEqualByComparingTo("155.01");
        assertThat(position(ACC1, AAPL).quantity()).isEqualByComparingTo("150");

        Execution close = state.trade(ACC1, AAPL, Side.SLD, d("150"), d("160.00"), d("1.00"));
        // (160.00 - 155.01) * 150 - 1.00
        assertThat(close.realizedPnl()).isEqualByComparingTo("747.50");
        Position flat = position(ACC1, AAPL);
        assertThat(flat.quantity()).isEqualByComparingTo("0");
        assertThat(flat.avgCost()).isEqualByComparingTo("0");
        assertThat(flat.realizedPnlToday()).isEqualByComparingTo("1496.00");
    }

    @Test
    void workedExample1_longRoundTrip() {
        state.setPosition(ACC1, AAPL, d("100"), d("150.01"));
        Execution sell = state.trade(ACC1, AAPL, Side.SLD, d("100"), d("160.00"), d("1.00"));
        assertThat(sell.realizedPnl()).isEqualByComparingTo("998.00");
    }

    @Test
    void workedExample2_shortPartlyBoughtBack() {
        state.setPosition(ACC2, TSLA, d("-50"), d("20.02"));
        Execution cover = state.trade(ACC2, TSLA, Side.BOT, d("20"), d("18.00"), d("0.40"));
        assertThat(cover.realizedPnl()).isEqualByComparingTo("40.00");
        assertThat(position(ACC2, TSLA).quantity()).isEqualByComparingTo("-30");
        assertThat(position(ACC2, TSLA).avgCost()).isEqualByComparingTo("20.02");
    }

    @Test
    void workedExample3_futuresWithMultiplier() {
        Execution open = state.trade(ACC1, ES, Side.BOT, d("2"), d("5000.00"), d("4.80"));
        // (2 * 5000.00 * 50 + 4.80) / 2
        assertThat(position(ACC1, ES).avgCost()).isEqualByComparingTo("250002.40");
        assertThat(open.realizedPnl()).isNull();
        Execution close = state.trade(ACC1, ES, Side.SLD, d("2"), d("5010.00"), d("4.80"));
        // (5010.00 - 5000.048) * 2 * 50 - 4.80
        assertThat(close.realizedPnl()).isEqualByComparingTo("990.40");
    }

    @Test
    void workedExample4_flipLongToShortSplitsTheCommission() {
        state.setPosition(ACC1, AAPL, d("100"), d("9.00"));
        Execution flip = state.trade(ACC1, AAPL, Side.SLD, d("150"), d("10.00"), d("1.50"));
        // close leg: (10.00 - 9.00) * 100 - 1.50 * 100/150
        assertThat(flip.realizedPnl()).isEqualByComparingTo("99.00");
        assertThat(position(ACC1, AAPL).quantity()).isEqualByComparingTo("-50");
        // open leg: short 50 at 10.00, receiving 0.50 less commission -> 10.00 - 0.50/50
        assertThat(position(ACC1, AAPL).avgCost()).isEqualByComparingTo("9.99");
        assertThat(position(ACC1, AAPL).realizedPnlToday()).isEqualByComparingTo("99.00");
    }

    @Test
    void flipShortToLong() {
        state.trade(ACC2, TSLA, Side.SLD, d("30"), d("242.10"), d("1.50"));
        assertThat(position(ACC2, TSLA).avgCost()).isEqualByComparingTo("242.05");
        Execution flip = state.trade(ACC2, TSLA, Side.BOT, d("50"), d("240.00"), d("2.50"));
        // close leg 30 with 1.50 of the commission: (242.05 - 240.00) * 30 - 1.50
        assertThat(flip.realizedPnl()).isEqualByComparingTo("60.00");
        assertThat(position(ACC2, TSLA).quantity()).isEqualByComparingTo("20");
        // open leg 20 with 1.00: 240.00 + 1.00/20
        assertThat(position(ACC2, TSLA).avgCost()).isEqualByComparingTo("240.05");
    }

    @Test
    void optionAvgCostCarriesTheMultiplier() {
        state.trade(ACC2, AAPL_CALL, Side.BOT, d("5"), d("6.25"), d("3.25"));
        assertThat(position(ACC2, AAPL_CALL).avgCost()).isEqualByComparingTo("625.65");
        Execution sell = state.trade(ACC2, AAPL_CALL, Side.SLD, d("2"), d("7.00"), d("1.30"));
        // (700 - 625.65) * 2 - 1.30
        assertThat(sell.realizedPnl()).isEqualByComparingTo("147.40");
    }

    @Test
    void nonTerminatingAveragesKeepTenDecimals() {
        state.trade(ACC1, AAPL, Side.BOT, d("3"), d("100.00"), d("1.00"));
        assertThat(position(ACC1, AAPL).avgCost()).isEqualByComparingTo("100.3333333333");
    }

    @Test
    void fractionalQuantitiesStayExact() {
        state.trade(ACC1, AAPL, Side.BOT, d("0.5"), d("150.00"), d("0.50"));
        assertThat(position(ACC1, AAPL).quantity()).isEqualByComparingTo("0.5");
        assertThat(position(ACC1, AAPL).avgCost()).isEqualByComparingTo("151.00");
    }

    @Test
    void execIdsHaveIbShapeAndAreUnique() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(state.trade(ACC1, AAPL, Side.BOT, d("1"), d("150"), d("1")).execId());
        }
        assertThat(ids).doesNotHaveDuplicates()
                .allMatch(id -> id.matches("[0-9a-f]{8}\\.[0-9a-f]{8}\\.01\\.01"));
        assertThat(state.executions()).extracting(Execution::execId).containsExactlyElementsOf(ids);
        assertThat(state.executions()).extracting(Execution::time).containsOnly(Books.NOW);
    }

    @Test
    void correctionEmitsTheNextRevisionAndRecomputesThePosition() {
        Execution buy = state.trade(ACC1, AAPL, Side.BOT, d("100"), d("150.00"), d("1.00"));
        Execution sell = state.trade(ACC1, AAPL, Side.SLD, d("50"), d("160.00"), d("1.00"));
        assertThat(sell.realizedPnl()).isEqualByComparingTo("498.50");

        Execution corrected = state.correctExecution(buy.execId(), d("149.00"));
        assertThat(corrected.execId()).isEqualTo(ExecIds.base(buy.execId()) + ".02");
        assertThat(ExecIds.supersedes(corrected.execId(), buy.execId())).isTrue();
        assertThat(corrected.price()).isEqualByComparingTo("149.00");
        assertThat(corrected.commissionReport().execId()).isEqualTo(corrected.execId());
        assertThat(corrected.realizedPnl()).isNull();
        assertThat(position(ACC1, AAPL).avgCost()).isEqualByComparingTo("149.01");

        Execution sellCorrected = state.correctExecution(sell.execId(), d("161.00"));
        // (161.00 - 149.01) * 50 - 1.00
        assertThat(sellCorrected.realizedPnl()).isEqualByComparingTo("598.50");
        assertThat(position(ACC1, AAPL).realizedPnlToday()).isEqualByComparingTo("598.50");
        Execution again = state.correctExecution(sellCorrected.execId(), d("162.00"));
        assertThat(again.execId()).endsWith(".03");
        assertThat(state.executions()).hasSize(5);
        // cash: -15001 (buy) + 7999 (sell) then +100 and +50 +50 from corrections
        assertThat(state.cash(ACC1)).isEqualByComparingTo("93198.00");
    }

    @Test
    void brokerCloseZeroesThePositionWithoutAnExecution() {
        state.setPosition(ACC1, ES, d("2"), d("250002.40"));
        state.brokerClose(ACC1, ES);
        assertThat(position(ACC1, ES).quantity()).isEqualByComparingTo("0");
        assertThat(state.executions()).isEmpty();
        assertThat(state.positions()).extracting(Position::conId).containsExactly(ES);
        state.reportClosedAsZero(false);
        assertThat(state.positions()).isEmpty();
    }

    @Test
    void closedPositionsAreReportedAsZeroOnlyWhenTheScenarioSaysSo() {
        state.trade(ACC1, AAPL, Side.BOT, d("10"), d("150"), d("1"));
        state.trade(ACC1, AAPL, Side.SLD, d("10"), d("151"), d("1"));
        assertThat(state.positions(ACC1)).singleElement()
                .satisfies(p -> assertThat(p.quantity()).isEqualByComparingTo("0"));
        state.reportClosedAsZero(false);
        assertThat(state.positions(ACC1)).isEmpty();
        assertThat(state.portfolio(ACC1)).isEmpty();
    }

    @Test
    void portfolioAndAccountValuesFollowPricesAndCash() {
        SimulatorState book = Books.book();
        PortfolioEntry es = book.portfolio(ACC1).stream().filter(e -> e.instrument().conId() == ES).findFirst()
                .orElseThrow();
        assertThat(es.marketValue()).isEqualByComparingTo("501000.00");
        assertThat(es.unrealizedPnl()).isEqualByComparingTo("995.20");
        PortfolioEntry tsla = book.portfolio(ACC2).get(0);
        assertThat(tsla.marketValue()).isEqualByComparingTo("-7200.00");
        // short 30 at 242.05, now 240.00
        assertThat(tsla.unrealizedPnl()).isEqualByComparingTo("61.50");

        book.trade(ACC2, TSLA, Side.BOT, d("10"), d("240.00"), d("1.00"));
        assertThat(book.cash(ACC2)).isEqualByComparingTo("47599.00");
        assertThat(book.accountValues(ACC2)).contains(
                new AccountValue("AccountCode", ACC2, ""),
                new AccountValue("TotalCashValue", "47599.00", "USD"),
                // 47599.00 - 20 * 240.00
                new AccountValue("NetLiquidation", "42799.00", "USD"),
                new AccountValue("GrossPositionValue", "4800.00", "USD"),
                // (242.05 - 240.00) * 10 - 1.00
                new AccountValue("RealizedPnL", "19.50", "USD"));
    }

    @Test
    void rejectsUnknownAccountsInstrumentsAndBadNumbers() {
        assertThatThrownBy(() -> state.trade("DU9", AAPL, Side.BOT, d("1"), d("1"), d("0")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("DU9");
        assertThatThrownBy(() -> state.trade(ACC1, 1, Side.BOT, d("1"), d("1"), d("0")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("conId 1");
        assertThatThrownBy(() -> state.trade(ACC1, AAPL, Side.BOT, d("0"), d("1"), d("0")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> state.correctExecution("nope.01", BigDecimal.ONE))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> state.brokerClose(ACC1, AAPL)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void listenersHearEveryChangeInOrder() {
        List<String> heard = new ArrayList<>();
        state.addListener(new StateListener() {
            @Override
            public void positionChanged(Position position, Instrument instrument) {
                heard.add(instrument.symbol() + " " + position.quantity().toPlainString());
            }

            @Override
            public void marketPriceChanged(Instrument instrument, BigDecimal price) {
                heard.add(instrument.symbol() + " @" + price.toPlainString());
            }
        });
        state.trade(ACC1, AAPL, Side.BOT, d("10"), d("150"), d("1"));
        state.setMarketPrice(AAPL, d("151.5"));
        state.trade(ACC1, AAPL, Side.SLD, d("4"), d("151"), d("1"));
        state.setPosition(ACC1, ES, d("1"), d("250000"));
        state.brokerClose(ACC1, ES);
        assertThat(heard).containsExactly("AAPL 10", "AAPL @151.5", "AAPL 6", "ES 1", "ES 0");
    }

    @Test
    void futureFlipsShortToLongWithTheMultiplier() {
        state.setPosition(ACC1, ES, d("-2"), d("301010.10"));
        Execution flip = state.trade(ACC1, ES, Side.BOT, d("3"), d("6000.00"), d("7.20"));
        // close 2 with 4.80: (301010.10 - 300000) * 2 - 4.80; open 1 at 300000 + 2.40
        assertThat(flip.realizedPnl()).isEqualByComparingTo("2015.40");
        assertThat(position(ACC1, ES).quantity()).isEqualByComparingTo("1");
        assertThat(position(ACC1, ES).avgCost()).isEqualByComparingTo("300002.40");
    }

    @Test
    void fractionalFlipSplitsTheCommissionByQuantity() {
        state.setPosition(ACC1, AAPL, d("0.5"), d("100.00"));
        Execution flip = state.trade(ACC1, AAPL, Side.SLD, d("1.5"), d("110.00"), d("0.30"));
        // close 0.5 with 0.10: (110 - 100) * 0.5 - 0.10; open -1 at 110 - 0.20
        assertThat(flip.realizedPnl()).isEqualByComparingTo("4.90");
        assertThat(position(ACC1, AAPL).quantity()).isEqualByComparingTo("-1");
        assertThat(position(ACC1, AAPL).avgCost()).isEqualByComparingTo("109.80");
    }

    @Test
    void aCommissionInAnotherCurrencyNeedsRatesAndCountsConverted() {
        state.addInstrument(new Instrument(14204, "SAP", "STK", "EUR", "SMART", "IBIS", "SAP", "XETRA", null, null,
                null, null, null));
        assertThatThrownBy(() -> state.trade(Fill.of(ACC1, 14204, Side.BOT, d("10"), d("200"), d("1.08"))
                .withCommissionCurrency("USD"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no exchange rate for EUR");
        state.exchangeRate("EUR", d("1.08"));
        Execution buy = state.trade(Fill.of(ACC1, 14204, Side.BOT, d("10"), d("200"), d("1.08"))
                .withCommissionCurrency("USD"));
        assertThat(buy.commissionReport().currency()).isEqualTo("USD");
        assertThat(position(ACC1, 14204).avgCost()).isEqualByComparingTo("200.10");
        // cash in USD: 100000 - 10 * 200 * 1.08 - 1.08
        assertThat(state.cash(ACC1)).isEqualByComparingTo("97838.92");
        assertThat(state.accountValues(ACC2)).contains(new AccountValue("ExchangeRate", "1.00", "USD"),
                new AccountValue("ExchangeRate", "1.08", "EUR"));
    }

    @Test
    void correctionCanChangeTheQuantity() {
        Execution buy = state.trade(ACC1, AAPL, Side.BOT, d("100"), d("150.00"), d("1.00"));
        Execution corrected = state.correctExecution(buy.execId(), null, d("80"));
        assertThat(corrected.shares()).isEqualByComparingTo("80");
        assertThat(corrected.price()).isEqualByComparingTo("150.00");
        assertThat(position(ACC1, AAPL).quantity()).isEqualByComparingTo("80");
        assertThat(position(ACC1, AAPL).avgCost()).isEqualByComparingTo("150.0125");
        // cash: -15001 then +3000 back for the 20 shares that were not bought
        assertThat(state.cash(ACC1)).isEqualByComparingTo("87999.00");
    }

    @Test
    void onlyTheMasterSeesOtherClientsExecutions() {
        Execution manual = state.trade(ACC1, AAPL, Side.BOT, d("1"), d("150"), d("1"));
        Execution bot = state.trade(Fill.of(ACC1, AAPL, Side.BOT, d("1"), d("150"), d("1")).withClientId(23));
        assertThat(state.isVisibleTo(manual, 23)).as("no master: everyone sees everything").isTrue();
        state.masterClientId(17);
        assertThat(state.isVisibleTo(manual, 17)).isTrue();
        assertThat(state.isVisibleTo(bot, 17)).isTrue();
        assertThat(state.isVisibleTo(bot, 23)).isTrue();
        assertThat(state.isVisibleTo(manual, 23)).isFalse();
        assertThat(state.isVisibleTo(manual, 0)).as("manual orders are clientId 0's own").isTrue();
        assertThat(state.isVisibleTo(bot, 5)).isFalse();
    }
}

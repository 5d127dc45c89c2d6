package io.positionsync.sync;

import io.positionsync.ibkr.BrokerExecution;
import io.positionsync.ibkr.BrokerPosition;
import io.positionsync.ibkr.BrokerSnapshot;
import io.positionsync.ibkr.PortfolioValue;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.positionsync.sync.Fixtures.ACCOUNT;
import static io.positionsync.sync.Fixtures.NOW;
import static io.positionsync.sync.Fixtures.broker;
import static io.positionsync.sync.Fixtures.d;
import static io.positionsync.sync.Fixtures.fill;
import static io.positionsync.sync.Fixtures.fills;
import static io.positionsync.sync.Fixtures.open;
import static io.positionsync.sync.Fixtures.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RunLedgerTest {

    private static RunLedger ledger(Map<PositionKey, StoredPosition> openRows, SnapshotExecutions executions) {
        return new RunLedger(openRows, Set.of(), executions, NOW);
    }

    /** The stored row the store would hold after applying {@code change} (enough for the next run). */
    private static StoredPosition applied(PositionChange change, long id) {
        return new StoredPosition(change.positionId() == null ? id : change.positionId(), change.account(),
                change.conId(), change.symbol(), change.secType(), change.currency(), change.multiplier(),
                change.quantityAfter(), change.averagePrice(), change.marketPrice(), change.unrealizedPnl(),
                change.realizedPnlTotal(), change.realizedPnlSource(),
                change.kind() == ChangeKind.CLOSED ? PositionStatus.CLOSED : PositionStatus.OPEN, NOW,
                change.kind() == ChangeKind.CLOSED ? NOW : null, NOW);
    }

    @Nested
    class WorkedExamples {
        @Test
        void example1BuyThenSellAaplFromTheWire() {
            SnapshotTransformer transformer = new SnapshotTransformer();
            BrokerSnapshot bought = new BrokerSnapshot(178, true, null, NOW, NOW, List.of(ACCOUNT),
                    List.of(new BrokerPosition(ACCOUNT, 265598, "AAPL", "STK", "USD", "AAPL", null, d("100"),
                            d("150.01"))),
                    List.of(), List.of(fill("aapl-buy.01", 265598, "BOT", "100", "150.00", "1.00", null, 1)));
            RunLedger first = new RunLedger(Map.of(), Set.of(), transformer.executions(bought), NOW);
            transformer.positions(bought).forEach(first::reconcile);
            first.closeAbsent();
            ReconcileResult opened = first.result();
            assertThat(opened.changes()).singleElement().satisfies(change -> {
                assertThat(change.kind()).isEqualTo(ChangeKind.OPENED);
                assertThat(change.averagePrice()).isEqualByComparingTo("150.01");
                assertThat(change.at()).isEqualTo(NOW);
            });
            // The opening fill is stored, not applied: it explains no reduction.
            assertThat(opened.executions()).singleElement().satisfies(r -> assertThat(r.applied()).isFalse());

            StoredPosition row = applied(opened.changes().get(0), 7);
            BrokerExecution sale = fill("aapl-sell.01", 265598, "SLD", "100", "160.00", "1.00", "998.00", 90);
            BrokerSnapshot sold = new BrokerSnapshot(178, true, null, NOW, NOW, List.of(ACCOUNT),
                    List.of(new BrokerPosition(ACCOUNT, 265598, "AAPL", "STK", "USD", "AAPL", null, d("0"), d("0"))),
                    List.of(new PortfolioValue(ACCOUNT, 265598, "AAPL", "STK", "USD", null, d("0"), d("160.10"),
                            d("0"), d("0"), d("0"), d("998.00"))),
                    List.of(fill("aapl-buy.01", 265598, "BOT", "100", "150.00", "1.00", null, 1), sale));
            RunLedger second = new RunLedger(rows(row), Set.of(), transformer.executions(sold), NOW);
            transformer.positions(sold).forEach(second::reconcile);
            second.closeAbsent();
            ReconcileResult closed = second.result();

            assertThat(closed.changes()).singleElement().satisfies(change -> {
                assertThat(change.kind()).isEqualTo(ChangeKind.CLOSED);
                assertThat(change.positionId()).isEqualTo(7L);
                assertThat(change.quantityBefore()).isEqualByComparingTo("100");
                assertThat(change.quantityAfter()).isEqualByComparingTo("0");
                assertThat(change.realizedPnlDelta()).isEqualByComparingTo("998.00");
                assertThat(change.realizedPnlTotal()).isEqualByComparingTo("998.00");
                assertThat(change.realizedPnlSource()).isEqualTo(RealizedPnlSource.EXECUTIONS);
                assertThat(change.exitPrice()).isEqualByComparingTo("160.00");
                assertThat(change.exitCommission()).isEqualByComparingTo("1.00");
                assertThat(change.brokerRealizedPnl()).isEqualByComparingTo("998.00");
                assertThat(change.execIds()).containsExactly("aapl-sell.01");
            });
            assertThat(closed.breaks()).isEmpty();
            assertThat(closed.warnings()).isEmpty();
            assertThat(closed.executions()).extracting(r -> r.execution().execId(), ExecutionRecord::applied)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("aapl-buy.01", false),
                            org.assertj.core.groups.Tuple.tuple("aapl-sell.01", true));
            assertThat(closed.closed()).isEqualTo(1);
        }

        @Test
        void example2ShortPartlyBoughtBackStaysOpen() {
            RunLedger ledger = ledger(rows(open(3, 42, "XYZ", null, "-50", "20.02", null)),
                    fills(fill("xyz.01", 42, "BOT", "20", "18.00", "0.40", "40.00", 1)));

            List<PositionChange> changes = ledger.reconcile(broker(42, "XYZ", null, "-30", "20.02", "18.10"));

            assertThat(changes).singleElement().satisfies(change -> {
                assertThat(change.kind()).isEqualTo(ChangeKind.REDUCED);
                assertThat(change.quantityAfter()).isEqualByComparingTo("-30");
                assertThat(change.averagePrice()).isEqualByComparingTo("20.02");
                assertThat(change.realizedPnlDelta()).isEqualByComparingTo("40.00");
                assertThat(change.realizedPnlTotal()).isEqualByComparingTo("40.00");
                assertThat(change.realizedPnlSource()).isEqualTo(RealizedPnlSource.EXECUTIONS);
            });
            assertThat(ledger.result().updated()).isEqualTo(1);
        }

        @Test
        void example3FuturesThroughTheTransformer() {
            SnapshotTransformer transformer = new SnapshotTransformer();
            BrokerSnapshot snapshot = new BrokerSnapshot(178, true, null, NOW, NOW, List.of(ACCOUNT),
                    List.of(new BrokerPosition(ACCOUNT, 495512551, "ES", "FUT", "USD", "ESZ6", d("50"), d("2"),
                            d("250002.40"))),
                    List.of(), List.of());
            SnapshotPosition es = transformer.positions(snapshot).get(0);
            assertThat(es.averagePrice()).isEqualByComparingTo("5000.048");
            RunLedger opening = ledger(Map.of(), SnapshotExecutions.NONE);
            StoredPosition row = applied(opening.reconcile(es).get(0), 11);

            RunLedger closing = ledger(rows(row), fills(fill("es.01", 495512551, "SLD", "2", "5010.00", "4.80", null, 5)));
            closing.closeAbsent();

            assertThat(closing.result().changes()).singleElement().satisfies(change -> {
                assertThat(change.kind()).isEqualTo(ChangeKind.CLOSED);
                assertThat(change.realizedPnlDelta()).isEqualByComparingTo("990.40");
                assertThat(change.realizedPnlSource()).isEqualTo(RealizedPnlSource.EXECUTIONS);
            });
        }

        @Test
        void example4FlipLongToShort() {
            RunLedger ledger = ledger(rows(open(5, 77, "FLP", null, "100", "9.00", null)),
                    fills(fill("flip.01", 77, "SLD", "150", "10.00", "1.50", null, 1)));

            List<PositionChange> changes = ledger.reconcile(broker(77, "FLP", null, "-50", "10.01", "10.00"));

            assertThat(changes).hasSize(2);
            PositionChange close = changes.get(0);
            assertThat(close.kind()).isEqualTo(ChangeKind.CLOSED);
            assertThat(close.positionId()).isEqualTo(5L);
            assertThat(close.quantityBefore()).isEqualByComparingTo("100");
            assertThat(close.quantityAfter()).isEqualByComparingTo("0");
            assertThat(close.realizedPnlDelta()).isEqualByComparingTo("99.00");
            assertThat(close.exitCommission()).isEqualByComparingTo("1.00");
            assertThat(close.execIds()).containsExactly("flip.01");
            PositionChange reopen = changes.get(1);
            assertThat(reopen.kind()).isEqualTo(ChangeKind.OPENED);
            assertThat(reopen.positionId()).isNull();
            assertThat(reopen.quantityBefore()).isEqualByComparingTo("0");
            assertThat(reopen.quantityAfter()).isEqualByComparingTo("-50");
            assertThat(reopen.averagePrice()).isEqualByComparingTo("10.01");
            assertThat(reopen.realizedPnlTotal()).isNull();

            ReconcileResult result = ledger.result();
            assertThat(result.closed()).isEqualTo(1);
            assertThat(result.opened()).isEqualTo(1);
            assertThat(result.updated()).isZero();
            assertThat(result.executions()).singleElement().satisfies(r -> assertThat(r.applied()).isTrue());
        }
    }

    @Nested
    class Lifecycles {
        @Test
        void partialCloseThenCloseAccumulatesRealizedPnl() {
            BrokerExecution firstSale = fill("s1.01", 9, "SLD", "40", "12", "0.40", null, 1);
            RunLedger first = ledger(rows(open(1, 9, "ABC", null, "100", "10", null)), fills(firstSale));
            PositionChange reduced = first.reconcile(broker(9, "ABC", null, "60", "10", "12")).get(0);
            assertThat(reduced.realizedPnlDelta()).isEqualByComparingTo("79.60");
            assertThat(reduced.realizedPnlTotal()).isEqualByComparingTo("79.60");

            StoredPosition row = applied(reduced, 1);
            RunLedger second = new RunLedger(rows(row), Set.of("s1.01"),
                    fills(firstSale, fill("s2.01", 9, "SLD", "60", "11", "0.60", null, 30)), NOW);
            PositionChange closed = second.reconcile(broker(9, "ABC", null, "0", "0", "11")).get(0);

            assertThat(closed.kind()).isEqualTo(ChangeKind.CLOSED);
            assertThat(closed.realizedPnlDelta()).isEqualByComparingTo("59.40");
            assertThat(closed.realizedPnlTotal()).isEqualByComparingTo("139.00");
            assertThat(closed.execIds()).containsExactly("s2.01");
        }

        @Test
        void reductionKeepsTheStoredAverageAndPricesWithIt() {
            RunLedger ledger = ledger(rows(open(1, 9, "ABC", null, "100", "10", "5")),
                    fills(fill("s.01", 9, "SLD", "50", "12", "0", null, 1)));

            PositionChange change = ledger.reconcile(broker(9, "ABC", null, "50", "10.5", "12")).get(0);

            assertThat(change.kind()).isEqualTo(ChangeKind.REDUCED);
            assertThat(change.averagePrice()).isEqualByComparingTo("10");
            assertThat(change.realizedPnlDelta()).isEqualByComparingTo("100");
            assertThat(change.realizedPnlTotal()).isEqualByComparingTo("105");
        }

        @Test
        void flipShortToLong() {
            RunLedger ledger = ledger(rows(open(2, 8, "SHT", null, "-30", "50", "10")),
                    fills(fill("cover.01", 8, "BOT", "50", "48.00", "2.50", null, 1)));

            List<PositionChange> changes = ledger.reconcile(broker(8, "SHT", null, "20", "48.03", "48.10"));

            assertThat(changes).extracting(PositionChange::kind).containsExactly(ChangeKind.CLOSED, ChangeKind.OPENED);
            // (50 - 48) * 30 - 2.50 * 30 / 50
            assertThat(changes.get(0).realizedPnlDelta()).isEqualByComparingTo("58.50");
            assertThat(changes.get(0).realizedPnlTotal()).isEqualByComparingTo("68.50");
            assertThat(changes.get(1).quantityAfter()).isEqualByComparingTo("20");
            assertThat(changes.get(1).averagePrice()).isEqualByComparingTo("48.03");
        }

        @Test
        void reopenAfterCloseIsANewLifecycleAndLeavesTheClosedRowAlone() {
            StoredPosition closedRow = new StoredPosition(4, ACCOUNT, 9, "ABC", "STK", "USD", null, d("0"), d("10"),
                    d("11"), null, d("100"), RealizedPnlSource.EXECUTIONS, PositionStatus.CLOSED, Fixtures.T0,
                    Fixtures.T0, Fixtures.T0);
            RunLedger ledger = ledger(rows(closedRow), SnapshotExecutions.NONE);

            List<PositionChange> changes = ledger.reconcile(broker(9, "ABC", null, "25", "12", "12"));
            ledger.closeAbsent();

            assertThat(changes).singleElement().satisfies(change -> {
                assertThat(change.kind()).isEqualTo(ChangeKind.OPENED);
                assertThat(change.positionId()).isNull();
                assertThat(change.realizedPnlTotal()).isNull();
            });
            assertThat(ledger.result().changes()).noneMatch(change -> Long.valueOf(4).equals(change.positionId()));
        }

        @Test
        void flatInstrumentWithoutOpenRowChangesNothing() {
            RunLedger ledger = ledger(Map.of(), SnapshotExecutions.NONE);

            assertThat(ledger.reconcile(broker(9, "ABC", null, "0", "0", "11"))).isEmpty();
            assertThat(ledger.result().changes()).isEmpty();
        }

        @Test
        void largerPositionTakesBrokerQuantityAndAverageWithoutPnl() {
            RunLedger ledger = ledger(rows(open(1, 9, "ABC", null, "100", "150.01", "3")),
                    fills(fill("b.01", 9, "BOT", "50", "156", "1", null, 1)));

            PositionChange change = ledger.reconcile(broker(9, "ABC", null, "150", "152.02", "156")).get(0);

            assertThat(change.kind()).isEqualTo(ChangeKind.INCREASED);
            assertThat(change.quantityAfter()).isEqualByComparingTo("150");
            assertThat(change.averagePrice()).isEqualByComparingTo("152.02");
            assertThat(change.realizedPnlDelta()).isNull();
            assertThat(change.realizedPnlTotal()).isEqualByComparingTo("3");
            assertThat(change.realizedUnknown()).isFalse();
            assertThat(ledger.result().executions()).singleElement()
                    .satisfies(r -> assertThat(r.applied()).isFalse());
        }

        @Test
        void sameQuantityNewAverageIsAnUpdateWithoutPnl() {
            RunLedger ledger = ledger(rows(open(1, 9, "ABC", null, "100", "150.01", null)), SnapshotExecutions.NONE);

            PositionChange change = ledger.reconcile(broker(9, "ABC", null, "100", "150.02", "156")).get(0);

            assertThat(change.kind()).isEqualTo(ChangeKind.INCREASED);
            assertThat(change.averagePrice()).isEqualByComparingTo("150.02");
            assertThat(change.realizedPnlDelta()).isNull();
            assertThat(ledger.result().updated()).isEqualTo(1);
        }

        @Test
        void unchangedOnlyRefreshesMarketValues() {
            StoredPosition row = new StoredPosition(1, ACCOUNT, 9, "ABC", "STK", "USD", null, d("100"), d("150.01"),
                    d("155"), d("499"), d("12"), RealizedPnlSource.EXECUTIONS, PositionStatus.OPEN, Fixtures.T0, null,
                    Fixtures.T0);
            RunLedger ledger = ledger(rows(row), SnapshotExecutions.NONE);
            SnapshotPosition same = new SnapshotPosition(ACCOUNT, 9, "ABC", "STK", "USD", null, d("100"),
                    d("150.010"), d("156"), d("15600"), d("599"), null);

            PositionChange change = ledger.reconcile(same).get(0);

            assertThat(change.kind()).isEqualTo(ChangeKind.UNCHANGED);
            assertThat(change.positionId()).isEqualTo(1L);
            assertThat(change.quantityAfter()).isEqualByComparingTo("100");
            assertThat(change.averagePrice()).isEqualByComparingTo("150.01");
            assertThat(change.marketPrice()).isEqualByComparingTo("156");
            assertThat(change.unrealizedPnl()).isEqualByComparingTo("599");
            assertThat(change.realizedPnlDelta()).isNull();
            assertThat(change.realizedPnlTotal()).isEqualByComparingTo("12");
            assertThat(change.execIds()).isEmpty();
            assertThat(change.at()).isEqualTo(NOW);
            ReconcileResult result = ledger.result();
            assertThat(result.unchanged()).isEqualTo(1);
            assertThat(result.opened() + result.updated() + result.closed()).isZero();
        }

        @Test
        void averagesAreComparedAtTheLedgerScale() {
            // Stored with 8 decimals, reported as 100 / 3 to 16 digits: the same average.
            RunLedger ledger = ledger(rows(open(1, 9, "ABC", null, "3", "33.33333333", null)), SnapshotExecutions.NONE);

            PositionChange change = ledger.reconcile(broker(9, "ABC", null, "3", "33.33333333333333", "34")).get(0);

            assertThat(change.kind()).isEqualTo(ChangeKind.UNCHANGED);
        }

        @Test
        void missingMarketValuesDoNotEraseStoredOnes() {
            RunLedger ledger = ledger(rows(open(1, ACCOUNT, 9, "ABC", null, "100", "10", "11", null)),
                    SnapshotExecutions.NONE);

            PositionChange change = ledger.reconcile(broker(9, "ABC", null, "100", "10", null)).get(0);

            assertThat(change.marketPrice()).isEqualByComparingTo("11");
        }
    }

    @Nested
    class Pricing {
        @Test
        void closeWithoutExecutionUsesTheMarketPriceAndSaysSo() {
            RunLedger ledger = ledger(rows(open(1, 9, "ABC", null, "100", "10", null)), SnapshotExecutions.NONE);

            PositionChange change = ledger.reconcile(broker(9, "ABC", null, "0", "0", "12.5")).get(0);

            assertThat(change.kind()).isEqualTo(ChangeKind.CLOSED);
            assertThat(change.realizedPnlDelta()).isEqualByComparingTo("250");
            assertThat(change.realizedPnlSource()).isEqualTo(RealizedPnlSource.MARKET_PRICE);
            assertThat(change.exitPrice()).isEqualByComparingTo("12.5");
            assertThat(change.exitCommission()).isNull();
            assertThat(ledger.result().warnings()).singleElement()
                    .satisfies(w -> assertThat(w.reason()).isEqualTo(ReconcileWarning.Reason.MARKET_PRICE_ESTIMATE));
        }

        @Test
        void partlyExplainedReductionIsAnEstimateWithAWarning() {
            RunLedger ledger = ledger(rows(open(1, 9, "ABC", null, "100", "10", null)),
                    fills(fill("p.01", 9, "SLD", "60", "11", "0.60", "59.40", 1)));

            PositionChange change = ledger.reconcile(broker(9, "ABC", null, "0", "0", "12")).get(0);

            assertThat(change.realizedPnlDelta()).isEqualByComparingTo("139.40");
            assertThat(change.realizedPnlSource()).isEqualTo(RealizedPnlSource.MARKET_PRICE);
            assertThat(change.execIds()).containsExactly("p.01");
            ReconcileResult result = ledger.result();
            assertThat(result.warnings()).singleElement()
                    .satisfies(w -> assertThat(w.reason()).isEqualTo(ReconcileWarning.Reason.PARTIALLY_EXPLAINED));
            // IB's figure covers only the explained part: not a break.
            assertThat(result.breaks()).isEmpty();
            assertThat(result.executions()).singleElement().satisfies(r -> assertThat(r.applied()).isTrue());
        }

        @Test
        void noExecutionAndNoMarketPriceLeavesRealizedEmptyButClosesTheRow() {
            RunLedger ledger = ledger(rows(open(1, 9, "ABC", null, "100", "10", "7")), SnapshotExecutions.NONE);
            ledger.closeAbsent();

            ReconcileResult result = ledger.result();
            assertThat(result.changes()).singleElement().satisfies(change -> {
                assertThat(change.kind()).isEqualTo(ChangeKind.CLOSED);
                assertThat(change.realizedPnlDelta()).isNull();
                assertThat(change.realizedPnlSource()).isNull();
                assertThat(change.realizedPnlTotal()).isEqualByComparingTo("7");
                assertThat(change.realizedUnknown()).isTrue();
            });
            assertThat(result.warnings()).singleElement()
                    .satisfies(w -> assertThat(w.reason()).isEqualTo(ReconcileWarning.Reason.UNPRICED));
            assertThat(result.closed()).isEqualTo(1);
        }

        @Test
        void missingCommissionReportIsWarned() {
            RunLedger ledger = ledger(rows(open(1, 9, "ABC", null, "10", "10", null)),
                    fills(fill("n.01", 9, "SLD", "10", "11", null, null, 1)));

            ledger.reconcile(broker(9, "ABC", null, "0", "0", "11"));

            assertThat(ledger.result().warnings()).extracting(ReconcileWarning::reason)
                    .containsExactly(ReconcileWarning.Reason.COMMISSION_MISSING);
        }

        @Test
        void optionMultiplierHundredThroughTheLedger() {
            RunLedger ledger = ledger(rows(open(1, 31, "AAPL C200", "100", "2", "3.5065", null)),
                    fills(fill("opt.01", 31, "SLD", "1", "4.20", "0.65", null, 1)));

            PositionChange change = ledger.reconcile(broker(31, "AAPL C200", "100", "1", "3.5065", "4.2")).get(0);

            // (4.20 - 3.5065) * 1 * 100 - 0.65
            assertThat(change.kind()).isEqualTo(ChangeKind.REDUCED);
            assertThat(change.realizedPnlDelta()).isEqualByComparingTo("68.70");
        }

        @Test
        void shortFuturesUseTheMultiplier() {
            RunLedger ledger = ledger(rows(open(1, 44, "NQ", "20", "-3", "18000.12", null)),
                    fills(fill("nq.01", 44, "BOT", "1", "17950.00", "2.12", null, 1)));

            PositionChange change = ledger.reconcile(broker(44, "NQ", "20", "-2", "18000.12", "17950")).get(0);

            // (18000.12 - 17950) * 1 * 20 - 2.12
            assertThat(change.realizedPnlDelta()).isEqualByComparingTo("1000.28");
        }

        @Test
        void fractionalQuantitiesReduce() {
            RunLedger ledger = ledger(rows(open(1, 55, "BTC", null, "0.5", "30000", null)),
                    fills(fill("btc.01", 55, "SLD", "0.2", "31000.5", "0.31", null, 1)));

            PositionChange change = ledger.reconcile(broker(55, "BTC", null, "0.3", "30000", "31000")).get(0);

            assertThat(change.kind()).isEqualTo(ChangeKind.REDUCED);
            assertThat(change.quantityAfter()).isEqualByComparingTo("0.3");
            assertThat(change.realizedPnlDelta()).isEqualByComparingTo("199.79");
        }
    }

    @Nested
    class Executions {
        @Test
        void executionsAppliedInAnEarlierRunAreNotCountedAgain() {
            BrokerExecution oldSale = fill("old.01", 9, "SLD", "40", "12", "0.40", null, 1);
            RunLedger ledger = new RunLedger(rows(open(1, 9, "ABC", null, "60", "10", "79.60")), Set.of("old.01"),
                    fills(oldSale), NOW);

            PositionChange change = ledger.reconcile(broker(9, "ABC", null, "30", "10", "11")).get(0);

            // Only the market price explains the new reduction; the old sale stays with the old one.
            assertThat(change.realizedPnlSource()).isEqualTo(RealizedPnlSource.MARKET_PRICE);
            assertThat(change.realizedPnlDelta()).isEqualByComparingTo("30");
            assertThat(change.realizedPnlTotal()).isEqualByComparingTo("109.60");
            assertThat(change.execIds()).isEmpty();
            // Not sent back to the store: it is already applied there.
            assertThat(ledger.result().executions()).isEmpty();
        }

        @Test
        void replayingTheSameSnapshotAfterApplyingItChangesNothing() {
            BrokerExecution sale = fill("s.01", 9, "SLD", "40", "12", "0.40", null, 1);
            RunLedger first = ledger(rows(open(1, 9, "ABC", null, "100", "10", null)), fills(sale));
            PositionChange reduced = first.reconcile(broker(9, "ABC", null, "60", "10", "12")).get(0);
            Set<String> applied = Set.of("s.01");

            RunLedger replay = new RunLedger(rows(applied(reduced, 1)), applied, fills(sale), NOW);
            PositionChange again = replay.reconcile(broker(9, "ABC", null, "60", "10", "12")).get(0);

            assertThat(again.kind()).isEqualTo(ChangeKind.UNCHANGED);
            assertThat(again.realizedPnlTotal()).isEqualByComparingTo("79.60");
        }

        @Test
        void anExecutionIsUsedOnceWithinARun() {
            BrokerExecution sale = fill("s.01", 9, "SLD", "100", "12", "1", null, 1);
            RunLedger ledger = ledger(rows(open(1, 9, "ABC", null, "100", "10", null)), fills(sale));

            ledger.reconcile(broker(9, "ABC", null, "0", "0", "12"));
            ledger.closeAbsent();

            assertThat(ledger.result().changes()).hasSize(1);
            assertThat(ledger.result().executions()).singleElement().satisfies(r -> assertThat(r.applied()).isTrue());
        }

        @Test
        void correctionInTheSnapshotUsesTheCorrectedPrice() {
            RunLedger ledger = ledger(rows(open(1, 9, "ABC", null, "100", "10", null)), fills(
                    fill("0001f4e8.1a2b.01", 9, "SLD", "100", "12.00", "1.00", null, 1),
                    fill("0001f4e8.1a2b.02", 9, "SLD", "100", "12.50", "1.00", null, 1)));

            PositionChange change = ledger.reconcile(broker(9, "ABC", null, "0", "0", "12.5")).get(0);

            assertThat(change.realizedPnlDelta()).isEqualByComparingTo("249.00");
            assertThat(change.exitPrice()).isEqualByComparingTo("12.50");
            assertThat(change.execIds()).containsExactly("0001f4e8.1a2b.02");
            assertThat(ledger.result().executions()).singleElement().satisfies(r -> {
                assertThat(r.execution().execId()).isEqualTo("0001f4e8.1a2b.02");
                assertThat(r.supersedesExecId()).isEqualTo("0001f4e8.1a2b.01");
                assertThat(r.applied()).isTrue();
            });
        }

        @Test
        void lateCorrectionOfAnAppliedExecutionIsRecordedNotReapplied() {
            RunLedger ledger = new RunLedger(rows(open(1, 9, "ABC", null, "50", "10", "99")),
                    Set.of("0001f4e8.1a2b.01"),
                    fills(fill("0001f4e8.1a2b.02", 9, "SLD", "50", "12.50", "0.50", null, 1)), NOW);

            PositionChange change = ledger.reconcile(broker(9, "ABC", null, "50", "10", "12")).get(0);

            assertThat(change.kind()).isEqualTo(ChangeKind.UNCHANGED);
            ReconcileResult result = ledger.result();
            assertThat(result.executions()).singleElement().satisfies(r -> {
                assertThat(r.supersedesExecId()).isEqualTo("0001f4e8.1a2b.01");
                // Stays applied so that its base is never matched again.
                assertThat(r.applied()).isTrue();
            });
            assertThat(result.warnings()).extracting(ReconcileWarning::reason)
                    .containsExactly(ReconcileWarning.Reason.LATE_CORRECTION);
        }

        @Test
        void olderRevisionOfAnAppliedExecutionIsIgnored() {
            RunLedger ledger = new RunLedger(rows(open(1, 9, "ABC", null, "50", "10", null)),
                    Set.of("0001f4e8.1a2b.02"),
                    fills(fill("0001f4e8.1a2b.01", 9, "SLD", "50", "12.00", "0.50", null, 1)), NOW);

            PositionChange change = ledger.reconcile(broker(9, "ABC", null, "0", "0", "13")).get(0);

            assertThat(change.realizedPnlSource()).isEqualTo(RealizedPnlSource.MARKET_PRICE);
            assertThat(change.execIds()).isEmpty();
            assertThat(ledger.result().executions()).isEmpty();
            assertThat(ledger.result().warnings()).extracting(ReconcileWarning::reason)
                    .containsExactly(ReconcileWarning.Reason.MARKET_PRICE_ESTIMATE);
        }
    }

    @Nested
    class Absent {
        @Test
        void closeAbsentClosesOnlyRowsTheSnapshotDidNotReport() {
            RunLedger ledger = ledger(rows(
                            open(1, ACCOUNT, 9, "SEEN", null, "10", "10", "10", null),
                            open(2, ACCOUNT, 10, "GONE", null, "10", "10", "11", null),
                            open(3, ACCOUNT, 11, "SOLD", null, "10", "10", null, null)),
                    fills(fill("sold.01", 11, "SLD", "10", "12", "0.10", "19.90", 1)));

            ledger.reconcile(broker(9, "SEEN", null, "10", "10", "10"));
            List<PositionChange> closing = ledger.closeAbsent();

            assertThat(closing).extracting(PositionChange::positionId).containsExactly(2L, 3L);
            assertThat(closing).allSatisfy(change -> {
                assertThat(change.kind()).isEqualTo(ChangeKind.CLOSED);
                assertThat(change.quantityAfter()).isEqualByComparingTo("0");
                assertThat(change.at()).isEqualTo(NOW);
            });
            // No execution: last stored market price, an estimate.
            assertThat(closing.get(0).realizedPnlDelta()).isEqualByComparingTo("10");
            assertThat(closing.get(0).realizedPnlSource()).isEqualTo(RealizedPnlSource.MARKET_PRICE);
            assertThat(closing.get(1).realizedPnlDelta()).isEqualByComparingTo("19.90");
            assertThat(closing.get(1).realizedPnlSource()).isEqualTo(RealizedPnlSource.EXECUTIONS);
            ReconcileResult result = ledger.result();
            assertThat(result.unchanged()).isEqualTo(1);
            assertThat(result.closed()).isEqualTo(2);
        }

        @Test
        void closeAbsentCanBeLimitedToTheSnapshotAccounts() {
            RunLedger ledger = ledger(rows(
                    open(1, ACCOUNT, 9, "MINE", null, "10", "10", "10", null),
                    open(2, "DU0000001", 9, "OTHER", null, "10", "10", "10", null)), SnapshotExecutions.NONE);

            List<PositionChange> closing = ledger.closeAbsent(List.of(ACCOUNT));

            assertThat(closing).extracting(PositionChange::positionId).containsExactly(1L);
        }

        @Test
        void closeAbsentRunsOnceAndEndsTheRun() {
            RunLedger ledger = ledger(rows(open(2, 10, "GONE", null, "10", "10", null)), SnapshotExecutions.NONE);

            assertThat(ledger.closeAbsent()).hasSize(1);
            assertThat(ledger.closeAbsent()).isEmpty();
            assertThatThrownBy(() -> ledger.reconcile(broker(10, "GONE", null, "10", "10", "10")))
                    .isInstanceOf(IllegalStateException.class);
            assertThat(ledger.result().closed()).isEqualTo(1);
        }

        @Test
        void aKeyReportedTwiceIsRejected() {
            RunLedger ledger = ledger(Map.of(), SnapshotExecutions.NONE);
            ledger.reconcile(broker(9, "ABC", null, "10", "10", "10"));

            assertThatThrownBy(() -> ledger.reconcile(broker(9, "ABC", null, "10", "10", "10")))
                    .isInstanceOf(IllegalStateException.class);
        }
    }

    @Nested
    class Breaks {
        private ReconcileResult closeWithBrokerFigure(String ibRealized, BigDecimal tolerance) {
            RunLedger ledger = new RunLedger(rows(open(1, 265598, "AAPL", null, "100", "150.01", null)), Set.of(),
                    fills(fill("s.01", 265598, "SLD", "100", "160.00", "1.00", ibRealized, 1)), NOW, tolerance);
            ledger.reconcile(broker(265598, "AAPL", null, "0", "0", "160"));
            return ledger.result();
        }

        @Test
        void differenceBeyondToleranceIsABreak() {
            ReconcileResult result = closeWithBrokerFigure("997.00", RunLedger.DEFAULT_BREAK_TOLERANCE);

            assertThat(result.breaks()).singleElement().satisfies(b -> {
                assertThat(b.key()).isEqualTo(new PositionKey(ACCOUNT, 265598));
                assertThat(b.symbol()).isEqualTo("AAPL");
                assertThat(b.ours()).isEqualByComparingTo("998.00");
                assertThat(b.broker()).isEqualByComparingTo("997.00");
                assertThat(b.difference()).isEqualByComparingTo("1.00");
                assertThat(b.kind()).isEqualTo(ChangeKind.CLOSED);
            });
            assertThat(result.changes().get(0).brokerRealizedPnl()).isEqualByComparingTo("997.00");
        }

        @Test
        void differenceWithinToleranceIsNoBreak() {
            assertThat(closeWithBrokerFigure("998.00", RunLedger.DEFAULT_BREAK_TOLERANCE).breaks()).isEmpty();
            assertThat(closeWithBrokerFigure("998.01", RunLedger.DEFAULT_BREAK_TOLERANCE).breaks()).isEmpty();
            assertThat(closeWithBrokerFigure("997.995", RunLedger.DEFAULT_BREAK_TOLERANCE).breaks()).isEmpty();
            assertThat(closeWithBrokerFigure("998.02", RunLedger.DEFAULT_BREAK_TOLERANCE).breaks()).hasSize(1);
        }

        @Test
        void toleranceIsConfigurable() {
            assertThat(closeWithBrokerFigure("997.00", new BigDecimal("1.00")).breaks()).isEmpty();
            assertThat(closeWithBrokerFigure("998.00", BigDecimal.ZERO).breaks()).isEmpty();
            assertThat(closeWithBrokerFigure("997.99", BigDecimal.ZERO).breaks()).hasSize(1);
        }

        @Test
        void noBrokerFigureNoCheck() {
            assertThat(closeWithBrokerFigure(null, BigDecimal.ZERO).breaks()).isEmpty();
        }
    }
}

package io.positionsync.ibkr;

import io.positionsync.sync.BrokerExecution;
import io.positionsync.sync.BrokerPosition;
import io.positionsync.sync.BrokerSnapshot;

import static io.positionsync.ibkr.IncomingMessageEncoder.Samples.commission;
import static io.positionsync.ibkr.IncomingMessageEncoder.Samples.execution;
import static io.positionsync.ibkr.IncomingMessageEncoder.Samples.portfolio;
import static io.positionsync.ibkr.IncomingMessageEncoder.Samples.position;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

class SnapshotAssemblerTest {
    private static final Instant T1 = Instant.parse("2026-11-24T14:30:05Z");
    private static final Instant T2 = Instant.parse("2026-11-24T15:00:00Z");
    private static final Instant TAKEN = Instant.parse("2026-11-24T16:00:00Z");

    private static IncomingMessage.ExecDetails fill(String execId, String side, String shares, String price, Instant time) {
        return execution(1, execId, "DU111", 265598, "AAPL", side, shares, price, time, null);
    }

    @Test
    void replayedExecutionsAreCountedOnce() {
        SnapshotAssembler assembler = new SnapshotAssembler();
        assembler.add(fill("a.01", "BOT", "100", "150", T1));
        assembler.add(fill("a.01", "BOT", "100", "150", T1));
        assembler.add(fill("b.01", "SLD", "40", "160", T2));
        assembler.add(fill("b.01", "SLD", "40", "160", T2));

        assertThat(assembler.executions()).extracting(BrokerExecution::execId).containsExactly("a.01", "b.01");
    }

    @Test
    void correctionReplacesTheEarlierReportInEitherOrder() {
        SnapshotAssembler inOrder = new SnapshotAssembler();
        inOrder.add(fill("a.01", "SLD", "100", "160", T1));
        inOrder.add(fill("a.02", "SLD", "100", "159.5", T1));

        SnapshotAssembler reversed = new SnapshotAssembler();
        reversed.add(fill("a.02", "SLD", "100", "159.5", T1));
        reversed.add(fill("a.01", "SLD", "100", "160", T1));

        for (SnapshotAssembler assembler : List.of(inOrder, reversed)) {
            assertThat(assembler.executions())
                    .extracting(BrokerExecution::execId, BrokerExecution::price)
                    .containsExactly(tuple("a.02", new BigDecimal("159.5")));
        }
    }

    @Test
    void executionsStillWithoutACommissionReportAreListedAndACorrectionNeedsItsOwn() {
        SnapshotAssembler assembler = new SnapshotAssembler();
        assembler.add(fill("a.01", "BOT", "100", "150", T1));
        assembler.add(fill("b.01", "SLD", "20", "18", T2));
        assembler.add(commission("b.01", "0.40", "40.00"));
        assertThat(assembler.execIdsWithoutCommission()).containsExactly("a.01");

        assembler.add(commission("a.01", "1.00", null));
        assertThat(assembler.execIdsWithoutCommission()).isEmpty();

        assembler.add(fill("b.02", "SLD", "20", "18.05", T2));
        assertThat(assembler.execIdsWithoutCommission()).containsExactly("b.02");
    }

    @Test
    void commissionsJoinByExecIdWhicheverArrivesFirst() {
        SnapshotAssembler assembler = new SnapshotAssembler();
        assembler.add(commission("b.01", "0.40", "40.00"));   // report before its execution
        assembler.add(fill("a.01", "BOT", "100", "150", T1));
        assembler.add(fill("b.01", "SLD", "20", "18", T2));
        assembler.add(commission("a.01", "1.00", null));       // report after, opening fill: no realized P&L

        List<BrokerExecution> executions = assembler.executions();

        assertThat(executions).extracting(BrokerExecution::execId, BrokerExecution::commission,
                        BrokerExecution::commissionCurrency, BrokerExecution::realizedPnl)
                .containsExactly(
                        tuple("a.01", new BigDecimal("1.00"), "USD", null),
                        tuple("b.01", new BigDecimal("0.40"), "USD", new BigDecimal("40.00")));
    }

    @Test
    void lateCommissionIsJoinedWhenItArrivesBeforeTheSnapshotIsBuilt() {
        SnapshotAssembler assembler = new SnapshotAssembler();
        assembler.add(fill("a.01", "BOT", "100", "150", T1));
        assertThat(assembler.executions().get(0).commission()).isNull();

        assembler.add(new IncomingMessage.ExecDetailsEnd(1));
        assembler.add(commission("a.01", "1.00", null));

        assertThat(assembler.complete(178, TAKEN, T2, List.of("DU111")).executions().get(0).commission())
                .isEqualTo(new BigDecimal("1.00"));
    }

    @Test
    void commissionOfAReplacedExecutionIsNotCarriedToItsCorrection() {
        SnapshotAssembler assembler = new SnapshotAssembler();
        assembler.add(fill("a.01", "SLD", "100", "160", T1));
        assembler.add(commission("a.01", "1.00", "998"));
        assembler.add(fill("a.02", "SLD", "100", "159.5", T1));

        assertThat(assembler.executions().get(0).commission()).isNull();

        assembler.add(commission("a.02", "1.00", "948"));
        assertThat(assembler.executions().get(0).realizedPnl()).isEqualTo(new BigDecimal("948"));
    }

    @Test
    void executionsAreListedOldestFirst() {
        SnapshotAssembler assembler = new SnapshotAssembler();
        assembler.add(fill("late.01", "SLD", "10", "160", T2));
        assembler.add(fill("early.01", "BOT", "10", "150", T1));

        assertThat(assembler.executions()).extracting(BrokerExecution::execId).containsExactly("early.01", "late.01");
    }

    @Test
    void positionsAndPortfolioKeepTheLatestPerAccountAndContract() {
        SnapshotAssembler assembler = new SnapshotAssembler();
        assembler.add(position("DU111", 265598, "AAPL", "100", "150.01"));
        assembler.add(position("DU222", 265598, "AAPL", "5", "149"));
        assembler.add(position("DU111", 265598, "AAPL", "60", "150.01"));
        assembler.add(portfolio("DU111", 265598, "AAPL", "100", "160"));
        assembler.add(portfolio("DU111", 265598, "AAPL", "60", "161"));
        assembler.add(new IncomingMessage.UpdateAccountValue("NetLiquidation", "1", "USD", "DU111"));

        BrokerSnapshot snapshot = assembler.complete(178, TAKEN, T2, List.of("DU111", "DU222"));

        assertThat(snapshot.complete()).isTrue();
        assertThat(snapshot.incompleteReason()).isNull();
        assertThat(snapshot.positions()).extracting(BrokerPosition::account, BrokerPosition::position)
                .containsExactly(tuple("DU111", new BigDecimal("60")), tuple("DU222", new BigDecimal("5")));
        assertThat(snapshot.positions().get(0)).isEqualTo(new BrokerPosition("DU111", 265598, "AAPL", "STK", "USD", "AAPL",
                null, new BigDecimal("60"), new BigDecimal("150.01")));
        assertThat(snapshot.portfolio()).singleElement().satisfies(v -> {
            assertThat(v.position()).isEqualTo(new BigDecimal("60"));
            assertThat(v.marketPrice()).isEqualTo(new BigDecimal("161"));
            assertThat(v.realizedPnl()).isNull();
        });
        assertThat(snapshot.serverVersion()).isEqualTo(178);
        assertThat(snapshot.takenAt()).isEqualTo(TAKEN);
        assertThat(snapshot.serverTime()).isEqualTo(T2);
    }

    @Test
    void incompleteSnapshotSaysWhy() {
        SnapshotAssembler assembler = new SnapshotAssembler();
        assembler.add(position("DU111", 265598, "AAPL", "100", "150.01"));

        BrokerSnapshot snapshot = assembler.incomplete(178, TAKEN, null, null, "positionEnd not received within 15000 ms");

        assertThat(snapshot.complete()).isFalse();
        assertThat(snapshot.incompleteReason()).isEqualTo("positionEnd not received within 15000 ms");
        assertThat(snapshot.accounts()).isEmpty();
    }
}

package io.positionsync.sync;

import java.math.BigDecimal;

/**
 * Our realized P&L for a reduction differs from IB's own figure for the same executions by more than the
 * tolerance. The ledger keeps our figure; the break is shown so that a person can look.
 *
 * @param ours       our realized P&L of the change
 * @param broker     sum of IB's realizedPNL of the executions that explain it
 * @param difference {@code ours - broker}
 * @param kind       the change that realized it (REDUCED or CLOSED)
 */
public record ReconciliationBreak(
        String account,
        long conId,
        String symbol,
        BigDecimal ours,
        BigDecimal broker,
        BigDecimal difference,
        ChangeKind kind) {

    public PositionKey key() {
        return new PositionKey(account, conId);
    }
}

package io.positionsync.sync;

import java.math.BigDecimal;
import java.util.Objects;

/**
 * A break a run raises for one instrument.
 *
 * @param lifecycleRef the {@link LifecycleWrite#ref()} of the lifecycle concerned, or -1
 * @param ours         the ledger's figure (quantity, average or amount, by kind)
 * @param broker       the broker's figure
 * @param note         what a person should know, in one line
 * @param subject      what it compares ({@link BreakRef#subject()}); {@code null}: the contract as a whole
 */
public record BreakEvent(BreakKind kind, int lifecycleRef, BigDecimal ours, BigDecimal broker, String note,
        String subject) {

    public BreakEvent {
        Objects.requireNonNull(kind, "kind");
    }

    /** A break about the contract as a whole. */
    public BreakEvent(BreakKind kind, int lifecycleRef, BigDecimal ours, BigDecimal broker, String note) {
        this(kind, lifecycleRef, ours, broker, note, null);
    }

    public BreakRef ref() {
        return new BreakRef(kind, subject);
    }
}

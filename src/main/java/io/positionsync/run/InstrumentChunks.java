package io.positionsync.run;

import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

import io.positionsync.sync.InstrumentFacts;

/**
 * The items of the sync route's split: a run's {@link InstrumentFacts} handed out in chunks of at most
 * {@link #SIZE}, in order. A chunk is let go of once handed out, so the facts of instruments already reconciled
 * can be collected while the split goes on (the split streams over this iterator).
 */
public final class InstrumentChunks implements Iterator<List<InstrumentFacts>> {
    /**
     * Instruments per split exchange: large enough that the per-exchange cost of the route vanishes beside the
     * reconciling, small enough that a chunk's facts and results stay a small part of the heap.
     */
    static final int SIZE = 500;

    private final InstrumentFacts[] facts;
    private final int size;
    private int next;

    InstrumentChunks(List<InstrumentFacts> facts) {
        this(facts, SIZE);
    }

    InstrumentChunks(List<InstrumentFacts> facts, int size) {
        if (size < 1) {
            throw new IllegalArgumentException("chunk size must be >= 1: " + size);
        }
        this.facts = facts.toArray(new InstrumentFacts[0]);
        this.size = size;
    }

    /** Instruments not yet handed out. */
    int remaining() {
        return facts.length - next;
    }

    @Override
    public boolean hasNext() {
        return next < facts.length;
    }

    @Override
    public List<InstrumentFacts> next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        int end = Math.min(facts.length, next + size);
        List<InstrumentFacts> chunk = Arrays.asList(Arrays.copyOfRange(facts, next, end));
        Arrays.fill(facts, next, end, null);
        next = end;
        return chunk;
    }

    @Override
    public String toString() {
        return "InstrumentChunks[" + remaining() + " instruments to hand out]";
    }
}

package io.positionsync.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.positionsync.sync.BrokerExecution;
import io.positionsync.sync.ExecutionConflicts;
import io.positionsync.sync.InstrumentFacts;
import io.positionsync.sync.PositionKey;
import io.positionsync.sync.RunInputs;
import io.positionsync.sync.SyncTrigger;

class InstrumentChunksTest {

    private static InstrumentFacts facts(long conId) {
        return new InstrumentFacts(new PositionKey("DU1", conId), null, null, null, List.of(), List.of(), null, null,
                null, false, Set.of());
    }

    @Test
    void handsOutEveryInstrumentOnceInOrderInChunksOfAtMostTheSize() {
        List<InstrumentFacts> all = new ArrayList<>();
        for (int i = 0; i < 1203; i++) {
            all.add(facts(i));
        }
        InstrumentChunks chunks = new InstrumentChunks(all);

        List<Integer> sizes = new ArrayList<>();
        List<InstrumentFacts> seen = new ArrayList<>();
        while (chunks.hasNext()) {
            List<InstrumentFacts> chunk = chunks.next();
            sizes.add(chunk.size());
            seen.addAll(chunk);
        }

        assertThat(sizes).containsExactly(InstrumentChunks.SIZE, InstrumentChunks.SIZE, 1203 - 2 * InstrumentChunks.SIZE);
        assertThat(seen).isEqualTo(all);
        assertThat(chunks.remaining()).isZero();
        assertThatThrownBy(chunks::next).isInstanceOf(NoSuchElementException.class);
    }

    @Test
    void aChunkHandedOutIsNoLongerHeldAndNothingToHandOutIsNoChunk() {
        InstrumentChunks chunks = new InstrumentChunks(List.of(facts(1), facts(2), facts(3)), 2);
        assertThat(chunks.next()).extracting(f -> f.key().conId()).containsExactly(1L, 2L);
        assertThat(chunks.remaining()).isEqualTo(1);
        assertThat(chunks.toString()).contains("1 instruments");
        assertThat(chunks.next()).extracting(f -> f.key().conId()).containsExactly(3L);
        assertThat(new InstrumentChunks(List.of()).hasNext()).isFalse();
        assertThatThrownBy(() -> new InstrumentChunks(List.of(), 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aChunkIsReconciledInOrderAndAFailureNamesTheInstrumentItConcerns() {
        Instant at = Instant.parse("2026-01-05T15:00:00Z");
        RunState.Prepared run = new RunState.Prepared(new RunState.Started(7, SyncTrigger.MANUAL, at, null), null,
                new RunInputs(7, at, new BigDecimal("0.01"), null), new InstrumentChunks(List.of()), 0, 0,
                ExecutionConflicts.NONE);
        ReconcileProcessor processor = new ReconcileProcessor();

        assertThat(processor.reconcile(new RunState.Part(run, List.of(facts(1), facts(2)))))
                .extracting(r -> r.key().conId()).containsExactly(1L, 2L);

        // a fill of no shares cannot be folded: the run fails, naming the instrument
        BrokerExecution nothing = new BrokerExecution("0001.01", "DU1", 42, "XYZ", "STK", "BOT", BigDecimal.ZERO,
                new BigDecimal("10"), Instant.parse("2026-01-05T14:00:00Z"), 1, 1, null, null, null);
        InstrumentFacts broken = new InstrumentFacts(new PositionKey("DU1", 42), null, null, null, List.of(),
                List.of(nothing), null, null, null, false, Set.of());
        assertThatThrownBy(() -> processor.reconcile(new RunState.Part(run, List.of(facts(1), broken, facts(3)))))
                .isInstanceOf(ReconcileProcessor.InstrumentFailure.class)
                .hasMessageContaining("account DU1 conId 42")
                .hasMessageContaining("non-zero quantity")
                .hasCauseInstanceOf(IllegalArgumentException.class);
    }
}

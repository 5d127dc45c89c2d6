package io.positionsync.run;

import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;

import io.positionsync.sync.AccountClaims;
import io.positionsync.sync.BrokerSnapshot;
import io.positionsync.sync.ExecutionConflicts;
import io.positionsync.sync.InstrumentFacts;
import io.positionsync.sync.RunInputs;
import io.positionsync.sync.RunResult;
import io.positionsync.sync.SyncTrigger;

/**
 * The body of the sync route ({@code routes/sync.camel.yaml}), one immutable record per step:
 * {@link Started} -> {@link Fetched} -> {@link Prepared} -> (split: {@link Part} -> its instruments' results)
 * -> {@link Reconciled} -> the run's summary. Every record knows the run it belongs to, so the route's failure
 * handler finds it in whatever body the failing step had. Nothing about a run lives in a bean field or an exchange
 * property, and no database connection travels with it.
 */
public sealed interface RunState permits RunState.Started, RunState.Fetched, RunState.Prepared, RunState.AfterPrepare {

    /** The run as it was recorded when it began. */
    Started run();

    /** The broker's time as the snapshot reported it; {@code null} before the snapshot was taken. */
    Instant brokerServerTime();

    /** The snapshot as far as the run still holds it; {@code null} before it was taken. */
    BrokerSnapshot snapshot();

    /**
     * A run recorded as RUNNING (committed at once, so a crash leaves a trace).
     *
     * @param accounts the accounts a scoped run is for, in order; empty for a run of every managed account
     * @param gateway  the gateway the run syncs
     * @param epoch    the gateway's ownership epoch the run began under; 0: not fenced (no cluster service)
     */
    record Started(long runId, SyncTrigger trigger, Instant startedAt, String idempotencyKey, List<String> accounts,
            String gateway, long epoch) implements RunState {
        /** The gateway of a service with one gateway. */
        public static final String DEFAULT_GATEWAY = "default";

        public Started {
            Objects.requireNonNull(trigger, "trigger");
            Objects.requireNonNull(startedAt, "startedAt");
            accounts = accounts == null ? List.of() : List.copyOf(accounts);
            gateway = gateway == null ? DEFAULT_GATEWAY : gateway;
        }

        /** A run of the default gateway, not fenced by an ownership epoch. */
        public Started(long runId, SyncTrigger trigger, Instant startedAt, String idempotencyKey, List<String> accounts) {
            this(runId, trigger, startedAt, idempotencyKey, accounts, DEFAULT_GATEWAY, 0);
        }

        /** Whether the run may only commit while its gateway's ownership epoch is still {@link #epoch()}. */
        public boolean fenced() {
            return epoch > 0;
        }

        /** A run of every managed account. */
        public Started(long runId, SyncTrigger trigger, Instant startedAt, String idempotencyKey) {
            this(runId, trigger, startedAt, idempotencyKey, List.of());
        }

        /** Whether the run is for some accounts only. */
        public boolean scoped() {
            return !accounts.isEmpty();
        }

        @Override
        public Started run() {
            return this;
        }

        @Override
        public Instant brokerServerTime() {
            return null;
        }

        @Override
        public BrokerSnapshot snapshot() {
            return null;
        }
    }

    /** The run and the broker's snapshot it took. */
    record Fetched(Started run, BrokerSnapshot snapshot) implements RunState {
        public Fetched {
            Objects.requireNonNull(run, "run");
            Objects.requireNonNull(snapshot, "snapshot");
        }

        @Override
        public Instant brokerServerTime() {
            return snapshot.serverTime();
        }

        /**
         * The same run holding only what persisting still reads of the snapshot (the accounts, the rates and the
         * times) and what the run's log line reports of it (the rows of unmanaged accounts left out): its messages
         * can be collected.
         */
        Fetched withoutInstruments() {
            BrokerSnapshot s = snapshot;
            return new Fetched(run, new BrokerSnapshot(s.serverVersion(), s.complete(), s.incompleteReason(), s.takenAt(),
                    s.serverTime(), s.accounts(), List.of(), List.of(), List.of(), s.exchangeRates(), s.unmanaged()));
        }
    }

    /**
     * The run with its stored state read: the instruments reconcile must see, handed to the split in chunks
     * ({@link #parts()}), and what persisting needs besides their results.
     *
     * @param snapshot      the snapshot without its instruments (see {@link Fetched#withoutInstruments()})
     * @param inputs        what every instrument of the run shares
     * @param unchanged     instruments counted as unchanged instead of handed on
     * @param readWatermark the runs committed when the stored state was read: persisting fails if another committed since
     * @param conflicts     applied fills reported again with other content, and open conflicts reported as applied
     * @param claims        the gateway's claim on the snapshot's accounts: those another gateway reports too are left
     *                      out of {@code snapshot} and of everything the run reconciles
     */
    record Prepared(Started run, BrokerSnapshot snapshot, RunInputs inputs, InstrumentChunks chunks, int unchanged,
            long readWatermark, ExecutionConflicts conflicts, AccountClaims claims) implements RunState {
        public Prepared {
            Objects.requireNonNull(run, "run");
            Objects.requireNonNull(inputs, "inputs");
            Objects.requireNonNull(chunks, "chunks");
            Objects.requireNonNull(conflicts, "conflicts");
            claims = claims == null ? AccountClaims.none(run.gateway()) : claims;
        }

        /** A run no other gateway contests an account of. */
        public Prepared(Started run, BrokerSnapshot snapshot, RunInputs inputs, InstrumentChunks chunks, int unchanged,
                long readWatermark, ExecutionConflicts conflicts) {
            this(run, snapshot, inputs, chunks, unchanged, readWatermark, conflicts, null);
        }

        @Override
        public Instant brokerServerTime() {
            return snapshot == null ? null : snapshot.serverTime();
        }

        /** The items of the split: the run's instruments a chunk at a time, each let go of once handed out. */
        public Iterator<Part> parts() {
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return chunks.hasNext();
                }

                @Override
                public Part next() {
                    return new Part(Prepared.this, chunks.next());
                }
            };
        }

        /** The run with the results of all its instruments: what persisting writes. */
        Reconciled reconciled(RunResult result) {
            return new Reconciled(this, result);
        }
    }

    /** A step after {@link Prepared}: it knows the run, its broker time and its snapshot through the prepared run. */
    sealed interface AfterPrepare extends RunState permits Part, Reconciled {
        Prepared prepared();

        @Override
        default Started run() {
            return prepared().run();
        }

        @Override
        default Instant brokerServerTime() {
            return prepared().brokerServerTime();
        }

        @Override
        default BrokerSnapshot snapshot() {
            return prepared().snapshot();
        }
    }

    /** One item of the split: a chunk of the run's instruments to reconcile, with the run they belong to. */
    record Part(Prepared prepared, List<InstrumentFacts> instruments) implements AfterPrepare {
        public Part {
            Objects.requireNonNull(prepared, "prepared");
            instruments = List.copyOf(instruments);
        }
    }

    /** The run with every instrument's result gathered (nothing written yet). */
    record Reconciled(Prepared prepared, RunResult result) implements AfterPrepare {
        public Reconciled {
            Objects.requireNonNull(prepared, "prepared");
            Objects.requireNonNull(result, "result");
        }
    }
}

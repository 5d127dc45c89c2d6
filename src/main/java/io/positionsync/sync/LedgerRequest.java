package io.positionsync.sync;

import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Set;

/**
 * The lifecycles and ledger entries a run's active keys need, as {@link RunFacts#ledgerRequest()} asks for them:
 * for each active key its open lifecycle, the lifecycles holding a share of {@code touchedExecIds} or still waiting
 * for a commission, and every lifecycle of the key from the earliest of {@code since} and those lifecycles' openings
 * on (the suffix of the key's chain a refold recomputes).
 *
 * @param active         the active keys, in the order of the instruments
 * @param openIds        the open lifecycles of the active keys
 * @param touchedExecIds applied executions this run corrects or completes (a late commission report)
 * @param since          per active key, the earliest time a new fact of the run reaches back to
 */
public record LedgerRequest(Set<PositionKey> active, Set<Long> openIds, Set<String> touchedExecIds,
        Map<PositionKey, Instant> since) {

    public LedgerRequest {
        active = Collections.unmodifiableSet(active);
        openIds = Collections.unmodifiableSet(openIds);
        touchedExecIds = Collections.unmodifiableSet(touchedExecIds);
        since = Collections.unmodifiableMap(since);
    }
}

package io.positionsync.sync;

/**
 * What a run did with fills: real executions applied, executions deferred to the next run, and estimated fills
 * booked for changes no execution explains. Many estimates and no applied fills, run after run, is the symptom
 * of a client id that does not see the bot's executions (see the Master API client ID).
 */
public record FillCounts(int applied, int deferred, int estimated) {

    public static final FillCounts NONE = new FillCounts(0, 0, 0);

    public FillCounts plus(FillCounts other) {
        return new FillCounts(applied + other.applied, deferred + other.deferred, estimated + other.estimated);
    }
}

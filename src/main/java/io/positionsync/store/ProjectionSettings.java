package io.positionsync.store;

import java.time.Duration;
import java.util.Objects;

/**
 * How runs write an adopted bot's table ({@code psync.adopt.*}).
 *
 * @param addRows         whether a run adds a row for an open position the bot has none for; when not, such a position
 *                        is a {@code BOT_ROW_MISSING} break until the bot writes its own row (then linked)
 * @param newRowGrace     how long after a position was first seen a run waits before adding its row, so a bot that
 *                        records its own fill keeps its one row (linked); a link whose row the bot deleted gets its new
 *                        row at once
 * @param syncedAtRefresh a linked row whose values did not change is still written when its last sync time is older
 *                        than this (only the time then changes); zero writes it on every run
 */
public record ProjectionSettings(boolean addRows, Duration newRowGrace, Duration syncedAtRefresh) {
    public static final String ADD_ROWS = "psync.adopt.add-rows";
    public static final String NEW_ROW_GRACE = "psync.adopt.new-row-grace-ms";
    public static final String SYNCED_AT_REFRESH = "psync.adopt.synced-at-refresh-ms";

    /** The shipped defaults: rows added after 60 s, an unchanged row's sync time refreshed every 10 minutes. */
    public static final ProjectionSettings DEFAULTS = new ProjectionSettings(true, Duration.ofSeconds(60),
            Duration.ofMinutes(10));

    public ProjectionSettings {
        Objects.requireNonNull(newRowGrace, "newRowGrace");
        Objects.requireNonNull(syncedAtRefresh, "syncedAtRefresh");
        if (newRowGrace.isNegative() || syncedAtRefresh.isNegative()) {
            throw new IllegalArgumentException("the grace and the refresh interval cannot be negative");
        }
    }
}

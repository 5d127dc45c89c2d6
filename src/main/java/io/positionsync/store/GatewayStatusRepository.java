package io.positionsync.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import javax.sql.DataSource;

/**
 * Every gateway the database knows of (an owner in {@code gateway_owners} or a run in {@code sync_runs}) with its
 * owner and its runs, as any instance sharing the database reads it. Built for a few hundred gateways over millions
 * of runs: the names come from a walk of the {@code (gateway, id)} index (one probe per gateway), and each gateway's
 * last run, last successful run of every account and failure streak are read newest first down that index; only the
 * run counts ({@link #gatewaysWithRunCounts()}) read every run once.
 */
public final class GatewayStatusRepository {
    /** The gateways of the runs, one index probe each (a loose index scan), and those with an owner. */
    private static final String NAMES = """
            WITH RECURSIVE run_gateways(gateway) AS (
                (SELECT gateway FROM sync_runs ORDER BY gateway LIMIT 1)
                UNION ALL
                SELECT (SELECT r.gateway FROM sync_runs r WHERE r.gateway > g.gateway ORDER BY r.gateway LIMIT 1)
                FROM run_gateways g WHERE g.gateway IS NOT NULL
            ), names(gateway) AS (
                SELECT gateway FROM run_gateways WHERE gateway IS NOT NULL
                UNION
                SELECT gateway FROM gateway_owners
            )
            """;

    /**
     * Per gateway: its owner row, its newest run, its newest successful run of every account, and the runs of every
     * account that did not succeed (FAILED, SKIPPED_INCOMPLETE) after that one.
     */
    private static final String SELECT = """
            SELECT n.gateway, o.owner, o.epoch, o.owned_since, o.live_since,
                   last.id, last.trigger, last.status, last.started_at, last.finished_at, last.duration_ms, last.opened,
                   last.updated, last.closed, last.unchanged, last.error, last.broker_server_time, last.idempotency_key,
                   last.accounts, last.instance,
                   ok.finished_at AS last_success_at,
                   streak.failures AS consecutive_failures
            """;

    private static final String FROM = """
            FROM names n
            LEFT JOIN gateway_owners o ON o.gateway = n.gateway
            LEFT JOIN LATERAL (
                SELECT r.* FROM sync_runs r WHERE r.gateway = n.gateway ORDER BY r.id DESC LIMIT 1
            ) last ON true
            LEFT JOIN LATERAL (
                SELECT r.id, r.finished_at FROM sync_runs r
                WHERE r.gateway = n.gateway AND r.status = 'SUCCEEDED' AND r.accounts IS NULL
                ORDER BY r.id DESC LIMIT 1
            ) ok ON true
            CROSS JOIN LATERAL (
                SELECT count(*) AS failures FROM sync_runs r
                WHERE r.gateway = n.gateway AND r.id > coalesce(ok.id, 0) AND r.accounts IS NULL
                  AND r.status IN ('FAILED', 'SKIPPED_INCOMPLETE')
            ) streak
            """;

    private static final String COUNTS = """
            LEFT JOIN (
                SELECT gateway, count(*) AS runs,
                       count(*) FILTER (WHERE status = 'SUCCEEDED') AS succeeded,
                       count(*) FILTER (WHERE status = 'FAILED') AS failed,
                       count(*) FILTER (WHERE status = 'SKIPPED_INCOMPLETE') AS skipped
                FROM sync_runs GROUP BY gateway
            ) c ON c.gateway = n.gateway
            """;

    private static final String ORDER = "ORDER BY n.gateway";

    private final DataSource dataSource;

    public GatewayStatusRepository(DataSource dataSource) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /**
     * One gateway as the database has it.
     *
     * @param owner                the instance that owns it; null: no owner recorded (also {@code epoch},
     *                             {@code ownedSince})
     * @param liveSince            since when its owner's live connection is up; null: not live
     * @param lastRun              its newest run (highest id), null before its first
     * @param lastRunInstance      the instance that ran it (null: not recorded)
     * @param lastSuccessfulSyncAt when its newest successful run of every account finished; null: none
     * @param consecutiveFailures  its runs of every account that failed or were skipped since that one (all of them
     *                             when none succeeded)
     * @param counts               its runs by outcome; null unless asked for
     */
    public record GatewayStatus(String name, String owner, Long epoch, Instant ownedSince, Instant liveSince,
            SyncRun lastRun, String lastRunInstance, Instant lastSuccessfulSyncAt, long consecutiveFailures,
            RunCounts counts) {
        public GatewayStatus {
            Objects.requireNonNull(name, "name");
        }
    }

    /** A gateway's runs by outcome ({@code runs} also counts those still RUNNING). */
    public record RunCounts(long runs, long succeeded, long failed, long skipped) {
        public static final RunCounts NONE = new RunCounts(0, 0, 0, 0);
    }

    /** Every gateway, by name, without the run counts (reads no more than a few index entries per gateway). */
    public List<GatewayStatus> gateways() throws SQLException {
        return query(false);
    }

    /** Every gateway, by name, with its run counts (these read every run once). */
    public List<GatewayStatus> gatewaysWithRunCounts() throws SQLException {
        return query(true);
    }

    /** The statement of {@link #gateways()} or, with the counts, of {@link #gatewaysWithRunCounts()}. */
    static String sql(boolean withCounts) {
        return NAMES + SELECT + (withCounts ? ", c.runs, c.succeeded, c.failed, c.skipped\n" : "")
                + FROM + (withCounts ? COUNTS : "") + ORDER;
    }

    private List<GatewayStatus> query(boolean withCounts) throws SQLException {
        List<GatewayStatus> gateways = new ArrayList<>();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(sql(withCounts));
                ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                boolean hasRun = rows.getObject("id") != null;
                RunCounts counts = null;
                if (withCounts) {
                    counts = rows.getObject("runs") == null ? RunCounts.NONE : new RunCounts(rows.getLong("runs"),
                            rows.getLong("succeeded"), rows.getLong("failed"), rows.getLong("skipped"));
                }
                gateways.add(new GatewayStatus(rows.getString("gateway"), rows.getString("owner"),
                        Jdbc.nullableLong(rows, "epoch"), Jdbc.instant(rows, "owned_since"),
                        Jdbc.instant(rows, "live_since"), hasRun ? SyncRunRepository.run(rows) : null,
                        hasRun ? rows.getString("instance") : null, Jdbc.instant(rows, "last_success_at"),
                        rows.getLong("consecutive_failures"), counts));
            }
        }
        return gateways;
    }
}

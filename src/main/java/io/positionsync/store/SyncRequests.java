package io.positionsync.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import javax.sql.DataSource;

/**
 * Manual triggers forwarded to the owner of their gateway ({@code sync_requests}): an instance that does not own the
 * gateway a trigger names inserts a request; the owner takes it (one statement: {@code taken_at} is set once, by
 * whoever sets it first), starts or joins the gateway's run and writes the run's id (or why there is none); the
 * requesting instance reads the row, then the run, until it can answer.
 *
 * <p>Each change is announced on the requests channel ({@code pg_notify}, in the change's own transaction, so it is
 * heard only once it is committed): {@code requested ID GATEWAY}, {@code answered ID}, {@code ended ID} (the
 * request's run ended). The channel only wakes the two sides early: both also read the table on their own, so a
 * notification missed, or a channel that is off (null), delays an answer and loses nothing.
 */
public final class SyncRequests {
    /** What the requests channel's name adds to the runs' channel. */
    public static final String CHANNEL_SUFFIX = "_requests";
    /** PostgreSQL keeps 63 bytes of an identifier. */
    private static final int MAX_CHANNEL = 63;

    private static final String COLUMNS = "id, gateway, accounts, idempotency_key, requested_at, requested_by, taken_by, "
            + "taken_at, run_id, error";

    private final DataSource dataSource;
    private final String channel;

    /** @param channel the requests channel ({@link #channelFor}), or null: nothing is announced */
    public SyncRequests(DataSource dataSource, String channel) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.channel = channel == null ? null : RunNotifier.checkChannel(channel);
    }

    /**
     * The requests channel of the runs' channel {@code runsChannel}: its name followed by {@value #CHANNEL_SUFFIX},
     * shortened to PostgreSQL's 63 bytes; null when the runs' channel is off (null or blank).
     */
    public static String channelFor(String runsChannel) {
        if (runsChannel == null || runsChannel.isBlank()) {
            return null;
        }
        String base = runsChannel.trim();
        base = base.length() + CHANNEL_SUFFIX.length() > MAX_CHANNEL
                ? base.substring(0, MAX_CHANNEL - CHANNEL_SUFFIX.length()) : base;
        return RunNotifier.checkChannel(base + CHANNEL_SUFFIX);
    }

    /** The channel requests are announced on, or null. */
    public String channel() {
        return channel;
    }

    /** A row of {@code sync_requests}; {@code accounts} empty: every managed account. */
    public record Request(long id, String gateway, List<String> accounts, String idempotencyKey, Instant requestedAt,
            String requestedBy, String takenBy, Instant takenAt, Long runId, String error) {
        public Request {
            accounts = accounts == null ? List.of() : List.copyOf(accounts);
        }

        /** Whether an instance took it (or the requester withdrew it). */
        public boolean taken() {
            return takenAt != null;
        }

        /** Whether the owner wrote its outcome: the run's id, or why there is none. */
        public boolean answered() {
            return runId != null || error != null;
        }
    }

    /** Who ran a run: its gateway and the instance that recorded it (null for runs before instances were named). */
    public record Origin(long runId, String gateway, String instance) {
    }

    /** A waiting request for a run of {@code gateway} ({@code accounts} empty: every account), announced. */
    public long request(String gateway, Collection<String> accounts, String idempotencyKey, String requestedBy,
            Instant requestedAt) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                long id;
                try (PreparedStatement statement = connection.prepareStatement("INSERT INTO sync_requests (gateway, "
                        + "accounts, idempotency_key, requested_at, requested_by) VALUES (?, ?, ?, ?, ?) RETURNING id")) {
                    statement.setString(1, Objects.requireNonNull(gateway, "gateway"));
                    if (accounts == null || accounts.isEmpty()) {
                        statement.setNull(2, java.sql.Types.ARRAY);
                    } else {
                        statement.setArray(2, connection.createArrayOf("text", accounts.toArray(new String[0])));
                    }
                    Jdbc.setText(statement, 3, idempotencyKey);
                    Jdbc.setInstant(statement, 4, Objects.requireNonNull(requestedAt, "requestedAt"));
                    statement.setString(5, Objects.requireNonNull(requestedBy, "requestedBy"));
                    try (ResultSet rows = statement.executeQuery()) {
                        rows.next();
                        id = rows.getLong(1);
                    }
                }
                announce(connection, "requested " + id + " " + gateway);
                connection.commit();
                return id;
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }
    }

    /** The requests of {@code gateways} nobody took yet, oldest first, at most {@code limit}. */
    public List<Request> waiting(Collection<String> gateways, int limit) throws SQLException {
        if (gateways.isEmpty()) {
            return List.of();
        }
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement("SELECT " + COLUMNS + " FROM sync_requests "
                        + "WHERE taken_at IS NULL AND gateway = ANY (?) ORDER BY id LIMIT ?")) {
            statement.setArray(1, connection.createArrayOf("text", gateways.toArray(new String[0])));
            statement.setInt(2, limit);
            return list(statement);
        }
    }

    /**
     * Takes request {@code id} for {@code instance}, if nobody took (or withdrew) it before: the row as taken, or
     * empty when another got there first.
     */
    public Optional<Request> take(long id, String instance, Instant at) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement("UPDATE sync_requests SET taken_by = ?, "
                        + "taken_at = ? WHERE id = ? AND taken_at IS NULL RETURNING " + COLUMNS)) {
            connection.setAutoCommit(true);
            statement.setString(1, Objects.requireNonNull(instance, "instance"));
            Jdbc.setInstant(statement, 2, Objects.requireNonNull(at, "at"));
            statement.setLong(3, id);
            List<Request> taken = list(statement);
            return taken.isEmpty() ? Optional.empty() : Optional.of(taken.get(0));
        }
    }

    /**
     * The requester gives up on a request nobody took: it is marked taken by {@code instance} with {@code reason} as
     * its error, so no owner starts it later. False when an owner took it first (then it stands).
     */
    public boolean withdraw(long id, String instance, Instant at, String reason) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement("UPDATE sync_requests SET taken_by = ?, "
                        + "taken_at = ?, error = ? WHERE id = ? AND taken_at IS NULL")) {
            connection.setAutoCommit(true);
            statement.setString(1, instance);
            Jdbc.setInstant(statement, 2, at);
            statement.setString(3, reason);
            statement.setLong(4, id);
            return statement.executeUpdate() == 1;
        }
    }

    /** The owner writes the outcome of a request it took: the run's id, or why there is none; announced. */
    public void answer(long id, Long runId, String error) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                try (PreparedStatement statement = connection.prepareStatement(
                        "UPDATE sync_requests SET run_id = ?, error = ? WHERE id = ?")) {
                    Jdbc.setLong(statement, 1, runId);
                    Jdbc.setText(statement, 2, error);
                    statement.setLong(3, id);
                    statement.executeUpdate();
                }
                announce(connection, "answered " + id);
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }
    }

    /** Announces that the run of request {@code id} ended (nothing is written: the run's row says how). */
    public void announceEnded(long id) throws SQLException {
        if (channel == null) {
            return;
        }
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(true);
            announce(connection, "ended " + id);
        }
    }

    /** The requests {@code ids}, in no particular order (a request not found is left out). */
    public List<Request> find(Collection<Long> ids) throws SQLException {
        if (ids.isEmpty()) {
            return List.of();
        }
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(
                        "SELECT " + COLUMNS + " FROM sync_requests WHERE id = ANY (?)")) {
            statement.setArray(1, connection.createArrayOf("bigint", ids.toArray(new Long[0])));
            return list(statement);
        }
    }

    /** The gateway and instance of run {@code runId}. */
    public Optional<Origin> origin(long runId) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(
                        "SELECT id, gateway, instance FROM sync_runs WHERE id = ?")) {
            statement.setLong(1, runId);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() ? Optional.of(new Origin(rows.getLong(1), rows.getString(2), rows.getString(3)))
                        : Optional.empty();
            }
        }
    }

    /** The runs {@code ids} that are no longer RUNNING, with who ran them. */
    public List<Ended> ended(Collection<Long> runIds) throws SQLException {
        if (runIds.isEmpty()) {
            return List.of();
        }
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement("SELECT " + SyncRunRepository.COLUMNS
                        + ", gateway, instance FROM sync_runs WHERE id = ANY (?) AND status <> 'RUNNING'")) {
            statement.setArray(1, connection.createArrayOf("bigint", runIds.toArray(new Long[0])));
            List<Ended> ended = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    ended.add(new Ended(SyncRunRepository.run(rows),
                            new Origin(rows.getLong("id"), rows.getString("gateway"), rows.getString("instance"))));
                }
            }
            return ended;
        }
    }

    /** A run that ended, and who ran it. */
    public record Ended(SyncRun run, Origin origin) {
    }

    private void announce(Connection connection, String payload) throws SQLException {
        if (channel == null) {
            return;
        }
        try (PreparedStatement statement = connection.prepareStatement("SELECT pg_notify(?, ?)")) {
            statement.setString(1, channel);
            statement.setString(2, payload);
            statement.execute();
        }
    }

    private static List<Request> list(PreparedStatement statement) throws SQLException {
        List<Request> requests = new ArrayList<>();
        try (ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                requests.add(new Request(rows.getLong("id"), rows.getString("gateway"), Jdbc.textList(rows, "accounts"),
                        rows.getString("idempotency_key"), Jdbc.instant(rows, "requested_at"),
                        rows.getString("requested_by"), rows.getString("taken_by"), Jdbc.instant(rows, "taken_at"),
                        Jdbc.nullableLong(rows, "run_id"), rows.getString("error")));
            }
        }
        return requests;
    }
}

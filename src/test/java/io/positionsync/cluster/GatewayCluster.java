package io.positionsync.cluster;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import io.positionsync.boot.Application;
import io.positionsync.ibkr.sim.Execution;
import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.ibkr.sim.Instrument;
import io.positionsync.ibkr.sim.Side;
import io.positionsync.ibkr.sim.SimulatorOptions;
import io.positionsync.ibkr.sim.SimulatorState;
import io.positionsync.store.TestDatabase;
import io.positionsync.testing.ChildJvm;
import io.positionsync.testing.ServiceUnderTest;

/**
 * Several service instances (child JVMs of the real {@code Application}) on one PostgreSQL schema, over several
 * gateways (one simulator each, with an account of its own), sharing a cluster service the test chooses. Each
 * instance writes its log to {@code target/cluster-logs/<test>-<instance>.log}.
 */
public final class GatewayCluster implements AutoCloseable {
    static final long AAPL = 265598L;
    /** The client id every instance uses on every gateway (only the owner connects). */
    static final int CLIENT_ID = 7;

    final TestDatabase db;
    final Map<String, GatewaySimulator> gateways = new LinkedHashMap<>();
    final Map<String, Instance> instances = new LinkedHashMap<>();
    private final Map<String, String> clusterEnv;
    private final String label;
    /** Exec ids of every fill the test made, by gateway. */
    final Map<String, Set<String>> fills = new LinkedHashMap<>();

    public GatewayCluster(String label, int gatewayCount, Map<String, String> clusterEnv) throws IOException {
        this.label = label;
        this.clusterEnv = clusterEnv;
        this.db = TestDatabase.create();
        for (int i = 1; i <= gatewayCount; i++) {
            String name = "g" + i;
            SimulatorState state = new SimulatorState().addAccount(account(name))
                    .addInstrument(Instrument.stock(AAPL, "AAPL", "NASDAQ")).reportClosedAsZero(true)
                    .masterClientId(CLIENT_ID); // the service's client sees every client's fills

            state.setMarketPrice(AAPL, new BigDecimal("150.00"));
            // Each gateway's exec ids of its own (IB's are unique across accounts; the simulators' start at the clock).
            state.continueExecIdsAfter(List.of(String.format("0000e0d5.%08x.01.01",
                    Instant.now().getEpochSecond() + i * 1_000_000L)));
            gateways.put(name, new GatewaySimulator(state, SimulatorOptions.defaults()).start());
            fills.put(name, new TreeSet<>());
        }
    }

    static String account(String gateway) {
        return "DU77" + gateway.toUpperCase(java.util.Locale.ROOT);
    }

    /** {@code g1=127.0.0.1:PORT:7,...}. */
    String gatewaysVariable() {
        List<String> parts = new ArrayList<>();
        gateways.forEach((name, sim) -> parts.add(name + "=" + sim.host() + ":" + sim.port() + ":" + CLIENT_ID));
        return String.join(",", parts);
    }

    /** Starts instance {@code name}: timer every second, the cluster service of this cluster. */
    public Instance start(String name) throws IOException {
        Map<String, String> env = new LinkedHashMap<>(ServiceUnderTest.processDefaults(db, null));
        env.put("PSYNC_HTTP_PORT", Integer.toString(ServiceUnderTest.freePort()));
        env.put("PSYNC_GATEWAYS", gatewaysVariable());
        env.put("PSYNC_INSTANCE", name);
        env.put("PSYNC_SYNC_PERIOD", "1s");
        env.put("PSYNC_SYNC_TIMER_ENABLED", "true");
        env.put("PSYNC_IBKR_REQUEST_TIMEOUT_MS", "5000");
        env.put("PSYNC_IBKR_COMMISSION_WAIT_MS", "200");
        env.putAll(clusterEnv);
        Path log = Path.of("target", "cluster-logs", label + "-" + name + ".log");
        Files.createDirectories(log.getParent());
        ProcessBuilder builder = new ProcessBuilder(ChildJvm.command(List.of("-Xmx256m"), Application.class.getName(),
                List.of())).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().keySet().removeIf(k -> k.startsWith("PSYNC_"));
        builder.environment().putAll(env);
        Instance instance = new Instance(name, builder.start(), log);
        instances.put(name, instance);
        return instance;
    }

    /** One fill on {@code gateway}'s account: a buy of {@code shares} AAPL; the simulator's execution. */
    public Execution trade(String gateway, int shares) {
        SimulatorState state = gateways.get(gateway).state();
        Execution execution = state.trade(account(gateway), AAPL, Side.BOT, new BigDecimal(shares),
                new BigDecimal("150.00"), new BigDecimal("1.00"));
        synchronized (fills) {
            fills.get(gateway).add(execution.execId());
        }
        return execution;
    }

    /** The gateways' names: g1, g2, ... */
    public List<String> gatewayNames() {
        return List.copyOf(gateways.keySet());
    }

    /** The database every instance uses. */
    public TestDatabase database() {
        return db;
    }

    /** The instance started as {@code name}. */
    public Instance instance(String name) {
        return instances.get(name);
    }

    /** The simulator's quantity of AAPL in {@code gateway}'s account. */
    BigDecimal brokerQuantity(String gateway) {
        return gateways.get(gateway).state().position(account(gateway), AAPL).map(p -> p.quantity())
                .orElse(BigDecimal.ZERO);
    }

    /** Every stored fill of {@code gateway}'s account, with repeats (a doubled fill shows twice). */
    List<String> storedExecIds(String gateway) throws SQLException {
        List<String> stored = new ArrayList<>(strings("SELECT exec_id FROM executions WHERE account = ?", account(gateway)));
        java.util.Collections.sort(stored); // in Java's order, as the made fills are
        return stored;
    }

    /** The open position's quantity of {@code gateway}'s account, if any. */
    Optional<BigDecimal> storedQuantity(String gateway) throws SQLException {
        try (Connection c = db.connection(); PreparedStatement s = c.prepareStatement(
                "SELECT quantity FROM positions WHERE account = ? AND con_id = ? AND status = 'OPEN'")) {
            s.setString(1, account(gateway));
            s.setLong(2, AAPL);
            try (ResultSet rows = s.executeQuery()) {
                return rows.next() ? Optional.of(rows.getBigDecimal(1)) : Optional.empty();
            }
        }
    }

    /** Whether the database holds exactly the fills made on {@code gateway}, each once, and the broker's quantity. */
    boolean booked(String gateway) throws SQLException {
        BigDecimal broker = brokerQuantity(gateway);
        return storedExecIds(gateway).equals(new ArrayList<>(fills.get(gateway)))
                && storedQuantity(gateway).map(q -> q.compareTo(broker) == 0).orElse(broker.signum() == 0);
    }

    /** What the test compares, per gateway: said when a wait fails. */
    String state() {
        StringBuilder text = new StringBuilder();
        for (String gateway : gateways.keySet()) {
            try {
                text.append(gateway).append(": owner ").append(owner(gateway).orElse("none")).append(", made ")
                        .append(fills.get(gateway)).append(", stored ").append(storedExecIds(gateway))
                        .append(", broker ").append(brokerQuantity(gateway)).append(", stored quantity ")
                        .append(storedQuantity(gateway).orElse(null)).append(", runs ")
                        .append(strings("SELECT instance || ':' || status || ':' || coalesce(error, '') FROM sync_runs "
                                + "WHERE gateway = ? ORDER BY id DESC LIMIT 3", gateway)).append('\n');
            } catch (SQLException e) {
                text.append(gateway).append(": ").append(e).append('\n');
            }
        }
        return text.toString();
    }

    /** The recorded owner of {@code gateway} ({@code gateway_owners.owner}), if any. */
    public Optional<String> owner(String gateway) throws SQLException {
        List<String> owner = strings("SELECT owner FROM gateway_owners WHERE gateway = ?", gateway);
        return owner.stream().findFirst();
    }

    Instant ownedSince(String gateway) throws SQLException {
        try (Connection c = db.connection(); PreparedStatement s = c.prepareStatement(
                "SELECT owned_since FROM gateway_owners WHERE gateway = ?")) {
            s.setString(1, gateway);
            try (ResultSet rows = s.executeQuery()) {
                rows.next();
                return rows.getObject(1, OffsetDateTime.class).toInstant();
            }
        }
    }

    /** The instances whose runs of {@code gateway} succeeded (started at or after {@code since}). */
    Set<String> succeededBy(String gateway, Instant since) throws SQLException {
        try (Connection c = db.connection(); PreparedStatement s = c.prepareStatement(
                "SELECT DISTINCT instance FROM sync_runs WHERE gateway = ? AND status = 'SUCCEEDED' AND started_at >= ?")) {
            s.setString(1, gateway);
            s.setObject(2, OffsetDateTime.ofInstant(since, java.time.ZoneOffset.UTC));
            Set<String> found = new TreeSet<>();
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    found.add(rows.getString(1));
                }
            }
            return found;
        }
    }

    /** The first successful run of {@code gateway} by {@code instance} that began at or after {@code since}. */
    public Optional<Instant> firstSuccessAfter(String gateway, String instance, Instant since) throws SQLException {
        try (Connection c = db.connection(); PreparedStatement s = c.prepareStatement(
                "SELECT min(finished_at) FROM sync_runs WHERE gateway = ? AND instance = ? AND status = 'SUCCEEDED' "
                        + "AND started_at >= ?")) {
            s.setString(1, gateway);
            s.setString(2, instance);
            s.setObject(3, OffsetDateTime.ofInstant(since, java.time.ZoneOffset.UTC));
            try (ResultSet rows = s.executeQuery()) {
                rows.next();
                OffsetDateTime at = rows.getObject(1, OffsetDateTime.class);
                return Optional.ofNullable(at).map(OffsetDateTime::toInstant);
            }
        }
    }

    /**
     * Pairs of runs of one gateway whose [started_at, finished_at] overlap (a run still RUNNING reaches to now):
     * "run 12 (i1) overlaps run 13 (i2) of g1".
     */
    List<String> overlappingRuns() throws SQLException {
        return strings("SELECT 'run ' || a.id || ' (' || a.instance || ', ' || a.status || ') overlaps run ' || b.id "
                + "|| ' (' || b.instance || ', ' || b.status || ') of ' || a.gateway FROM sync_runs a JOIN sync_runs b "
                + "ON a.gateway = b.gateway AND a.id < b.id "
                + "AND b.started_at < coalesce(a.finished_at, now()) AND a.started_at < coalesce(b.finished_at, now()) "
                + "ORDER BY a.id, b.id");
    }

    /** Rows of a query with one text column and text parameters. */
    List<String> strings(String sql, String... parameters) throws SQLException {
        try (Connection c = db.connection(); PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                s.setString(i + 1, parameters[i]);
            }
            List<String> found = new ArrayList<>();
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    found.add(rows.getString(1));
                }
            }
            return found;
        }
    }

    @Override
    public void close() {
        for (Instance instance : instances.values()) {
            instance.resume();
            instance.process.destroyForcibly();
        }
        for (Instance instance : instances.values()) {
            try {
                instance.process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        ServiceUnderTest.closeAll(gateways.values().toArray(AutoCloseable[]::new));
        db.close();
    }

    /** One service instance: a child JVM. */
    public static final class Instance {
        final String name;
        final Process process;
        final Path log;

        Instance(String name, Process process, Path log) {
            this.name = name;
            this.process = process;
            this.log = log;
        }

        public void kill9() throws InterruptedException {
            process.destroyForcibly(); // SIGKILL
            process.waitFor();
        }

        /** SIGSTOP: the process stays, frozen (its sessions open, its heartbeats stopped). */
        void pause() throws IOException, InterruptedException {
            signal("-STOP");
        }

        /** SIGCONT. */
        void resume() {
            try {
                if (process.isAlive()) {
                    signal("-CONT");
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void signal(String signal) throws IOException, InterruptedException {
            Process kill = new ProcessBuilder("kill", signal, Long.toString(process.pid())).inheritIO().start();
            if (kill.waitFor() != 0) {
                throw new IllegalStateException("kill " + signal + " " + process.pid() + " failed");
            }
        }

        public String name() {
            return name;
        }

        public String logText() throws IOException {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        }
    }
}

package io.positionsync.run;

import io.positionsync.sync.SyncRunSummary;
import io.positionsync.sync.SyncTrigger;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;

import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.ibkr.sim.Instrument;
import io.positionsync.ibkr.sim.SimulatorOptions;
import io.positionsync.ibkr.sim.SimulatorState;
import io.positionsync.store.TestDatabase;

/**
 * The service's sync pipeline as it runs in production (camel-main, the real {@code routes/sync.camel.yaml},
 * {@code config/application.properties} and its configuration classes) against a real
 * PostgreSQL schema and an in-process gateway simulator on a real socket. Each harness owns a fresh schema
 * and simulator, so tests never share state.
 */
final class SyncHarness implements AutoCloseable {
    static final String ACCOUNT = "DU5550001";
    static final String ACCOUNT_2 = "DU5550002";
    static final long AAPL = 265598L;
    static final long XYZ = 111111L;
    static final long ES = 495512563L;
    static final long OPT = 700001L;
    static final long ABC = 222222L;

    final TestDatabase db;
    final GatewaySimulator simulator;
    final Main main;
    final CamelContext context;
    final SyncTriggers triggers;

    private SyncHarness(TestDatabase db, GatewaySimulator simulator, Map<String, String> extra) throws Exception {
        this.db = db;
        this.simulator = simulator;
        Main m = new Main();
        m.setPropertyPlaceholderLocations("file:config/application.properties");
        Map<String, String> properties = new LinkedHashMap<>(db.settings());
        properties.put("psync.ibkr.host", simulator.host());
        properties.put("psync.ibkr.port", Integer.toString(simulator.port()));
        properties.put("psync.ibkr.client-id", "41");
        properties.put("psync.ibkr.request-timeout-ms", "1500");
        properties.put("psync.ibkr.connect-timeout-ms", "1500");
        properties.put("psync.ibkr.backoff-initial-ms", "10");
        properties.put("psync.ibkr.backoff-max-ms", "20");
        properties.put("psync.sync.timer-enabled", "false");
        properties.put("camel.server.enabled", "false");
        properties.put("camel.management.enabled", "false");
        properties.put("camel.main.routes-include-pattern", "file:routes/sync.camel.yaml");
        properties.putAll(extra);
        properties.forEach(m::addOverrideProperty);
        m.start();
        this.main = m;
        this.context = m.getCamelContext();
        this.triggers = context.getRegistry().lookupByNameAndType("syncTriggers", SyncTriggers.class);
    }

    /** A harness whose simulator holds two empty accounts and a few instruments, prices set. */
    static SyncHarness start() throws Exception {
        return start(Map.of());
    }

    static SyncHarness start(Map<String, String> extra) throws Exception {
        return start(db -> extra);
    }

    /** With settings that depend on the harness's database (e.g. its URL through a relay). */
    static SyncHarness start(java.util.function.Function<TestDatabase, Map<String, String>> extraFor) throws Exception {
        SimulatorState state = new SimulatorState()
                .addAccount(ACCOUNT)
                .addAccount(ACCOUNT_2)
                .addInstrument(Instrument.stock(AAPL, "AAPL", "NASDAQ"))
                .addInstrument(Instrument.stock(XYZ, "XYZ", "NYSE"))
                .addInstrument(Instrument.stock(ABC, "ABC", "NYSE"))
                .addInstrument(Instrument.future(ES, "ES", "ESZ6", "20261218", "CME", new BigDecimal("50"), new BigDecimal("0.25")))
                .reportClosedAsZero(true);
        state.setMarketPrice(AAPL, new BigDecimal("150.00"));
        state.setMarketPrice(XYZ, new BigDecimal("20.00"));
        state.setMarketPrice(ABC, new BigDecimal("9.00"));
        state.setMarketPrice(ES, new BigDecimal("5000.00"));
        GatewaySimulator simulator = new GatewaySimulator(state, SimulatorOptions.defaults()).start();
        TestDatabase db = TestDatabase.create();
        try {
            return new SyncHarness(db, simulator, extraFor.apply(db));
        } catch (Exception | Error e) {
            simulator.close();
            db.close();
            throw e;
        }
    }

    /** On a database and a broker the test prepared (another application's tables, say); the harness closes both. */
    static SyncHarness startOn(TestDatabase db, SimulatorState broker, Map<String, String> extra) throws Exception {
        GatewaySimulator simulator = new GatewaySimulator(broker, SimulatorOptions.defaults()).start();
        try {
            return new SyncHarness(db, simulator, extra);
        } catch (Exception | Error e) {
            simulator.close();
            db.close();
            throw e;
        }
    }

    SimulatorState broker() {
        return simulator.state();
    }

    /** One manual sync through the coordinator and the route, waited for. */
    SyncRunSummary sync() throws Exception {
        return triggers.request(SyncTrigger.MANUAL, null).await(Duration.ofSeconds(30))
                .orElseThrow(() -> new AssertionError("sync run did not finish within 30 s"));
    }

    /** Every row of one instrument in one account, oldest lifecycle first. */
    List<Map<String, Object>> rows(String account, long conId) throws SQLException {
        return query("SELECT * FROM positions WHERE account = ? AND con_id = ? ORDER BY id", account, conId);
    }

    Map<String, Object> openRow(String account, long conId) throws SQLException {
        List<Map<String, Object>> open = query(
                "SELECT * FROM positions WHERE account = ? AND con_id = ? AND status = 'OPEN'", account, conId);
        if (open.size() != 1) {
            throw new AssertionError("expected one open row for " + account + "/" + conId + ", found " + open.size());
        }
        return open.get(0);
    }

    /** The whole positions table as text, to prove a run changed nothing. */
    List<Map<String, Object>> allPositions() throws SQLException {
        return query("SELECT * FROM positions ORDER BY id");
    }

    long count(String sql, Object... args) throws SQLException {
        return ((Number) query(sql, args).get(0).values().iterator().next()).longValue();
    }

    List<Map<String, Object>> query(String sql, Object... args) throws SQLException {
        try (Connection c = db.connection(); PreparedStatement statement = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                statement.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = statement.executeQuery()) {
                List<Map<String, Object>> rows = new ArrayList<>();
                int columns = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int i = 1; i <= columns; i++) {
                        Object value = rs.getObject(i);
                        if (value instanceof java.sql.Timestamp ts) {
                            value = ts.toInstant();
                        } else if (value instanceof java.time.OffsetDateTime odt) {
                            value = odt.toInstant();
                        }
                        row.put(rs.getMetaData().getColumnLabel(i), value);
                    }
                    rows.add(row);
                }
                return rows;
            }
        }
    }

    void execute(String sql) throws SQLException {
        try (Connection c = db.connection(); var statement = c.createStatement()) {
            statement.execute(sql);
        }
    }

    static BigDecimal dec(String value) {
        return new BigDecimal(value);
    }

    static Instant instant(Object value) {
        return (Instant) value;
    }

    @Override
    public void close() {
        try {
            main.stop();
        } finally {
            simulator.close();
            db.close();
        }
    }
}

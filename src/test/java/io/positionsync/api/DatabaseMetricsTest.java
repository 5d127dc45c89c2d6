package io.positionsync.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.positionsync.store.BreakRepository;
import io.positionsync.store.ExecutionRepository;
import io.positionsync.store.PositionRepository;
import io.positionsync.sync.ReconciliationBreak;
import io.positionsync.store.SyncRunRepository;
import io.positionsync.store.TestDatabase;
import io.positionsync.sync.SyncTrigger;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.ServiceUnderTest;

@PositionSyncService(profile = PositionSyncService.Profile.NONE, gateway = PositionSyncService.Gateway.NONE)
class DatabaseMetricsTest {
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    private static final Duration CACHE = Duration.ofSeconds(5);

    static TestDatabase db;

    @BeforeAll
    static void database() throws SQLException {
        try (Connection connection = db.connection()) {
            insertPosition(connection, "DU111", 1, "OPEN", "-12.5", null, null);
            insertPosition(connection, "DU111", 2, "CLOSED", null, "100.25", "EXECUTIONS");
            insertPosition(connection, "DU111", 3, "CLOSED", null, "-40", "EXECUTIONS");
            insertPosition(connection, "DU222", 4, "OPEN", "7", "5", "MARKET_PRICE");
            insertPosition(connection, "DU222", 5, "OPEN", "3", null, null);
            SyncRunRepository runs = new SyncRunRepository(db.dataSource());
            long runId = runs.insertStarted(connection, SyncTrigger.TIMER, T0, null);
            new BreakRepository(db.dataSource()).record(connection, List.of(
                    breakOf(runId, 1, ReconciliationBreak.REALIZED_PNL_MISMATCH),
                    breakOf(runId, 2, ReconciliationBreak.REALIZED_PNL_MISMATCH),
                    breakOf(runId, 3, "FX_RATE_MISSING")));
        }
    }

    @Test
    void figuresOfTheDatabaseAsPrometheusSeries() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (DatabaseMetrics metrics = metrics(registry, db.dataSource(), Duration.ofSeconds(10), new TestClock(T0))) {
            String scrape = registry.scrape();

            assertThat(scrape).contains("psync_database_up 1.0",
                    "psync_breaks_open{kind=\"REALIZED_PNL_MISMATCH\"} 2.0",
                    "psync_breaks_open{kind=\"FX_RATE_MISSING\"} 1.0",
                    "psync_breaks_open{kind=\"COMMISSION_PENDING\"} 0.0",
                    "psync_realized_pnl_positions{source=\"EXECUTIONS\"} 2.0",
                    "psync_realized_pnl_positions{source=\"MARKET_PRICE\"} 1.0",
                    "psync_realized_pnl_estimated_ratio 0.3333333333333333");
            // Accounts are found by the first read; their series are in the scrape after it.
            assertThat(registry.scrape()).contains("psync_positions_open{account=\"DU111\"} 1.0",
                    "psync_positions_open{account=\"DU222\"} 2.0",
                    "psync_realized_pnl{account=\"DU111\",currency=\"USD\"} 60.25",
                    "psync_unrealized_pnl{account=\"DU111\",currency=\"USD\"} -12.5",
                    "psync_realized_pnl{account=\"DU222\",currency=\"USD\"} 5.0",
                    "psync_unrealized_pnl{account=\"DU222\",currency=\"USD\"} 10.0");
        }
    }

    @Test
    void aRefreshAfterARunFindsTheAccountsBeforeAScrapeAsks() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (DatabaseMetrics metrics = metrics(registry, db.dataSource(), Duration.ofSeconds(10), new TestClock(T0))) {
            metrics.refresh();
            assertThat(registry.scrape()).as("a scrape during the read waits for it").contains("psync_database_up 1.0",
                    "psync_breaks_open{kind=\"REALIZED_PNL_MISMATCH\"} 2.0");
            await().atMost(Duration.ofSeconds(10)).until(() -> registry.find("psync.unrealized.pnl").tag("account", "DU222")
                    .gauge() != null);

            assertThat(registry.scrape()).contains("psync_positions_open{account=\"DU111\"} 1.0",
                    "psync_positions_open{account=\"DU222\"} 2.0", "psync_database_up 1.0");
            assertThat(metrics.reads()).as("the scrape used the refreshed figures").isEqualTo(1);
        }
    }

    @Test
    void oneReadServesEveryGaugeOfAScrapeAndTheNextScrapesWithinTheWindow() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TestClock clock = new TestClock(T0);
        try (DatabaseMetrics metrics = metrics(registry, db.dataSource(), Duration.ofSeconds(10), clock)) {
            registry.scrape();
            registry.scrape();
            clock.advance(CACHE.minusMillis(1));
            registry.scrape();
            assertThat(metrics.reads()).isEqualTo(1);

            clock.advance(Duration.ofMillis(1));
            registry.scrape();
            assertThat(metrics.reads()).isEqualTo(2);
        }
    }

    @Test
    void aDatabaseThatDoesNotAnswerIsReportedDownWithoutHoldingTheScrape() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TestClock clock = new TestClock(T0);
        // A real pool whose server is gone: it waits its whole connection timeout (5 s) for a connection.
        try (HikariDataSource gone = unreachablePool(Duration.ofSeconds(5));
                DatabaseMetrics metrics = metrics(registry, gone, Duration.ofMillis(300), clock)) {
            long started = System.nanoTime();
            String scrape = registry.scrape();
            Duration took = Duration.ofNanos(System.nanoTime() - started);

            assertThat(scrape).contains("psync_database_up 0.0", "psync_breaks_open{kind=\"REALIZED_PNL_MISMATCH\"} NaN",
                    "psync_realized_pnl_estimated_ratio NaN");
            assertThat(took).as("one wait of the timeout for the whole scrape, not one per gauge")
                    .isLessThan(Duration.ofMillis(2500));
            assertThat(metrics.reads()).isEqualTo(1);
        }
    }

    @Test
    void aDatabaseThatRefusesIsReportedDown() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (HikariDataSource gone = unreachablePool(Duration.ofMillis(250));
                DatabaseMetrics metrics = metrics(registry, gone, Duration.ofSeconds(10), new TestClock(T0))) {
            assertThat(registry.scrape()).contains("psync_database_up 0.0", "psync_realized_pnl_positions{source=\"EXECUTIONS\"} NaN");
        }
    }

    private static DatabaseMetrics metrics(PrometheusMeterRegistry registry, javax.sql.DataSource dataSource, Duration timeout,
            TestClock clock) {
        PositionRepository positions = new PositionRepository(dataSource, new ExecutionRepository(dataSource, 10), 10);
        return new DatabaseMetrics(registry, positions, new BreakRepository(dataSource), CACHE, timeout, clock);
    }

    /** A pool on a loopback port nobody listens on. */
    private static HikariDataSource unreachablePool(Duration connectionTimeout) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl("jdbc:postgresql://127.0.0.1:" + ServiceUnderTest.freePort() + "/none");
        config.setConnectionTimeout(connectionTimeout.toMillis());
        config.setInitializationFailTimeout(-1);
        config.setMaximumPoolSize(1);
        return new HikariDataSource(config);
    }

    private static ReconciliationBreak breakOf(long runId, long conId, String kind) {
        return ReconciliationBreak.detected(runId, null, "DU111", conId, "S" + conId, "USD", BigDecimal.ONE, BigDecimal.TEN,
                new BigDecimal("0.01"), T0, null, kind);
    }

    private static void insertPosition(Connection connection, String account, long conId, String status, String unrealized,
            String realized, String source) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO positions (account, con_id, symbol, "
                + "sec_type, currency, quantity, average_price, unrealized_pnl, status, opened_at, closed_at, realized_pnl, "
                + "realized_pnl_source) VALUES (?, ?, ?, 'STK', 'USD', ?, 10, ?, ?, ?, ?, ?, ?)")) {
            insert.setString(1, account);
            insert.setLong(2, conId);
            insert.setString(3, "S" + conId);
            insert.setBigDecimal(4, "OPEN".equals(status) ? BigDecimal.TEN : BigDecimal.ZERO);
            insert.setBigDecimal(5, unrealized == null ? null : new BigDecimal(unrealized));
            insert.setString(6, status);
            insert.setTimestamp(7, Timestamp.from(T0));
            insert.setTimestamp(8, "OPEN".equals(status) ? null : Timestamp.from(T0.plusSeconds(60)));
            insert.setBigDecimal(9, realized == null ? null : new BigDecimal(realized));
            insert.setString(10, source);
            insert.executeUpdate();
        }
    }
}

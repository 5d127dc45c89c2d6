package io.positionsync.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicReference;

import javax.sql.DataSource;

import org.apache.camel.CamelContext;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.store.TestDatabase;
import io.positionsync.sync.SyncRunStatus;
import io.positionsync.testing.PositionSyncService.Gateway;
import io.positionsync.testing.PositionSyncService.Profile;

/**
 * What {@link PositionSyncService} hands a test: a class-wide database set before the first test and kept for the
 * next, a method's own annotation with a service, schema and simulator of its own, and the class's back after it.
 */
@PositionSyncService(profile = Profile.NONE, gateway = Gateway.NONE)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServiceUnderTestExtensionTest {
    static TestDatabase db;
    private static final AtomicReference<TestDatabase> FIRST = new AtomicReference<>();

    @Test
    @Order(1)
    void theClassWideDatabaseIsMigratedAndHandedToFieldsAndParameters(TestDatabase parameter, DataSource dataSource)
            throws Exception {
        assertThat(db).isNotNull().isSameAs(parameter);
        assertThat(dataSource).isSameAs(db.dataSource());
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM sync_runs")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getLong(1)).isZero();
        }
        FIRST.set(db);
    }

    @Test
    @Order(2)
    void theNextTestHasTheSameDatabase() {
        assertThat(db).isSameAs(FIRST.get());
    }

    @Test
    @Order(3)
    @PositionSyncService(profile = Profile.PIPELINE, gateway = Gateway.BOOK)
    void aMethodsOwnAnnotationStartsAServiceOnASchemaAndSimulatorOfItsOwn(ServiceUnderTest service, CamelContext context,
            GatewaySimulator simulator) throws Exception {
        assertThat(db).isNotSameAs(FIRST.get()).isSameAs(service.db);
        assertThat(context).isSameAs(service.context);
        assertThat(simulator).isSameAs(service.simulator).matches(GatewaySimulator::isRunning);
        assertThat(context.getRoute("sync-run")).isNotNull();
        assertThat(service.sync().status()).isEqualTo(SyncRunStatus.SUCCEEDED);
        assertThat(service.count("SELECT count(*) FROM sync_runs WHERE status = 'SUCCEEDED'")).isEqualTo(1);
    }

    @Test
    @Order(4)
    void afterItTheClassesDatabaseIsBack() {
        assertThat(db).isSameAs(FIRST.get());
    }
}

package io.positionsync.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.store.TestDatabase;

/** {@link PositionSyncService.Mode#CHILD_PROCESS}: the real main in a JVM of its own, on the test's database and simulator. */
@Tag("process")
@PositionSyncService(mode = PositionSyncService.Mode.CHILD_PROCESS, awaitFirstRun = true)
class ServiceUnderTestChildProcessTest {
    static ServiceUnderTest service;
    static TestDatabase db;
    static GatewaySimulator sim;

    @Test
    void theServiceRunsInAChildJvmAndItsStartUpRunIsOnTheTestsDatabase() throws Exception {
        assertThat(service.process().isAlive()).isTrue();
        assertThat(service.process().pid()).isNotEqualTo(ProcessHandle.current().pid());
        assertThat(service.status().get("lastSuccessfulRun").isNull()).isFalse();
        assertThat(service.db).isSameAs(db);
        assertThat(service.count("SELECT count(*) FROM sync_runs WHERE trigger = 'STARTUP' AND status = 'SUCCEEDED'"))
                .isEqualTo(1);
        assertThatThrownBy(service::context).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void closingAChildProcessKillsIt() throws Exception {
        ServiceUnderTest second = ServiceUnderTest.startProcess(db, sim, Map.of());
        Process process = second.process();
        assertThat(process.isAlive()).isTrue();
        second.close();
        assertThat(process.isAlive()).isFalse();
    }
}

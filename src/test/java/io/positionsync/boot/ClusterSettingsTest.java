package io.positionsync.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** {@code PSYNC_GATEWAYS}, {@code PSYNC_INSTANCE} and {@code PSYNC_CLUSTER*} as the service binds them. */
class ClusterSettingsTest {

    private static ClusterSettings bind(Map<String, String> environment) {
        return ClusterSettings.bind(ConfigurationValues.load(environment, Map.of()));
    }

    private static ClusterSettings bindOverrides(Map<String, String> overrides) {
        return ClusterSettings.bind(ConfigurationValues.load(Map.of(), overrides));
    }

    @Test
    void noSettingsIsOneProcessOwningTheDefaultGateway() {
        ClusterSettings settings = bind(Map.of());

        assertThat(settings.gateways()).isEmpty();
        assertThat(settings.type()).isEqualTo(ClusterSettings.Type.NONE);
        assertThat(settings.clustered()).isFalse();
        assertThat(settings.instance()).endsWith("-" + ProcessHandle.current().pid());
        assertThat(settings.fileRoot()).isEqualTo(Path.of("./data/cluster"));
        assertThat(settings.fileInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(settings.fileHeartbeatMultiplier()).isEqualTo(5);
        assertThat(settings.zookeeperSessionTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(settings.kubernetesLease()).isEqualTo(Duration.ofSeconds(15));
    }

    @Test
    void gatewaysAreReadInOrderFromTheListAndFromKeys() {
        ClusterSettings settings = ClusterSettings.bind(ConfigurationValues.load(
                Map.of("PSYNC_GATEWAYS", "paper=ib-paper:4002:17, live=10.0.0.5:4001:0", "PSYNC_CLUSTER", "ZooKeeper",
                        "PSYNC_CLUSTER_ZOOKEEPER", "zk1:2181,zk2:2181", "PSYNC_INSTANCE", "sync-1"),
                Map.of("psync.gateways.fund-b.host", "gw-b", "psync.gateways.fund-b.port", "4003",
                        "psync.gateways.fund-b.client-id", "9")));

        assertThat(settings.gateways()).extracting(Object::toString)
                .containsExactly("paper=ib-paper:4002:17", "live=10.0.0.5:4001:0", "fund-b=gw-b:4003:9");
        assertThat(settings.type()).isEqualTo(ClusterSettings.Type.ZOOKEEPER);
        assertThat(settings.zookeeper()).isEqualTo("zk1:2181,zk2:2181");
        assertThat(settings.instance()).isEqualTo("sync-1");
    }

    @Test
    void aWrongValueIsRefusedWithOneLineNamingItsVariable() {
        assertThatThrownBy(() -> bind(Map.of("PSYNC_GATEWAYS", "paper=ib-paper:4002"))).hasMessage(
                "PSYNC_GATEWAYS must be name=host:port:clientId,... got 'paper=ib-paper:4002'");
        assertThatThrownBy(() -> bind(Map.of("PSYNC_GATEWAYS", "a=h:1:1,a=h:2:1")))
                .hasMessage("PSYNC_GATEWAYS: gateway a is named twice");
        assertThatThrownBy(() -> bind(Map.of("PSYNC_GATEWAYS", "a=h:4002:1,b=H:4002:1")))
                .hasMessage("PSYNC_GATEWAYS: two gateways on H:4002 with client id 1 would take each other's connection");
        assertThatThrownBy(() -> bind(Map.of("PSYNC_GATEWAYS", "Paper_1=h:4002:1")))
                .hasMessageContaining("gateway name 'Paper_1' must be 1 to 32 of a-z, 0-9 and '-'");
        assertThatThrownBy(() -> bind(Map.of("PSYNC_GATEWAYS", "a=h:70000:1")))
                .hasMessage("PSYNC_GATEWAYS: gateway a has port 70000 (expected 1..65535)");
        assertThatThrownBy(() -> bind(Map.of("PSYNC_CLUSTER", "consul")))
                .hasMessage("PSYNC_CLUSTER must be none, file, zookeeper or kubernetes, got 'consul'");
        assertThatThrownBy(() -> bind(Map.of("PSYNC_CLUSTER", "zookeeper")))
                .hasMessage("PSYNC_CLUSTER=zookeeper needs PSYNC_CLUSTER_ZOOKEEPER (host:port,host:port)");
        assertThatThrownBy(() -> bind(Map.of("PSYNC_CLUSTER_FILE_HEARTBEAT_MULTIPLIER", "1")))
                .hasMessage("PSYNC_CLUSTER_FILE_HEARTBEAT_MULTIPLIER must be at least 2, got 1");
        assertThatThrownBy(() -> bind(Map.of("PSYNC_CLUSTER_FILE_INTERVAL_MS", "0")))
                .hasMessage("PSYNC_CLUSTER_FILE_INTERVAL_MS must be above 0 ms, got 0");
        assertThatThrownBy(() -> bind(Map.of("PSYNC_INSTANCE", "two words")))
                .hasMessage("PSYNC_INSTANCE must be 1 to 128 printable characters without spaces, got 'two words'");
        assertThatThrownBy(() -> bindOverrides(Map.of("psync.gateways.x.host", "h", "psync.gateways.x.port", "1")))
                .hasMessage("psync.gateways.x.client-id is missing: a gateway written as keys needs host, port and client-id");
    }
}

package io.positionsync.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.camel.cluster.CamelClusterView;
import org.apache.camel.component.file.cluster.FileLockClusterService;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.run.Gateways;
import io.positionsync.store.TestDatabase;
import io.positionsync.testing.PositionSyncService;
import io.positionsync.testing.PositionSyncService.Lifecycle;
import io.positionsync.testing.PositionSyncService.Profile;
import io.positionsync.testing.ServiceUnderTest;
import io.positionsync.testing.SyncBook;

/**
 * The manual trigger names its gateway ({@code ?gateway=}) and runs on the instance that owns it: two services on one
 * schema and one gateway, owned through the file cluster service (the first one started takes the gateway, the second
 * stands by); a trigger sent to the one that stands by is run by the owner and its answer names the owner. A gateway
 * nobody takes requests for is answered 503 once the wait is over; an unknown gateway, or none named among several,
 * is 400.
 */
@PositionSyncService(profile = Profile.NONE, gateway = PositionSyncService.Gateway.BOOK, lifecycle = Lifecycle.PER_METHOD)
class GatewayTriggerTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    TestDatabase db;
    GatewaySimulator sim;

    private Map<String, String> clustered(String instance, Path root) {
        Map<String, String> properties = new LinkedHashMap<>(ServiceUnderTest.defaults(db, sim));
        properties.put("psync.instance", instance);
        properties.put("psync.cluster", "file");
        properties.put("psync.cluster.file-root", root.toString());
        properties.put("psync.cluster.file-interval-ms", "100");
        return properties;
    }

    private static boolean owns(ServiceUnderTest service, String gateway) {
        return service.bean(Gateways.BEAN, Gateways.class).get(gateway).owned();
    }

    private static HttpResponse<String> trigger(ServiceUnderTest service, String query, String... headers) {
        String[] all = new String[headers.length + 2];
        all[0] = "Authorization";
        all[1] = "Bearer " + ServiceUnderTest.TOKEN;
        System.arraycopy(headers, 0, all, 2, headers.length);
        return service.post("api/sync/positions" + query, all);
    }

    @Test
    void aTriggerSentToAnInstanceThatDoesNotOwnTheGatewayRunsOnTheOwnerAndNamesIt() throws Exception {
        Path root = Files.createTempDirectory(Path.of("target"), "cluster-");
        try (ServiceUnderTest owner = ServiceUnderTest.start(db, sim, clustered("node-a", root))) {
            await().atMost(WAIT).until(() -> owns(owner, "default"));
            owner.awaitFirstSuccessfulRun();
            try (ServiceUnderTest standby = ServiceUnderTest.start(db, sim, clustered("node-b", root))) {
                assertThat(owns(standby, "default")).as("the second instance stands by").isFalse();

                HttpResponse<String> response = trigger(standby, "");

                assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
                JsonNode run = ServiceUnderTest.json(response);
                assertThat(run.get("status").asText()).isEqualTo("SUCCEEDED");
                assertThat(run.get("trigger").asText()).isEqualTo("MANUAL");
                assertThat(run.get("gateway").asText()).isEqualTo("default");
                assertThat(run.get("owner").asText()).isEqualTo("node-a");
                long runId = run.get("runId").asLong();
                Map<String, Object> row = standby.query("SELECT instance, gateway FROM sync_runs WHERE id = ?", runId)
                        .get(0);
                assertThat(row).containsEntry("instance", "node-a").containsEntry("gateway", "default");
                Map<String, Object> request = standby.query("SELECT requested_by, taken_by, run_id, error "
                        + "FROM sync_requests ORDER BY id DESC LIMIT 1").get(0);
                assertThat(request).containsEntry("requested_by", "node-b").containsEntry("taken_by", "node-a")
                        .containsEntry("run_id", runId).containsEntry("error", null);

                // The accounts and the idempotency key go with the request.
                JsonNode scoped = ServiceUnderTest.json(trigger(standby, "?accounts=" + SyncBook.ACCOUNT + "&gateway=default",
                        "Idempotency-Key", "forwarded-1"));
                assertThat(scoped.get("owner").asText()).isEqualTo("node-a");
                assertThat(scoped.get("accounts")).hasSize(1);
                assertThat(scoped.get("accounts").get(0).asText()).isEqualTo(SyncBook.ACCOUNT);
                HttpResponse<String> again = trigger(standby, "", "Idempotency-Key", "forwarded-1");
                assertThat(again.statusCode()).isEqualTo(200);
                assertThat(again.headers().firstValue(SyncApi.REPLAYED_HEADER)).contains("true");
                assertThat(ServiceUnderTest.json(again).get("runId").asLong()).isEqualTo(scoped.get("runId").asLong());
                assertThat(ServiceUnderTest.json(again).get("owner").asText()).isEqualTo("node-a");

                // The owner answers its own triggers as it always did, naming itself.
                JsonNode local = ServiceUnderTest.json(trigger(owner, ""));
                assertThat(local.get("owner").asText()).isEqualTo("node-a");
                assertThat(owner.count("SELECT count(*) FROM sync_runs WHERE instance = 'node-b'")).isZero();
            }
        }
    }

    @Test
    void withNotificationsOffTheOwnerStillFindsTheRequest() throws Exception {
        Path root = Files.createTempDirectory(Path.of("target"), "cluster-");
        Map<String, String> a = clustered("node-a", root);
        a.put("psync.notify.channel", "");
        Map<String, String> b = clustered("node-b", root);
        b.put("psync.notify.channel", "");
        try (ServiceUnderTest owner = ServiceUnderTest.start(db, sim, a)) {
            await().atMost(WAIT).until(() -> owns(owner, "default"));
            owner.awaitFirstSuccessfulRun();
            try (ServiceUnderTest standby = ServiceUnderTest.start(db, sim, b)) {
                HttpResponse<String> response = trigger(standby, "?gateway=default");

                assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
                assertThat(ServiceUnderTest.json(response).get("owner").asText()).isEqualTo("node-a");
                assertThat(standby.query("SELECT instance FROM sync_runs WHERE id = ?",
                        ServiceUnderTest.json(response).get("runId").asLong()).get(0)).containsEntry("instance", "node-a");
            }
        }
    }

    @Test
    void aRequestNobodyTakesIsAnswered503AfterTheWaitAndWithdrawn() throws Exception {
        Path root = Files.createTempDirectory(Path.of("target"), "cluster-");
        // Another instance holds the gateway's lock and never takes a request (nor runs anything).
        try (DefaultCamelContext elsewhere = new DefaultCamelContext()) {
            FileLockClusterService cluster = new FileLockClusterService();
            cluster.setId("node-gone");
            cluster.setRoot(root.toAbsolutePath().toString());
            cluster.setAcquireLockInterval(100, java.util.concurrent.TimeUnit.MILLISECONDS);
            elsewhere.addService(cluster);
            CamelClusterView view = cluster.getView("psync-gateway-default");
            elsewhere.start();
            await().atMost(WAIT).until(() -> view.getLeader().map(m -> m.isLocal()).orElse(false));
            try (java.sql.Connection c = db.connection(); java.sql.Statement statement = c.createStatement()) {
                statement.execute("INSERT INTO gateway_owners (gateway, epoch, owner, owned_since) VALUES ('default', 7, "
                        + "'node-gone', now())");
            }

            Map<String, String> properties = clustered("node-b", root);
            properties.put("psync.api.sync-wait-ms", "800");
            try (ServiceUnderTest standby = ServiceUnderTest.start(db, sim, properties)) {
                assertThat(owns(standby, "default")).isFalse();
                long before = System.nanoTime();

                HttpResponse<String> response = trigger(standby, "");

                assertThat(Duration.ofNanos(System.nanoTime() - before)).isGreaterThanOrEqualTo(Duration.ofMillis(800));
                assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
                assertThat(ServiceUnderTest.json(response).get("error").asText())
                        .contains("gateway default", "no instance took the request within 800 ms", "node-gone");
                List<Map<String, Object>> requests = standby.query("SELECT taken_by, run_id, error FROM sync_requests");
                assertThat(requests).hasSize(1);
                assertThat(requests.get(0)).containsEntry("taken_by", "node-b").containsEntry("run_id", null);
                assertThat((String) requests.get(0).get("error")).startsWith("withdrawn: ");
                assertThat(standby.count("SELECT count(*) FROM sync_runs")).isZero();
            }
        }
    }

    @Test
    void anUnknownGatewayIs400ListingTheConfiguredOnesAndTheOnlyGatewayMayBeNamed() throws Exception {
        try (ServiceUnderTest service = ServiceUnderTest.start(db, sim, ServiceUnderTest.defaults(db, sim))) {
            service.awaitFirstSuccessfulRun();
            long runs = service.count("SELECT count(*) FROM sync_runs");

            HttpResponse<String> unknown = trigger(service, "?gateway=elsewhere");

            assertThat(unknown.statusCode()).isEqualTo(400);
            assertThat(ServiceUnderTest.json(unknown).get("error").asText())
                    .isEqualTo("unknown gateway 'elsewhere'; configured gateways: default");
            assertThat(trigger(service, "?gateway=default&gateway=default").statusCode()).isEqualTo(400);
            assertThat(service.count("SELECT count(*) FROM sync_runs")).isEqualTo(runs);

            JsonNode named = ServiceUnderTest.json(trigger(service, "?gateway=default"));
            assertThat(named.get("status").asText()).isEqualTo("SUCCEEDED");
            assertThat(named.get("gateway").asText()).isEqualTo("default");
            String instance = service.bean(Gateways.BEAN, Gateways.class).instance();
            assertThat(named.get("owner").asText()).isEqualTo(instance);
        }
    }

    @Test
    void withSeveralGatewaysATriggerNamesOneAndRunsThatOne() throws Exception {
        Map<String, String> properties = ServiceUnderTest.defaults(db, sim);
        properties.put("psync.gateways", "east=" + sim.host() + ":" + sim.port() + ":31,west=" + sim.host() + ":"
                + sim.port() + ":32");
        properties.put("psync.instance", "solo");
        try (ServiceUnderTest service = ServiceUnderTest.start(db, sim, properties)) {
            await().atMost(WAIT).until(() -> service.count("SELECT count(*) FROM sync_runs WHERE status <> 'RUNNING'") >= 2);
            long runs = service.count("SELECT count(*) FROM sync_runs");

            HttpResponse<String> unnamed = trigger(service, "");
            HttpResponse<String> unknown = trigger(service, "?gateway=north");

            assertThat(unnamed.statusCode()).isEqualTo(400);
            assertThat(ServiceUnderTest.json(unnamed).get("error").asText()).isEqualTo("name a gateway: east, west");
            assertThat(unknown.statusCode()).isEqualTo(400);
            assertThat(ServiceUnderTest.json(unknown).get("error").asText())
                    .isEqualTo("unknown gateway 'north'; configured gateways: east, west");
            assertThat(service.count("SELECT count(*) FROM sync_runs")).isEqualTo(runs);

            HttpResponse<String> west = trigger(service, "?gateway=west");
            assertThat(west.statusCode()).as(west.body()).isEqualTo(200);
            JsonNode run = ServiceUnderTest.json(west);
            assertThat(run.get("gateway").asText()).isEqualTo("west");
            assertThat(run.get("owner").asText()).isEqualTo("solo");
            assertThat(service.query("SELECT gateway, instance FROM sync_runs WHERE id = ?", run.get("runId").asLong())
                    .get(0)).containsEntry("gateway", "west").containsEntry("instance", "solo");
        }
    }
}

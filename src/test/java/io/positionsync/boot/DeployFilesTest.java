package io.positionsync.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.camel.main.HttpManagementServerConfigurationProperties;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.store.TestDatabase;
import io.positionsync.testing.ServiceUnderTest;
import io.positionsync.testing.CommandProcess;

/**
 * The files in {@code deploy/} work as they say.
 *
 * <p>{@code deploy/systemd} together as the unit runs them ({@code process}): the environment file's variables are
 * all settings with valid values, and the unit's command line (its {@code --config} file included) runs a command in
 * a JVM of its own with that environment, pointed at a test database and gateway. ({@code systemd-analyze verify}
 * checks the unit itself in CI.)
 *
 * <p>{@code deploy/kubernetes} and {@code deploy/zookeeper} on paper (fast; nothing is applied to a cluster or run by
 * ZooKeeper): every {@code PSYNC_*} variable they name is a setting; the Deployment's environment, resolved from its
 * ConfigMap and the pod's fields, and the ZooKeeper instance's environment files are valid configurations; the Role
 * grants what Camel's Kubernetes cluster service calls; the probes ask for the health paths the service serves;
 * secrets come from a Secret; several replicas; the Service reaches the container's HTTP port.
 */
class DeployFilesTest {
    private static final Path SYSTEMD = Path.of("deploy", "systemd");

    /** The environment file as systemd reads it: NAME=value lines, comments and blank lines skipped. */
    static Map<String, String> environmentFile() throws Exception {
        return environmentFile(SYSTEMD.resolve("position-sync.env"));
    }

    /** An environment file as systemd reads it. */
    static Map<String, String> environmentFile(Path file) throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String text = line.trim();
            if (text.isEmpty() || text.startsWith("#")) {
                continue;
            }
            int equals = text.indexOf('=');
            assertThat(equals).as("NAME=value: " + line).isPositive();
            env.put(text.substring(0, equals), text.substring(equals + 1));
        }
        return env;
    }

    /** The unit's ExecStart, split into its words. */
    static List<String> execStart() throws Exception {
        String line = Files.readAllLines(SYSTEMD.resolve("position-sync.service"), StandardCharsets.UTF_8).stream()
                .filter(l -> l.startsWith("ExecStart=")).findFirst().orElseThrow();
        return Arrays.asList(line.substring("ExecStart=".length()).trim().split("\\s+"));
    }

    @Test
    @Tag("process")
    void theEnvironmentFileNamesOnlySettingsWithValidValues() throws Exception {
        Map<String, String> env = environmentFile();
        assertThat(env).containsKeys("PSYNC_DB_URL", "PSYNC_IBKR_HOST", "PSYNC_HTTP_PORT", "PSYNC_DATA_DIR");
        ConfigurationValues settings = ConfigurationValues.load(env, Map.of());
        assertThat(ConfigurationCheck.unknownVariables(env, settings.file())).isEmpty();
        ConfigurationCheck.validate(settings);
        ConfigurationCheck.validateEnvironment(env);
    }

    @Test
    @Tag("process")
    void theUnitsCommandLineRunsWithTheEnvironmentFile() throws Exception {
        List<String> exec = execStart();
        assertThat(exec.get(0)).isEqualTo("/usr/bin/java");
        int jar = exec.indexOf("-jar");
        assertThat(jar).isPositive();
        List<String> arguments = new ArrayList<>(exec.subList(jar + 2, exec.size()));
        int config = arguments.indexOf("--config");
        assertThat(config).as("the unit passes --config").isNotNegative();
        assertThat(arguments.get(config + 1)).isEqualTo("/etc/position-sync/position-sync.properties");
        // the shipped file where the unit expects it, and one command instead of the service
        arguments.set(config + 1, SYSTEMD.resolve("position-sync.properties").toAbsolutePath().toString());
        assertThat(arguments.get(arguments.size() - 1)).isEqualTo("run");
        arguments.set(arguments.size() - 1, "sync-once");

        try (TestDatabase db = TestDatabase.create(); GatewaySimulator sim = GatewaySimulator.startDemo()) {
            Map<String, String> env = new LinkedHashMap<>(environmentFile());
            env.put("PSYNC_DB_URL", db.jdbcUrl());
            env.put("PSYNC_DB_USER", db.user());
            env.put("PSYNC_DB_PASSWORD", db.password());
            env.put("PSYNC_IBKR_HOST", sim.host());
            env.put("PSYNC_IBKR_PORT", Integer.toString(sim.port()));
            env.put("PSYNC_DATA_DIR", Files.createTempDirectory(Path.of("target"), "deploy-").toString());
            CommandProcess.Result result = CommandProcess.run(env, arguments.toArray(String[]::new));

            assertThat(result.exitCode()).as(result.stderr()).isZero();
            assertThat(ServiceUnderTest.json(result.stdout()).get("status").asText()).isEqualTo("SUCCEEDED");
        }
    }

    // ------------------------------------------------------------------ several instances: Kubernetes, ZooKeeper

    private static final Path KUBERNETES = Path.of("deploy", "kubernetes");
    private static final Path ZOOKEEPER = Path.of("deploy", "zookeeper");
    /** A variable's name as the files write it (not a family such as PSYNC_IBKR_*). */
    private static final Pattern VARIABLE = Pattern.compile("PSYNC_[A-Z0-9_]*[A-Z0-9]");
    private static final Set<String> SECRET_VARIABLES = Set.of("PSYNC_DB_PASSWORD", "PSYNC_API_TOKEN");

    @Test
    void everyVariableTheClusterDeployFilesNameIsInTheConfiguration() throws Exception {
        Set<String> configured = variables(Files.readString(Path.of("config/application.properties")));
        Map<String, Set<String>> named = new TreeMap<>();
        for (Path dir : List.of(KUBERNETES, ZOOKEEPER)) {
            for (Path file : files(dir)) {
                for (String variable : variables(Files.readString(file))) {
                    named.computeIfAbsent(variable, v -> new TreeSet<>()).add(file.toString());
                }
            }
        }

        assertThat(named).containsKeys("PSYNC_CLUSTER", "PSYNC_INSTANCE", "PSYNC_GATEWAYS",
                "PSYNC_CLUSTER_KUBERNETES_NAMESPACE", "PSYNC_CLUSTER_ZOOKEEPER");
        Map<String, Set<String>> unknown = new TreeMap<>(named);
        unknown.keySet().removeAll(configured);
        assertThat(unknown).as("PSYNC_* variables (and the files naming them) that config/application.properties "
                + "does not have").isEmpty();
    }

    @Test
    void theRoleGrantsEveryCallOfCamelsKubernetesClusterService() throws Exception {
        // camel-kubernetes 4.18.0: NativeLeaseResourceManager gets, creates and updates (with the resourceVersion it
        // read) the Lease of each group; KubernetesLeadershipController lists the namespace's pods for the members
        Map<String, Set<String>> required = Map.of(
                "coordination.k8s.io/leases", Set.of("get", "create", "update"),
                "/pods", Set.of("list"));
        Map<String, Object> role = only("Role");
        Map<String, Set<String>> granted = new TreeMap<>();
        for (Map<String, Object> rule : maps(role.get("rules"))) {
            for (String group : strings(rule.get("apiGroups"))) {
                for (String resource : strings(rule.get("resources"))) {
                    granted.computeIfAbsent(group + "/" + resource, k -> new TreeSet<>()).addAll(strings(rule.get("verbs")));
                }
            }
        }
        required.forEach((resource, verbs) -> {
            Set<String> verbsGranted = granted.getOrDefault(resource, Set.of());
            if (!verbsGranted.contains("*")) {
                assertThat(verbsGranted).as("verbs on " + resource).containsAll(verbs);
            }
        });

        // bound to the account the pods run as
        Map<String, Object> binding = only("RoleBinding");
        assertThat(map(binding.get("roleRef"))).containsEntry("kind", "Role")
                .containsEntry("name", map(role.get("metadata")).get("name"));
        String account = (String) podSpec().get("serviceAccountName");
        assertThat(account).isEqualTo(map(only("ServiceAccount").get("metadata")).get("name"));
        assertThat(maps(binding.get("subjects"))).anySatisfy(subject -> assertThat(subject)
                .containsEntry("kind", "ServiceAccount").containsEntry("name", account));
    }

    @Test
    void theProbesAskForTheHealthPathsTheServiceServes() throws Exception {
        // Camel's management server serves its health path and /live, /ready below it (the service keeps the default)
        Properties configuration = new Properties();
        try (var reader = Files.newBufferedReader(Path.of("config/application.properties"))) {
            configuration.load(reader);
        }
        String health = configuration.getProperty("camel.management.health-path",
                new HttpManagementServerConfigurationProperties(null).getHealthPath());
        String live = health + "/live";
        String ready = health + "/ready";
        assertThat(Files.readString(Path.of("docs/api.md"))).as("docs/api.md's Health section")
                .contains("GET " + live).contains("GET " + ready);

        Map<String, Object> container = container();
        assertThat(probe(container, "livenessProbe")).as("liveness: the context, not the database").isEqualTo(live);
        assertThat(probe(container, "readinessProbe")).as("readiness: the database").isEqualTo(ready);
        assertThat(probe(container, "startupProbe")).isIn(live, ready);
        for (String kind : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
            Object port = map(map(container.get(kind)).get("httpGet")).get("port");
            assertThat(containerPort(container, port)).as(kind + " port").isEqualTo(httpPort(container));
        }
    }

    @Test
    void theSecretsComeFromASecretNeverFromALiteralValue() throws Exception {
        Map<String, Map<String, Object>> env = new TreeMap<>();
        for (Map<String, Object> variable : maps(container().get("env"))) {
            env.put((String) variable.get("name"), variable);
        }
        for (String name : SECRET_VARIABLES) {
            assertThat(env).as("the Deployment sets " + name).containsKey(name);
            assertThat(env.get(name)).as(name + " has no literal value").doesNotContainKey("value");
            assertThat(map(map(env.get(name).get("valueFrom")).get("secretKeyRef"))).as(name + " from a Secret")
                    .containsKeys("name", "key");
        }
        assertThat(container()).as("no envFrom: it could bring secrets from anywhere").doesNotContainKey("envFrom");
        for (Map<String, Object> manifest : manifests()) {
            if (!"Secret".equals(manifest.get("kind"))) {
                assertThat(map(manifest.getOrDefault("data", Map.of())).keySet()).as("a ConfigMap's keys")
                        .doesNotContainAnyElementsOf(SECRET_VARIABLES);
            }
        }
        assertThat(manifests()).as("no Secret with its values in the repository")
                .noneSatisfy(manifest -> assertThat(manifest.get("kind")).isEqualTo("Secret"));
        Map<String, String> zookeeper = environmentFile(ZOOKEEPER.resolve("cluster.env"));
        assertThat(zookeeper.keySet()).as("cluster.env holds no secret (position-sync.env does, mode 0640)")
                .doesNotContainAnyElementsOf(SECRET_VARIABLES);
    }

    @Test
    void theDeploymentRunsSeveralInstancesOfTheServiceCommandNamedAfterTheirPods() throws Exception {
        Map<String, Object> deployment = only("Deployment");
        assertThat(((Number) map(deployment.get("spec")).get("replicas")).intValue()).as("replicas").isGreaterThanOrEqualTo(2);

        List<String> command = new ArrayList<>(strings(container().get("command")));
        command.addAll(strings(container().getOrDefault("args", List.of())));
        assertThat(command.get(0)).isEqualTo("java");
        assertThat(command.get(command.indexOf("-jar") + 1)).endsWith("/position-sync.jar");
        assertThat(command.get(command.size() - 1)).as("the service command").isEqualTo("run");

        Map<String, Object> env = new TreeMap<>();
        for (Map<String, Object> variable : maps(container().get("env"))) {
            env.put((String) variable.get("name"), variable);
        }
        assertThat(map(env.get("PSYNC_CLUSTER")).get("value")).isEqualTo("kubernetes");
        assertThat(fieldRef(map(env.get("PSYNC_INSTANCE")))).isEqualTo("metadata.name");
        assertThat(fieldRef(map(env.get("PSYNC_CLUSTER_KUBERNETES_NAMESPACE")))).isEqualTo("metadata.namespace");
    }

    @Test
    void theServiceReachesTheContainersHttpPort() throws Exception {
        Map<String, Object> service = only("Service");
        Map<String, Object> spec = map(service.get("spec"));
        List<Map<String, Object>> ports = maps(spec.get("ports"));
        assertThat(ports).hasSize(1);
        Map<String, Object> container = container();
        int port = httpPort(container);
        assertThat(containerPort(container, ports.get(0).getOrDefault("targetPort", ports.get(0).get("port"))))
                .as("the Service's targetPort").isEqualTo(port);
        assertThat(map(spec.get("selector")).entrySet()).as("the Service selects the Deployment's pods")
                .isNotEmpty().isSubsetOf(map(map(podTemplate().get("metadata")).get("labels")).entrySet());
    }

    @Test
    void theDeploymentsEnvironmentIsAValidConfiguration() throws Exception {
        Map<String, String> configMap = new TreeMap<>();
        for (Map.Entry<String, Object> entry : map(only("ConfigMap").get("data")).entrySet()) {
            configMap.put(entry.getKey(), String.valueOf(entry.getValue()));
        }
        String configMapName = (String) map(only("ConfigMap").get("metadata")).get("name");
        Map<String, String> env = new LinkedHashMap<>();
        for (Map<String, Object> variable : maps(container().get("env"))) {
            String name = (String) variable.get("name");
            if (variable.containsKey("value")) {
                env.put(name, expand(String.valueOf(variable.get("value")), env));
                continue;
            }
            Map<String, Object> from = map(variable.get("valueFrom"));
            if (from.containsKey("configMapKeyRef")) {
                Map<String, Object> ref = map(from.get("configMapKeyRef"));
                assertThat(ref.get("name")).as(name + ": the ConfigMap").isEqualTo(configMapName);
                assertThat(configMap).as(name + ": a key of the ConfigMap").containsKey((String) ref.get("key"));
                env.put(name, configMap.get((String) ref.get("key")));
            } else if (from.containsKey("secretKeyRef")) {
                env.put(name, "s".repeat(40));
            } else {
                String field = fieldRef(from);
                assertThat(field).isIn("metadata.name", "metadata.namespace");
                env.put(name, field.equals("metadata.name") ? "position-sync-5d8f7b9c4-x2kqz" : "trading");
            }
        }

        ConfigurationValues settings = ConfigurationValues.load(env, Map.of());
        assertThat(ConfigurationCheck.unknownVariables(env, settings.file())).isEmpty();
        ConfigurationCheck.validate(settings);
        assertThat(settings.get("psync.cluster")).isEqualTo("kubernetes");
        assertThat(settings.get("psync.instance")).isEqualTo("position-sync-5d8f7b9c4-x2kqz");
        assertThat(settings.get("psync.http.port")).isEqualTo(Integer.toString(httpPort(container())));
        assertThat(settings.get("psync.http.allowed-hosts").split(","))
                .as("the Service's name, as a request through it says Host")
                .contains(map(only("Service").get("metadata")).get("name") + ".trading.svc.cluster.local");
    }

    @Test
    void theZooKeeperInstanceEnvironmentAfterTheHostsOneIsAValidConfiguration() throws Exception {
        // the unit reads position-sync.env, and cluster.env after it through the drop-in
        List<String> unit = Files.readAllLines(SYSTEMD.resolve("position-sync.service"), StandardCharsets.UTF_8);
        assertThat(unit).contains("EnvironmentFile=/etc/position-sync/position-sync.env");
        List<String> dropIn = Files.readAllLines(ZOOKEEPER.resolve("cluster.conf"), StandardCharsets.UTF_8);
        assertThat(dropIn).contains("[Service]", "EnvironmentFile=/etc/position-sync/cluster.env");
        Map<String, String> env = new LinkedHashMap<>(environmentFile());
        env.putAll(environmentFile(ZOOKEEPER.resolve("cluster.env")));

        ConfigurationValues settings = ConfigurationValues.load(env, Map.of());
        assertThat(ConfigurationCheck.unknownVariables(env, settings.file())).isEmpty();
        ConfigurationCheck.validate(settings);
        ConfigurationCheck.validateEnvironment(env);
        assertThat(settings.get("psync.cluster")).isEqualTo("zookeeper");
        assertThat(settings.get("psync.instance")).isNotBlank();
        assertThat(settings.get("psync.gateways")).isNotBlank();

        // the ensemble the instances name is the one zoo.cfg describes
        Properties zoo = new Properties();
        try (var reader = Files.newBufferedReader(ZOOKEEPER.resolve("zoo.cfg"))) {
            zoo.load(reader);
        }
        Set<String> ensemble = new TreeSet<>();
        for (String server : zoo.stringPropertyNames()) {
            if (server.startsWith("server.")) {
                ensemble.add(zoo.getProperty(server).split(":")[0] + ":" + zoo.getProperty("clientPort"));
            }
        }
        assertThat(ensemble).hasSize(3);
        assertThat(new TreeSet<>(Arrays.asList(settings.get("psync.cluster.zookeeper").split(",")))).isEqualTo(ensemble);
        // ZooKeeper grants a session between 2 and 20 ticks
        long tick = Long.parseLong(zoo.getProperty("tickTime"));
        assertThat(Long.parseLong(settings.get("psync.cluster.zookeeper-session-timeout-ms")))
                .isBetween(2 * tick, 20 * tick);
    }

    // ------------------------------------------------------------------------------------------------- reading

    private static List<Path> files(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> list = files.filter(Files::isRegularFile).sorted().toList();
            assertThat(list).as("files in " + dir).isNotEmpty();
            return list;
        }
    }

    private static Set<String> variables(String text) {
        Set<String> found = new TreeSet<>();
        Matcher matcher = VARIABLE.matcher(text);
        while (matcher.find()) {
            found.add(matcher.group());
        }
        return found;
    }

    /** Every document of every YAML file in deploy/kubernetes. */
    static List<Map<String, Object>> manifests() throws Exception {
        List<Map<String, Object>> manifests = new ArrayList<>();
        Load load = new Load(LoadSettings.builder().build());
        for (Path file : files(KUBERNETES)) {
            if (file.toString().endsWith(".yaml") || file.toString().endsWith(".yml")) {
                for (Object document : load.loadAllFromString(Files.readString(file))) {
                    if (document != null) {
                        manifests.add(map(document));
                    }
                }
            }
        }
        return manifests;
    }

    /** The one manifest of {@code kind}. */
    static Map<String, Object> only(String kind) throws Exception {
        List<Map<String, Object>> found = manifests().stream().filter(m -> kind.equals(m.get("kind"))).toList();
        assertThat(found).as("manifests of kind " + kind).hasSize(1);
        return found.get(0);
    }

    private static Map<String, Object> podTemplate() throws Exception {
        return map(map(only("Deployment").get("spec")).get("template"));
    }

    private static Map<String, Object> podSpec() throws Exception {
        return map(podTemplate().get("spec"));
    }

    private static Map<String, Object> container() throws Exception {
        List<Map<String, Object>> containers = maps(podSpec().get("containers"));
        assertThat(containers).hasSize(1);
        return containers.get(0);
    }

    /** The container's HTTP port, which PSYNC_HTTP_PORT must say too. */
    private static int httpPort(Map<String, Object> container) {
        List<Map<String, Object>> ports = maps(container.get("ports"));
        assertThat(ports).hasSize(1);
        int port = ((Number) ports.get(0).get("containerPort")).intValue();
        String configured = maps(container.get("env")).stream().filter(v -> "PSYNC_HTTP_PORT".equals(v.get("name")))
                .map(v -> String.valueOf(v.get("value"))).findFirst().orElse("8080");
        assertThat(Integer.parseInt(configured)).as("PSYNC_HTTP_PORT").isEqualTo(port);
        return port;
    }

    /** A port by number, or by the name of one of the container's ports. */
    private static int containerPort(Map<String, Object> container, Object port) {
        if (port instanceof Number number) {
            return number.intValue();
        }
        return maps(container.get("ports")).stream().filter(p -> String.valueOf(port).equals(p.get("name")))
                .map(p -> ((Number) p.get("containerPort")).intValue()).findFirst()
                .orElseThrow(() -> new AssertionError("no container port named " + port));
    }

    private static String probe(Map<String, Object> container, String kind) {
        assertThat(container).as("the container's " + kind).containsKey(kind);
        return (String) map(map(container.get(kind)).get("httpGet")).get("path");
    }

    private static String fieldRef(Map<String, Object> variable) {
        Map<String, Object> from = variable.containsKey("valueFrom") ? map(variable.get("valueFrom")) : variable;
        return (String) map(from.get("fieldRef")).get("fieldPath");
    }

    /** Kubernetes' $(NAME) references to variables defined before, as the kubelet expands them. */
    private static String expand(String value, Map<String, String> before) {
        Matcher reference = Pattern.compile("\\$\\(([A-Za-z0-9_]+)\\)").matcher(value);
        StringBuilder expanded = new StringBuilder();
        while (reference.find()) {
            String name = reference.group(1);
            reference.appendReplacement(expanded, Matcher.quoteReplacement(
                    before.containsKey(name) ? before.get(name) : reference.group()));
        }
        return reference.appendTail(expanded).toString();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object yaml) {
        assertThat(yaml).isInstanceOf(Map.class);
        return (Map<String, Object>) yaml;
    }

    private static List<Map<String, Object>> maps(Object yaml) {
        assertThat(yaml).isInstanceOf(List.class);
        return ((List<?>) yaml).stream().map(DeployFilesTest::map).toList();
    }

    private static List<String> strings(Object yaml) {
        assertThat(yaml).isInstanceOf(List.class);
        return ((List<?>) yaml).stream().map(String::valueOf).toList();
    }
}

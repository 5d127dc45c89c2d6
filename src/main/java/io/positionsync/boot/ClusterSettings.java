package io.positionsync.boot;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Several gateways and several instances ({@code psync.gateways}, {@code psync.instance}, {@code psync.cluster.*}).
 *
 * @param gateways  the gateways named by {@code PSYNC_GATEWAYS} (or {@code psync.gateways.NAME.*} keys); empty: the
 *                  one gateway {@code default} of {@code psync.ibkr.*} (or the built-in simulator)
 * @param instance  this instance's name
 * @param type      who owns each gateway
 */
public record ClusterSettings(List<Endpoint> gateways, String instance, Type type, Path fileRoot,
        Duration fileInterval, int fileHeartbeatMultiplier, String zookeeper, String zookeeperBasePath,
        Duration zookeeperSessionTimeout, Optional<String> kubernetesNamespace, Duration kubernetesLease,
        Duration kubernetesRenew, Duration kubernetesRetry) {

    /** The cluster service deciding each gateway's owner. */
    public enum Type {
        /** No cluster service: this process owns every gateway (a single instance). */
        NONE,
        /** A lock file per gateway under a directory (instances on one host, or a shared file system). */
        FILE,
        /** A ZooKeeper election per gateway. */
        ZOOKEEPER,
        /** A Kubernetes Lease per gateway. */
        KUBERNETES
    }

    /** One gateway: its name and where it listens. */
    public record Endpoint(String name, String host, int port, int clientId) {
        public Endpoint {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(host, "host");
        }

        @Override
        public String toString() {
            return name + "=" + host + ":" + port + ":" + clientId;
        }
    }

    /**
     * A gateway's name: lower-case letters, digits and '-', 1 to 32 long, starting with a letter or digit (it names the
     * gateway's lock file, ZooKeeper node and Kubernetes Lease, whose names allow no more).
     */
    static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,31}");
    private static final Pattern ENTRY = Pattern.compile("([^=]+)=(.+):(\\d+):(\\d+)");
    private static final Pattern KEY = Pattern.compile("psync\\.gateways\\.([^.]+)\\.(host|port|client-id)");

    public ClusterSettings {
        gateways = List.copyOf(gateways);
        Objects.requireNonNull(instance, "instance");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(kubernetesNamespace, "kubernetesNamespace");
    }

    /** Whether a cluster service decides ownership (any type but {@link Type#NONE}). */
    public boolean clustered() {
        return type != Type.NONE;
    }

    /** Binds the keys, refusing a value that does not read with one line naming its variable. */
    static ClusterSettings bind(ConfigurationValues values) {
        Type type = type(values);
        String instance = values.find("psync.instance").map(String::trim).filter(s -> !s.isEmpty())
                .orElseGet(ClusterSettings::defaultInstance);
        if (instance.length() > 128 || instance.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
            throw new IllegalStateException(values.variableOf("psync.instance") + " must be 1 to 128 printable "
                    + "characters without spaces, got '" + instance + "'");
        }
        String zookeeper = values.find("psync.cluster.zookeeper").orElse("");
        if (type == Type.ZOOKEEPER && zookeeper.isBlank()) {
            throw new IllegalStateException(values.variableOf("psync.cluster") + "=zookeeper needs "
                    + values.variableOf("psync.cluster.zookeeper") + " (host:port,host:port)");
        }
        int multiplier = values.getInt("psync.cluster.file-heartbeat-multiplier");
        if (multiplier < 2) {
            throw new IllegalStateException(values.variableOf("psync.cluster.file-heartbeat-multiplier")
                    + " must be at least 2, got " + multiplier);
        }
        return new ClusterSettings(gateways(values), instance, type,
                Path.of(values.find("psync.cluster.file-root").orElse("./data/cluster")),
                positive(values, "psync.cluster.file-interval-ms"), multiplier, zookeeper,
                values.find("psync.cluster.zookeeper-base-path").orElse("/position-sync"),
                positive(values, "psync.cluster.zookeeper-session-timeout-ms"),
                values.find("psync.cluster.kubernetes-namespace").filter(s -> !s.isBlank()),
                positive(values, "psync.cluster.kubernetes-lease-ms"), positive(values, "psync.cluster.kubernetes-renew-ms"),
                positive(values, "psync.cluster.kubernetes-retry-ms"));
    }

    private static Duration positive(ConfigurationValues values, String key) {
        Duration value = values.getMillis(key);
        if (value.isZero() || value.isNegative()) {
            throw new IllegalStateException(values.variableOf(key) + " must be above 0 ms, got " + value.toMillis());
        }
        return value;
    }

    private static Type type(ConfigurationValues values) {
        String written = values.find("psync.cluster").orElse("none").trim();
        try {
            return Type.valueOf(written.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(values.variableOf("psync.cluster") + " must be none, file, zookeeper or "
                    + "kubernetes, got '" + written + "'");
        }
    }

    /**
     * {@code PSYNC_GATEWAYS=name=host:port:clientId,...}, then {@code psync.gateways.NAME.host/.port/.client-id} keys
     * (a gateway named in both is refused). Names are unique, and so is each host:port:clientId (two gateways on
     * one client id would take each other's connection).
     */
    static List<Endpoint> gateways(ConfigurationValues values) {
        String variable = values.variableOf("psync.gateways");
        Map<String, Endpoint> named = new LinkedHashMap<>();
        String list = values.find("psync.gateways").orElse("").trim();
        if (!list.isEmpty()) {
            for (String part : list.split(",")) {
                String entry = part.trim();
                Matcher m = ENTRY.matcher(entry);
                if (!m.matches()) {
                    throw new IllegalStateException(variable + " must be name=host:port:clientId,... got '" + entry + "'");
                }
                add(named, variable, new Endpoint(m.group(1).trim(), m.group(2).trim(), parse(variable, entry, m.group(3)),
                        parse(variable, entry, m.group(4))));
            }
        }
        Map<String, Map<String, String>> keyed = new LinkedHashMap<>();
        for (String key : values.keys()) {
            Matcher m = KEY.matcher(key);
            if (m.matches()) {
                values.find(key).ifPresent(v -> keyed.computeIfAbsent(m.group(1), n -> new LinkedHashMap<>())
                        .put(m.group(2), v.trim()));
            }
        }
        for (Map.Entry<String, Map<String, String>> gateway : keyed.entrySet()) {
            String prefix = "psync.gateways." + gateway.getKey() + ".";
            Map<String, String> fields = gateway.getValue();
            for (String field : List.of("host", "port", "client-id")) {
                if (!fields.containsKey(field) || fields.get(field).isEmpty()) {
                    throw new IllegalStateException(prefix + field + " is missing: a gateway written as keys needs "
                            + "host, port and client-id");
                }
            }
            add(named, prefix + "*", new Endpoint(gateway.getKey(), fields.get("host"),
                    parse(prefix + "port", fields.get("port"), fields.get("port")),
                    parse(prefix + "client-id", fields.get("client-id"), fields.get("client-id"))));
        }
        Set<String> endpoints = new LinkedHashSet<>();
        for (Endpoint endpoint : named.values()) {
            if (endpoint.port() < 1 || endpoint.port() > 65535) {
                throw new IllegalStateException(variable + ": gateway " + endpoint.name() + " has port " + endpoint.port()
                        + " (expected 1..65535)");
            }
            if (!endpoints.add(endpoint.host().toLowerCase(Locale.ROOT) + ":" + endpoint.port() + ":" + endpoint.clientId())) {
                throw new IllegalStateException(variable + ": two gateways on " + endpoint.host() + ":" + endpoint.port()
                        + " with client id " + endpoint.clientId() + " would take each other's connection");
            }
        }
        return new ArrayList<>(named.values());
    }

    private static void add(Map<String, Endpoint> named, String source, Endpoint endpoint) {
        if (!NAME.matcher(endpoint.name()).matches()) {
            throw new IllegalStateException(source + ": gateway name '" + endpoint.name() + "' must be 1 to 32 of a-z, "
                    + "0-9 and '-', starting with a letter or digit");
        }
        if (named.putIfAbsent(endpoint.name(), endpoint) != null) {
            throw new IllegalStateException(source + ": gateway " + endpoint.name() + " is named twice");
        }
    }

    private static int parse(String source, String entry, String number) {
        try {
            return Integer.parseInt(number);
        } catch (NumberFormatException e) {
            throw new IllegalStateException(source + ": '" + entry + "' has no number where one is expected");
        }
    }

    /** HOST-PID: unique on a host, and says where to look. */
    static String defaultInstance() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException | RuntimeException e) {
                host = "host";
            }
        }
        return host.trim() + "-" + ProcessHandle.current().pid();
    }
}

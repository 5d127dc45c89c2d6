package io.positionsync.boot;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Locale;
import java.util.StringJoiner;
import java.util.regex.Pattern;

import org.apache.camel.CamelContext;
import org.apache.camel.StartupListener;
import org.apache.camel.spi.PropertiesComponent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the service tells the operator at start-up: the configuration values in use (resolved, secrets
 * masked), a refusal when the HTTP port is taken, and where it really listens once everything is up.
 */
final class StartupReport {
    private static final Logger LOG = LoggerFactory.getLogger(StartupReport.class);
    static final String MASK = "***";
    private static final Pattern URL_PASSWORD_PARAMETER = Pattern.compile("(?i)([?&;]password=)[^&;]*");
    private static final Pattern URL_USER_INFO = Pattern.compile("//([^/@:]*):[^/@]*@");

    private StartupReport() {
    }

    /** {@code key=value, ...} of every {@code psync.*} key as resolved, with passwords and tokens masked. */
    static String configuration(ConfigurationValues values) {
        StringJoiner line = new StringJoiner(", ");
        for (String key : values.keys()) {
            String value = values.find(key).orElse("");
            line.add(key + "=" + shown(key, value));
        }
        return line.toString();
    }

    /** The value as it may be logged: secrets masked, a password inside a JDBC URL too. */
    static String shown(String key, String value) {
        String name = key.toLowerCase(Locale.ROOT);
        if (name.contains("password") || name.contains("token") || name.contains("secret")) {
            return value.isEmpty() ? "" : MASK;
        }
        if (name.endsWith(".url")) {
            return maskUrl(value);
        }
        return value;
    }

    /** {@code jdbc:postgresql://u:pw@h/db?password=x&ssl=true} -> {@code jdbc:postgresql://u:***@h/db?password=***&ssl=true}. */
    static String maskUrl(String url) {
        String masked = URL_PASSWORD_PARAMETER.matcher(url).replaceAll("$1" + MASK);
        return URL_USER_INFO.matcher(masked).replaceAll("//$1:" + MASK + "@");
    }

    /**
     * Refuses to start when the API's port is taken: without it there would be no API, dashboard, health or
     * metrics, and the server would only log the failure and run on. Checked before the database starts.
     */
    static void refuseTakenHttpPort(CamelContext context, ConfigurationValues values) {
        PropertiesComponent properties = context.getPropertiesComponent();
        if (!properties.resolveProperty("camel.server.enabled").map(Boolean::parseBoolean).orElse(false)) {
            return;
        }
        String host = properties.resolveProperty("camel.server.host").orElse("0.0.0.0");
        int port = properties.resolveProperty("camel.server.port").map(Integer::parseInt).orElse(8080);
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(InetAddress.getByName(host), port), 1);
        } catch (BindException e) {
            throw new IllegalStateException("HTTP port " + port + " on " + host + " is already in use ("
                    + values.variableOf("psync.http.port") + "): stop the process that listens there or choose another port");
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen on " + host + ":" + port + " ("
                    + values.variableOf("psync.http.host") + ", " + values.variableOf("psync.http.port") + "): "
                    + e.getMessage());
        }
    }

    /** " (127.0.0.1)" for a host name such as {@code localhost}: the address the server really bound. */
    private static String resolved(String host) {
        try {
            String address = InetAddress.getByName(host).getHostAddress();
            return address.equals(host) ? "" : " (" + address + ")";
        } catch (IOException e) {
            return "";
        }
    }

    /** Once the context is up (and the HTTP server bound), logs where the API, dashboard, health and metrics are. */
    static void logListenAddressWhenStarted(CamelContext context) throws Exception {
        PropertiesComponent properties = context.getPropertiesComponent();
        if (!properties.resolveProperty("camel.server.enabled").map(Boolean::parseBoolean).orElse(false)) {
            return;
        }
        String host = properties.resolveProperty("camel.server.host").orElse("0.0.0.0");
        String port = properties.resolveProperty("camel.server.port").orElse("8080");
        context.addStartupListener(new StartupListener() {
            @Override
            public void onCamelContextStarted(CamelContext started, boolean alreadyStarted) {
                // only once fully started: the server binds while the routes start
            }

            @Override
            public void onCamelContextFullyStarted(CamelContext started, boolean alreadyStarted) {
                boolean everywhere = host.equals("0.0.0.0") || host.equals("::") || host.isBlank();
                String shownHost = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
                LOG.info("listening on {}:{}{}: dashboard http://{}:{}/, API /api/..., health /observe/health, metrics "
                        + "/observe/metrics", host, port, everywhere ? " (every interface)" : resolved(host),
                        everywhere ? "127.0.0.1" : shownHost, port);
            }
        });
    }
}

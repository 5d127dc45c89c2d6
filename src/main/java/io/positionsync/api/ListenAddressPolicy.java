package io.positionsync.api;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

import org.apache.camel.CamelContext;
import org.apache.camel.spi.PropertiesComponent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server may listen beyond loopback only with an API token set: otherwise anyone on the network
 * could read the positions, and the manual trigger would have no protection at all.
 */
public final class ListenAddressPolicy {
    private static final Logger LOG = LoggerFactory.getLogger(ListenAddressPolicy.class);

    private ListenAddressPolicy() {
    }

    /**
     * Checks the API server ({@code camel.server.*}) and the management server ({@code camel.management.*})
     * when they are enabled.
     *
     * @throws IllegalStateException saying what to change, if a server would listen beyond loopback without a token
     */
    public static void check(CamelContext context, boolean tokenConfigured) {
        PropertiesComponent properties = context.getPropertiesComponent();
        boolean apiEnabled = false;
        for (String server : new String[] {"camel.server", "camel.management"}) {
            if (properties.resolveProperty(server + ".enabled").map(Boolean::parseBoolean).orElse(false)) {
                apiEnabled |= server.equals("camel.server");
                check(properties.resolveProperty(server + ".host"), tokenConfigured);
            }
        }
        if (apiEnabled && !tokenConfigured) {
            LOG.warn("PSYNC_API_TOKEN is not set: POST /api/sync/positions answers 401 to every request");
        }
    }

    private static void check(Optional<String> host, boolean tokenConfigured) {
        // Camel's servers listen on every interface when no host is given.
        check(host.orElse("0.0.0.0"), tokenConfigured);
    }

    /** @throws IllegalStateException saying what to change, if the combination is refused */
    public static void check(String host, boolean tokenConfigured) {
        if (tokenConfigured || isLoopback(host)) {
            return;
        }
        throw new IllegalStateException("refusing to start: the HTTP API would listen on " + host
                + ", which is not a loopback address, and no API token is set. Set PSYNC_API_TOKEN, or listen on "
                + "loopback only (PSYNC_HTTP_HOST=127.0.0.1).");
    }

    /** The shortest API token accepted when the server listens beyond loopback. */
    public static final int MIN_TOKEN_LENGTH = 32;

    /**
     * As {@link #check(CamelContext, boolean)}, and beyond loopback the token must also be at least
     * {@value #MIN_TOKEN_LENGTH} characters long.
     */
    public static void check(CamelContext context, String token) {
        String trimmed = token == null ? "" : token.trim();
        check(context, !trimmed.isEmpty());
        PropertiesComponent properties = context.getPropertiesComponent();
        for (String server : new String[] {"camel.server", "camel.management"}) {
            if (properties.resolveProperty(server + ".enabled").map(Boolean::parseBoolean).orElse(false)) {
                checkTokenLength(properties.resolveProperty(server + ".host").orElse("0.0.0.0"), trimmed);
            }
        }
    }

    /** @throws IllegalStateException if the server would listen beyond loopback with a short token */
    public static void checkTokenLength(String host, String token) {
        if (isLoopback(host) || token == null || token.isBlank() || token.trim().length() >= MIN_TOKEN_LENGTH) {
            return;
        }
        throw new IllegalStateException("refusing to start: the HTTP API would listen on " + host + ", which is not a "
                + "loopback address, and PSYNC_API_TOKEN is " + token.trim().length() + " characters long; off loopback it "
                + "must be at least " + MIN_TOKEN_LENGTH + " (e.g. openssl rand -hex 32)");
    }

    /** Whether {@code host} is a loopback address (an empty host binds every interface: not loopback). */
    public static boolean isLoopback(String host) {
        if (host == null || host.isBlank()) {
            return false; // an empty host binds every interface
        }
        String name = host.trim();
        if (name.startsWith("[") && name.endsWith("]")) {
            name = name.substring(1, name.length() - 1);
        }
        if (name.equalsIgnoreCase("localhost")) {
            return true;
        }
        try {
            return InetAddress.getByName(name).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}

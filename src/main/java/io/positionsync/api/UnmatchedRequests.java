package io.positionsync.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.apache.camel.Route;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;

/**
 * The catch-all route's answer: 405 (with {@code Allow}) for a known path asked with another method, 404 for
 * any other path. Known paths are read from the HTTP routes themselves, so they never drift from them.
 */
public final class UnmatchedRequests {
    private record Known(Pattern path, Set<String> methods) {
    }

    private static final Pattern PATH_PARAMETER = Pattern.compile("\\{[^/}]+}");

    private final CamelContext context;
    private volatile List<Known> endpoints;

    public UnmatchedRequests(CamelContext context) {
        this.context = Objects.requireNonNull(context, "context");
    }

    public void reject(@Header(Exchange.HTTP_METHOD) String method, @Header(Exchange.HTTP_PATH) String path) {
        Set<String> allowed = new TreeSet<>();
        for (Known endpoint : endpoints()) {
            if (endpoint.path().matcher(path == null ? "" : path).matches()) {
                allowed.addAll(endpoint.methods());
            }
        }
        if (allowed.isEmpty()) {
            throw ApiException.notFound("no such endpoint: " + path);
        }
        throw ApiException.methodNotAllowed(method, path, allowed);
    }

    private List<Known> endpoints() {
        List<Known> known = endpoints;
        if (known == null) {
            known = new ArrayList<>();
            for (Route route : context.getRoutes()) {
                // a rest verb's route starts at rest:..., whose consumer is the platform-http one
                Endpoint from = route.getConsumer() == null ? route.getEndpoint() : route.getConsumer().getEndpoint();
                if (from instanceof PlatformHttpEndpoint http && !http.isMatchOnUriPrefix()
                        && http.getHttpMethodRestrict() != null) {
                    known.add(new Known(template(http.getPath()), Set.of(http.getHttpMethodRestrict().split(","))));
                }
            }
            endpoints = List.copyOf(known);
        }
        return known;
    }

    /** {@code /api/positions/{id}/history} matches {@code /api/positions/<one segment>/history}. */
    static Pattern template(String path) {
        StringBuilder regex = new StringBuilder();
        var m = PATH_PARAMETER.matcher(path);
        int last = 0;
        while (m.find()) {
            regex.append(Pattern.quote(path.substring(last, m.start()))).append("[^/]+");
            last = m.end();
        }
        regex.append(Pattern.quote(path.substring(last)));
        return Pattern.compile(regex + "/?");
    }
}

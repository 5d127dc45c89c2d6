package io.positionsync.api;

import java.util.Collection;
import java.util.Map;
import java.util.TreeSet;

/**
 * A request the API refuses, with the HTTP status, a message safe to show the caller, and any response
 * headers the refusal needs (such as {@code Allow} on a 405).
 */
public class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final transient Map<String, String> headers;

    public ApiException(int status, String message) {
        this(status, message, Map.of());
    }

    public ApiException(int status, String message, Map<String, String> headers) {
        super(message);
        this.status = status;
        this.headers = Map.copyOf(headers);
    }

    public int status() {
        return status;
    }

    /** Response headers that go with the refusal. */
    public Map<String, String> headers() {
        return headers;
    }

    public static ApiException badRequest(String message) {
        return new ApiException(400, message);
    }

    public static ApiException unauthorized() {
        return new ApiException(401, "missing or invalid token", Map.of("WWW-Authenticate", "Bearer"));
    }

    public static ApiException notFound(String message) {
        return new ApiException(404, message);
    }

    public static ApiException methodNotAllowed(String method, String path, Collection<String> allowed) {
        String allow = String.join(", ", new TreeSet<>(allowed));
        return new ApiException(405, "method " + method + " is not allowed on " + path + " (allowed: " + allow + ")",
                Map.of("Allow", allow));
    }
}

package io.positionsync.api;

import java.util.Map;

/**
 * What a handler answers: the HTTP status, the body (serialized as JSON unless it is already bytes with a
 * {@code contentType}) and extra response headers.
 */
public record ApiResponse(int status, Object body, String contentType, Map<String, String> headers) {

    public ApiResponse {
        headers = Map.copyOf(headers);
    }

    public static ApiResponse ok(Object body) {
        return new ApiResponse(200, body, null, Map.of());
    }

    public static ApiResponse accepted(Object body) {
        return new ApiResponse(202, body, null, Map.of());
    }

    public ApiResponse withHeader(String name, String value) {
        Map<String, String> more = new java.util.LinkedHashMap<>(headers);
        more.put(name, value);
        return new ApiResponse(status, body, contentType, more);
    }
}

package io.positionsync.api;

/** A request the API refuses, with the HTTP status and a message safe to show the caller. */
public class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;

    public ApiException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }

    public static ApiException badRequest(String message) {
        return new ApiException(400, message);
    }

    public static ApiException unauthorized() {
        return new ApiException(401, "missing or invalid token");
    }

    public static ApiException notFound(String message) {
        return new ApiException(404, message);
    }
}

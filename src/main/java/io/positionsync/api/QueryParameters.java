package io.positionsync.api;

import java.util.Locale;
import java.util.Set;

/** Validation of query parameters: a bad value is a 400 that names the parameter. */
public final class QueryParameters {
    private QueryParameters() {
    }

    /** An optional int within [min, max]; {@code defaultValue} when absent or empty. */
    public static int intParam(String name, Object raw, int defaultValue, int min, int max) {
        if (raw == null || raw.toString().isBlank()) {
            return defaultValue;
        }
        String text = raw.toString().trim();
        try {
            int value = Integer.parseInt(text);
            if (value < min || value > max) {
                throw ApiException.badRequest("parameter '" + name + "' must be between " + min + " and " + max);
            }
            return value;
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("parameter '" + name + "' must be an integer");
        }
    }

    /** An optional int, null when absent. */
    public static Integer optionalInt(String name, Object raw, int min, int max) {
        if (raw == null || raw.toString().isBlank()) {
            return null;
        }
        return intParam(name, raw, 0, min, max);
    }

    /** One of the allowed values (case-insensitive), {@code defaultValue} when absent. */
    public static String oneOf(String name, Object raw, String defaultValue, Set<String> allowed) {
        if (raw == null || raw.toString().isBlank()) {
            return defaultValue;
        }
        String value = raw.toString().trim().toLowerCase(Locale.ROOT);
        if (!allowed.contains(value)) {
            throw ApiException.badRequest("parameter '" + name + "' must be one of " + String.join(", ", allowed.stream().sorted().toList()));
        }
        return value;
    }

    /** An optional free-text filter with a length cap and a conservative character set. */
    public static String optionalCode(String name, Object raw, int maxLength) {
        if (raw == null || raw.toString().isBlank()) {
            return null;
        }
        String value = raw.toString().trim();
        if (value.length() > maxLength || !value.matches("[A-Za-z0-9._-]+")) {
            throw ApiException.badRequest("parameter '" + name + "' is not a valid value");
        }
        return value;
    }
}

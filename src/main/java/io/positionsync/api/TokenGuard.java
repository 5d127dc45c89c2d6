package io.positionsync.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Checks {@code Authorization: Bearer <token>} against the configured API token. The comparison takes
 * the same time whatever the prefix match (both sides are hashed first, then compared with
 * {@link MessageDigest#isEqual}), so the token cannot be guessed byte by byte from timings.
 * With no token configured, every state-changing request is refused.
 */
public final class TokenGuard {
    private static final String BEARER = "Bearer ";

    private final byte[] expectedDigest;

    public TokenGuard(String token) {
        this.expectedDigest = token == null || token.isBlank() ? null : sha256(token.trim());
    }

    public boolean configured() {
        return expectedDigest != null;
    }

    /** Throws 401 unless the header carries the configured token. */
    public void check(String authorizationHeader) {
        if (!accepts(authorizationHeader)) {
            throw ApiException.unauthorized();
        }
    }

    public boolean accepts(String authorizationHeader) {
        if (expectedDigest == null || authorizationHeader == null
                || !authorizationHeader.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return false;
        }
        byte[] presented = sha256(authorizationHeader.substring(BEARER.length()).trim());
        return MessageDigest.isEqual(expectedDigest, presented);
    }

    private static byte[] sha256(String value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }
}

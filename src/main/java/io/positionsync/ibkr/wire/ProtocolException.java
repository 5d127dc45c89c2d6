package io.positionsync.ibkr.wire;

/**
 * A frame or field that does not follow the TWS API wire protocol. The connection that produced it
 * can no longer be trusted and is closed; a snapshot in flight becomes incomplete.
 */
public class ProtocolException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ProtocolException(String message) {
        super(message);
    }

    public ProtocolException(String message, Throwable cause) {
        super(message, cause);
    }
}

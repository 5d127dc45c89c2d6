package io.positionsync.ibkr;

/** The broker could not be reached or refused us (connect failed, clientId in use, bad version). */
public class BrokerException extends Exception {
    private static final long serialVersionUID = 1L;

    private final Integer errorCode;

    public BrokerException(String message) {
        this(message, null, null);
    }

    public BrokerException(String message, Integer errorCode, Throwable cause) {
        super(message, cause);
        this.errorCode = errorCode;
    }

    /** The TWS error code behind this failure (e.g. 326, 502), if any. */
    public Integer errorCode() {
        return errorCode;
    }
}

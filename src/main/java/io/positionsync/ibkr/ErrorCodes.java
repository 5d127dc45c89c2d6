package io.positionsync.ibkr;

/** The TWS error codes a sync service reacts to (see the protocol notes). */
public final class ErrorCodes {
    private ErrorCodes() {
    }

    /** The gateway already has a session with this clientId; it drops the new connection. */
    public static final int CLIENT_ID_IN_USE = 326;
    /** Client side: could not connect to the gateway. */
    public static final int CONNECT_FAIL = 502;
    /** Client side: not connected. */
    public static final int NOT_CONNECTED = 504;
    /** The client sent more messages in one second than the gateway allows (50); the gateway disconnects it. */
    public static final int MAX_RATE_EXCEEDED = 100;
    /**
     * "Error validating request": among others, {@code reqPositions} refused to a master of more than 50 accounts,
     * which must ask {@code reqPositionsMulti} per account instead (the code of that refusal is assumed).
     */
    public static final int VALIDATION_ERROR = 321;
    /** The gateway lost its connection to IB: data may be stale. */
    public static final int CONNECTIVITY_LOST = 1100;
    /** Connectivity restored, market data lost: resubscribe. */
    public static final int CONNECTIVITY_RESTORED_DATA_LOST = 1101;
    /** Connectivity restored, data maintained. */
    public static final int CONNECTIVITY_RESTORED = 1102;
    /** The gateway reset its socket port: reconnect. */
    public static final int SOCKET_PORT_RESET = 1300;

    /** First and last code of the warning range. */
    public static final int WARNING_FIRST = 2100;
    public static final int WARNING_LAST = 2169;

    /** "Data farm connection is OK" notices (2104, 2106, 2158): nothing to do. */
    public static boolean isInformational(int code) {
        return code == 2104 || code == 2106 || code == 2158;
    }

    /** Warning range 2100-2169: log, do not fail. */
    public static boolean isWarning(int code) {
        return code >= WARNING_FIRST && code <= WARNING_LAST;
    }
}

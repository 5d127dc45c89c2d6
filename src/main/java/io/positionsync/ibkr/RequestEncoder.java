package io.positionsync.ibkr;

import io.positionsync.ibkr.wire.FieldWriter;
import io.positionsync.ibkr.wire.MessageIds;

import java.nio.charset.StandardCharsets;

/**
 * Builds the client's outgoing bytes: the handshake and the requests a snapshot needs, each a whole
 * frame (length prefix included) ready to write to the socket. Fields follow the protocol table; the
 * first field is the message id, the second the request's version.
 */
public final class RequestEncoder {
    /** The four raw bytes that open a connection, before any frame. */
    private static final byte[] API_PREFIX = {'A', 'P', 'I', 0};

    private static final int START_API_VERSION = 2;
    private static final int REQ_CURRENT_TIME_VERSION = 1;
    private static final int REQ_MANAGED_ACCTS_VERSION = 1;
    private static final int REQ_POSITIONS_VERSION = 1;
    private static final int CANCEL_POSITIONS_VERSION = 1;
    private static final int REQ_ACCOUNT_UPDATES_VERSION = 2;
    private static final int REQ_EXECUTIONS_VERSION = 3;
    private static final int REQ_POSITIONS_MULTI_VERSION = 1;
    private static final int CANCEL_POSITIONS_MULTI_VERSION = 1;

    private RequestEncoder() {
    }

    /** {@code API\0} then the framed text {@code v157..178} (no trailing NUL). */
    public static byte[] handshake() {
        return handshake(MessageIds.MIN_CLIENT_VERSION, MessageIds.MAX_CLIENT_VERSION);
    }

    /** {@code API\0} then the framed text {@code v<min>..<max>} (no trailing NUL). */
    public static byte[] handshake(int minVersion, int maxVersion) {
        byte[] range = FieldWriter.frame(("v" + minVersion + ".." + maxVersion).getBytes(StandardCharsets.US_ASCII));
        byte[] out = new byte[API_PREFIX.length + range.length];
        System.arraycopy(API_PREFIX, 0, out, 0, API_PREFIX.length);
        System.arraycopy(range, 0, out, API_PREFIX.length, range.length);
        return out;
    }

    /** {@code startApi}: 71, 2, clientId, optionalCapabilities. */
    public static byte[] startApi(int clientId, String optionalCapabilities) {
        return new FieldWriter().add(MessageIds.START_API).add(START_API_VERSION).add(clientId)
                .add(optionalCapabilities == null ? "" : optionalCapabilities).frame();
    }

    /** {@code reqCurrentTime}: 49, 1. */
    public static byte[] reqCurrentTime() {
        return new FieldWriter().add(MessageIds.REQ_CURRENT_TIME).add(REQ_CURRENT_TIME_VERSION).frame();
    }

    /** {@code reqManagedAccts}: 17, 1. */
    public static byte[] reqManagedAccts() {
        return new FieldWriter().add(MessageIds.REQ_MANAGED_ACCTS).add(REQ_MANAGED_ACCTS_VERSION).frame();
    }

    /** {@code reqPositions}: 61, 1. */
    public static byte[] reqPositions() {
        return new FieldWriter().add(MessageIds.REQ_POSITIONS).add(REQ_POSITIONS_VERSION).frame();
    }

    /** {@code cancelPositions}: 64, 1. */
    public static byte[] cancelPositions() {
        return new FieldWriter().add(MessageIds.CANCEL_POSITIONS).add(CANCEL_POSITIONS_VERSION).frame();
    }

    /** {@code reqPositionsMulti}: 74, 1, reqId, account, modelCode (empty: no model). */
    public static byte[] reqPositionsMulti(int reqId, String account, String modelCode) {
        return new FieldWriter().add(MessageIds.REQ_POSITIONS_MULTI).add(REQ_POSITIONS_MULTI_VERSION).add(reqId)
                .add(account).add(modelCode == null ? "" : modelCode).frame();
    }

    /** {@code cancelPositionsMulti}: 75, 1, reqId. */
    public static byte[] cancelPositionsMulti(int reqId) {
        return new FieldWriter().add(MessageIds.CANCEL_POSITIONS_MULTI).add(CANCEL_POSITIONS_MULTI_VERSION).add(reqId)
                .frame();
    }

    /** {@code reqAccountUpdates}: 6, 2, subscribe (1/0), accountCode. */
    public static byte[] reqAccountUpdates(boolean subscribe, String account) {
        return new FieldWriter().add(MessageIds.REQ_ACCOUNT_UPDATES).add(REQ_ACCOUNT_UPDATES_VERSION).add(subscribe)
                .add(account).frame();
    }

    /** {@code reqExecutions}: 7, 3, reqId, then the filter's clientId, acctCode, time, symbol, secType, exchange, side. */
    public static byte[] reqExecutions(int reqId, ExecutionFilter filter) {
        return new FieldWriter().add(MessageIds.REQ_EXECUTIONS).add(REQ_EXECUTIONS_VERSION).add(reqId)
                .add(filter.clientId()).add(filter.acctCode()).add(filter.time()).add(filter.symbol())
                .add(filter.secType()).add(filter.exchange()).add(filter.side()).frame();
    }
}

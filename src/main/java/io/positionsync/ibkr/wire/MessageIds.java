package io.positionsync.ibkr.wire;

/** Message ids of the classic text protocol (server versions below 201) for the subset spoken here. */
public final class MessageIds {
    private MessageIds() {
    }

    /** Lowest server version our client accepts. */
    public static final int MIN_CLIENT_VERSION = 157;
    /** Highest server version our client declares; never 201 or above (binary/protobuf framing). */
    public static final int MAX_CLIENT_VERSION = 178;
    /** From this version {@code error} carries {@code advancedOrderRejectJson}. */
    public static final int MIN_SERVER_VER_ADVANCED_ORDER_REJECT = 166;
    /** From this version {@code execDetails} ends with {@code pendingPriceRevision}. */
    public static final int MIN_SERVER_VER_PENDING_PRICE_REVISION = 178;

    // Outgoing (client -> gateway)
    public static final int REQ_ACCOUNT_UPDATES = 6;
    public static final int REQ_EXECUTIONS = 7;
    public static final int REQ_MANAGED_ACCTS = 17;
    public static final int REQ_CURRENT_TIME = 49;
    public static final int REQ_POSITIONS = 61;
    public static final int CANCEL_POSITIONS = 64;
    public static final int START_API = 71;
    /** Positions of one account (or model), for masters of more than 50 accounts: version 1, reqId, account, modelCode. */
    public static final int REQ_POSITIONS_MULTI = 74;
    /** Ends a {@code reqPositionsMulti} subscription: version 1, reqId. */
    public static final int CANCEL_POSITIONS_MULTI = 75;

    // Incoming (gateway -> client)
    public static final int ERROR = 4;
    public static final int UPDATE_ACCOUNT_VALUE = 6;
    public static final int UPDATE_PORTFOLIO = 7;
    public static final int UPDATE_ACCOUNT_TIME = 8;
    public static final int NEXT_VALID_ID = 9;
    public static final int EXECUTION_DATA = 11;
    public static final int MANAGED_ACCOUNTS = 15;
    public static final int CURRENT_TIME = 49;
    public static final int ACCOUNT_DOWNLOAD_END = 54;
    public static final int EXECUTION_DATA_END = 55;
    public static final int COMMISSION_REPORT = 59;
    public static final int POSITION = 61;
    public static final int POSITION_END = 62;
    /**
     * A position of a {@code reqPositionsMulti} subscription: version 1, reqId, account, conId, symbol, secType,
     * lastTradeDateOrContractMonth, strike, right, multiplier, exchange, currency, localSymbol, tradingClass,
     * position (decimal), avgCost, modelCode.
     */
    public static final int POSITION_MULTI = 71;
    /** The end of a {@code reqPositionsMulti} answer (the subscription goes on): version 1, reqId. */
    public static final int POSITION_MULTI_END = 72;
}

package io.positionsync.ibkr;

import io.positionsync.ibkr.wire.FieldReader;
import io.positionsync.ibkr.wire.MessageIds;
import io.positionsync.ibkr.wire.ProtocolException;
import io.positionsync.ibkr.wire.RepeatedTexts;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes one frame payload (the frame without its length prefix) into an {@link IncomingMessage}, for
 * a negotiated server version in {@value MessageIds#MIN_CLIENT_VERSION}..{@value MessageIds#MAX_CLIENT_VERSION}.
 * Field layouts follow the protocol table exactly, version by version:
 * <ul>
 *   <li>{@code error} carries {@code advancedOrderRejectJson} only from version 166;</li>
 *   <li>{@code execDetails} has no version field and ends with {@code pendingPriceRevision} only from 178;</li>
 *   <li>{@code position} carries {@code exchange}, {@code updatePortfolio} carries {@code primaryExchange}.</li>
 * </ul>
 * Fields after the last one a layout defines are ignored (a newer gateway may append some); a known
 * message with too few or malformed fields is a {@link ProtocolException}. Unknown ids decode to
 * {@link IncomingMessage.Unknown}.
 */
public final class MessageDecoder {
    /** The unset sentinel of the protocol's 128-bit decimal quantities (2^127 - 1). */
    static final String UNSET_DECIMAL = FieldReader.UNSET_DECIMAL;

    private MessageDecoder() {
    }

    /**
     * @param payload       one frame's payload: NUL-terminated text fields, the first being the message id
     * @param serverVersion the version the handshake settled on
     * @throws ProtocolException when the payload does not follow the protocol
     */
    public static IncomingMessage decode(byte[] payload, int serverVersion) {
        return decode(payload, 0, payload.length, serverVersion, null);
    }

    /**
     * As {@link #decode(byte[], int)} for the payload of {@code length} bytes at {@code offset} of {@code buffer}
     * (read in place, not copied), with the repeated texts (account ids, currencies, exchanges, security types)
     * taken from {@code texts} when it is not {@code null}.
     */
    public static IncomingMessage decode(byte[] buffer, int offset, int length, int serverVersion,
            RepeatedTexts texts) {
        if (length == 0) {
            throw new ProtocolException("empty message");
        }
        FieldReader in = new FieldReader(buffer, offset, length, texts);
        int id;
        try {
            id = in.readInt();
        } catch (ProtocolException e) {
            throw new ProtocolException("malformed message id: " + e.getMessage(), e);
        }
        String name = null;
        try {
            switch (id) {
                case MessageIds.ERROR:
                    name = "error";
                    return error(in, serverVersion);
                case MessageIds.NEXT_VALID_ID:
                    name = "nextValidId";
                    in.readInt();
                    return new IncomingMessage.NextValidId(readLong(in));
                case MessageIds.MANAGED_ACCOUNTS:
                    name = "managedAccounts";
                    in.readInt();
                    return new IncomingMessage.ManagedAccounts(splitAccounts(in.readString()));
                case MessageIds.CURRENT_TIME:
                    name = "currentTime";
                    in.readInt();
                    return new IncomingMessage.CurrentTime(readLong(in));
                case MessageIds.POSITION:
                    name = "position";
                    return position(in);
                case MessageIds.POSITION_END:
                    name = "positionEnd";
                    in.readInt();
                    return new IncomingMessage.PositionEnd();
                case MessageIds.POSITION_MULTI:
                    name = "positionMulti";
                    return positionMulti(in);
                case MessageIds.POSITION_MULTI_END:
                    name = "positionMultiEnd";
                    in.readInt();
                    return new IncomingMessage.PositionMultiEnd(in.readInt());
                case MessageIds.UPDATE_ACCOUNT_VALUE:
                    name = "updateAccountValue";
                    in.readInt();
                    return new IncomingMessage.UpdateAccountValue(in.readSharedString(), in.readString(), text(in),
                            in.readSharedString());
                case MessageIds.UPDATE_PORTFOLIO:
                    name = "updatePortfolio";
                    return portfolio(in);
                case MessageIds.UPDATE_ACCOUNT_TIME:
                    name = "updateAccountTime";
                    in.readInt();
                    return new IncomingMessage.UpdateAccountTime(in.readString());
                case MessageIds.ACCOUNT_DOWNLOAD_END:
                    name = "accountDownloadEnd";
                    in.readInt();
                    return new IncomingMessage.AccountDownloadEnd(in.readSharedString());
                case MessageIds.EXECUTION_DATA:
                    name = "execDetails";
                    return execDetails(in, serverVersion);
                case MessageIds.EXECUTION_DATA_END:
                    name = "execDetailsEnd";
                    in.readInt();
                    return new IncomingMessage.ExecDetailsEnd(in.readInt());
                case MessageIds.COMMISSION_REPORT:
                    name = "commissionReport";
                    in.readInt();
                    return new IncomingMessage.CommissionReport(in.readString(), in.readDecimalOrAbsent(), text(in),
                            in.readDecimalOrAbsent(), in.readDecimalOrAbsent(), in.readIntOrAbsent());
                default:
                    return new IncomingMessage.Unknown(id);
            }
        } catch (ProtocolException e) {
            throw new ProtocolException("malformed " + (name == null ? "message " + id : name) + " message: "
                    + e.getMessage(), e);
        }
    }

    private static IncomingMessage error(FieldReader in, int serverVersion) {
        in.readInt();
        int reqId = in.readInt();
        int code = in.readInt();
        String message = in.readString();
        String advancedJson = serverVersion >= MessageIds.MIN_SERVER_VER_ADVANCED_ORDER_REJECT ? text(in) : null;
        return new IncomingMessage.ErrorMessage(reqId, code, message, advancedJson);
    }

    private static IncomingMessage position(FieldReader in) {
        in.readInt();
        String account = in.readSharedString();
        Contract contract = new Contract(readLong(in), symbol(in), text(in), text(in), in.readDecimalOrAbsent(), text(in),
                in.readDecimalOrAbsent(), text(in), null, text(in), symbol(in), text(in));
        BigDecimal quantity = requiredQuantity(in, "position");
        BigDecimal avgCost = in.readDecimalOrAbsent();
        return new IncomingMessage.Position(account, contract, quantity, avgCost);
    }

    private static IncomingMessage positionMulti(FieldReader in) {
        in.readInt();
        int reqId = in.readInt();
        String account = in.readSharedString();
        Contract contract = new Contract(readLong(in), symbol(in), text(in), text(in), in.readDecimalOrAbsent(), text(in),
                in.readDecimalOrAbsent(), text(in), null, text(in), symbol(in), text(in));
        BigDecimal quantity = requiredQuantity(in, "position");
        BigDecimal avgCost = in.readDecimalOrAbsent();
        String modelCode = in.hasMore() ? text(in) : null;
        return new IncomingMessage.PositionMulti(reqId, account, contract, quantity, avgCost, modelCode);
    }

    private static IncomingMessage portfolio(FieldReader in) {
        in.readInt();
        Contract contract = new Contract(readLong(in), symbol(in), text(in), text(in), in.readDecimalOrAbsent(), text(in),
                in.readDecimalOrAbsent(), null, text(in), text(in), symbol(in), text(in));
        BigDecimal quantity = requiredQuantity(in, "position");
        BigDecimal marketPrice = in.readDecimalOrAbsent();
        BigDecimal marketValue = in.readDecimalOrAbsent();
        BigDecimal averageCost = in.readDecimalOrAbsent();
        BigDecimal unrealized = in.readDecimalOrAbsent();
        BigDecimal realized = in.readDecimalOrAbsent();
        String account = in.readSharedString();
        return new IncomingMessage.UpdatePortfolio(contract, quantity, marketPrice, marketValue, averageCost, unrealized,
                realized, account);
    }

    private static IncomingMessage execDetails(FieldReader in, int serverVersion) {
        // No version field: it was dropped from execDetails long before our minimum server version.
        int reqId = in.readInt();
        long orderId = readLong(in);
        Contract contract = new Contract(readLong(in), symbol(in), text(in), text(in), in.readDecimalOrAbsent(), text(in),
                in.readDecimalOrAbsent(), text(in), null, text(in), symbol(in), text(in));
        String execId = in.readString();
        if (execId.isEmpty()) {
            throw new ProtocolException("execDetails without an execId");
        }
        Instant time = TwsTime.parseExecutionTime(in.readString());
        String account = in.readSharedString();
        String exchange = text(in);
        String side = in.readSharedString();
        BigDecimal shares = requiredQuantity(in, "shares");
        BigDecimal price = in.readDecimalOrAbsent();
        if (price == null) {
            throw new ProtocolException("execDetails " + execId + " without a price");
        }
        long permId = readLong(in);
        int clientId = in.readInt();
        Integer liquidation = in.readIntOrAbsent();
        BigDecimal cumQty = quantity(in);
        BigDecimal avgPrice = in.readDecimalOrAbsent();
        String orderRef = text(in);
        String evRule = text(in);
        BigDecimal evMultiplier = in.readDecimalOrAbsent();
        String modelCode = text(in);
        Integer lastLiquidity = in.readIntOrAbsent();
        Boolean pendingPriceRevision = serverVersion >= MessageIds.MIN_SERVER_VER_PENDING_PRICE_REVISION
                ? in.readBoolean() : null;
        return new IncomingMessage.ExecDetails(reqId, orderId, contract, execId, time, account, exchange, side, shares,
                price, permId, clientId, liquidation, cumQty, avgPrice, orderRef, evRule, evMultiplier, modelCode,
                lastLiquidity, pendingPriceRevision);
    }

    /** A required integral field that may exceed an int (ids, conIds, epoch seconds). */
    private static long readLong(FieldReader in) {
        return in.readLong();
    }

    /** An optional text field of the repeated vocabulary (exchange, currency, ...): empty reads as {@code null}. */
    private static String text(FieldReader in) {
        return in.readText();
    }

    /** An optional text field that differs from contract to contract (symbol, local symbol): empty reads as {@code null}. */
    private static String symbol(FieldReader in) {
        String value = in.readString();
        return value.isEmpty() ? null : value;
    }

    /** A decimal quantity; empty and every unset sentinel read as {@code null}. */
    private static BigDecimal quantity(FieldReader in) {
        return in.readQuantityOrAbsent();
    }

    private static BigDecimal requiredQuantity(FieldReader in, String field) {
        BigDecimal value = quantity(in);
        if (value == null) {
            throw new ProtocolException("missing " + field + " quantity");
        }
        return value;
    }

    private static List<String> splitAccounts(String text) {
        List<String> accounts = new ArrayList<>();
        for (String part : text.split(",")) {
            String account = part.trim();
            if (!account.isEmpty()) {
                accounts.add(account);
            }
        }
        return accounts;
    }
}

package io.positionsync.ibkr.sim;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

import io.positionsync.ibkr.wire.MessageIds;

/**
 * Encodes the gateway's messages in the field layout of one negotiated server version (see
 * {@code tws-protocol.md}): {@code error} gains advancedOrderRejectJson from 166, {@code execDetails} has no
 * version field from 136 and gains pendingPriceRevision from 178. Layouts below 157 follow the 157 layout
 * apart from those documented differences.
 */
final class GatewayMessages {
    static final String UNSET_DOUBLE = Double.toString(Double.MAX_VALUE);
    static final String UNSET_INT = Integer.toString(Integer.MAX_VALUE);
    /** From this version execDetails carries no version field of its own. */
    static final int MIN_SERVER_VER_EXEC_DETAILS_NO_VERSION = 136;
    /** The version field execDetails carried before it was dropped. */
    private static final String LEGACY_EXEC_DETAILS_VERSION = "10";
    private static final String ERROR_VERSION = "2";
    private static final String POSITION_VERSION = "3";
    private static final String ACCOUNT_VALUE_VERSION = "2";
    private static final String PORTFOLIO_VERSION = "8";
    private static final String VERSION_1 = "1";
    private static final String NO_STRIKE = "0";
    private static final String NOT_LIQUIDATION = "0";
    /** lastLiquidity 2: the fill removed liquidity, as a marketable order does. */
    private static final String REMOVED_LIQUIDITY = "2";
    private static final String NO_EV_MULTIPLIER = "0";
    private static final String NO_YIELD_REDEMPTION_DATE = "0";
    private static final String NO_PENDING_PRICE_REVISION = "0";
    private static final DateTimeFormatter TIME_TEXT = DateTimeFormatter.ofPattern("yyyyMMdd HH:mm:ss");
    private static final DateTimeFormatter ACCOUNT_TIME = DateTimeFormatter.ofPattern("HH:mm");
    private static final int POSITION_CONID = 3;
    private static final int PORTFOLIO_CONID = 2;
    private static final int POSITION_MULTI_CONID = 4;
    private static final int VERSION_FIELD = 1;

    private final int serverVersion;
    private final ZoneId zone;

    GatewayMessages(int serverVersion, ZoneId zone) {
        this.serverVersion = serverVersion;
        this.zone = zone;
    }

    int serverVersion() {
        return serverVersion;
    }

    /** {@code yyyyMMdd HH:mm:ss <zone>}, as the handshake and execution times are written. */
    String timeText(Instant time) {
        return TIME_TEXT.format(time.atZone(zone)) + " " + zone.getId();
    }

    /** The handshake answer: version and connection time (framed, no message id). */
    OutboundMessage handshake(Instant now) {
        return new OutboundMessage(List.of(Integer.toString(serverVersion), timeText(now)), 0);
    }

    OutboundMessage error(long reqId, int code, String message) {
        List<String> f = start(MessageIds.ERROR, ERROR_VERSION);
        f.add(Long.toString(reqId));
        f.add(Integer.toString(code));
        f.add(message);
        if (serverVersion >= MessageIds.MIN_SERVER_VER_ADVANCED_ORDER_REJECT) {
            f.add("");
        }
        return new OutboundMessage(f, VERSION_FIELD);
    }

    OutboundMessage nextValidId(long orderId) {
        List<String> f = start(MessageIds.NEXT_VALID_ID, VERSION_1);
        f.add(Long.toString(orderId));
        return new OutboundMessage(f, VERSION_FIELD);
    }

    OutboundMessage managedAccounts(List<String> accounts) {
        List<String> f = start(MessageIds.MANAGED_ACCOUNTS, VERSION_1);
        f.add(String.join(",", accounts));
        return new OutboundMessage(f, VERSION_FIELD);
    }

    OutboundMessage currentTime(Instant now) {
        List<String> f = start(MessageIds.CURRENT_TIME, VERSION_1);
        f.add(Long.toString(now.getEpochSecond()));
        return new OutboundMessage(f, VERSION_FIELD);
    }

    OutboundMessage position(Position position, Instrument instrument) {
        List<String> f = start(MessageIds.POSITION, POSITION_VERSION);
        positionRow(f, position, instrument);
        return new OutboundMessage(f, POSITION_CONID);
    }

    /** From the account to avgCost: the fields {@code position} and {@code positionMulti} share. */
    private void positionRow(List<String> f, Position position, Instrument instrument) {
        f.add(position.account());
        contract(f, instrument);
        f.add(instrument.exchange());
        f.add(instrument.currency());
        f.add(instrument.localSymbol());
        f.add(instrument.tradingClass());
        f.add(decimal(position.quantity()));
        f.add(price(position.avgCost()));
    }

    OutboundMessage positionEnd() {
        return new OutboundMessage(start(MessageIds.POSITION_END, VERSION_1), VERSION_FIELD);
    }

    /** {@code positionMulti} (71) of subscription {@code reqId}, no model code. */
    OutboundMessage positionMulti(long reqId, Position position, Instrument instrument) {
        List<String> f = start(MessageIds.POSITION_MULTI, VERSION_1);
        f.add(Long.toString(reqId));
        positionRow(f, position, instrument);
        f.add("");
        return new OutboundMessage(f, POSITION_MULTI_CONID);
    }

    OutboundMessage positionMultiEnd(long reqId) {
        List<String> f = start(MessageIds.POSITION_MULTI_END, VERSION_1);
        f.add(Long.toString(reqId));
        return new OutboundMessage(f, VERSION_FIELD);
    }

    OutboundMessage accountValue(AccountValue value, String account) {
        List<String> f = start(MessageIds.UPDATE_ACCOUNT_VALUE, ACCOUNT_VALUE_VERSION);
        f.add(value.key());
        f.add(value.value());
        f.add(value.currency());
        f.add(account);
        return new OutboundMessage(f, VERSION_FIELD);
    }

    OutboundMessage portfolio(PortfolioEntry entry) {
        Instrument instrument = entry.instrument();
        Position position = entry.position();
        List<String> f = start(MessageIds.UPDATE_PORTFOLIO, PORTFOLIO_VERSION);
        contract(f, instrument);
        f.add(instrument.primaryExchange());
        f.add(instrument.currency());
        f.add(instrument.localSymbol());
        f.add(instrument.tradingClass());
        f.add(decimal(position.quantity()));
        f.add(price(entry.marketPrice()));
        f.add(price(entry.marketValue()));
        f.add(price(position.avgCost()));
        f.add(price(entry.unrealizedPnl()));
        f.add(price(position.realizedPnlToday()));
        f.add(position.account());
        return new OutboundMessage(f, PORTFOLIO_CONID);
    }

    OutboundMessage accountTime(Instant now) {
        List<String> f = start(MessageIds.UPDATE_ACCOUNT_TIME, VERSION_1);
        f.add(ACCOUNT_TIME.format(now.atZone(zone)));
        return new OutboundMessage(f, VERSION_FIELD);
    }

    OutboundMessage accountDownloadEnd(String account) {
        List<String> f = start(MessageIds.ACCOUNT_DOWNLOAD_END, VERSION_1);
        f.add(account);
        return new OutboundMessage(f, VERSION_FIELD);
    }

    OutboundMessage execDetails(long reqId, Execution execution, Instrument instrument) {
        List<String> f = new ArrayList<>();
        f.add(Integer.toString(MessageIds.EXECUTION_DATA));
        if (serverVersion < MIN_SERVER_VER_EXEC_DETAILS_NO_VERSION) {
            f.add(LEGACY_EXEC_DETAILS_VERSION);
        }
        f.add(Long.toString(reqId));
        f.add(Long.toString(execution.orderId()));
        int conIdField = f.size();
        contract(f, instrument);
        f.add(instrument.exchange());
        f.add(instrument.currency());
        f.add(instrument.localSymbol());
        f.add(instrument.tradingClass());
        f.add(execution.execId());
        f.add(timeText(execution.time()));
        f.add(execution.account());
        f.add(execution.exchange());
        f.add(execution.side().name());
        f.add(decimal(execution.shares()));
        f.add(price(execution.price()));
        f.add(Long.toString(execution.permId()));
        f.add(Integer.toString(execution.clientId()));
        f.add(NOT_LIQUIDATION);
        f.add(decimal(execution.cumQty()));
        f.add(price(execution.avgPrice()));
        f.add("");
        f.add("");
        f.add(NO_EV_MULTIPLIER);
        f.add("");
        f.add(REMOVED_LIQUIDITY);
        if (serverVersion >= MessageIds.MIN_SERVER_VER_PENDING_PRICE_REVISION) {
            f.add(NO_PENDING_PRICE_REVISION);
        }
        return new OutboundMessage(f, conIdField);
    }

    OutboundMessage execDetailsEnd(long reqId) {
        List<String> f = start(MessageIds.EXECUTION_DATA_END, VERSION_1);
        f.add(Long.toString(reqId));
        return new OutboundMessage(f, VERSION_FIELD);
    }

    OutboundMessage commissionReport(CommissionReport report) {
        List<String> f = start(MessageIds.COMMISSION_REPORT, VERSION_1);
        f.add(report.execId());
        f.add(price(report.commission()));
        f.add(report.currency());
        f.add(price(report.realizedPnl()));
        f.add(UNSET_DOUBLE);
        f.add(NO_YIELD_REDEMPTION_DATE);
        return new OutboundMessage(f, VERSION_FIELD);
    }

    /** conId, symbol, secType, lastTradeDateOrContractMonth, strike, right, multiplier: shared by three messages. */
    private static void contract(List<String> f, Instrument instrument) {
        f.add(Long.toString(instrument.conId()));
        f.add(instrument.symbol());
        f.add(instrument.secType());
        f.add(instrument.lastTradeDateOrContractMonth());
        f.add(instrument.strike() == null ? NO_STRIKE : instrument.strike().toPlainString());
        f.add(instrument.right());
        f.add(instrument.multiplier() == null ? "" : instrument.multiplier().toPlainString());
    }

    private static List<String> start(int id, String version) {
        List<String> f = new ArrayList<>();
        f.add(Integer.toString(id));
        f.add(version);
        return f;
    }

    private static String decimal(BigDecimal value) {
        return AverageCost.normalize(value).toPlainString();
    }

    private static String price(BigDecimal value) {
        return value == null ? UNSET_DOUBLE : AverageCost.normalize(value).toPlainString();
    }
}

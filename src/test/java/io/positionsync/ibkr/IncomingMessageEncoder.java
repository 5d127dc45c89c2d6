package io.positionsync.ibkr;

import io.positionsync.ibkr.wire.MessageIds;

import io.positionsync.ibkr.wire.FieldWriter;

import java.math.BigDecimal;
import java.util.List;

/**
 * Test-side encoder of gateway messages at a given server version, following the protocol table
 * independently of {@link MessageDecoder}. Absent values are written as the protocol writes them:
 * prices as the unset double sentinel, ints as the unset int sentinel, text and quantities empty.
 */
public final class IncomingMessageEncoder {
    private IncomingMessageEncoder() {
    }

    /** The payload (no length prefix). */
    public static byte[] payload(IncomingMessage message, int serverVersion) {
        return writer(message, serverVersion).payload();
    }

    /** The whole frame. */
    public static byte[] frame(IncomingMessage message, int serverVersion) {
        return writer(message, serverVersion).frame();
    }

    /** Frames of several messages, back to back, as one byte stream. */
    public static byte[] stream(List<? extends IncomingMessage> messages, int serverVersion) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (IncomingMessage message : messages) {
            out.writeBytes(frame(message, serverVersion));
        }
        return out.toByteArray();
    }

    /** The handshake reply: server version and connection time, framed, no message id. */
    public static byte[] handshakeReply(int serverVersion, String connectionTime) {
        return new FieldWriter().add(serverVersion).add(connectionTime).frame();
    }

    private static FieldWriter writer(IncomingMessage message, int v) {
        FieldWriter w = new FieldWriter();
        if (message instanceof IncomingMessage.ErrorMessage m) {
            w.add(MessageIds.ERROR).add(2).add(m.reqId()).add(m.code()).add(m.message());
            if (v >= 166) {
                w.add(m.advancedOrderRejectJson());
            }
        } else if (message instanceof IncomingMessage.NextValidId m) {
            w.add(MessageIds.NEXT_VALID_ID).add(1).add(m.orderId());
        } else if (message instanceof IncomingMessage.ManagedAccounts m) {
            w.add(MessageIds.MANAGED_ACCOUNTS).add(1).add(String.join(",", m.accounts()));
        } else if (message instanceof IncomingMessage.CurrentTime m) {
            w.add(MessageIds.CURRENT_TIME).add(1).add(m.epochSeconds());
        } else if (message instanceof IncomingMessage.Position m) {
            Contract c = m.contract();
            w.add(MessageIds.POSITION).add(3).add(m.account()).add(c.conId()).add(c.symbol()).add(c.secType())
                    .add(c.lastTradeDateOrContractMonth()).addPrice(c.strike()).add(c.right()).addDecimal(c.multiplier())
                    .add(c.exchange()).add(c.currency()).add(c.localSymbol()).add(c.tradingClass())
                    .addDecimal(m.position()).addPrice(m.avgCost());
        } else if (message instanceof IncomingMessage.PositionMulti m) {
            Contract c = m.contract();
            w.add(MessageIds.POSITION_MULTI).add(1).add(m.reqId()).add(m.account()).add(c.conId()).add(c.symbol())
                    .add(c.secType()).add(c.lastTradeDateOrContractMonth()).addPrice(c.strike()).add(c.right())
                    .addDecimal(c.multiplier()).add(c.exchange()).add(c.currency()).add(c.localSymbol())
                    .add(c.tradingClass()).addDecimal(m.position()).addPrice(m.avgCost()).add(m.modelCode());
        } else if (message instanceof IncomingMessage.PositionMultiEnd m) {
            w.add(MessageIds.POSITION_MULTI_END).add(1).add(m.reqId());
        } else if (message instanceof IncomingMessage.PositionEnd) {
            w.add(MessageIds.POSITION_END).add(1);
        } else if (message instanceof IncomingMessage.UpdateAccountValue m) {
            w.add(MessageIds.UPDATE_ACCOUNT_VALUE).add(2).add(m.key()).add(m.value()).add(m.currency()).add(m.account());
        } else if (message instanceof IncomingMessage.UpdatePortfolio m) {
            Contract c = m.contract();
            w.add(MessageIds.UPDATE_PORTFOLIO).add(8).add(c.conId()).add(c.symbol()).add(c.secType())
                    .add(c.lastTradeDateOrContractMonth()).addPrice(c.strike()).add(c.right()).addDecimal(c.multiplier())
                    .add(c.primaryExchange()).add(c.currency()).add(c.localSymbol()).add(c.tradingClass())
                    .addDecimal(m.position()).addPrice(m.marketPrice()).addPrice(m.marketValue())
                    .addPrice(m.averageCost()).addPrice(m.unrealizedPnl()).addPrice(m.realizedPnl()).add(m.account());
        } else if (message instanceof IncomingMessage.UpdateAccountTime m) {
            w.add(MessageIds.UPDATE_ACCOUNT_TIME).add(1).add(m.time());
        } else if (message instanceof IncomingMessage.AccountDownloadEnd m) {
            w.add(MessageIds.ACCOUNT_DOWNLOAD_END).add(1).add(m.account());
        } else if (message instanceof IncomingMessage.ExecDetails m) {
            Contract c = m.contract();
            w.add(MessageIds.EXECUTION_DATA).add(m.reqId()).add(m.orderId()).add(c.conId()).add(c.symbol())
                    .add(c.secType()).add(c.lastTradeDateOrContractMonth()).addPrice(c.strike()).add(c.right())
                    .addDecimal(c.multiplier()).add(c.exchange()).add(c.currency()).add(c.localSymbol())
                    .add(c.tradingClass()).add(m.execId()).add(TwsTime.formatUtc(m.time())).add(m.account())
                    .add(m.exchange()).add(m.side()).addDecimal(m.shares()).addPrice(m.price()).add(m.permId())
                    .add(m.clientId()).addIntOrUnset(m.liquidation()).addDecimal(m.cumQty()).addPrice(m.avgPrice())
                    .add(m.orderRef()).add(m.evRule()).addPrice(m.evMultiplier()).add(m.modelCode())
                    .addIntOrUnset(m.lastLiquidity());
            if (v >= 178) {
                w.add(Boolean.TRUE.equals(m.pendingPriceRevision()));
            }
        } else if (message instanceof IncomingMessage.ExecDetailsEnd m) {
            w.add(MessageIds.EXECUTION_DATA_END).add(1).add(m.reqId());
        } else if (message instanceof IncomingMessage.CommissionReport m) {
            w.add(MessageIds.COMMISSION_REPORT).add(1).add(m.execId()).addPrice(m.commission()).add(m.currency())
                    .addPrice(m.realizedPnl()).addPrice(m.yield()).addIntOrUnset(m.yieldRedemptionDate());
        } else if (message instanceof IncomingMessage.Unknown m) {
            w.add(m.id()).add(1).add("ignored");
        } else {
            throw new IllegalArgumentException("no encoder for " + message);
        }
        return w;
    }

    /** A small sample of each message, for tests. */
    public static final class Samples {
        private Samples() {
        }

        public static Contract stock(long conId, String symbol) {
            return new Contract(conId, symbol, "STK", null, null, null, null, "SMART", null, "USD", symbol, "NMS");
        }

        public static IncomingMessage.Position position(String account, long conId, String symbol, String qty, String avgCost) {
            return new IncomingMessage.Position(account, stock(conId, symbol), new BigDecimal(qty),
                    avgCost == null ? null : new BigDecimal(avgCost));
        }

        public static IncomingMessage.UpdatePortfolio portfolio(String account, long conId, String symbol, String qty,
                String marketPrice) {
            Contract c = new Contract(conId, symbol, "STK", null, null, null, null, null, "NASDAQ", "USD", symbol, "NMS");
            BigDecimal q = new BigDecimal(qty);
            BigDecimal price = new BigDecimal(marketPrice);
            return new IncomingMessage.UpdatePortfolio(c, q, price, price.multiply(q), new BigDecimal("150.01"),
                    new BigDecimal("12.5"), null, account);
        }

        public static IncomingMessage.ExecDetails execution(int reqId, String execId, String account, long conId,
                String symbol, String side, String shares, String price, java.time.Instant time, Boolean pending) {
            return new IncomingMessage.ExecDetails(reqId, 42, stock(conId, symbol), execId, time, account, "ISLAND", side,
                    new BigDecimal(shares), new BigDecimal(price), 1_000_000_123L, 17, 0, new BigDecimal(shares),
                    new BigDecimal(price), null, null, null, null, 1, pending);
        }

        public static IncomingMessage.CommissionReport commission(String execId, String commission, String realized) {
            return new IncomingMessage.CommissionReport(execId, new BigDecimal(commission), "USD",
                    realized == null ? null : new BigDecimal(realized), null, null);
        }
    }
}

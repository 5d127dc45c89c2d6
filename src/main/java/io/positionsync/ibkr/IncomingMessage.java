package io.positionsync.ibkr;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One decoded message from the gateway (classic text protocol, server versions
 * {@value MessageIds#MIN_CLIENT_VERSION}..{@value MessageIds#MAX_CLIENT_VERSION}). Each record is named
 * after the wire message. Absent numbers (unset sentinels or empty fields) and empty optional text
 * fields are {@code null}; quantities and prices are {@link BigDecimal} parsed from their text.
 * Messages this client does not use decode to {@link Unknown}, which is skipped, never fatal.
 *
 * @see MessageDecoder#decode(byte[], int)
 */
public sealed interface IncomingMessage {

    /**
     * {@code error} (4). {@code reqId} is -1 when the message is not tied to a request.
     * {@code advancedOrderRejectJson} is only on the wire from server version 166, {@code null} before.
     */
    record ErrorMessage(int reqId, int code, String message, String advancedOrderRejectJson) implements IncomingMessage {
        /** Codes the protocol documents as harmless "data farm OK" notices. */
        public boolean isInformational() {
            return ErrorCodes.isInformational(code);
        }

        /** Codes in the warning range: log them, never fail on them. */
        public boolean isWarning() {
            return ErrorCodes.isWarning(code);
        }
    }

    /** {@code nextValidId} (9): the connection is usable once this has arrived. */
    record NextValidId(long orderId) implements IncomingMessage {
    }

    /** {@code managedAccounts} (15): the account codes this login can see. */
    record ManagedAccounts(List<String> accounts) implements IncomingMessage {
        public ManagedAccounts {
            accounts = List.copyOf(accounts);
        }
    }

    /** {@code currentTime} (49): the gateway's clock in epoch seconds. */
    record CurrentTime(long epochSeconds) implements IncomingMessage {
        public Instant instant() {
            return Instant.ofEpochSecond(epochSeconds);
        }
    }

    /** {@code position} (61): the contract carries {@code exchange}, no {@code primaryExchange}. */
    record Position(String account, Contract contract, BigDecimal position, BigDecimal avgCost) implements IncomingMessage {
        public Position {
            Objects.requireNonNull(account, "account");
            Objects.requireNonNull(contract, "contract");
            Objects.requireNonNull(position, "position");
        }
    }

    /** {@code positionEnd} (62): every current position has been sent once. */
    record PositionEnd() implements IncomingMessage {
    }

    /**
     * {@code positionMulti} (71): a position of the {@code reqPositionsMulti} subscription {@code reqId}; the contract
     * carries {@code exchange}, as in {@code position}. {@code modelCode} is {@code null} when empty.
     */
    record PositionMulti(int reqId, String account, Contract contract, BigDecimal position, BigDecimal avgCost,
            String modelCode) implements IncomingMessage {
        public PositionMulti {
            Objects.requireNonNull(account, "account");
            Objects.requireNonNull(contract, "contract");
            Objects.requireNonNull(position, "position");
        }

        /** The same row as {@code position} would carry it. */
        public Position asPosition() {
            return new Position(account, contract, position, avgCost);
        }
    }

    /** {@code positionMultiEnd} (72): every position of subscription {@code reqId} has been sent once. */
    record PositionMultiEnd(int reqId) implements IncomingMessage {
    }

    /** {@code updateAccountValue} (6): one key/value of an account (not used by the snapshot). */
    record UpdateAccountValue(String key, String value, String currency, String account) implements IncomingMessage {
    }

    /** {@code updatePortfolio} (7): the contract carries {@code primaryExchange}, no {@code exchange}. */
    record UpdatePortfolio(
            Contract contract,
            BigDecimal position,
            BigDecimal marketPrice,
            BigDecimal marketValue,
            BigDecimal averageCost,
            BigDecimal unrealizedPnl,
            BigDecimal realizedPnl,
            String account) implements IncomingMessage {
        public UpdatePortfolio {
            Objects.requireNonNull(contract, "contract");
            Objects.requireNonNull(account, "account");
        }
    }

    /** {@code updateAccountTime} (8): time of the last account update, as sent ({@code HH:mm}). */
    record UpdateAccountTime(String time) implements IncomingMessage {
    }

    /** {@code accountDownloadEnd} (54): every value of {@code account} has been sent once. */
    record AccountDownloadEnd(String account) implements IncomingMessage {
    }

    /**
     * {@code execDetails} (11): one fill. {@code exchange} is where it executed (the contract has its
     * own). {@code pendingPriceRevision} is only on the wire from server version 178, {@code null} before.
     */
    record ExecDetails(
            int reqId,
            long orderId,
            Contract contract,
            String execId,
            Instant time,
            String account,
            String exchange,
            String side,
            BigDecimal shares,
            BigDecimal price,
            long permId,
            int clientId,
            Integer liquidation,
            BigDecimal cumQty,
            BigDecimal avgPrice,
            String orderRef,
            String evRule,
            BigDecimal evMultiplier,
            String modelCode,
            Integer lastLiquidity,
            Boolean pendingPriceRevision) implements IncomingMessage {
        public ExecDetails {
            Objects.requireNonNull(contract, "contract");
            Objects.requireNonNull(execId, "execId");
            Objects.requireNonNull(account, "account");
            Objects.requireNonNull(side, "side");
            Objects.requireNonNull(shares, "shares");
            Objects.requireNonNull(price, "price");
        }
    }

    /** {@code execDetailsEnd} (55): every execution of request {@code reqId} has been sent. */
    record ExecDetailsEnd(int reqId) implements IncomingMessage {
    }

    /**
     * {@code commissionReport} (59), keyed by execId. {@code realizedPnl} is absent for opening fills.
     * {@code yieldRedemptionDate} is an int {@code yyyymmdd}, absent when unset.
     */
    record CommissionReport(
            String execId,
            BigDecimal commission,
            String currency,
            BigDecimal realizedPnl,
            BigDecimal yield,
            Integer yieldRedemptionDate) implements IncomingMessage {
        public CommissionReport {
            Objects.requireNonNull(execId, "execId");
        }
    }

    /** Any message id this client does not use: read whole and ignored. */
    record Unknown(int id) implements IncomingMessage {
    }
}

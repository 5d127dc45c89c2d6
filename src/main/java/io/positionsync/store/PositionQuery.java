package io.positionsync.store;

import java.time.Instant;
import java.util.Locale;

/**
 * A page of stored positions for the HTTP API.
 *
 * @param status       which lifecycles: open, closed or all
 * @param account      only this account, or {@code null} for every account
 * @param staleMinutes only rows not synced in the last N minutes (or never synced), or {@code null}
 * @param limit        page size, at least 1
 * @param offset       rows to skip, 0 or more
 * @param symbol       only this symbol, or {@code null} for every symbol
 * @param activeFrom   only lifecycles still open at or after this instant (closed before it: left out), or {@code null}
 * @param activeTo     only lifecycles opened before this instant, or {@code null}
 * @param order        the order of the rows: by instrument (the default), or the most recently closed first
 */
public record PositionQuery(Status status, String account, Integer staleMinutes, int limit, int offset, String symbol,
        Instant activeFrom, Instant activeTo, Order order) {

    /** The order of a page. */
    public enum Order {
        /** Account, symbol, contract, newest lifecycle first. */
        INSTRUMENT,
        /** The most recently closed first (open lifecycles after every closed one), then the newest lifecycle. */
        CLOSED
    }

    /** Which lifecycles a query returns. */
    public enum Status {
        OPEN, CLOSED, ALL;

        /** {@code open|closed|all}, case-insensitive. */
        public static Status parse(String text) {
            try {
                return valueOf(text.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException | NullPointerException e) {
                throw new IllegalArgumentException("status must be open, closed or all, was " + text);
            }
        }
    }

    public PositionQuery {
        if (status == null) {
            status = Status.ALL;
        }
        if (account != null && account.isBlank()) {
            account = null;
        }
        if (staleMinutes != null && staleMinutes < 0) {
            throw new IllegalArgumentException("staleMinutes must be 0 or more, was " + staleMinutes);
        }
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, was " + limit);
        }
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be 0 or more, was " + offset);
        }
        if (symbol != null && symbol.isBlank()) {
            symbol = null;
        }
        if (order == null) {
            order = Order.INSTRUMENT;
        }
    }

    public PositionQuery(Status status, String account, Integer staleMinutes, int limit, int offset, String symbol,
            Instant activeFrom, Instant activeTo) {
        this(status, account, staleMinutes, limit, offset, symbol, activeFrom, activeTo, Order.INSTRUMENT);
    }

    /** The same query, its rows in {@code newOrder}. */
    public PositionQuery withOrder(Order newOrder) {
        return new PositionQuery(status, account, staleMinutes, limit, offset, symbol, activeFrom, activeTo, newOrder);
    }

    public PositionQuery(Status status, String account, Integer staleMinutes, int limit, int offset) {
        this(status, account, staleMinutes, limit, offset, null, null, null);
    }

    /** Every open position, up to {@code limit}. */
    public static PositionQuery open(int limit) {
        return new PositionQuery(Status.OPEN, null, null, limit, 0);
    }

    public PositionQuery withStatus(Status newStatus) {
        return new PositionQuery(newStatus, account, staleMinutes, limit, offset, symbol, activeFrom, activeTo, order);
    }

    public PositionQuery withAccount(String newAccount) {
        return new PositionQuery(status, newAccount, staleMinutes, limit, offset, symbol, activeFrom, activeTo, order);
    }

    public PositionQuery withStaleMinutes(Integer minutes) {
        return new PositionQuery(status, account, minutes, limit, offset, symbol, activeFrom, activeTo, order);
    }

    public PositionQuery withPage(int newLimit, int newOffset) {
        return new PositionQuery(status, account, staleMinutes, newLimit, newOffset, symbol, activeFrom, activeTo, order);
    }
}

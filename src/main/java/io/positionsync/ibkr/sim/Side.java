package io.positionsync.ibkr.sim;

/** The side of a fill as IB reports it in {@code execDetails}: bought or sold. */
public enum Side {
    BOT,
    SLD;

    /** +1 for a buy, -1 for a sale: the sign a fill gives to the position change. */
    public int sign() {
        return this == BOT ? 1 : -1;
    }

    /**
     * Reads a side as a filter or scenario writes it: {@code BOT}/{@code BUY} or {@code SLD}/{@code SELL},
     * any case.
     */
    public static Side parse(String text) {
        switch (text.trim().toUpperCase(java.util.Locale.ROOT)) {
            case "BOT":
            case "BUY":
                return BOT;
            case "SLD":
            case "SELL":
                return SLD;
            default:
                throw new IllegalArgumentException("side must be BOT/BUY or SLD/SELL, got '" + text + "'");
        }
    }
}

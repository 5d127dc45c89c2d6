package io.positionsync.ibkr;

import io.positionsync.ibkr.wire.FieldWriter;
import io.positionsync.ibkr.wire.MessageIds;

/** Raw frames with field texts a well-behaved encoder would never write (a hostile or broken gateway). */
final class HostileFrames {
    private HostileFrames() {
    }

    /** A {@code position} (61, version 3) with the quantity and average cost exactly as given. */
    static byte[] position(String account, long conId, String quantity, String avgCost) {
        return new FieldWriter().add(MessageIds.POSITION).add(3).add(account).add(conId).add("SYM" + conId).add("STK")
                .add("").add("0").add("").add("").add("SMART").add("USD").add("SYM" + conId).add("NMS")
                .add(quantity).add(avgCost).frame();
    }

    /** An {@code updateAccountValue} (6) whose value is {@code size} characters long. */
    static byte[] bulkyAccountValue(String account, int size) {
        return new FieldWriter().add(MessageIds.UPDATE_ACCOUNT_VALUE).add(2).add("Padding").add("x".repeat(size))
                .add("USD").add(account).frame();
    }
}

package io.positionsync.ibkr;

import java.io.IOException;
import java.time.Duration;

/**
 * Messages could not be sent before the caller's deadline without going over the pace: nothing was sent and the
 * connection is left as it was.
 */
public final class PacingDeadlineException extends IOException {
    private static final long serialVersionUID = 1L;

    PacingDeadlineException(int messages, int perSecond, Duration wait) {
        super(messages + " message(s) would have to wait " + wait.toMillis() + " ms for the pace of " + perSecond
                + " a second (psync.ibkr.max-messages-per-second), past the deadline");
    }
}

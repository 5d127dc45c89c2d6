package io.positionsync.boot;

import java.util.Locale;

import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;

/**
 * The log line format, chosen by {@code PSYNC_LOG_FORMAT} in {@code logback.xml}: {@code text} (the pattern,
 * the default) or {@code json} (one JSON object per line, logback's {@link JsonEncoder}, for log shippers).
 * Any other value keeps text here (rather than losing the logs to a missing appender); the service then
 * refuses to start with a line saying so ({@link ConfigurationCheck#validateEnvironment}).
 */
public final class LogLineEncoder extends EncoderBase<ILoggingEvent> {
    private String format = "text";
    private String pattern = "%msg%n";
    private Encoder<ILoggingEvent> delegate;

    public void setFormat(String format) {
        this.format = format == null ? "text" : format.trim().toLowerCase(Locale.ROOT);
    }

    public void setPattern(String pattern) {
        this.pattern = pattern;
    }

    @Override
    public void start() {
        if ("json".equals(format)) {
            JsonEncoder json = new JsonEncoder();
            json.setContext(getContext());
            // The line as an operator reads it (the formatted message), without logback's bookkeeping.
            json.setWithSequenceNumber(false);
            json.setWithNanoseconds(false);
            json.setWithContext(false);
            json.setWithMessage(false);
            json.setWithArguments(false);
            json.setWithFormattedMessage(true);
            delegate = json;
        } else {
            if (!"text".equals(format) && !format.isEmpty()) {
                addInfo("PSYNC_LOG_FORMAT must be text or json, got '" + format + "': logging text");
            }
            PatternLayoutEncoder text = new PatternLayoutEncoder();
            text.setContext(getContext());
            text.setPattern(pattern);
            delegate = text;
        }
        delegate.start();
        super.start();
    }

    @Override
    public void stop() {
        if (delegate != null) {
            delegate.stop();
        }
        super.stop();
    }

    @Override
    public byte[] headerBytes() {
        return delegate.headerBytes();
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        return delegate.encode(event);
    }

    @Override
    public byte[] footerBytes() {
        return delegate.footerBytes();
    }
}

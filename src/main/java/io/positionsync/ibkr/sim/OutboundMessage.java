package io.positionsync.ibkr.sim;

import java.util.ArrayList;
import java.util.List;

import io.positionsync.ibkr.wire.FieldWriter;

/**
 * One message the gateway sends, kept as its text fields until framed, so a fault can corrupt it.
 * {@code keyIntField} is the index of an int field a decoder has to parse (conId where the message has one).
 */
final class OutboundMessage {
    /** What a corrupted int field reads as: not a number. */
    private static final String CORRUPTION_SUFFIX = "x";

    private final List<String> fields;
    private final int keyIntField;

    OutboundMessage(List<String> fields, int keyIntField) {
        this.fields = List.copyOf(fields);
        this.keyIntField = keyIntField;
    }

    int id() {
        return Integer.parseInt(fields.get(0));
    }

    List<String> fields() {
        return fields;
    }

    byte[] frame() {
        return frame(fields);
    }

    /** The same message with its key int field no longer a number. */
    byte[] malformedFrame() {
        List<String> corrupted = new ArrayList<>(fields);
        corrupted.set(keyIntField, corrupted.get(keyIntField) + CORRUPTION_SUFFIX);
        return frame(corrupted);
    }

    private static byte[] frame(List<String> values) {
        FieldWriter writer = new FieldWriter();
        values.forEach(writer::add);
        return writer.frame();
    }

    @Override
    public String toString() {
        return String.join("|", fields);
    }
}

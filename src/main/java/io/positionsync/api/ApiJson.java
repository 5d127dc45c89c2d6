package io.positionsync.api;

import java.io.IOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;

/**
 * The service's one JSON configuration, bound in the registry as {@link #BEAN} and used by every
 * {@code marshal: json} of the routes, by the answers written before a route (see {@link RequestGuards}) and by
 * the command line's JSON output. Money, prices and quantities ({@link BigDecimal}) are decimal strings as
 * {@link BigDecimal#toPlainString()} writes them ({@code "998.00"}), never floating-point numbers, so no client
 * rounds them; times ({@link Instant}) are ISO-8601 UTC strings and days ({@link LocalDate}) {@code YYYY-MM-DD};
 * absent values are {@code null}; a record's fields keep their declared order.
 */
public final class ApiJson {
    /** The registry name of the mapper. */
    public static final String BEAN = "jsonMapper";

    private ApiJson() {
    }

    /** A mapper configured as above (the service creates one and binds it). */
    public static ObjectMapper create() {
        SimpleModule module = new SimpleModule("position-sync");
        module.addSerializer(BigDecimal.class, new ToText<>(BigDecimal.class) {
            @Override
            String text(BigDecimal value) {
                return value.toPlainString();
            }
        });
        module.addSerializer(Instant.class, new ToText<>(Instant.class) {
            @Override
            String text(Instant value) {
                return value.toString();
            }
        });
        module.addSerializer(LocalDate.class, new ToText<>(LocalDate.class) {
            @Override
            String text(LocalDate value) {
                return value.toString();
            }
        });
        return new ObjectMapper().registerModule(module).disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
    }

    /** Writes a value as the JSON string {@link #text} makes of it. */
    private abstract static class ToText<T> extends StdSerializer<T> {
        private static final long serialVersionUID = 1L;

        ToText(Class<T> type) {
            super(type);
        }

        abstract String text(T value);

        @Override
        public void serialize(T value, JsonGenerator generator, SerializerProvider provider) throws IOException {
            generator.writeString(text(value));
        }
    }
}

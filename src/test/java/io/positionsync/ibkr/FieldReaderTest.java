package io.positionsync.ibkr;

import io.positionsync.ibkr.wire.FieldReader;
import io.positionsync.ibkr.wire.ProtocolException;
import io.positionsync.ibkr.wire.RepeatedTexts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The field reader parses the usual number forms straight from the bytes and everything else through the text:
 * whichever way a field takes, it must read as the text rules say ({@code Integer.parseInt}, {@code Long.parseLong},
 * {@code new BigDecimal} with the sentinels and bounds of {@link FieldReader#parseDecimal}), with the same errors.
 * Fields are read inside a larger buffer, between other bytes, as the reader thread reads them in place.
 */
class FieldReaderTest {

    /** One field placed at an offset of a buffer, with bytes either side that must not be read. */
    private static FieldReader fieldAt(String text, RepeatedTexts texts) {
        byte[] field = text.getBytes(StandardCharsets.UTF_8);
        byte[] buffer = new byte[field.length + 9];
        buffer[0] = '7';
        buffer[1] = '7';
        buffer[2] = 0;
        System.arraycopy(field, 0, buffer, 3, field.length);
        buffer[3 + field.length] = 0;
        buffer[buffer.length - 5] = '9';
        buffer[buffer.length - 1] = 0;
        FieldReader reader = new FieldReader(buffer, 3, field.length + 1, texts);
        return reader;
    }

    private static FieldReader fieldAt(String text) {
        return fieldAt(text, null);
    }

    /** What the text rules give: the value, or the exception's class and message. */
    private static Object expected(String text, Function<String, Object> rule) {
        try {
            return rule.apply(text);
        } catch (RuntimeException e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    private static Object actual(String text, Function<FieldReader, Object> read) {
        try {
            FieldReader reader = fieldAt(text);
            Object value = read.apply(reader);
            assertThat(reader.hasMore()).as("'%s' read whole", text).isFalse();
            return value;
        } catch (RuntimeException e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    private static Object textInt(String text) {
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new ProtocolException("expected an integer field, got '" + abbreviate(text) + "'");
        }
    }

    private static Object textIntOrAbsent(String raw) {
        String text = raw.trim();
        if (text.isEmpty() || FieldReader.UNSET_INT.equals(text)) {
            return null;
        }
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new ProtocolException("expected an integer field, got '" + abbreviate(text) + "'");
        }
    }

    private static Object textLong(String raw) {
        String text = raw.trim();
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new ProtocolException("expected an integer field, got '" + abbreviate(text) + "'");
        }
    }

    private static Object textLongOrAbsent(String raw) {
        String text = raw.trim();
        if (text.isEmpty() || FieldReader.UNSET_INT.equals(text) || FieldReader.UNSET_LONG.equals(text)) {
            return null;
        }
        return textLong(text);
    }

    private static Object textQuantity(String raw) {
        return FieldReader.UNSET_DECIMAL.equals(raw.trim()) ? null : FieldReader.parseDecimal(raw);
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }

    /** Every form the protocol writes numbers in, and the forms around them that must go the text's way. */
    private static final List<String> FORMS = List.of(
            "0", "1", "-1", "7", "178", "2104", "-30", "100", "265598", "1000000123", "1795000000", "20261218",
            "150.01", "160.5", "-4815", "-315.3", "0.5", "1.0", "0.00", "-0.0", "-0", "000123", "5.", ".5", "-.5",
            "123.4567", "99999999999999.99", "999999999999999.9", "1000000000000000", "0.000000000000000001",
            "123456789012345678", "1234567890123456789", "12345678901234567890", "2147483646", "2147483647",
            "2147483648", "-2147483648", "-2147483649", "9223372036854775806", "9223372036854775807",
            "-9223372036854775808", "1.7976931348623157E308", "1.7976931348623157e308", "1.79769313486232E308",
            FieldReader.UNSET_DECIMAL, "1E+2", "1.5e-3", "1e-99999999", "1E+299", "+5", "+0.5", "Infinity", "-Infinity",
            "NaN", "", " ", "  42  ", "\t7\t", " 150.01 ", " 2147483647 ", "1.2.3", "--1", "-", ".", "1-", "12a",
            "0x10", "1,5", "١٢٣", "１２", "4\u00a0", "ü", "0.1234567890123456789012345678901", "1" + "0".repeat(70));

    @Test
    void everyNumberFormReadsAsItsTextSays() {
        for (String text : FORMS) {
            assertThat(actual(text, FieldReader::readInt)).as("int '%s'", text).isEqualTo(expected(text, FieldReaderTest::textInt));
            assertThat(actual(text, FieldReader::readIntOrAbsent)).as("int or absent '%s'", text)
                    .isEqualTo(expected(text, FieldReaderTest::textIntOrAbsent));
            assertThat(actual(text, FieldReader::readLong)).as("long '%s'", text).isEqualTo(expected(text, FieldReaderTest::textLong));
            assertThat(actual(text, FieldReader::readLongOrAbsent)).as("long or absent '%s'", text)
                    .isEqualTo(expected(text, FieldReaderTest::textLongOrAbsent));
            assertThat(actual(text, FieldReader::readDecimalOrAbsent)).as("decimal '%s'", text)
                    .isEqualTo(expected(text, FieldReader::parseDecimal));
            assertThat(actual(text, FieldReader::readQuantityOrAbsent)).as("quantity '%s'", text)
                    .isEqualTo(expected(text, FieldReaderTest::textQuantity));
        }
    }

    @Test
    void randomNumberLikeTextsReadAsTheirTextSays() {
        Random random = new Random(20261130);
        String alphabet = "0123456789000111999.-+eE x";
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            StringBuilder text = new StringBuilder();
            int length = 1 + random.nextInt(24);
            for (int j = 0; j < length; j++) {
                // Mostly digits, so that many texts are numbers near the limits of each way of reading.
                text.append(random.nextInt(4) == 0 ? alphabet.charAt(random.nextInt(alphabet.length()))
                        : (char) ('0' + random.nextInt(10)));
            }
            texts.add(text.toString());
        }
        for (String text : texts) {
            assertThat(actual(text, FieldReader::readInt)).as("int '%s'", text).isEqualTo(expected(text, FieldReaderTest::textInt));
            assertThat(actual(text, FieldReader::readLongOrAbsent)).as("long or absent '%s'", text)
                    .isEqualTo(expected(text, FieldReaderTest::textLongOrAbsent));
            assertThat(actual(text, FieldReader::readDecimalOrAbsent)).as("decimal '%s'", text)
                    .isEqualTo(expected(text, FieldReader::parseDecimal));
        }
    }

    @Test
    void decimalsKeepTheirDigitsAndScale() {
        assertThat(fieldAt("150.01").readDecimalOrAbsent()).isEqualTo(new BigDecimal("150.01")).hasScaleOf(2);
        assertThat(fieldAt("1.50").readDecimalOrAbsent()).isEqualTo(new BigDecimal("1.50")).hasScaleOf(2);
        assertThat(fieldAt("-30").readDecimalOrAbsent()).isEqualTo(new BigDecimal("-30")).hasScaleOf(0);
        assertThat(fieldAt("0.000").readDecimalOrAbsent()).isEqualTo(new BigDecimal("0.000"));
        assertThat(fieldAt("0.000000000000000001").readDecimalOrAbsent()).isEqualTo(new BigDecimal("1E-18"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "1.7976931348623157E308", "2147483647", "9223372036854775807", "Infinity", "NaN"})
    void unsetSentinelsAndEmptyFieldsReadAsAbsent(String text) {
        assertThat(fieldAt(text).readDecimalOrAbsent()).isNull();
        assertThat(fieldAt(text).readQuantityOrAbsent()).isNull();
    }

    @Test
    void theDecimalQuantitySentinelIsAbsentOnlyForQuantities() {
        assertThat(fieldAt(FieldReader.UNSET_DECIMAL).readQuantityOrAbsent()).isNull();
        assertThatThrownBy(() -> fieldAt(FieldReader.UNSET_DECIMAL).readDecimalOrAbsent())
                .isInstanceOf(ProtocolException.class).hasMessageContaining("significant digits");
    }

    @Test
    void theUnsetIntIsAbsentAsAnOptionalLongButAValueWhenRequired() {
        assertThat(fieldAt("2147483647").readLongOrAbsent()).isNull();
        assertThat(fieldAt("2147483647").readIntOrAbsent()).isNull();
        assertThat(fieldAt("2147483647").readLong()).isEqualTo(2147483647L);
        assertThat(fieldAt("2147483646").readLongOrAbsent()).isEqualTo(2147483646L);
    }

    @Test
    void textIsUtf8AndOptionalTextIsNullWhenEmpty() {
        RepeatedTexts texts = new RepeatedTexts();
        assertThat(fieldAt("Zürich", texts).readText()).isEqualTo("Zürich");
        assertThat(fieldAt("Zürich", texts).readString()).isEqualTo("Zürich");
        assertThat(fieldAt("株式会社", texts).readText()).isEqualTo("株式会社");
        assertThat(fieldAt("", texts).readText()).isNull();
        assertThat(fieldAt("", texts).readSharedString()).isEmpty();
        assertThat(fieldAt("", null).readText()).isNull();
        assertThat(fieldAt("USD", null).readText()).isEqualTo("USD");
    }

    @Test
    void aFieldEndsAtTheEndOfItsPayloadNotOfTheBuffer() {
        byte[] buffer = "61\0003\0DU111\0trailing\0".getBytes(StandardCharsets.US_ASCII);
        // The payload ends inside "DU111": the NUL after it belongs to the next bytes of the buffer.
        FieldReader reader = new FieldReader(buffer, 0, 8);
        assertThat(reader.readInt()).isEqualTo(61);
        assertThat(reader.readInt()).isEqualTo(3);
        assertThatThrownBy(reader::readString).isInstanceOf(ProtocolException.class)
                .hasMessage("field is not NUL-terminated");
        assertThat(reader.hasMore()).isFalse();
        assertThatThrownBy(reader::readString).isInstanceOf(ProtocolException.class)
                .hasMessage("message ended early: expected another field");
        assertThatThrownBy(() -> new FieldReader(buffer, 20, 10)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void fieldsOfEveryLengthAndByteAreSplitAtTheirNul() {
        // Bytes that trip up word-at-a-time searches for a NUL: 0x01 after a NUL, 0x80 and above, 0xFF.
        byte[] alphabet = {'a', '9', 0x01, (byte) 0x80, (byte) 0x81, (byte) 0xFF, (byte) 0xC3, (byte) 0xBC, ' '};
        Random random = new Random(7);
        for (int offset = 0; offset < 9; offset++) {
            List<byte[]> fields = new ArrayList<>();
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            out.writeBytes(new byte[offset]);
            for (int length = 0; length <= 40; length++) {
                byte[] field = new byte[length];
                for (int i = 0; i < length; i++) {
                    field[i] = alphabet[random.nextInt(alphabet.length)];
                }
                fields.add(field);
                out.writeBytes(field);
                out.write(0);
            }
            out.write(0x01);
            byte[] buffer = out.toByteArray();
            FieldReader reader = new FieldReader(buffer, offset, buffer.length - offset - 1);
            for (byte[] field : fields) {
                assertThat(reader.readString()).isEqualTo(new String(field, StandardCharsets.UTF_8));
            }
            assertThat(reader.hasMore()).isFalse();
        }
    }
}

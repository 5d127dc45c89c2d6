package io.positionsync.ibkr;

import io.positionsync.ibkr.wire.FieldReader;
import io.positionsync.ibkr.wire.ProtocolException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Decimal fields within the bounds read exactly; beyond them they are protocol errors, decided at once. */
class DecimalBoundsTest {

    @ParameterizedTest
    @ValueSource(strings = {"150.01", "-30", "0.000000000000000000000000000001", "999999999999999.99", "4.9E-10",
        "123456789012345678901234567890.1234E-16", "0E-99999999"})
    void decimalsWithinTheBoundsAreRead(String text) {
        BigDecimal value = FieldReader.parseDecimal(text);
        assertThat(value).isEqualByComparingTo(new BigDecimal(text));
        assertThat(value.scale()).isLessThanOrEqualTo(30);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1e-99999999", "1E+299", "-1E+299", "1000000000000000", "4.9E-324",
        "1.00000000000000000000000000000000001", "12345678901234567890123456789012345",
        "0.0000000000000000000000000000000000000000000000000000000000000000000001"})
    void decimalsBeyondTheBoundsAreProtocolErrorsDecidedAtOnce(String text) {
        long started = System.nanoTime();
        assertThatThrownBy(() -> FieldReader.parseDecimal(text)).isInstanceOf(ProtocolException.class)
                .hasMessageStartingWith("decimal field out of bounds");
        assertThat(System.nanoTime() - started).isLessThan(1_000_000_000L);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.7976931348623157E308", "1.79769313486232E+308", "", "2147483647", "Infinity", "NaN"})
    void unsetSentinelsStillReadAsAbsent(String text) {
        assertThat(FieldReader.parseDecimal(text)).isNull();
    }
}

package io.positionsync.sync;

import java.math.BigDecimal;
import java.util.Objects;

/**
 * An account's {@code ExchangeRate} value ({@code updateAccountValue}): how many units of the account's base
 * currency one unit of {@code currency} is worth. The base currency itself has rate 1 (IB also reports it
 * under the pseudo-currency {@code BASE}).
 */
public record ExchangeRate(String account, String currency, BigDecimal rate) {

    public ExchangeRate {
        Objects.requireNonNull(account, "account");
        Objects.requireNonNull(currency, "currency");
        Objects.requireNonNull(rate, "rate");
    }
}

package io.positionsync.store;

import java.math.BigDecimal;
import java.util.List;

/**
 * One account's total P&L in its base currency, converted with the last exchange rates a run saw for it.
 *
 * @param totalPnl         {@code null} when a currency of the account has no known rate
 * @param missingRates     the currencies without a rate
 */
public record BaseCurrencyTotal(String account, String baseCurrency, BigDecimal totalPnl, List<String> missingRates) {

    public BaseCurrencyTotal {
        missingRates = List.copyOf(missingRates);
    }
}

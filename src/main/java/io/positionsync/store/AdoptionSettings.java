package io.positionsync.store;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import io.positionsync.Settings;

/**
 * How the service adopts a trading bot's database ({@code psync.adopt.*}): the schema of its own tables, the bot's
 * table, the bot's column names and status values. The defaults fit the bot's seed (SQLAlchemy model, Alembic
 * revisions 001..004).
 *
 * @param serviceSchema the schema of the service's own tables and its Flyway history
 * @param botSchema     the bot's schema; null: the connection's current schema (usually {@code public})
 * @param botTable      the bot's positions table
 * @param columns       the bot's column names
 * @param statusOpen    how the bot spells an open row; null: as the rows spell it (detected by {@code adopt})
 * @param statusClosed  how the bot spells a closed row; null: likewise
 */
public record AdoptionSettings(String serviceSchema, String botSchema, String botTable, BotColumns columns,
        String statusOpen, String statusClosed) {

    public static final String SCHEMA = "psync.adopt.schema";

    /**
     * The bot's column names. {@code account}, {@code secType} and {@code currency} are used for matching and
     * filled in new rows only when the bot's table has them; {@code lastSyncedAt} and {@code realizedPnl} are added
     * by {@code adopt} when missing.
     */
    public record BotColumns(String id, String symbol, String quantity, String averagePrice, String marketPrice,
            String unrealizedPnl, String status, String openedAt, String closedAt, String lastSyncedAt,
            String realizedPnl, String account, String secType, String currency) {

        /** Role -> column name, in the order the dry run shows them. */
        public Map<String, String> byRole() {
            Map<String, String> roles = new LinkedHashMap<>();
            roles.put("id", id);
            roles.put("symbol", symbol);
            roles.put("quantity", quantity);
            roles.put("average price", averagePrice);
            roles.put("market price", marketPrice);
            roles.put("unrealized P&L", unrealizedPnl);
            roles.put("status", status);
            roles.put("opened at", openedAt);
            roles.put("closed at", closedAt);
            roles.put("last synced at", lastSyncedAt);
            roles.put("realized P&L", realizedPnl);
            roles.put("account", account);
            roles.put("security type", secType);
            roles.put("currency", currency);
            return roles;
        }
    }

    public static AdoptionSettings from(Settings settings) {
        BotColumns columns = new BotColumns(
                column(settings, "id", "id"),
                column(settings, "symbol", "symbol"),
                column(settings, "quantity", "quantity"),
                column(settings, "average-price", "entry_price"),
                column(settings, "market-price", "current_price"),
                column(settings, "unrealized-pnl", "unrealized_pnl"),
                column(settings, "status", "status"),
                column(settings, "opened-at", "opened_at"),
                column(settings, "closed-at", "closed_at"),
                column(settings, "last-synced-at", "last_synced_at"),
                column(settings, "realized-pnl", "realized_pnl"),
                column(settings, "account", "account"),
                column(settings, "sec-type", "sec_type"),
                column(settings, "currency", "currency"));
        return new AdoptionSettings(settings.find(SCHEMA).orElse("position_sync"),
                settings.find("psync.adopt.bot-schema").orElse(null),
                settings.find("psync.adopt.bot-table").orElse("positions"), columns,
                settings.find("psync.adopt.status-open").orElse(null),
                settings.find("psync.adopt.status-closed").orElse(null));
    }

    private static String column(Settings settings, String role, String fallback) {
        Optional<String> value = settings.find("psync.adopt.column." + role);
        return value.orElse(fallback);
    }

    /** {@code name} as a quoted SQL identifier (names come from the configuration and the catalog, never from rows). */
    static String quote(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }
}

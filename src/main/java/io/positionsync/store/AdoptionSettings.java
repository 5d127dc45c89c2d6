package io.positionsync.store;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

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
 * @param mapped        the roles whose column the configuration names other than by its default (a column the
 *                      operator named must exist: adoption never falls back to not keeping it)
 */
public record AdoptionSettings(String serviceSchema, String botSchema, String botTable, BotColumns columns,
        String statusOpen, String statusClosed, Set<String> mapped) {

    /** Role (as {@link BotColumns#byRole()} names it) -> the key after {@code psync.adopt.column.}, and its default. */
    private static final Map<String, String[]> ROLE_KEYS = roleKeys();

    public static final String SCHEMA = "psync.adopt.schema";
    /** The bot's column of each role is named by the key with this prefix and the role's key ({@link #COLUMN_KEYS}). */
    public static final String COLUMN_PREFIX = "psync.adopt.column.";
    /** The schema of the service's own tables when none is configured. */
    public static final String DEFAULT_SCHEMA = "position_sync";
    /** The bot's positions table when none is configured. */
    public static final String DEFAULT_TABLE = "positions";
    /** The roles in the order the dry run shows them. */
    private static final List<String> ROLES = List.of("id", "symbol", "quantity", "average price", "market price",
            "unrealized P&L", "status", "opened at", "closed at", "last synced at", "realized P&L", "account",
            "security type", "currency");
    /** The key of each role's column after {@link #COLUMN_PREFIX}: {@code id}, ..., {@code average-price}, ... */
    public static final List<String> COLUMN_KEYS = ROLES.stream().map(role -> ROLE_KEYS.get(role)[0]).toList();

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

        /** The environment variable that names the column of {@code role}: {@code PSYNC_ADOPT_COLUMN_SYMBOL}. */
        public static String variable(String role) {
            return "PSYNC_ADOPT_COLUMN_" + ROLE_KEYS.get(role)[0].toUpperCase(Locale.ROOT).replace('-', '_');
        }
    }

    private static Map<String, String[]> roleKeys() {
        Map<String, String[]> keys = new LinkedHashMap<>();
        keys.put("id", new String[] {"id", "id"});
        keys.put("symbol", new String[] {"symbol", "symbol"});
        keys.put("quantity", new String[] {"quantity", "quantity"});
        keys.put("average price", new String[] {"average-price", "entry_price"});
        keys.put("market price", new String[] {"market-price", "current_price"});
        keys.put("unrealized P&L", new String[] {"unrealized-pnl", "unrealized_pnl"});
        keys.put("status", new String[] {"status", "status"});
        keys.put("opened at", new String[] {"opened-at", "opened_at"});
        keys.put("closed at", new String[] {"closed-at", "closed_at"});
        keys.put("last synced at", new String[] {"last-synced-at", "last_synced_at"});
        keys.put("realized P&L", new String[] {"realized-pnl", "realized_pnl"});
        keys.put("account", new String[] {"account", "account"});
        keys.put("security type", new String[] {"sec-type", "sec_type"});
        keys.put("currency", new String[] {"currency", "currency"});
        return Map.copyOf(keys);
    }

    /**
     * The settings with the bot's columns named in {@code columnNames} (the key after {@code psync.adopt.column.}, such
     * as {@code average-price}, -> the column's name); a column not named there has its default name.
     */
    public static AdoptionSettings of(String serviceSchema, String botSchema, String botTable,
            Map<String, String> columnNames, String statusOpen, String statusClosed) {
        Map<String, String> named = new LinkedHashMap<>();
        Set<String> mapped = new HashSet<>();
        for (String role : ROLES) {
            String[] key = ROLE_KEYS.get(role);
            String name = columnNames.getOrDefault(key[0], key[1]);
            named.put(role, name);
            if (!name.equals(key[1])) {
                mapped.add(role);
            }
        }
        BotColumns columns = new BotColumns(named.get("id"), named.get("symbol"), named.get("quantity"),
                named.get("average price"), named.get("market price"), named.get("unrealized P&L"), named.get("status"),
                named.get("opened at"), named.get("closed at"), named.get("last synced at"), named.get("realized P&L"),
                named.get("account"), named.get("security type"), named.get("currency"));
        return new AdoptionSettings(serviceSchema, botSchema, botTable, columns, statusOpen, statusClosed,
                Set.copyOf(mapped));
    }

    /** The shipped defaults with the service's own tables in {@code serviceSchema}. */
    public static AdoptionSettings defaults(String serviceSchema) {
        return of(serviceSchema, null, DEFAULT_TABLE, Map.of(), null, null);
    }

    /** {@code name} as a quoted SQL identifier (names come from the configuration and the catalog, never from rows). */
    static String quote(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }
}

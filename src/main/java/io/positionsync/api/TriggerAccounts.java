package io.positionsync.api;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code accounts} query parameter of {@code POST /api/sync/positions}: account codes separated by commas (the
 * parameter may also be given more than once). Read from the query string only, never from a request header of the
 * same name. Without it the run is of every managed account.
 */
final class TriggerAccounts {
    static final String PARAMETER = "accounts";
    /** More than this many accounts in one trigger is refused (a full run serves that). */
    static final int MAX_ACCOUNTS = 100;
    private static final Pattern ACCOUNT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,31}");
    static final String RULE = "accounts must be account codes separated by commas (letters, digits, '_', '.', '-', "
            + "at most 32 characters each, at most " + MAX_ACCOUNTS + " accounts)";

    private TriggerAccounts() {
    }

    /** The raw values of the {@code accounts} parameter in a query string ({@code null}: none). */
    static List<String> fromQuery(String query) {
        return fromQuery(query, PARAMETER);
    }

    /** The raw values of the parameter {@code parameter} in a query string ({@code null}: none). */
    static List<String> fromQuery(String query, String parameter) {
        if (query == null || query.isEmpty()) {
            return List.of();
        }
        List<String> values = new ArrayList<>();
        for (String pair : query.split("&")) {
            int equals = pair.indexOf('=');
            String name = decode(equals < 0 ? pair : pair.substring(0, equals));
            if (parameter.equals(name)) {
                values.add(equals < 0 ? "" : decode(pair.substring(equals + 1)));
            }
        }
        return values;
    }

    private static String decode(String text) {
        try {
            return URLDecoder.decode(text, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(RULE);
        }
    }

    /** The accounts named, in order, without repeats; empty when none is named. 400 for anything else. */
    static Set<String> parse(List<String> values) {
        if (values == null || values.isEmpty()) {
            return Set.of();
        }
        Set<String> accounts = new LinkedHashSet<>();
        for (String value : values) {
            for (String part : value.split(",", -1)) {
                String account = part.trim();
                if (!ACCOUNT.matcher(account).matches()) {
                    throw ApiException.badRequest(RULE);
                }
                accounts.add(account);
            }
        }
        if (accounts.size() > MAX_ACCOUNTS) {
            throw ApiException.badRequest(RULE);
        }
        return Collections.unmodifiableSet(accounts);
    }
}

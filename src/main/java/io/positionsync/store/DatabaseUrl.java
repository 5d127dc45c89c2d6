package io.positionsync.store;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The database URL as an operator may write it, turned into the JDBC URL the driver takes. Besides
 * {@code jdbc:postgresql://HOST:PORT/DB}, the forms a Python bot's configuration uses are accepted: libpq's
 * {@code postgresql://USER:PASSWORD@HOST:PORT/DB} (and {@code postgres://}), SQLAlchemy's
 * {@code postgresql+psycopg2://...} (any {@code +driver}); user and password written inside the URL (which the JDBC
 * driver does not read there) become the connection's user and password, unless {@code PSYNC_DB_USER} /
 * {@code PSYNC_DB_PASSWORD} are set. Anything else is refused with the form to write.
 *
 * @param jdbcUrl  {@code jdbc:postgresql://HOST[:PORT][/DB][?PARAMS]}
 * @param user     the user written in the URL, if any
 * @param password the password written in the URL, if any
 */
public record DatabaseUrl(String jdbcUrl, Optional<String> user, Optional<String> password) {
    private static final Pattern FORM = Pattern.compile("(?i)^(jdbc:postgresql|postgresql|postgres)(\\+[a-z0-9_]+)?://(.*)$");
    static final String EXPECTED = "a PostgreSQL URL such as jdbc:postgresql://HOST:5432/DB or postgresql://USER:PASSWORD@HOST:5432/DB";

    /** Parses {@code url}; throws {@link IllegalArgumentException} (whose message never shows a password) otherwise. */
    public static DatabaseUrl parse(String url) {
        String text = url.trim();
        Matcher m = FORM.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("must be " + EXPECTED + ", got '" + Database.displayUrl(text) + "'");
        }
        String rest = m.group(3);
        int end = indexOfAny(rest, "/?");
        String authority = end < 0 ? rest : rest.substring(0, end);
        String tail = end < 0 ? "" : rest.substring(end);
        Optional<String> user = Optional.empty();
        Optional<String> password = Optional.empty();
        int at = authority.lastIndexOf('@');
        if (at >= 0) {
            String userInfo = authority.substring(0, at);
            authority = authority.substring(at + 1);
            int colon = userInfo.indexOf(':');
            String u = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
            user = u.isEmpty() ? Optional.empty() : Optional.of(u);
            if (colon >= 0) {
                String p = decode(userInfo.substring(colon + 1));
                password = p.isEmpty() ? Optional.empty() : Optional.of(p);
            }
        }
        if (authority.isEmpty()) {
            // libpq's postgresql:///db?host=/run/postgresql: a Unix socket, which the JDBC driver does not reach
            throw new IllegalArgumentException("names no host (a Unix-socket URL?): the service connects over TCP; write "
                    + EXPECTED + ", got '" + Database.displayUrl(text) + "'");
        }
        return new DatabaseUrl("jdbc:postgresql://" + authority + tail, user, password);
    }

    /** Whether {@code url} is written in another form than the JDBC one the driver reads as it is. */
    public static boolean converted(String url) {
        String text = url.trim().toLowerCase(Locale.ROOT);
        if (!text.startsWith("jdbc:postgresql://")) {
            return true;
        }
        String rest = text.substring("jdbc:postgresql://".length());
        int end = indexOfAny(rest, "/?");
        return (end < 0 ? rest : rest.substring(0, end)).contains("@");
    }

    private static int indexOfAny(String text, String characters) {
        for (int i = 0; i < text.length(); i++) {
            if (characters.indexOf(text.charAt(i)) >= 0) {
                return i;
            }
        }
        return -1;
    }

    private static String decode(String text) {
        try {
            return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return text;
        }
    }

    /** Never shows the password. */
    @Override
    public String toString() {
        return "DatabaseUrl[" + Database.displayUrl(jdbcUrl) + ", user=" + user.orElse("") + "]";
    }
}

package io.positionsync.sync;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Which broker position each open row of an adopted bot's table stands for, when no link says it yet.
 *
 * <p>A row's candidates are the open positions not linked to any row whose symbol equals the row's (trimmed, case
 * ignored) and whose account, security type and currency equal the row's wherever the row says them (a column the
 * bot does not have, or a NULL in it, does not narrow). Then:
 *
 * <table>
 * <caption>decision per open unlinked bot row</caption>
 * <tr><th>candidates</th><th>other rows whose only candidate is the same</th><th>outcome</th></tr>
 * <tr><td>exactly one</td><td>none</td><td>{@link Outcome#LINKED}: the row stands for it from now on</td></tr>
 * <tr><td>exactly one</td><td>one or more</td><td>{@link Outcome#CLAIMED_TWICE}: break, every claiming row left as it is</td></tr>
 * <tr><td>none, but a position another row already stands for matches</td><td>-</td>
 * <td>{@link Outcome#ALREADY_HAS_ROW}: break, row left as it is (a second row for one position)</td></tr>
 * <tr><td>none</td><td>-</td><td>{@link Outcome#NO_POSITION}: break, row left as it is</td></tr>
 * <tr><td>several</td><td>-</td><td>{@link Outcome#SEVERAL_POSITIONS}: break, row left as it is</td></tr>
 * </table>
 *
 * A position any unmatched row names as a candidate is never given a new bot row: that would duplicate the row
 * the bot may mean, so it waits until the break is resolved.
 */
public final class BotRowMatching {
    private BotRowMatching() {
    }

    /** An open row of the bot's table that no link names; {@code account}, {@code secType}, {@code currency} may be null. */
    public record BotRow(long id, String symbol, String account, String secType, String currency) {
    }

    /** An open position no bot row stands for yet (a lifecycle, or in a preview a broker position). */
    public record Candidate(long id, String account, String symbol, String secType, String currency) {
    }

    /** How a row came out. */
    public enum Outcome {
        LINKED, NO_POSITION, ALREADY_HAS_ROW, SEVERAL_POSITIONS, CLAIMED_TWICE
    }

    /** The outcome for one row; {@code candidates} as found (the linked one alone when linked). */
    public record Match(BotRow row, Outcome outcome, List<Candidate> candidates) {

        public boolean linked() {
            return outcome == Outcome.LINKED;
        }

        /** One line for the status API and the dry run. */
        public String describe() {
            String what = "bot row " + row.id() + " (" + row.symbol() + (row.account() == null ? "" : " in " + row.account())
                    + ")";
            return switch (outcome) {
                case LINKED -> what + " stands for " + candidates.get(0).account() + " " + candidates.get(0).symbol();
                case NO_POSITION -> what + ": no open broker position matches it; the row is left as it is";
                case ALREADY_HAS_ROW -> what + ": the broker position it matches (" + candidates.get(0).account() + " "
                        + candidates.get(0).symbol() + ") already has a bot row; the row is left as it is";
                case SEVERAL_POSITIONS -> what + ": " + candidates.size() + " open broker positions match it (set its "
                        + "account, security type or currency); the row is left as it is";
                case CLAIMED_TWICE -> what + ": other open bot rows match the same broker position ("
                        + candidates.get(0).account() + " " + candidates.get(0).symbol()
                        + "); the rows are left as they are";
            };
        }
    }

    /** Every row's outcome, in the rows' order, when no position has a row yet. */
    public static List<Match> match(List<BotRow> rows, List<Candidate> positions) {
        return match(rows, positions, List.of());
    }

    /**
     * Every row's outcome, in the rows' order; {@code withRows} are the open positions some row already stands for
     * (never candidates, only named when they are what a row means).
     */
    public static List<Match> match(List<BotRow> rows, List<Candidate> positions, List<Candidate> withRows) {
        // By symbol first: a first sync may hold many thousands of positions, a bot a few open rows.
        Map<String, List<Candidate>> bySymbol = new HashMap<>();
        for (Candidate position : positions) {
            if (position.symbol() != null) {
                bySymbol.computeIfAbsent(normal(position.symbol()), s -> new ArrayList<>()).add(position);
            }
        }
        List<List<Candidate>> found = new ArrayList<>();
        Map<Long, Integer> soleClaims = new HashMap<>();
        for (BotRow row : rows) {
            List<Candidate> candidates = row.symbol() == null ? List.of()
                    : bySymbol.getOrDefault(normal(row.symbol()), List.of()).stream().filter(p -> matches(row, p)).toList();
            found.add(candidates);
            if (candidates.size() == 1) {
                soleClaims.merge(candidates.get(0).id(), 1, Integer::sum);
            }
        }
        List<Match> matches = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            List<Candidate> candidates = found.get(i);
            Outcome outcome;
            if (candidates.isEmpty()) {
                BotRow row = rows.get(i);
                candidates = withRows.stream().filter(p -> matches(row, p)).toList();
                outcome = candidates.isEmpty() ? Outcome.NO_POSITION : Outcome.ALREADY_HAS_ROW;
            } else if (candidates.size() > 1) {
                outcome = Outcome.SEVERAL_POSITIONS;
            } else {
                outcome = soleClaims.get(candidates.get(0).id()) == 1 ? Outcome.LINKED : Outcome.CLAIMED_TWICE;
            }
            matches.add(new Match(rows.get(i), outcome, candidates));
        }
        return matches;
    }

    private static boolean matches(BotRow row, Candidate position) {
        return same(row.symbol(), position.symbol()) && narrows(row.account(), position.account())
                && narrows(row.secType(), position.secType()) && narrows(row.currency(), position.currency());
    }

    private static boolean narrows(String rowValue, String positionValue) {
        return rowValue == null || rowValue.isBlank() || same(rowValue, positionValue);
    }

    private static boolean same(String a, String b) {
        return a != null && b != null && normal(a).equals(normal(b));
    }

    private static String normal(String value) {
        return Objects.requireNonNull(value).trim().toUpperCase(Locale.ROOT);
    }
}

package io.positionsync.sync;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.positionsync.sync.BotRowMatching.BotRow;
import io.positionsync.sync.BotRowMatching.Candidate;
import io.positionsync.sync.BotRowMatching.Match;
import io.positionsync.sync.BotRowMatching.Outcome;

/** The decision table of {@link BotRowMatching}, row by row. */
class BotRowMatchingTest {
    private static final Candidate AAPL_1 = new Candidate(10, "DU1", "AAPL", "STK", "USD");
    private static final Candidate AAPL_2 = new Candidate(11, "DU2", "AAPL", "STK", "USD");
    private static final Candidate ES = new Candidate(12, "DU1", "ES", "FUT", "USD");
    private static final Candidate SAP_EUR = new Candidate(13, "DU1", "SAP", "STK", "EUR");
    private static final Candidate SAP_USD = new Candidate(14, "DU1", "SAP", "STK", "USD");
    private static final List<Candidate> HELD = List.of(AAPL_1, AAPL_2, ES, SAP_EUR, SAP_USD);

    private static Match one(BotRow row) {
        return BotRowMatching.match(List.of(row), HELD).get(0);
    }

    @Test
    void oneCandidateLinksTheRowWhateverTheSymbolsCaseAndSpaces() {
        Match match = one(new BotRow(1, " aapl ", "DU1", null, null));

        assertThat(match.outcome()).isEqualTo(Outcome.LINKED);
        assertThat(match.candidates()).containsExactly(AAPL_1);
    }

    @Test
    void aRowWithoutAnAccountMatchesInEveryAccountSoTwoAccountsAreSeveral() {
        Match match = one(new BotRow(1, "AAPL", null, null, null));

        assertThat(match.outcome()).isEqualTo(Outcome.SEVERAL_POSITIONS);
        assertThat(match.candidates()).containsExactly(AAPL_1, AAPL_2);
    }

    @Test
    void theCurrencyNarrowsWhereTheRowSaysIt() {
        assertThat(one(new BotRow(1, "SAP", "DU1", "STK", "EUR")).candidates()).containsExactly(SAP_EUR);
        assertThat(one(new BotRow(1, "SAP", "DU1", "STK", null)).outcome()).isEqualTo(Outcome.SEVERAL_POSITIONS);
    }

    @Test
    void nothingHeldIsNoPosition() {
        Match match = one(new BotRow(3, "MSFT", "DU1", null, null));

        assertThat(match.outcome()).isEqualTo(Outcome.NO_POSITION);
        assertThat(match.describe()).isEqualTo("bot row 3 (MSFT in DU1): no open broker position matches it; the row is "
                + "left as it is");
    }

    @Test
    void aSecondRowForAPositionThatHasOneAlreadySaysSo() {
        Match match = BotRowMatching.match(List.of(new BotRow(9, "ES", "DU1", null, null)),
                List.of(AAPL_1), List.of(ES)).get(0);

        assertThat(match.outcome()).isEqualTo(Outcome.ALREADY_HAS_ROW);
        assertThat(match.describe()).isEqualTo("bot row 9 (ES in DU1): the broker position it matches (DU1 ES) already "
                + "has a bot row; the row is left as it is");
    }

    @Test
    void twoRowsWhoseOnlyCandidateIsTheSamePositionAreBothLeftAlone() {
        List<Match> matches = BotRowMatching.match(List.of(new BotRow(4, "ES", "DU1", null, null),
                new BotRow(5, "ES", null, "FUT", null), new BotRow(1, "AAPL", "DU1", null, null)), HELD);

        assertThat(matches).extracting(Match::outcome).containsExactly(Outcome.CLAIMED_TWICE, Outcome.CLAIMED_TWICE,
                Outcome.LINKED);
    }
}

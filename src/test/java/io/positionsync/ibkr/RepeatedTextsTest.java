package io.positionsync.ibkr;

import io.positionsync.ibkr.wire.RepeatedTexts;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Repeated texts are one instance each; every text, shared or not, reads exactly as its bytes say. */
class RepeatedTextsTest {

    private static String read(RepeatedTexts texts, String text) {
        byte[] bytes = ("xx" + text + "yy").getBytes(StandardCharsets.UTF_8);
        int length = bytes.length - 4;
        return texts.text(bytes, 2, length);
    }

    @Test
    void aRepeatedTextIsTheSameInstance() {
        RepeatedTexts texts = new RepeatedTexts();
        String first = read(texts, "DU1000001");
        assertThat(read(texts, "DU1000001")).isEqualTo("DU1000001").isSameAs(first);
        assertThat(read(texts, "USD")).isSameAs(read(texts, "USD"));
    }

    @Test
    void manyDifferentTextsEachReadAsThemselves() {
        RepeatedTexts texts = new RepeatedTexts();
        // Far more texts than slots, so that slots are taken over again and again (and texts share hashes:
        // "Aa" and "BB" hash alike, as do their concatenations).
        List<String> all = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            all.add("DU" + i);
        }
        all.addAll(List.of("Aa", "BB", "AaAa", "AaBB", "BBAa", "BBBB", "", "a", "A"));
        Map<String, String> seen = new HashMap<>();
        for (int round = 0; round < 3; round++) {
            for (String text : all) {
                String read = read(texts, text);
                assertThat(read).isEqualTo(text);
                seen.put(text, read);
            }
        }
        // Texts read again right after each other come from the table.
        for (String text : List.of("Aa", "BB", "STK", "OPT", "SMART")) {
            String once = read(texts, text);
            assertThat(read(texts, text)).isSameAs(once);
        }
    }

    @Test
    void nonAsciiAndLongTextsAreDecodedEachTime() {
        RepeatedTexts texts = new RepeatedTexts();
        assertThat(read(texts, "Zürich")).isEqualTo("Zürich");
        assertThat(read(texts, "Zürich")).isEqualTo("Zürich");
        assertThat(read(texts, "日本取引所")).isEqualTo("日本取引所");
        String longText = "X".repeat(RepeatedTexts.MAX_LENGTH + 1);
        assertThat(read(texts, longText)).isEqualTo(longText);
        String longest = "Y".repeat(RepeatedTexts.MAX_LENGTH);
        assertThat(read(texts, longest)).isEqualTo(longest).isSameAs(read(texts, longest));
        // Invalid UTF-8 reads as String does (a replacement character), not as Latin-1.
        byte[] invalid = {'A', (byte) 0xC3};
        assertThat(texts.text(invalid, 0, 2)).isEqualTo(new String(invalid, StandardCharsets.UTF_8));
    }
}

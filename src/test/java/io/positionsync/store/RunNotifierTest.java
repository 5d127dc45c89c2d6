package io.positionsync.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.positionsync.sync.ChangeKind;
import io.positionsync.sync.HistoryEntry;
import io.positionsync.sync.LifecycleWrite;
import io.positionsync.sync.PositionStatus;
import io.positionsync.sync.RealizedPnlSource;
import io.positionsync.sync.StoredPosition;
import io.positionsync.sync.SyncTrigger;

/** The notification's payload: valid JSON whatever the names hold, always under PostgreSQL's 8000 bytes. */
class RunNotifierTest {
    private static final Instant AT = Instant.parse("2026-12-05T21:00:00.123456Z");
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void changesAreListedMarketOnlyTouchesCountedAndTextEscaped() throws Exception {
        List<LifecycleWrite> writes = List.of(
                write(7, "DU\"1\\", 265598, "A\u0001\"B\n", List.of(ChangeKind.CLOSED, ChangeKind.OPENED)),
                new LifecycleWrite(0, false, row(8, "DU1", 1, "XYZ"), List.of(), 0, false, List.of(), true, false),
                new LifecycleWrite(0, false, row(9, "DU1", 2, "ABC"), List.of(), 0, false, List.of(), true, true));

        JsonNode payload = JSON.readTree(RunNotifier.payload(42, SyncTrigger.TIMER, AT, List.of("DU1", "DU\"1\\"), writes));

        assertThat(payload.get("runId").asLong()).isEqualTo(42);
        assertThat(payload.get("trigger").asText()).isEqualTo("TIMER");
        assertThat(payload.get("at").asText()).isEqualTo("2026-12-05T21:00:00.123456Z");
        assertThat(payload.get("accounts").get(1).asText()).isEqualTo("DU\"1\\");
        assertThat(payload.get("truncated").asBoolean()).isFalse();
        assertThat(payload.get("changeCount").asInt()).isEqualTo(1);
        assertThat(payload.get("marketUpdates").asInt()).as("the unchanged touch is not counted").isEqualTo(1);
        JsonNode change = payload.get("changes").get(0);
        assertThat(change.get("symbol").asText()).isEqualTo("A\u0001\"B\n");
        assertThat(change.get("lifecycleId").asLong()).isEqualTo(7);
        assertThat(change.get("changes")).extracting(JsonNode::asText).containsExactly("CLOSED", "OPENED");
        assertThat(change.get("quantity").decimalValue()).isEqualByComparingTo("12.5");
    }

    @Test
    void changesThatDoNotFitLeaveCountsAndAccountsThatDoNotFitLeaveTheirCount() throws Exception {
        List<LifecycleWrite> many = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            many.add(write(i + 1, "DU1", 1000 + i, "S" + i, List.of(ChangeKind.INCREASED)));
        }
        String truncated = RunNotifier.payload(5, SyncTrigger.MANUAL, AT, List.of("DU1"), many);
        JsonNode payload = JSON.readTree(truncated);
        assertThat(payload.get("truncated").asBoolean()).isTrue();
        assertThat(payload.has("changes")).isFalse();
        assertThat(payload.get("changeCount").asInt()).isEqualTo(200);
        assertThat(payload.get("accounts")).extracting(JsonNode::asText).containsExactly("DU1");

        List<String> accounts = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            accounts.add("DU" + (1_000_000 + i));
        }
        String bare = RunNotifier.payload(5, SyncTrigger.MANUAL, AT, accounts, many);
        JsonNode withoutAccounts = JSON.readTree(bare);
        assertThat(withoutAccounts.has("accounts")).isFalse();
        assertThat(withoutAccounts.get("accountCount").asInt()).isEqualTo(1000);
        assertThat(withoutAccounts.get("truncated").asBoolean()).isTrue();
        assertThat(bytes(bare)).isLessThanOrEqualTo(RunNotifier.MAX_PAYLOAD_BYTES);
    }

    @Test
    void thePayloadStaysUnderTheLimitAtEverySizeAroundIt() throws Exception {
        // multi-byte symbols: the limit counts bytes, not characters
        List<LifecycleWrite> writes = new ArrayList<>();
        boolean sawFull = false;
        boolean sawTruncated = false;
        for (int i = 0; i < 120; i++) {
            writes.add(write(i + 1, "DU1", i, "\u00e9\u00e9\u00e9\u00e9" + i, List.of(ChangeKind.OPENED)));
            String payload = RunNotifier.payload(1, SyncTrigger.MANUAL, AT, List.of("DU1"), writes);
            assertThat(bytes(payload)).isLessThanOrEqualTo(RunNotifier.MAX_PAYLOAD_BYTES);
            JsonNode node = JSON.readTree(payload);
            if (node.get("truncated").asBoolean()) {
                sawTruncated = true;
            } else {
                sawFull = true;
                assertThat(sawTruncated).as("once truncated, more changes stay truncated").isFalse();
                assertThat(node.get("changes")).hasSize(i + 1);
            }
        }
        assertThat(sawFull).isTrue();
        assertThat(sawTruncated).isTrue();
    }

    @Test
    void aChannelIsAPlainLowerCaseIdentifierAndEmptyTurnsItOff() {
        assertThat(RunNotifier.on("position_sync").channel()).isEqualTo("position_sync");
        assertThat(RunNotifier.on("_bot2").channel()).isEqualTo("_bot2");
        assertThat(RunNotifier.on("")).isSameAs(RunNotifier.NONE);
        assertThat(RunNotifier.on(null).channel()).isNull();
        for (String bad : List.of("Position_Sync", "position-sync", "2fast", "a b", "x;NOTIFY y", "a".repeat(64))) {
            assertThatThrownBy(() -> RunNotifier.on(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("plain lower case identifier");
        }
    }

    private static int bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }

    private static LifecycleWrite write(long id, String account, long conId, String symbol, List<ChangeKind> kinds) {
        List<HistoryEntry> history = new ArrayList<>();
        for (ChangeKind kind : kinds) {
            history.add(new HistoryEntry(kind, BigDecimal.ZERO, new BigDecimal("12.5"), BigDecimal.ONE, null, null, null,
                    null, null, null, null, null, List.of(), AT));
        }
        return new LifecycleWrite(0, true, row(id, account, conId, symbol), List.of(), 0, false, history, false);
    }

    private static StoredPosition row(long id, String account, long conId, String symbol) {
        return new StoredPosition(id, account, conId, symbol, "STK", "USD", BigDecimal.ONE, new BigDecimal("12.5"),
                BigDecimal.ONE, null, null, BigDecimal.ZERO, RealizedPnlSource.values()[0], PositionStatus.OPEN, AT, null,
                AT);
    }
}

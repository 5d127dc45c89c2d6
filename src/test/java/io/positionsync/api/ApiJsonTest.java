package io.positionsync.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.positionsync.store.PositionHistoryEntry;
import io.positionsync.sync.ChangeKind;
import io.positionsync.sync.PositionStatus;
import io.positionsync.sync.RealizedPnlSource;

/** The service's one JSON configuration writes what the API has always written. */
class ApiJsonTest {
    private record Row(String symbol, BigDecimal quantity, BigDecimal price, Instant at, LocalDate day, Long missing) {
    }

    @Test
    void decimalsAreStringsAsWrittenTimesAreUtcAndNullsStay() throws Exception {
        Row row = new Row("AAPL", new BigDecimal("-30"), new BigDecimal("998.00"), Instant.parse("2026-03-02T14:30:00Z"),
                LocalDate.of(2026, 3, 2), null);

        assertThat(ApiJson.create().writeValueAsString(row)).isEqualTo("{\"symbol\":\"AAPL\",\"quantity\":\"-30\","
                + "\"price\":\"998.00\",\"at\":\"2026-03-02T14:30:00Z\",\"day\":\"2026-03-02\",\"missing\":null}");
    }

    @Test
    void aDecimalIsNeverWrittenInScientificNotationNorAsANumber() throws Exception {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("large", new BigDecimal("1E+3"));
        values.put("small", new BigDecimal("0.00000012"));
        values.put("precise", new BigDecimal("12345678901234567890.123456789"));

        assertThat(ApiJson.create().writeValueAsString(values))
                .isEqualTo("{\"large\":\"1000\",\"small\":\"0.00000012\",\"precise\":\"12345678901234567890.123456789\"}");
    }

    @Test
    void anErrorAnswerKeepsItsShape() throws Exception {
        assertThat(ApiJson.create().writeValueAsString(new HttpResponses.ErrorView("no such endpoint: /x", 404)))
                .isEqualTo("{\"error\":\"no such endpoint: /x\",\"status\":404}");
    }

    @Test
    void aBreakViewHasTheFieldsOfTheApiInItsOrder() throws Exception {
        BreakView view = new BreakView(7, "REALIZED_PNL_MISMATCH", null, 3, 11L, "DU1", 265598, "AAPL", "USD",
                new BigDecimal("10.50"), new BigDecimal("10.00"), new BigDecimal("0.50"), new BigDecimal("0.01"),
                Instant.parse("2026-03-02T14:30:00Z"), "a note", null, null);

        String json = ApiJson.create().writeValueAsString(view);

        assertThat(json).isEqualTo("{\"id\":7,\"kind\":\"REALIZED_PNL_MISMATCH\",\"subject\":null,\"runId\":3,"
                + "\"positionId\":11,\"account\":\"DU1\",\"conId\":265598,\"symbol\":\"AAPL\",\"currency\":\"USD\","
                + "\"ours\":\"10.50\",\"broker\":\"10.00\",\"difference\":\"0.50\",\"tolerance\":\"0.01\","
                + "\"detectedAt\":\"2026-03-02T14:30:00Z\",\"note\":\"a note\",\"resolvedAt\":null,\"resolvedRunId\":null}");
        assertThat(Arrays.stream(BreakView.COLUMNS.split(",")).map(String::trim).toList()).hasSize(17);
    }

    @Test
    void aListedPositionCarriesItsPeakBesideItsFieldsNullWhenUnknown() throws Exception {
        PositionView position = new PositionView(4, "DU1", 265598, "AAPL", "STK", "USD", BigDecimal.ONE,
                PositionStatus.CLOSED, new BigDecimal("0"), null, null, null, new BigDecimal("12.50"),
                RealizedPnlSource.EXECUTIONS, Instant.parse("2026-03-02T14:30:00Z"), null, null);

        String listed = ApiJson.create().writeValueAsString(new PositionsApi.PositionRow(position, new BigDecimal("-30")));
        String unknownPeak = ApiJson.create().writeValueAsString(new PositionsApi.PositionRow(position, null));

        assertThat(listed).startsWith("{\"id\":4,\"account\":\"DU1\",\"conId\":265598,")
                .contains("\"status\":\"CLOSED\",\"quantity\":\"0\",\"averagePrice\":null,")
                .contains("\"realizedPnlSource\":\"EXECUTIONS\"")
                .endsWith("\"lastSyncedAt\":null,\"peakQuantity\":\"-30\"}");
        assertThat(unknownPeak).endsWith("\"peakQuantity\":null}");
    }

    @Test
    void theAmountBeforeAnAdjustmentIsShownForAdjustmentsOnly() throws Exception {
        String adjusted = ApiJson.create().writeValueAsString(HistoryEntryView.of(change(ChangeKind.ADJUSTED,
                new BigDecimal("2.50"), new BigDecimal("10.00"))));
        String adjustedUnknown = ApiJson.create().writeValueAsString(HistoryEntryView.of(change(ChangeKind.ADJUSTED,
                null, new BigDecimal("10.00"))));
        String closed = ApiJson.create().writeValueAsString(HistoryEntryView.of(change(ChangeKind.CLOSED,
                new BigDecimal("2.50"), new BigDecimal("10.00"))));

        assertThat(adjusted).contains("\"realizedPnlTotal\":\"10.00\",\"realizedPnlBefore\":\"7.50\",\"realizedPnlSource\"");
        assertThat(adjustedUnknown).contains("\"realizedPnlTotal\":\"10.00\",\"realizedPnlBefore\":null,");
        assertThat(closed).contains("\"realizedPnlTotal\":\"10.00\",\"realizedPnlSource\"")
                .doesNotContain("realizedPnlBefore");
    }

    private static PositionHistoryEntry change(ChangeKind kind, BigDecimal delta, BigDecimal total) {
        return new PositionHistoryEntry(4, 9, kind, new BigDecimal("-30"), BigDecimal.ZERO, null, null, delta, total,
                RealizedPnlSource.EXECUTIONS, null, null, null, List.of("0001.01"), Instant.parse("2026-03-02T14:30:00Z"),
                List.of());
    }
}

package io.positionsync.ibkr;

import io.positionsync.ibkr.wire.FieldWriter;
import io.positionsync.ibkr.wire.ProtocolException;

import static io.positionsync.ibkr.IncomingMessageEncoder.Samples.commission;
import static io.positionsync.ibkr.IncomingMessageEncoder.Samples.execution;
import static io.positionsync.ibkr.IncomingMessageEncoder.Samples.portfolio;
import static io.positionsync.ibkr.IncomingMessageEncoder.Samples.position;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MessageDecoderTest {
    private static final String UNSET_DOUBLE = "1.7976931348623157E308";
    private static final String UNSET_INT = "2147483647";
    private static final Instant FILL_TIME = Instant.parse("2026-11-24T14:30:05Z");

    /** A payload from raw fields, written by hand from the protocol table (independent of any encoder). */
    private static byte[] fields(String... values) {
        FieldWriter writer = new FieldWriter();
        for (String value : values) {
            writer.add(value);
        }
        return writer.payload();
    }

    // --- every message, at the first, the 166 and the last version -------------------------------------

    @ParameterizedTest(name = "server version {0}")
    @ValueSource(ints = {157, 166, 178})
    void everyMessageRoundTripsAtEachVersion(int version) {
        List<IncomingMessage> samples = List.of(
                new IncomingMessage.ErrorMessage(7, 321, "Error validating request", "{\"reason\":\"x\"}"),
                new IncomingMessage.NextValidId(1001),
                new IncomingMessage.ManagedAccounts(List.of("DU111", "DU222")),
                new IncomingMessage.CurrentTime(1_795_000_000L),
                position("DU111", 265598, "AAPL", "-30", "150.01"),
                new IncomingMessage.PositionEnd(),
                new IncomingMessage.PositionMulti(12, "DU111", position("DU111", 265598, "AAPL", "-30", "150.01")
                        .contract(), new BigDecimal("-30"), new BigDecimal("150.01"), null),
                new IncomingMessage.PositionMultiEnd(12),
                new IncomingMessage.UpdateAccountValue("NetLiquidation", "100000.25", "USD", "DU111"),
                portfolio("DU111", 265598, "AAPL", "0.5", "160.5"),
                new IncomingMessage.UpdateAccountTime("14:31"),
                new IncomingMessage.AccountDownloadEnd("DU111"),
                execution(3, "0001f4e8.6571a2b3.01.01", "DU111", 265598, "AAPL", "SLD", "20", "160.25", FILL_TIME, true),
                new IncomingMessage.ExecDetailsEnd(3),
                commission("0001f4e8.6571a2b3.01.01", "1.25", "998.5"));

        for (IncomingMessage sample : samples) {
            IncomingMessage decoded = MessageDecoder.decode(IncomingMessageEncoder.payload(sample, version), version);
            assertThat(decoded).as("decoded at %d", version).isEqualTo(expectedAt(sample, version));
        }
    }

    /** What survives the wire at {@code version}: fields a version does not carry come back null. */
    private static IncomingMessage expectedAt(IncomingMessage sample, int version) {
        if (sample instanceof IncomingMessage.ErrorMessage e && version < 166) {
            return new IncomingMessage.ErrorMessage(e.reqId(), e.code(), e.message(), null);
        }
        if (sample instanceof IncomingMessage.ExecDetails e && version < 178) {
            return new IncomingMessage.ExecDetails(e.reqId(), e.orderId(), e.contract(), e.execId(), e.time(), e.account(),
                    e.exchange(), e.side(), e.shares(), e.price(), e.permId(), e.clientId(), e.liquidation(), e.cumQty(),
                    e.avgPrice(), e.orderRef(), e.evRule(), e.evMultiplier(), e.modelCode(), e.lastLiquidity(), null);
        }
        return sample;
    }

    // --- exact layouts, written by hand ------------------------------------------------------------------

    @Test
    void errorBefore166HasNoAdvancedRejectJson() {
        byte[] payload = fields("4", "2", "-1", "2104", "Market data farm connection is OK:usfarm");

        assertThat(MessageDecoder.decode(payload, 165))
                .isEqualTo(new IncomingMessage.ErrorMessage(-1, 2104, "Market data farm connection is OK:usfarm", null));
        assertThatThrownBy(() -> MessageDecoder.decode(payload, 166))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining("malformed error message");
    }

    @Test
    void errorFrom166CarriesAdvancedRejectJson() {
        byte[] payload = fields("4", "2", "12", "201", "Order rejected", "{\"rejectCode\":7}");

        IncomingMessage.ErrorMessage decoded = (IncomingMessage.ErrorMessage) MessageDecoder.decode(payload, 166);

        assertThat(decoded).isEqualTo(new IncomingMessage.ErrorMessage(12, 201, "Order rejected", "{\"rejectCode\":7}"));
        // At 157 the same bytes read as the old layout and the extra field is left alone.
        assertThat(MessageDecoder.decode(payload, 157))
                .isEqualTo(new IncomingMessage.ErrorMessage(12, 201, "Order rejected", null));
    }

    @Test
    void emptyAdvancedRejectJsonIsNull() {
        byte[] payload = fields("4", "2", "-1", "1100", "Connectivity between IB and TWS has been lost.", "");

        assertThat(((IncomingMessage.ErrorMessage) MessageDecoder.decode(payload, 178)).advancedOrderRejectJson()).isNull();
    }

    @Test
    void positionCarriesExchangeAndNoPrimaryExchange() {
        byte[] payload = fields("61", "3", "DU111", "495512552", "ES", "FUT", "20261218", "0", "", "50", "CME", "USD",
                "ESZ6", "ES", "2", "250002.40");

        IncomingMessage.Position p = (IncomingMessage.Position) MessageDecoder.decode(payload, 178);

        assertThat(p.account()).isEqualTo("DU111");
        assertThat(p.contract()).isEqualTo(new Contract(495512552L, "ES", "FUT", "20261218", new BigDecimal("0"), null,
                new BigDecimal("50"), "CME", null, "USD", "ESZ6", "ES"));
        assertThat(p.position()).isEqualByComparingTo("2");
        assertThat(p.avgCost()).isEqualTo(new BigDecimal("250002.40"));
    }

    @Test
    void positionMultiCarriesItsReqIdTheExchangeAndTheModelCode() {
        byte[] payload = fields("71", "1", "9001", "DU111", "495512552", "ES", "FUT", "20261218", "0", "", "50", "CME",
                "USD", "ESZ6", "ES", "-2", "250002.40", "");

        IncomingMessage.PositionMulti p = (IncomingMessage.PositionMulti) MessageDecoder.decode(payload, 178);

        assertThat(p.reqId()).isEqualTo(9001);
        assertThat(p.account()).isEqualTo("DU111");
        assertThat(p.contract()).isEqualTo(new Contract(495512552L, "ES", "FUT", "20261218", new BigDecimal("0"), null,
                new BigDecimal("50"), "CME", null, "USD", "ESZ6", "ES"));
        assertThat(p.position()).isEqualByComparingTo("-2");
        assertThat(p.avgCost()).isEqualTo(new BigDecimal("250002.40"));
        assertThat(p.modelCode()).isNull();
        assertThat(p.asPosition()).isEqualTo(new IncomingMessage.Position("DU111", p.contract(), p.position(),
                p.avgCost()));
        assertThat(((IncomingMessage.PositionMulti) MessageDecoder.decode(fields("71", "1", "1", "DU111", "265598",
                "AAPL", "STK", "", "0", "", "", "SMART", "USD", "AAPL", "NMS", "5", "1", "MODEL1"), 157)).modelCode())
                .isEqualTo("MODEL1");
        assertThat(MessageDecoder.decode(fields("72", "1", "9001"), 178))
                .isEqualTo(new IncomingMessage.PositionMultiEnd(9001));
    }

    @Test
    void positionMultiWithoutQuantityIsMalformed() {
        byte[] payload = fields("71", "1", "9001", "DU111", "265598", "AAPL", "STK", "", "0", "", "", "SMART", "USD",
                "AAPL", "NMS", "", "1", "");

        assertThatThrownBy(() -> MessageDecoder.decode(payload, 178)).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("malformed positionMulti message");
    }

    @Test
    void updatePortfolioCarriesPrimaryExchangeAndNoExchange() {
        byte[] payload = fields("7", "8", "265598", "AAPL", "STK", "", UNSET_DOUBLE, "", "", "NASDAQ", "USD", "AAPL", "NMS",
                "-30", "160.5", "-4815", "150.01", "-315.3", UNSET_DOUBLE, "DU111");

        IncomingMessage.UpdatePortfolio u = (IncomingMessage.UpdatePortfolio) MessageDecoder.decode(payload, 157);

        assertThat(u.contract()).isEqualTo(new Contract(265598L, "AAPL", "STK", null, null, null, null, null, "NASDAQ", "USD",
                "AAPL", "NMS"));
        assertThat(u.position()).isEqualTo(new BigDecimal("-30"));
        assertThat(u.marketPrice()).isEqualTo(new BigDecimal("160.5"));
        assertThat(u.marketValue()).isEqualTo(new BigDecimal("-4815"));
        assertThat(u.averageCost()).isEqualTo(new BigDecimal("150.01"));
        assertThat(u.unrealizedPnl()).isEqualTo(new BigDecimal("-315.3"));
        assertThat(u.realizedPnl()).as("unset double").isNull();
        assertThat(u.account()).isEqualTo("DU111");
    }

    private static String[] execDetailsFields(boolean withPendingPriceRevision) {
        List<String> f = new java.util.ArrayList<>(List.of("11", "5", "42", "265598", "AAPL", "STK", "", "0", "", "",
                "SMART", "USD", "AAPL", "NMS", "0000e0d5.6571a2b3.01.01", "20261124-14:30:05", "DU111", "ISLAND", "SLD",
                "0.5", "160.25", "1000000123", "17", "0", "1.5", "160.2", "", "", UNSET_DOUBLE, "", "2"));
        if (withPendingPriceRevision) {
            f.add("1");
        }
        return f.toArray(String[]::new);
    }

    @Test
    void execDetailsHasNoVersionFieldAndNoPendingPriceRevisionBefore178() {
        IncomingMessage.ExecDetails e = (IncomingMessage.ExecDetails) MessageDecoder.decode(fields(execDetailsFields(false)), 177);

        assertThat(e.reqId()).isEqualTo(5);
        assertThat(e.orderId()).isEqualTo(42L);
        assertThat(e.contract()).isEqualTo(new Contract(265598L, "AAPL", "STK", null, new BigDecimal("0"), null, null,
                "SMART", null, "USD", "AAPL", "NMS"));
        assertThat(e.execId()).isEqualTo("0000e0d5.6571a2b3.01.01");
        assertThat(e.time()).isEqualTo(Instant.parse("2026-11-24T14:30:05Z"));
        assertThat(e.account()).isEqualTo("DU111");
        assertThat(e.exchange()).isEqualTo("ISLAND");
        assertThat(e.side()).isEqualTo("SLD");
        assertThat(e.shares()).isEqualTo(new BigDecimal("0.5"));
        assertThat(e.price()).isEqualTo(new BigDecimal("160.25"));
        assertThat(e.permId()).isEqualTo(1000000123L);
        assertThat(e.clientId()).isEqualTo(17);
        assertThat(e.liquidation()).isZero();
        assertThat(e.cumQty()).isEqualTo(new BigDecimal("1.5"));
        assertThat(e.avgPrice()).isEqualTo(new BigDecimal("160.2"));
        assertThat(e.orderRef()).isNull();
        assertThat(e.evMultiplier()).isNull();
        assertThat(e.lastLiquidity()).isEqualTo(2);
        assertThat(e.pendingPriceRevision()).isNull();
    }

    @Test
    void execDetailsFrom178EndsWithPendingPriceRevision() {
        IncomingMessage.ExecDetails e = (IncomingMessage.ExecDetails) MessageDecoder.decode(fields(execDetailsFields(true)), 178);

        assertThat(e.pendingPriceRevision()).isTrue();
        assertThat(e.lastLiquidity()).isEqualTo(2);
        assertThatThrownBy(() -> MessageDecoder.decode(fields(execDetailsFields(false)), 178))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining("malformed execDetails message");
    }

    @Test
    void commissionReportWithUnsetValues() {
        byte[] payload = fields("59", "1", "0000e0d5.6571a2b3.01.01", "1.0", "USD", UNSET_DOUBLE, "", UNSET_INT);

        assertThat(MessageDecoder.decode(payload, 178)).isEqualTo(new IncomingMessage.CommissionReport(
                "0000e0d5.6571a2b3.01.01", new BigDecimal("1.0"), "USD", null, null, null));
    }

    @Test
    void commissionReportWithRealizedPnlAndRedemptionDate() {
        byte[] payload = fields("59", "1", "x.01", "0.40", "USD", "40.00", "0.0", "20301231");

        assertThat(MessageDecoder.decode(payload, 157)).isEqualTo(new IncomingMessage.CommissionReport(
                "x.01", new BigDecimal("0.40"), "USD", new BigDecimal("40.00"), new BigDecimal("0.0"), 20301231));
    }

    @Test
    void unsetSentinelsAndEmptyFieldsReadAsNull() {
        byte[] payload = fields("61", "3", "DU111", "8314", "IBM", "STK", "", UNSET_DOUBLE, "", "", "SMART", "USD", "", "",
                "100", UNSET_DOUBLE);

        IncomingMessage.Position p = (IncomingMessage.Position) MessageDecoder.decode(payload, 166);

        assertThat(p.avgCost()).isNull();
        assertThat(p.contract().strike()).isNull();
        assertThat(p.contract().multiplier()).isNull();
        assertThat(p.contract().lastTradeDateOrContractMonth()).isNull();
        assertThat(p.contract().localSymbol()).isNull();
        assertThat(p.position()).isEqualTo(new BigDecimal("100"));
    }

    @Test
    void unsetDecimalQuantityReadsAsNull() {
        String[] f = execDetailsFields(true);
        f[24] = MessageDecoder.UNSET_DECIMAL; // cumQty
        f[23] = UNSET_INT; // liquidation

        IncomingMessage.ExecDetails e = (IncomingMessage.ExecDetails) MessageDecoder.decode(fields(f), 178);

        assertThat(e.cumQty()).isNull();
        assertThat(e.liquidation()).isNull();
    }

    @Test
    void fractionalQuantitiesStayExact() {
        byte[] payload = fields("61", "3", "DU111", "4815747", "BTC", "CRYPTO", "", "0", "", "", "PAXOS", "USD", "BTC.USD",
                "BTC", "-3.25", "43125.125");

        IncomingMessage.Position p = (IncomingMessage.Position) MessageDecoder.decode(payload, 178);

        assertThat(p.position()).isEqualTo(new BigDecimal("-3.25"));
        assertThat(p.avgCost()).isEqualTo(new BigDecimal("43125.125"));
    }

    @Test
    void positionWithoutQuantityIsMalformed() {
        byte[] payload = fields("61", "3", "DU111", "8314", "IBM", "STK", "", "0", "", "", "SMART", "USD", "IBM", "IBM", "", "1");

        assertThatThrownBy(() -> MessageDecoder.decode(payload, 178))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining("position");
    }

    @Test
    void managedAccountsAreSplitOnCommas() {
        assertThat(MessageDecoder.decode(fields("15", "1", "DU111, DU222,"), 178))
                .isEqualTo(new IncomingMessage.ManagedAccounts(List.of("DU111", "DU222")));
    }

    @Test
    void currentTimeIsEpochSeconds() {
        IncomingMessage.CurrentTime t = (IncomingMessage.CurrentTime) MessageDecoder.decode(fields("49", "1", "1795000000"), 178);

        assertThat(t.instant()).isEqualTo(Instant.ofEpochSecond(1_795_000_000L));
    }

    // --- unknown and malformed ---------------------------------------------------------------------------

    @Test
    void unknownIdsDecodeToUnknown() {
        assertThat(MessageDecoder.decode(fields("1", "6", "1", "1", "150.25", "100", "0"), 178))
                .isEqualTo(new IncomingMessage.Unknown(1));
        assertThat(MessageDecoder.decode(fields("999"), 157)).isEqualTo(new IncomingMessage.Unknown(999));
    }

    @Test
    void malformedIntFieldIsAProtocolError() {
        byte[] payload = fields("61", "3", "DU111", "82x4", "IBM", "STK", "", "0", "", "", "SMART", "USD", "IBM", "IBM", "1", "1");

        assertThatThrownBy(() -> MessageDecoder.decode(payload, 178))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining("malformed position message")
                .hasMessageContaining("82x4");
        assertThatThrownBy(() -> MessageDecoder.decode(fields("55", "1", "five"), 178))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining("execDetailsEnd");
    }

    @Test
    void malformedMessageIdIsAProtocolError() {
        assertThatThrownBy(() -> MessageDecoder.decode(fields("abc", "1"), 178))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining("message id");
        assertThatThrownBy(() -> MessageDecoder.decode(new byte[0], 178)).isInstanceOf(ProtocolException.class);
    }

    @Test
    void unterminatedFieldIsAProtocolError() {
        byte[] payload = "62\u00001".getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> MessageDecoder.decode(payload, 178))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining("NUL");
    }

    @Test
    void malformedDecimalIsAProtocolError() {
        byte[] payload = fields("59", "1", "x.01", "1,5", "USD", "", "", "");

        assertThatThrownBy(() -> MessageDecoder.decode(payload, 178))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining("commissionReport");
    }

    // --- execution times ---------------------------------------------------------------------------------

    @Test
    void executionTimeForms() {
        assertThat(TwsTime.parseExecutionTime("20261124  14:30:05")).isEqualTo(Instant.parse("2026-11-24T14:30:05Z"));
        assertThat(TwsTime.parseExecutionTime("20261124-14:30:05")).isEqualTo(Instant.parse("2026-11-24T14:30:05Z"));
        assertThat(TwsTime.parseExecutionTime("20261124 14:30:05 UTC")).isEqualTo(Instant.parse("2026-11-24T14:30:05Z"));
        assertThat(TwsTime.parseExecutionTime("20261124 09:30:05 US/Eastern")).isEqualTo(Instant.parse("2026-11-24T14:30:05Z"));
        assertThat(TwsTime.parseExecutionTime("20260701 15:30:05 Europe/Zurich")).isEqualTo(Instant.parse("2026-07-01T13:30:05Z"));
        assertThat(TwsTime.parseExecutionTime("20261124 09:30:05 EST")).isEqualTo(Instant.parse("2026-11-24T14:30:05Z"));
    }

    @Test
    void badExecutionTimeIsAProtocolError() {
        assertThatThrownBy(() -> TwsTime.parseExecutionTime("20261124 14:30:05 Mars/Olympus"))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("time zone");
        assertThatThrownBy(() -> TwsTime.parseExecutionTime("2026-11-24T14:30:05Z")).isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> TwsTime.parseExecutionTime("20261124")).isInstanceOf(ProtocolException.class);
    }

    @Test
    void filterTimeIsDashedUtc() {
        assertThat(TwsTime.formatUtc(Instant.parse("2026-11-24T00:00:00Z"))).isEqualTo("20261124-00:00:00");
    }
}

package io.positionsync.ibkr;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

class RequestEncoderTest {

    /** Reads one frame: checks the length prefix, returns the NUL-terminated fields. */
    private static List<String> fieldsOf(byte[] frame) {
        int length = ((frame[0] & 0xFF) << 24) | ((frame[1] & 0xFF) << 16) | ((frame[2] & 0xFF) << 8) | (frame[3] & 0xFF);
        assertThat(length).isEqualTo(frame.length - 4);
        String body = new String(frame, 4, length, StandardCharsets.UTF_8);
        assertThat(body).endsWith("\0");
        return Arrays.asList(body.substring(0, body.length() - 1).split("\0", -1));
    }

    @Test
    void handshakeIsApiPrefixThenFramedVersionRangeWithoutNul() {
        byte[] bytes = RequestEncoder.handshake();

        byte[] expected = {'A', 'P', 'I', 0, 0, 0, 0, 9, 'v', '1', '5', '7', '.', '.', '1', '7', '8'};
        assertThat(bytes).containsExactly(expected);
    }

    @Test
    void startApi() {
        assertThat(fieldsOf(RequestEncoder.startApi(17, ""))).containsExactly("71", "2", "17", "");
    }

    @Test
    void simpleRequests() {
        assertThat(fieldsOf(RequestEncoder.reqCurrentTime())).containsExactly("49", "1");
        assertThat(fieldsOf(RequestEncoder.reqManagedAccts())).containsExactly("17", "1");
        assertThat(fieldsOf(RequestEncoder.reqPositions())).containsExactly("61", "1");
        assertThat(fieldsOf(RequestEncoder.cancelPositions())).containsExactly("64", "1");
    }

    @Test
    void accountUpdates() {
        assertThat(fieldsOf(RequestEncoder.reqAccountUpdates(true, "DU111"))).containsExactly("6", "2", "1", "DU111");
        assertThat(fieldsOf(RequestEncoder.reqAccountUpdates(false, "DU111"))).containsExactly("6", "2", "0", "DU111");
    }

    @Test
    void positionsMultiOfOneAccount() {
        assertThat(fieldsOf(RequestEncoder.reqPositionsMulti(9001, "DU111", ""))).containsExactly("74", "1", "9001",
                "DU111", "");
        assertThat(fieldsOf(RequestEncoder.reqPositionsMulti(3, "DU111", null))).containsExactly("74", "1", "3",
                "DU111", "");
        assertThat(fieldsOf(RequestEncoder.cancelPositionsMulti(9001))).containsExactly("75", "1", "9001");
    }

    @Test
    void executionsWithEmptyFilter() {
        assertThat(fieldsOf(RequestEncoder.reqExecutions(4, ExecutionFilter.none())))
                .containsExactly("7", "3", "4", "0", "", "", "", "", "", "");
    }

    @Test
    void executionsWithFilter() {
        ExecutionFilter filter = new ExecutionFilter(17, "DU111", "20261124-00:00:00", "AAPL", "STK", "SMART", "BUY");

        assertThat(fieldsOf(RequestEncoder.reqExecutions(5, filter)))
                .containsExactly("7", "3", "5", "17", "DU111", "20261124-00:00:00", "AAPL", "STK", "SMART", "BUY");
    }
}

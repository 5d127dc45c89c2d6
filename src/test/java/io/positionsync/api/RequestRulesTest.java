package io.positionsync.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Small rules of the API: listening addresses, path templates, idempotency keys, position ids. */
class RequestRulesTest {

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "::1", "[::1]"})
    void loopbackAddresses(String host) {
        assertThat(ListenAddressPolicy.isLoopback(host)).isTrue();
        ListenAddressPolicy.check(host, false); // allowed without a token
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0", "::", "192.168.1.20", "10.0.0.1", ""})
    void otherAddressesNeedAToken(String host) {
        assertThat(ListenAddressPolicy.isLoopback(host)).isFalse();
        ListenAddressPolicy.check(host, true); // allowed with a token
        assertThatThrownBy(() -> ListenAddressPolicy.check(host, false))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("refusing to start")
                .hasMessageContaining("PSYNC_API_TOKEN");
    }

    @ParameterizedTest
    @CsvSource({
        "/api/positions/{id}/history, /api/positions/12/history, true",
        "/api/positions/{id}/history, /api/positions/12/history/, true",
        "/api/positions/{id}/history, /api/positions/12/13/history, false",
        "/api/positions/{id}/history, /api/positions//history, false",
        "/api/sync/status, /api/sync/status, true",
        "/api/sync/status, /api/sync/statusx, false",
        "/dashboard.js, /dashboardxjs, false"})
    void pathTemplates(String template, String path, boolean matches) {
        assertThat(UnmatchedRequests.template(template).matcher(path).matches()).isEqualTo(matches);
    }

    @Test
    void idempotencyKeys() {
        assertThat(SyncApi.idempotencyKey(null)).isNull();
        assertThat(SyncApi.idempotencyKey(" order-42 ")).isEqualTo("order-42");
        assertThat(SyncApi.idempotencyKey("x".repeat(SyncApi.IDEMPOTENCY_KEY_MAX_LENGTH))).hasSize(128);
        for (Object bad : new Object[] {"", "   ", "with space", "caf\u00e9", "x".repeat(129), List.of("a", "b")}) {
            assertThatThrownBy(() -> SyncApi.idempotencyKey(bad)).as(String.valueOf(bad))
                    .isInstanceOf(ApiException.class)
                    .satisfies(e -> assertThat(((ApiException) e).status()).isEqualTo(400));
        }
    }

    @Test
    void positionIds() {
        assertThat(PositionsApi.positionId("42")).isEqualTo(42);
        for (String bad : new String[] {"0", "-1", "1.5", "abc", "", "1e3", "9999999999999999999"}) {
            assertThatThrownBy(() -> PositionsApi.positionId(bad)).as(bad).isInstanceOf(ApiException.class)
                    .hasMessageContaining("'id'");
        }
    }
}

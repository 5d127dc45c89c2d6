package io.positionsync.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;

import org.junit.jupiter.api.Test;

class TokenGuardTest {

    @Test
    void acceptsOnlyTheConfiguredBearerToken() {
        TokenGuard guard = new TokenGuard("s3cret-token");
        assertThat(guard.accepts("Bearer s3cret-token")).isTrue();
        assertThat(guard.accepts("bearer s3cret-token")).isTrue();
        assertThat(guard.accepts("Bearer s3cret-tokeN")).isFalse();
        assertThat(guard.accepts("Bearer s3cret-token-longer")).isFalse();
        assertThat(guard.accepts("s3cret-token")).isFalse();
        assertThat(guard.accepts("Basic s3cret-token")).isFalse();
        assertThat(guard.accepts(null)).isFalse();
        assertThatThrownBy(() -> guard.check("Bearer nope"))
                .isInstanceOf(ApiException.class)
                .satisfies(e -> assertThat(((ApiException) e).status()).isEqualTo(401));
    }

    @Test
    void withoutAConfiguredTokenNothingIsAccepted() {
        TokenGuard guard = new TokenGuard("  ");
        assertThat(guard.configured()).isFalse();
        assertThat(guard.accepts("Bearer ")).isFalse();
        assertThat(guard.accepts("Bearer anything")).isFalse();
    }

    @Test
    void queryParametersAreValidatedAndNamed() {
        assertThat(QueryParameters.intParam("limit", null, 50, 1, 500)).isEqualTo(50);
        assertThat(QueryParameters.intParam("limit", "7", 50, 1, 500)).isEqualTo(7);
        assertThatThrownBy(() -> QueryParameters.intParam("limit", "abc", 50, 1, 500))
                .isInstanceOf(ApiException.class).hasMessageContaining("'limit'");
        assertThatThrownBy(() -> QueryParameters.intParam("limit", "0", 50, 1, 500)).hasMessageContaining("between 1 and 500");
        assertThat(QueryParameters.oneOf("status", "OPEN", "open", Set.of("open", "closed", "all"))).isEqualTo("open");
        assertThatThrownBy(() -> QueryParameters.oneOf("status", "gone", "open", Set.of("open", "closed", "all")))
                .hasMessageContaining("'status'");
        assertThat(QueryParameters.optionalCode("account", "DU1000001", 32)).isEqualTo("DU1000001");
        assertThatThrownBy(() -> QueryParameters.optionalCode("account", "x' or 1=1", 32)).hasMessageContaining("'account'");
    }
}

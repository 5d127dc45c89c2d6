package io.positionsync.api;

import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

import io.positionsync.ibkr.ConnectionState;
import io.positionsync.ibkr.ConnectionStatus;

/**
 * Reports the gateway connection in the readiness details, and stays UP whatever its state: without the
 * gateway the service still answers from PostgreSQL (mode {@code DEGRADED}), and taking it out of rotation
 * would hide exactly the figures people need while the broker is away.
 */
public final class GatewayHealthCheck extends AbstractHealthCheck {
    private final Supplier<ConnectionStatus> gateway;

    public GatewayHealthCheck(Supplier<ConnectionStatus> gateway) {
        super("position-sync", "gateway");
        this.gateway = Objects.requireNonNull(gateway, "gateway");
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        ConnectionStatus status = gateway.get();
        boolean up = status.state() == ConnectionState.UP;
        builder.up()
                .detail("gateway.state", status.state().name())
                .detail("gateway.since", status.since().toString())
                .detail("mode", up ? "LIVE" : "DEGRADED");
        if (status.detail() != null) {
            builder.detail("gateway.detail", status.detail());
        }
        if (status.nextAttemptAt() != null) {
            builder.detail("gateway.nextAttemptAt", status.nextAttemptAt().toString());
        }
        builder.message(up ? "gateway UP" : "DEGRADED: gateway " + status.state() + " since " + status.since()
                + "; the API answers from the database");
    }
}

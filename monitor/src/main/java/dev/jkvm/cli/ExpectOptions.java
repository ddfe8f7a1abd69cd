package dev.jkvm.cli;

import dev.jkvm.analysis.RunSummary;
import dev.jkvm.analysis.expect.Expectation;
import dev.jkvm.analysis.expect.ExpectationSyntaxException;
import dev.jkvm.analysis.expect.JunitXml;
import dev.jkvm.analysis.expect.Verdict;
import dev.jkvm.util.OutputFile;
import dev.jkvm.util.UsageException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * --expect EXPR (repeatable) and --junit FILE, shared by `jkvm run` and `jkvm analyze`: parses every
 * expectation before anything starts (a mistake is a usage error with its position), judges a
 * recording's summary, prints one line per expectation and writes JUnit XML.
 */
final class ExpectOptions {
    @Option(names = "--expect", paramLabel = "EXPR",
            description = {"An expectation on the recording's analysis, e.g. 'share(vm0) within 1/N ± 5%%', 'slice.p99 < 12ms',",
                "'fairness >= 0.95', 'lost == 0', 'exits(vm0, IO) == 100000' (grammar and metrics: README). Repeatable;",
                "exit code 5 when one fails."})
    List<String> texts = new ArrayList<>();

    @Option(names = "--junit", paramLabel = "FILE", description = "Write the verdicts as JUnit XML: one test case per expectation (with run, "
            + "first one for how the run ended).")
    Path junit;

    /** Parses every --expect; the first mistake is a usage error naming its position. Checks --junit's place. */
    List<Expectation> parse() {
        List<Expectation> out = new ArrayList<>();
        for (String t : texts) out.add(parseOne(t));
        if (junit != null) {
            if (texts.isEmpty()) throw new UsageException("--junit writes the verdicts of --expect: give at least one --expect");
            OutputFile.requireWritable(junit, "--junit");
        }
        return out;
    }

    static Expectation parseOne(String text) {
        return parseOne(text, "");
    }

    /** {@code where} names the file the expectation came from ("" for the command line). */
    static Expectation parseOne(String text, String where) {
        try {
            return Expectation.parse(text);
        } catch (ExpectationSyntaxException e) {
            throw new BadExpectationException(e, where);
        }
    }

    static List<Verdict> judge(List<Expectation> expectations, RunSummary run) {
        return expectations.stream().map(e -> e.evaluate(run)).toList();
    }

    /** Every expectation failed because the recording could not be analyzed at all. */
    static List<Verdict> unreadable(List<Expectation> expectations, String why) {
        return expectations.stream().map(e -> new Verdict(e, false, e.checkText(), "not recorded: " + why)).toList();
    }

    /** One line per verdict, then the count. */
    static void print(PrintWriter out, List<Verdict> verdicts) {
        for (Verdict v : verdicts) out.println(v.line());
        long failed = verdicts.stream().filter(v -> !v.passed()).count();
        out.println("jkvm: " + verdicts.size() + " expectation" + (verdicts.size() == 1 ? "" : "s") + ": "
                + (verdicts.size() - failed) + " passed, " + failed + " failed");
        out.flush();
    }

    static boolean anyFailed(List<Verdict> verdicts) {
        return verdicts.stream().anyMatch(v -> !v.passed());
    }

    /**
     * The test cases of how the run itself ended, before any expectation, so CI reading only the JUnit
     * file does not show such a run green: "guests ended cleanly", failed when a guest faulted or
     * exited non-zero (naming what ended each such VM) or a signal stopped the run; and, only when jkvm
     * itself failed (exit 1 with clean guests: the recording not written, a helper failed),
     * "the run was recorded completely", failed with why.
     */
    static List<JunitXml.Case> endingCases(RunCommand.Outcome outcome) {
        List<String> unclean = uncleanVms(outcome);
        String ending = unclean.isEmpty() ? "" : ": " + String.join("; ", unclean);
        String failure = outcome.stopped() ? String.format(java.util.Locale.ROOT, "stopped by a signal after %.1f s (exit %d)%s: the run did not end",
                        outcome.seconds(), outcome.code(), ending)
                : !unclean.isEmpty() ? "the run ended with exit code " + outcome.code() + ending
                : null;
        List<JunitXml.Case> cases = new java.util.ArrayList<>();
        cases.add(new JunitXml.Case("guests ended cleanly", failure, "exit code " + outcome.code() + ending, "RunFailed"));
        if (failure == null && outcome.code() != ExitCodes.OK) {
            String why = outcome.report() != null && outcome.report().recordingProblem() != null ? outcome.report().recordingProblem()
                    : outcome.report() != null && !outcome.report().helperFailures().isEmpty() ? String.join("; ", outcome.report().helperFailures())
                    : "jkvm failed (exit code " + outcome.code() + ")";
            cases.add(new JunitXml.Case("the run was recorded completely", "exit code " + outcome.code() + ": " + why, why, "RunFailed"));
        }
        return cases;
    }

    /** Every expectation failed, not judged: the experiment did not run ({@code why}). */
    static List<JunitXml.Case> notJudged(List<Expectation> expectations, String why) {
        return expectations.stream().map(e -> new JunitXml.Case(e.text(), why, why, "NotRun")).toList();
    }

    /** "vm0 faulted: SHUTDOWN …" for each VM that did not end cleanly. */
    static List<String> uncleanVms(RunCommand.Outcome outcome) {
        if (outcome.report() == null) return List.of();
        return outcome.report().vms().stream().filter(v -> !v.result().clean()).map(v -> v.name() + " " + v.result().describe()).toList();
    }

    static void writeJunit(Path file, List<JunitXml.Suite> suites) throws OutputFile.NotWritten {
        OutputFile.write(file, JunitXml.render(suites), "--junit");
    }

    /** An expectation's syntax error as a usage error: one line with the reason and column, then the text and a caret. */
    static final class BadExpectationException extends RuntimeException {
        final ExpectationSyntaxException syntax;

        BadExpectationException(ExpectationSyntaxException syntax, String where) {
            super((where.isEmpty() ? "" : where + ": ") + "--expect: " + syntax.reason() + " (column " + (syntax.position() + 1) + ")");
            this.syntax = syntax;
        }

        /** The text and the caret, indented under the message. */
        String pointer() {
            return syntax.pointer().indent(2).stripTrailing();
        }
    }
}

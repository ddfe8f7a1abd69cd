package dev.jkvm.cli;

import dev.jkvm.analysis.BadRecordingException;
import dev.jkvm.analysis.CsvReport;
import dev.jkvm.analysis.JsonReport;
import dev.jkvm.analysis.RecordingAnalysis;
import dev.jkvm.analysis.RunSummary;
import dev.jkvm.analysis.TableReport;
import dev.jkvm.analysis.expect.Expectation;
import dev.jkvm.analysis.expect.JunitXml;
import dev.jkvm.analysis.expect.Verdict;
import dev.jkvm.analysis.jmc.RuleReport;
import dev.jkvm.analysis.picture.Timeline;
import dev.jkvm.analysis.picture.TimelineHtml;
import dev.jkvm.analysis.picture.TimelineSvg;
import dev.jkvm.util.DistinctFiles;
import dev.jkvm.util.OutputFile;
import dev.jkvm.util.UsageException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** `jkvm analyze FILE…`: each vCPU's schedule from one or more recordings (needs no KVM). */
@Command(name = "analyze", mixinStandardHelpOptions = true,
        description = {"Summarize jkvm recordings: each vCPU's share, slices, waits and exits; the run's fairness and health.",
            "Per vCPU its CPU share, time slices, runnable waits, switch-outs and switch classes, exits by reason; per run "
                    + "Jain's fairness index, switches/s, vCPU-to-vCPU gap and the recording's health. Several files give one "
                    + "table with a column per recording. Streams the file.",
            "With --expect, each expectation is judged on each recording (exit code 5 when one fails)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:analyzed (and every --expect held)",
            "1:the report, or a file of it, could not be written (a full disk)",
            "2:usage error: a bad option or expectation, a file that is not a jkvm recording",
            "5:an --expect expectation failed"
        })
final class AnalyzeCommand implements Callable<Integer> {
    enum Format { table, json, csv }

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", arity = "1..*", description = "One or more .jfr files written by 'jkvm run --jfr'.")
    List<Path> files;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table",
            description = "table, json or csv (default: ${DEFAULT-VALUE}); the JSON schema ships in jkvm-analysis.jar as dev/jkvm/analysis/analyze.schema.json.")
    Format format;

    @Option(names = "--html", paramLabel = "FILE", description = "Also write a self-contained interactive timeline page (one recording).")
    Path html;

    @Option(names = "--svg", paramLabel = "FILE", description = "Also write a static SVG figure of the timeline (one recording).")
    Path svg;

    @Option(names = "--rules", description = "Print JDK Mission Control's automated analysis: jkvm's rules and JMC's own JDK rules. JMC's parser holds "
            + "the whole recording in memory (about ten times its size), unlike the streaming analysis.")
    boolean rules;

    @Mixin
    ExpectOptions expect;

    @Override
    public Integer call() {
        List<Expectation> expectations = expect.parse();
        if ((html != null || svg != null) && files.size() != 1) {
            throw new UsageException("--html and --svg draw one recording; give one FILE (got " + files.size() + ")");
        }
        DistinctFiles distinct = new DistinctFiles();
        for (Path f : files) distinct.input(f, "the recording");
        if (html != null) distinct.output(html, "--html");
        if (svg != null) distinct.output(svg, "--svg");
        if (expect.junit != null) distinct.output(expect.junit, "--junit");
        if (html != null) OutputFile.requireWritable(html, "--html");
        if (svg != null) OutputFile.requireWritable(svg, "--svg");
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        try {
            List<RunSummary> runs = new ArrayList<>();
            String htmlText = null, svgText = null;
            for (Path f : files) {
                Timeline timeline = html != null || svg != null ? new Timeline(Timeline.DEFAULT_MAX_SEGMENTS) : null;
                RunSummary r = RecordingAnalysis.analyze(f, timeline);
                runs.add(r);
                if (html != null) htmlText = TimelineHtml.render(r, timeline);
                if (svg != null) svgText = TimelineSvg.render(r, timeline);
            }
            int code = report(runs, expectations, out, err);
            // The pictures last: a picture that cannot be written (a full disk) loses only itself, not the
            // report, the verdicts and the JUnit file before it.
            boolean written = picture(html, htmlText, "--html", out, err);
            written &= picture(svg, svgText, "--svg", out, err); // also when the page could not be written
            return written ? code : ExitCodes.INTERNAL;
        } catch (BadRecordingException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /** Writes one picture (none asked for: nothing); false, said in one line, when it could not be written. */
    private static boolean picture(Path file, String text, String option, java.io.PrintWriter out, java.io.PrintWriter err) {
        if (file == null) return true;
        try {
            OutputFile.write(file, text, option);
            return true;
        } catch (OutputFile.NotWritten e) {
            out.flush();
            err.println("jkvm: " + e.getMessage());
            err.flush();
            return false;
        }
    }

    /** Prints the report, the rules and the verdicts, writes --junit; the exit code so far. */
    private int report(List<RunSummary> runs, List<Expectation> expectations, java.io.PrintWriter out, java.io.PrintWriter err) {
        try {
            out.print(switch (format) {
                case table -> TableReport.render(runs);
                case json -> JsonReport.render(runs);
                case csv -> CsvReport.render(runs);
            });
            if (rules) {
                // JSON and CSV stay parseable on standard output: the rules' report then goes to standard error.
                var rulesOut = format == Format.table ? out : err;
                for (Path f : files) rulesOut.print(RuleReport.evaluate(f));
                rulesOut.flush();
            }
            if (expectations.isEmpty()) return written(out, err, ExitCodes.OK);
            // JSON and CSV stay parseable on standard output: the verdicts then go to standard error.
            var verdictOut = format == Format.table ? out : spec.commandLine().getErr();
            List<JunitXml.Suite> suites = new ArrayList<>();
            boolean failed = false;
            for (int i = 0; i < runs.size(); i++) {
                if (runs.size() > 1) verdictOut.println("expectations on " + files.get(i) + ":");
                List<Verdict> verdicts = ExpectOptions.judge(expectations, runs.get(i));
                ExpectOptions.print(verdictOut, verdicts);
                failed |= ExpectOptions.anyFailed(verdicts);
                suites.add(JunitXml.Suite.of(files.get(i).getFileName().toString().replaceFirst("\\.jfr$", ""), 0, verdicts));
            }
            if (expect.junit != null) ExpectOptions.writeJunit(expect.junit, suites);
            return written(out, err, failed ? ExitCodes.EXPECTATION_FAILED : ExitCodes.OK);
        } catch (OutputFile.NotWritten e) {
            out.flush();
            err.println("jkvm: " + e.getMessage());
            err.flush();
            return ExitCodes.INTERNAL;
        }
    }

    /**
     * {@code code}, unless standard output lost some of the report (a full disk, a closed pipe):
     * the analysis is the product here, so a script redirecting it must not get success and a
     * short file. PrintWriter keeps such failures to itself until asked.
     */
    private static int written(java.io.PrintWriter out, java.io.PrintWriter err, int code) {
        if (!out.checkError()) return code; // checkError flushes first
        err.println("jkvm: analyze: could not write the whole report to standard output");
        err.flush();
        return ExitCodes.INTERNAL;
    }
}

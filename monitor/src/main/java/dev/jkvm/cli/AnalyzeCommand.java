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
import dev.jkvm.util.UsageException;
import java.io.IOException;
import java.nio.file.Files;
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
        description = {"Summarize jkvm recordings: per vCPU its CPU share, time slices, runnable waits, switch-outs and",
            "switch classes, exits by reason; per run Jain's fairness index, switches/s, vCPU-to-vCPU gap and the",
            "recording's health. Several files give one table with a column per recording. Streams the file.",
            "With --expect, each expectation is judged on each recording (exit code 5 when one fails)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:analyzed (and every --expect held)",
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
            description = "table, json or csv (default: ${DEFAULT-VALUE}); the JSON schema is in the README.")
    Format format;

    @Option(names = "--html", paramLabel = "FILE", description = "Also write a self-contained interactive timeline page (one recording).")
    Path html;

    @Option(names = "--svg", paramLabel = "FILE", description = "Also write a static SVG figure of the timeline (one recording).")
    Path svg;

    @Option(names = "--rules", description = "Print JDK Mission Control's automated analysis: jkvm's rules and JMC's own JDK rules.")
    boolean rules;

    @Mixin
    ExpectOptions expect;

    @Override
    public Integer call() {
        List<Expectation> expectations = expect.parse();
        if ((html != null || svg != null) && files.size() != 1) {
            throw new UsageException("--html and --svg draw one recording; give one FILE (got " + files.size() + ")");
        }
        var out = spec.commandLine().getOut();
        try {
            List<RunSummary> runs = new ArrayList<>();
            for (Path f : files) {
                Timeline timeline = html != null || svg != null ? new Timeline(Timeline.DEFAULT_MAX_SEGMENTS) : null;
                RunSummary r = RecordingAnalysis.analyze(f, timeline);
                runs.add(r);
                if (html != null) write(html, TimelineHtml.render(r, timeline));
                if (svg != null) write(svg, TimelineSvg.render(r, timeline));
            }
            out.print(switch (format) {
                case table -> TableReport.render(runs);
                case json -> JsonReport.render(runs);
                case csv -> CsvReport.render(runs);
            });
            if (rules) {
                for (Path f : files) out.print(RuleReport.evaluate(f));
            }
            if (expectations.isEmpty()) {
                out.flush();
                return ExitCodes.OK;
            }
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
            out.flush();
            return failed ? ExitCodes.EXPECTATION_FAILED : ExitCodes.OK;
        } catch (BadRecordingException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UsageException("cannot write " + file + ": " + e.getMessage());
        }
    }
}

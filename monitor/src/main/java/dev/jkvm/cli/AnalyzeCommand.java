package dev.jkvm.cli;

import dev.jkvm.analysis.BadRecordingException;
import dev.jkvm.analysis.CsvReport;
import dev.jkvm.analysis.JsonReport;
import dev.jkvm.analysis.RecordingAnalysis;
import dev.jkvm.analysis.RunSummary;
import dev.jkvm.analysis.TableReport;
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
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** `jkvm analyze FILE…`: each vCPU's schedule from one or more recordings (needs no KVM). */
@Command(name = "analyze", mixinStandardHelpOptions = true,
        description = {"Summarize jkvm recordings: per vCPU its CPU share, time slices, runnable waits, switch-outs and",
            "switch classes, exits by reason; per run Jain's fairness index, switches/s, vCPU-to-vCPU gap and the",
            "recording's health. Several files give one table with a column per recording. Streams the file."})
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

    @Override
    public Integer call() {
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
        } catch (BadRecordingException e) {
            throw new UsageException(e.getMessage());
        }
        out.flush();
        return ExitCodes.OK;
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UsageException("cannot write " + file + ": " + e.getMessage());
        }
    }
}

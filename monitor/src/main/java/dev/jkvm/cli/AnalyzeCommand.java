package dev.jkvm.cli;

import dev.jkvm.analysis.RecordingAnalysis;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** `jkvm analyze FILE`: each vCPU's schedule from a recording (needs no KVM). */
@Command(name = "analyze", mixinStandardHelpOptions = true,
        description = {"Summarize a jkvm recording per vCPU: switches, run/wait/sleep time, max delay (perf sched vocabulary),",
            "sched-in classes (first run / same vCPU / from another vCPU), kvm_sched_in hits, exits, how each guest ended."})
final class AnalyzeCommand implements Callable<Integer> {
    enum Format { table, json }

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "A .jfr file written by 'jkvm run --jfr'.")
    Path file;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table", description = "table or json (default: ${DEFAULT-VALUE}).")
    Format format;

    @Override
    public Integer call() {
        RecordingAnalysis.Result r = RecordingAnalysis.analyze(file);
        var out = spec.commandLine().getOut();
        if (r.vcpus().isEmpty()) {
            spec.commandLine().getErr().println("jkvm: " + file + " has no jkvm events (was it recorded with 'jkvm run --jfr'?)");
            return ExitCodes.USAGE;
        }
        out.print(format == Format.json ? RecordingAnalysis.json(r) : RecordingAnalysis.table(r));
        out.flush();
        return ExitCodes.OK;
    }
}

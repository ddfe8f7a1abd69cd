package dev.jkvm.cli;

import dev.jkvm.bench.ExitBenchmark;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** `jkvm bench`: the exit round trip in Java against a C reference, side by side in one run. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure one port-I/O exit round trip: jkvm's Java KVM_RUN loop and a C reference monitor",
            "(built here with a C compiler) run the same io-ping guest, in alternating rounds; medians and the ratio are printed."})
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--exits", paramLabel = "N", defaultValue = "100000", description = "Exits per run (default: ${DEFAULT-VALUE}).")
    long exits;

    @Option(names = "--rounds", paramLabel = "R", defaultValue = "5", description = "Rounds, each one Java run and one C run (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--cc", paramLabel = "COMPILER", defaultValue = "gcc", description = "C compiler for the reference (default: ${DEFAULT-VALUE}).")
    String compiler;

    @Mixin
    SandboxChoice sandbox;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (sandbox.shouldDelegate()) return sandbox.delegate(spec, out, List.of());
        dev.jkvm.kvm.KvmAvailability.ensureUsable();
        ExitBenchmark.Result r = ExitBenchmark.run(exits, rounds, compiler, out);
        out.printf(Locale.ROOT, "bench: %d exits a run, %d rounds: median Java %.0f ns/exit, C %.0f ns/exit, Java/C %.2f%n",
                r.exitsPerRun(), r.rounds().size(), r.medianJava(), r.medianC(), r.medianRatio());
        out.flush();
        return ExitCodes.OK;
    }
}

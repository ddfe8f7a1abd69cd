package dev.jkvm.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The jkvm command line. {@link #run} is the testable entry; {@link #main} only exits with its result. */
@Command(
        name = "jkvm",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "A KVM monitor for multi-VM single-core scheduling experiments.",
        subcommands = {
            CheckCommand.class,
            GuestsCommand.class,
            RunCommand.class,
            SandboxCommand.class,
            AnalyzeCommand.class,
            BenchCommand.class,
            CommandLine.HelpCommand.class
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:every guest ended cleanly / the command succeeded",
            "1:internal error",
            "2:usage error (nothing was started)",
            "3:KVM unavailable",
            "4:a guest faulted or exited with a non-zero status"
        })
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        // `jkvm` alone: show what there is to do.
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Runs jkvm with the given streams and returns the exit code; never calls System.exit. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExitCodeExceptionMapper(ErrorHandling::exitCodeOf);
        cli.setExecutionExceptionHandler(ErrorHandling::handleExecutionException);
        cli.setParameterExceptionHandler(ErrorHandling::handleParameterException);
        try {
            return cli.execute(args);
        } finally {
            out.flush();
            err.flush();
        }
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        System.exit(run(out, err, args));
    }
}

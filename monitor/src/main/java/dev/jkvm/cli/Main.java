package dev.jkvm.cli;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The jkvm command line. {@link #run} is the testable entry; {@link #main} only exits with its result. */
@Command(
        name = "jkvm",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "A KVM monitor for multi-VM single-core scheduling experiments.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:every guest ended cleanly / the command succeeded",
            "1:internal error",
            "2:usage error (nothing was started)",
            "3:KVM unavailable",
            "4:a guest faulted or exited with a non-zero status",
            "5:an --expect expectation failed, or 'jkvm regress' found a regression",
            "6:check --runner: this machine is not fit for regression runs"
        })
public final class Main implements Runnable {

    /**
     * The subcommands by name, in the order the usage lists them. They are added to the command line
     * in {@link #commandLine} rather than declared on the annotation, so that a run names the one it
     * needs: picocli reflects over every option of every command it is given, which on a cold JVM
     * costs more than parsing the run's own arguments.
     */
    static final Map<String, Class<?>> SUBCOMMANDS = subcommands();

    private static Map<String, Class<?>> subcommands() {
        Map<String, Class<?>> m = new LinkedHashMap<>();
        m.put("check", CheckCommand.class);
        m.put("guests", GuestsCommand.class);
        m.put("run", RunCommand.class);
        m.put("sandbox", SandboxCommand.class);
        m.put("analyze", AnalyzeCommand.class);
        m.put("regress", RegressCommand.class);
        m.put("bench", BenchCommand.class);
        m.put("help", CommandLine.HelpCommand.class);
        return java.util.Collections.unmodifiableMap(m);
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        // `jkvm` alone: show what there is to do.
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Runs jkvm with the given streams and returns the exit code; never calls System.exit. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = commandLine(out, err, args.length == 0 ? null : args[0]);
        try {
            String missing = missingAtFile(args);
            if (missing != null) {
                err.println("jkvm: option file " + missing);
                return ExitCodes.USAGE;
            }
            return cli.execute(args);
        } catch (Error e) {
            // picocli hands only Exceptions to the handler; an Error (a library's InternalError, an
            // OutOfMemoryError) is reported the same way instead of as the thread's uncaught stack trace.
            ErrorHandling.internalError(err, e);
            return ExitCodes.INTERNAL;
        } finally {
            out.flush();
            err.flush();
        }
    }

    /**
     * jkvm's command line as {@link #run} executes it. An option given again overrides the earlier
     * value (options that take a list, such as --expect, collect every value), so an experiment file
     * can be run with one of its settings changed: {@code jkvm run @exp.args --duration 10s}.
     */
    static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        return commandLine(out, err, null);
    }

    /**
     * The command line with only the subcommand {@code first} names when it names one (other than
     * help, which describes the others), else with all of them: the usage, an unknown command's
     * suggestions and the root's own options need them all.
     */
    static CommandLine commandLine(PrintWriter out, PrintWriter err, String first) {
        CommandLine cli = new CommandLine(new Main());
        Class<?> only = first == null || first.equals("help") ? null : SUBCOMMANDS.get(first);
        if (only != null) {
            cli.addSubcommand(first, only);
        } else {
            SUBCOMMANDS.forEach(cli::addSubcommand);
        }
        cli.setOut(out);
        cli.setErr(err);
        cli.setOverwrittenOptionsAllowed(true);
        cli.setExitCodeExceptionMapper(ErrorHandling::exitCodeOf);
        cli.setExecutionExceptionHandler(ErrorHandling::handleExecutionException);
        cli.setParameterExceptionHandler(ErrorHandling::handleParameterException);
        return cli;
    }

    /**
     * picocli reads {@code @FILE} arguments as option files, but keeps an {@code @FILE} that does not
     * exist as a literal argument, so the user's real mistake turns into a confusing one later
     * ("Missing required option"). Returns what is wrong with the first unreadable option file, or null.
     * ({@code @@x} is picocli's escape for a literal {@code @x}; {@code --} ends the options.)
     */
    static String missingAtFile(String... args) {
        for (String a : args) {
            if (a.equals("--")) return null;
            if (a.length() < 2 || a.charAt(0) != '@' || a.charAt(1) == '@') continue;
            java.nio.file.Path p = java.nio.file.Path.of(a.substring(1));
            if (!java.nio.file.Files.exists(p)) return p + " not found (" + a + " names a file of options, one per line)";
            if (!java.nio.file.Files.isRegularFile(p)) return p + " is not a regular file (" + a + " names a file of options)";
            if (!java.nio.file.Files.isReadable(p)) return p + " cannot be read: permission denied";
        }
        return null;
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        System.exit(run(out, err, args));
    }
}

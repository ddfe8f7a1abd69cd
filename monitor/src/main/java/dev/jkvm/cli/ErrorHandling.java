package dev.jkvm.cli;

import dev.jkvm.guest.InvalidGuestException;
import dev.jkvm.kvm.KvmUnavailableException;
import dev.jkvm.util.UsageException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * Maps failures to one line and an exit code. Users see a stack trace only for internal errors,
 * and only with JKVM_DEBUG=1; a mistake of theirs is one line and exit code 2.
 */
final class ErrorHandling {
    private ErrorHandling() {}

    static int exitCodeOf(Throwable t) {
        return switch (t) {
            case UsageException u -> ExitCodes.USAGE;
            case ExpectOptions.BadExpectationException b -> ExitCodes.USAGE;
            case InvalidGuestException g -> ExitCodes.USAGE;
            case ParameterException p -> ExitCodes.USAGE;
            case KvmUnavailableException k -> ExitCodes.KVM_UNAVAILABLE;
            default -> ExitCodes.INTERNAL;
        };
    }

    static int handleExecutionException(Exception e, CommandLine cli, ParseResult parsed) {
        PrintWriter err = cli.getErr();
        int code = exitCodeOf(e);
        String message = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
        switch (code) {
            case ExitCodes.USAGE -> {
                if (e instanceof ExpectOptions.BadExpectationException b) {
                    err.println("jkvm: " + message);
                    err.println(b.pointer());
                } else {
                    err.println("jkvm: " + message + " (see 'jkvm " + cli.getCommandName() + " --help')");
                }
            }
            case ExitCodes.KVM_UNAVAILABLE -> err.println("jkvm: KVM unavailable: " + message);
            default -> internalError(err, e);
        }
        err.flush();
        return code;
    }

    /** An internal error: one line, and the stack trace with JKVM_DEBUG=1. */
    static void internalError(PrintWriter err, Throwable t) {
        if (t instanceof OutOfMemoryError && "Java heap space".equals(t.getMessage())) {
            // The one internal error the user can fix: say how, and what holds memory where a command is known to.
            err.println("jkvm: out of memory: the Java heap (" + Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MiB) is full; give jkvm"
                    + " more with JKVM_JAVA_OPTS=-Xmx<size>, e.g. -Xmx4g (analyze --rules holds the whole recording: JMC's parser)");
            return;
        }
        String message = t.getMessage() == null ? t.getClass().getName() : t.getMessage();
        err.println("jkvm: internal error: " + (t instanceof Error ? t.getClass().getSimpleName() + ": " : "") + message);
        if ("1".equals(System.getenv("JKVM_DEBUG"))) {
            t.printStackTrace(err);
        } else {
            err.println("jkvm: (set JKVM_DEBUG=1 for the stack trace)");
        }
    }

    static int handleParameterException(ParameterException e, String[] args) {
        CommandLine cli = e.getCommandLine();
        PrintWriter err = cli.getErr();
        // picocli 4.7 words a map option's bad value "Value for option option '--nice' …": one "option" is enough.
        err.println("jkvm: " + String.valueOf(e.getMessage()).replace("option option '", "option '"));
        err.println("Try 'jkvm " + (cli.getParent() == null ? "" : cli.getCommandName() + " ") + "--help' for more information.");
        err.flush();
        return ExitCodes.USAGE;
    }
}

package dev.jkvm.cli;

import java.io.PrintWriter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * --sandbox / --no-sandbox for commands that need KVM. By default a command runs natively when KVM
 * is usable and inside the nested-KVM sandbox otherwise (printing one line that says so).
 */
final class SandboxChoice {
    @Option(names = "--sandbox", description = "Run inside the nested-KVM sandbox even if KVM is usable here.")
    boolean force;

    @Option(names = "--no-sandbox", description = "Never use the sandbox; fail if KVM is not usable here.")
    boolean forbid;

    boolean shouldDelegate() {
        return false;
    }

    int delegate(CommandSpec spec, PrintWriter out) {
        throw new UnsupportedOperationException("sandbox delegation");
    }
}

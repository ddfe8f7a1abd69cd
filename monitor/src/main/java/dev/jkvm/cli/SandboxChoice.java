package dev.jkvm.cli;

import dev.jkvm.kvm.KvmAvailability;
import dev.jkvm.kvm.KvmUnavailableException;
import dev.jkvm.sandbox.Sandbox;
import dev.jkvm.sandbox.SandboxConfig;
import dev.jkvm.sandbox.SandboxException;
import dev.jkvm.util.UsageException;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * --sandbox / --no-sandbox for commands that need KVM. By default a command runs natively when KVM
 * is usable and otherwise re-runs itself inside the nested-KVM sandbox, printing one line that says
 * so. Inside, the same JVM and class path run the same arguments, marked by {@link #INSIDE_ENV}.
 */
final class SandboxChoice {
    /** Set in the sandboxed command's environment, so it never tries to nest another sandbox. */
    static final String INSIDE_ENV = "JKVM_INSIDE_SANDBOX";

    @Option(names = "--sandbox", description = "Run inside the nested-KVM sandbox even if KVM is usable here.")
    boolean force;

    @Option(names = "--no-sandbox", description = "Never use the sandbox; fail if KVM is not usable here.")
    boolean forbid;

    private String why;

    /** Decides where to run; true means {@link #delegate} must be called instead of running here. */
    boolean shouldDelegate() {
        // Inside the sandbox the command runs here, whatever its (possibly @file) arguments say.
        if (System.getenv(INSIDE_ENV) != null) return false;
        if (force && forbid) throw new UsageException("--sandbox and --no-sandbox exclude each other");
        if (forbid) return false;
        if (force) {
            Optional<String> noSandbox = Sandbox.unavailabilityCause();
            if (noSandbox.isPresent()) throw new KvmUnavailableException("--sandbox: the sandbox cannot be used: " + noSandbox.get());
            why = "--sandbox";
            return true;
        }
        KvmAvailability.Verdict v = KvmAvailability.probe();
        if (v.usable()) return false;
        Optional<String> noSandbox = Sandbox.unavailabilityCause();
        if (noSandbox.isPresent()) {
            throw new KvmUnavailableException(v.reason() + "; the sandbox cannot be used either: " + noSandbox.get());
        }
        why = "KVM is not usable here: " + v.reason();
        return true;
    }

    /**
     * Re-runs this command inside the sandbox and returns its exit code. {@code writable} are
     * directories the command writes (e.g. where a recording goes), shared read-write.
     */
    int delegate(CommandSpec spec, PrintWriter out, List<Path> writable) {
        out.println("jkvm: running inside the nested-KVM sandbox (" + why + ")");
        out.flush();
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--enable-native-access=ALL-UNNAMED");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Main.class.getName());
        CommandSpec top = spec;
        while (top.parent() != null) top = top.parent();
        top.commandLine().getParseResult().originalArgs().stream().filter(a -> !a.equals("--sandbox")).forEach(command::add);
        Map<String, String> env = new LinkedHashMap<>();
        env.put(INSIDE_ENV, "1");
        env.put("JAVA_HOME", System.getProperty("java.home"));
        for (String name : List.of("CI", "LANG", "TERM", "JKVM_DEBUG")) {
            String v = System.getenv(name);
            if (v != null) env.put(name, v);
        }
        SandboxConfig cfg = SandboxConfig.defaults()
                .withShares(writable.stream().map(p -> p.toAbsolutePath().normalize()).distinct().toList())
                .withProgress(line -> {
                    out.println(line);
                    out.flush();
                });
        try {
            // The child's bytes go straight to our descriptors: the terminal sees them as they come.
            return Sandbox.run(cfg, command, env, new FileOutputStream(FileDescriptor.out), new FileOutputStream(FileDescriptor.err));
        } catch (SandboxException e) {
            throw new KvmUnavailableException("the sandbox failed: " + e.getMessage());
        }
    }
}

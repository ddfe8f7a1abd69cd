package dev.jkvm.sandbox;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Where QEMU is and how the sandbox starts it.
 *
 * <p>The machine: TCG with one host thread for all vCPUs ({@code thread=single}; with
 * {@code thread=multi} a JVM inside crashed with SIGILL a few bytes into JIT-compiled methods about
 * once in five test runs: HotSpot patches the code of running methods (nmethod entry barriers) from
 * other threads, and multi-threaded TCG does not always see such cross-modified code whole), an EPYC CPU model with
 * SVM so the Debian kernel's kvm_amd loads with nested paging, no default devices. The guest
 * console (ttyS0) goes to a socket (or to the terminal for an interactive shell); three
 * virtio-serial ports carry the control protocol and the command's stdout and stderr, each to its
 * own Unix socket on which jkvm listens (QEMU connects as the client at start-up, so the channels
 * exist before the guest runs); 9p shares carry the host root (read-only), the per-run directory
 * (read-only) and the read-write shares.
 */
public final class Qemu {
    public static final String BINARY = "qemu-system-x86_64";
    public static final String DEBIAN_PACKAGE = "qemu-system-x86";
    /** The 9p tags the init script mounts. */
    public static final String HOST_ROOT_TAG = "hostroot";
    public static final String RUN_TAG = "jkvmrun";
    public static final String SHARE_TAG_PREFIX = "share";
    /** The virtio-serial port names the init script looks for. */
    public static final String CTL_PORT = "jkvm.ctl";
    public static final String STDOUT_PORT = "jkvm.stdout";
    public static final String STDERR_PORT = "jkvm.stderr";

    /** A 9p export. */
    public record Share(String tag, Path path, boolean readOnly) {}

    /**
     * Everything the command line depends on. {@code consoleSocket} empty means the console is the
     * caller's terminal (interactive shell).
     */
    public record Launch(Path binary, Path kernel, Path initrd, int cpus, int memoryMiB, String kernelCmdline,
                         List<Share> shares, Optional<Path> consoleSocket, Path ctlSocket, Path stdoutSocket, Path stderrSocket) {
        public Launch {
            Objects.requireNonNull(binary);
            shares = List.copyOf(shares);
        }
    }

    /**
     * The kernel command line: the console is ttyS0 (a log, never mixed into a command's output, so
     * the kernel may be verbose there: it costs no measurable boot time and explains failures), no
     * reboot on panic so QEMU exits ({@code -no-reboot}) instead of looping.
     */
    public static final String KERNEL_CMDLINE = "console=ttyS0 panic=-1";
    /** For the interactive shell the console is the user's terminal: keep the kernel quiet there. */
    public static final String KERNEL_CMDLINE_INTERACTIVE = KERNEL_CMDLINE + " quiet";

    private Qemu() {}

    /** qemu-system-x86_64 on $PATH. */
    public static Optional<Path> find() {
        return HostCommand.onPath(BINARY);
    }

    /** Why the sandbox cannot start here, or empty when QEMU is there. */
    public static Optional<String> unavailabilityCause() {
        if (find().isEmpty()) {
            return Optional.of(BINARY + " not found: install the Debian package " + DEBIAN_PACKAGE
                    + " (apt-get install " + DEBIAN_PACKAGE + ")");
        }
        return Optional.empty();
    }

    /** The full command line (argv) for this launch. Pure: the unit tests check it as it is. */
    public static List<String> commandLine(Launch l) {
        List<String> a = new ArrayList<>();
        a.add(l.binary().toString());
        a.addAll(List.of("-nodefaults", "-no-user-config", "-no-reboot", "-display", "none"));
        a.addAll(List.of("-accel", "tcg,thread=single"));
        a.addAll(List.of("-cpu", "EPYC,+svm"));
        a.addAll(List.of("-smp", Integer.toString(l.cpus())));
        a.addAll(List.of("-m", l.memoryMiB() + "M"));
        a.addAll(List.of("-kernel", l.kernel().toString()));
        a.addAll(List.of("-initrd", l.initrd().toString()));
        a.addAll(List.of("-append", l.kernelCmdline()));
        if (l.consoleSocket().isPresent()) {
            a.addAll(List.of("-chardev", "socket,id=console,path=" + escape(l.consoleSocket().get())));
        } else {
            // signal=off: ^C goes to the guest's shell, not to QEMU.
            a.addAll(List.of("-chardev", "stdio,id=console,signal=off"));
        }
        a.addAll(List.of("-serial", "chardev:console"));
        a.addAll(List.of("-device", "virtio-serial-pci,id=vser0"));
        port(a, "ctl", CTL_PORT, l.ctlSocket());
        port(a, "stdout", STDOUT_PORT, l.stdoutSocket());
        port(a, "stderr", STDERR_PORT, l.stderrSocket());
        for (Share s : l.shares()) {
            // multidevs=remap: the host root spans several devices (/, /proc, /dev, …); without it
            // inode numbers collide and the guest's cache=loose serves the wrong files.
            a.addAll(List.of("-virtfs", "local,path=" + escape(s.path()) + ",mount_tag=" + s.tag()
                    + ",security_model=none,multidevs=remap" + (s.readOnly() ? ",readonly=on" : "")));
        }
        return List.copyOf(a);
    }

    private static void port(List<String> a, String id, String name, Path socket) {
        a.addAll(List.of("-chardev", "socket,id=" + id + ",path=" + escape(socket)));
        a.addAll(List.of("-device", "virtserialport,bus=vser0.0,chardev=" + id + ",name=" + name));
    }

    /** QEMU option values end at a comma; a literal comma is written twice. */
    static String escape(Path p) {
        return p.toString().replace(",", ",,");
    }

    /** True for QEMU's harmless complaints about EPYC flags TCG lacks (kept out of error messages). */
    static boolean isNoise(String stderrLine) {
        return stderrLine.contains("TCG doesn't support requested feature");
    }
}

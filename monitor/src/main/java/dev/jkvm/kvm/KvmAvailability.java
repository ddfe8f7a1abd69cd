package dev.jkvm.kvm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The one answer to "can KVM be used here, and if not, why": it drives {@code jkvm check}, the
 * automatic sandbox, and where the KVM tests run. Usable means /dev/kvm opens read-write, speaks
 * API version 12, and a VM can be created — a node that opens but cannot create a VM (no vendor
 * module) is not usable.
 */
public final class KvmAvailability {
    public static final Path DEV_KVM = Path.of("/dev/kvm");

    /** The verdict, with the API version when usable and a reason with advice when not. */
    public record Verdict(boolean usable, int apiVersion, String reason) {
        public static Verdict unusable(String reason) {
            return new Verdict(false, -1, reason);
        }
    }

    /**
     * The first usable verdict of this process: KVM does not become unusable while a process runs,
     * and each probe creates and destroys a VM (`jkvm run` asks twice — the sandbox choice, then the
     * experiment — before it creates its own).
     */
    private static volatile Verdict usable;

    private KvmAvailability() {}

    public static Verdict probe() {
        Verdict known = usable;
        if (known != null) return known;
        Verdict v = probeNow();
        if (v.usable()) usable = v;
        return v;
    }

    private static Verdict probeNow() {
        if (!Files.exists(DEV_KVM)) {
            return Verdict.unusable("/dev/kvm does not exist: the kvm module is not loaded or this machine has no"
                    + " hardware virtualization (load kvm_intel or kvm_amd; in a VM, enable nested virtualization;"
                    + " or run inside the sandbox: jkvm sandbox / --sandbox)");
        }
        if (!Files.isReadable(DEV_KVM) || !Files.isWritable(DEV_KVM)) {
            return Verdict.unusable("/dev/kvm is not readable and writable by this user: add the user to the 'kvm'"
                    + " group (usermod -aG kvm $USER, then log in again) or use the sandbox");
        }
        try (Kvm kvm = Kvm.open()) {
            int api = kvm.apiVersion();
            if (api != Kvm.EXPECTED_API_VERSION) {
                return Verdict.unusable("/dev/kvm speaks KVM API version " + api + ", jkvm needs " + Kvm.EXPECTED_API_VERSION);
            }
            kvm.createVm().close();
            return new Verdict(true, api, "KVM is usable");
        } catch (RuntimeException e) {
            return Verdict.unusable("/dev/kvm cannot be used: " + e.getMessage()
                    + " (is a vendor module, kvm_intel or kvm_amd, loaded? or use the sandbox)");
        }
    }

    /** Throws {@link KvmUnavailableException} with the reason when KVM cannot be used. */
    public static void ensureUsable() {
        Verdict v = probe();
        if (!v.usable()) throw new KvmUnavailableException(v.reason());
    }

    /** Which KVM vendor module is loaded (kvm_intel, kvm_amd, or another such as kvm_pvm). */
    public static String vendorModules() {
        try {
            List<String> found = Files.readAllLines(Path.of("/proc/modules")).stream()
                    .map(l -> l.split(" ", 2)[0])
                    .filter(n -> n.startsWith("kvm_"))
                    .toList();
            if (!found.isEmpty()) return String.join(", ", found);
        } catch (Exception e) {
            // /proc/modules is missing on kernels without module support; fall through.
        }
        for (String m : List.of("kvm_intel", "kvm_amd", "kvm_pvm")) {
            if (Files.isDirectory(Path.of("/sys/module", m))) return m + " (built in)";
        }
        return "unknown (none listed in /proc/modules or /sys/module)";
    }
}

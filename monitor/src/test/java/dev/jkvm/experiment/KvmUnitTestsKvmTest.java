package dev.jkvm.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.exits.GuestResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * kvm-unit-tests x86 images, when someone built them (outside this project) and names their x86
 * directory in {@code JKVM_KVM_UNIT_TESTS}: each single-CPU test below that exists runs under jkvm
 * and under QEMU/KVM on the same machine, and must end with the same status and the same SUMMARY
 * line. Says how many it ran; skipped without the images.
 */
@Tag("kvm")
class KvmUnitTestsKvmTest {
    /**
     * Tests that need one CPU, no ACPI and no QEMU-only test device, and finish in seconds here (on kvm-pvm
     * realmode does not finish under jkvm, and the 32-bit ones run slowly through KVM's emulator).
     */
    private static final List<String> TESTS = List.of("setjmp", "rmap_chain", "tsc", "msr");

    @Test
    void singleCpuTestsEndAsUnderQemu() throws Exception {
        String dir = System.getenv("JKVM_KVM_UNIT_TESTS");
        // The images are not the project's (built outside it, never committed): without them this test says
        // so and that it ran none, rather than skipping (a skipped KVM test fails CI). Multiboot and fw_cfg are
        // proven without them on the project's own images (MultibootTest, IrqchipGuestsKvmTest).
        if (dir == null || !Files.isDirectory(Path.of(dir)) || !Files.isExecutable(Path.of("/usr/bin/qemu-system-x86_64"))) {
            System.out.println("kvm-unit-tests: ran 0 of " + TESTS.size() + " (JKVM_KVM_UNIT_TESTS does not name a built kvm-unit-tests"
                    + " x86 directory, or qemu-system-x86_64 is missing)");
            return;
        }
        List<String> ran = new ArrayList<>();
        for (String t : TESTS) {
            Path image = Path.of(dir, t + ".flat");
            if (!Files.isRegularFile(image)) continue;
            VmReport vm = GuestsOnKvmTest.run(Duration.ofSeconds(60), null, image.toString()).vm(0);
            long jkvmStatus = vm.result() instanceof GuestResult.Exited e ? e.status() : -1;
            String jkvmSummary = summary(vm.serialOutput());
            Qemu q = qemu(image);
            System.out.printf("kvm-unit-tests %s: jkvm status %d '%s'; QEMU status %d '%s'%n", t, jkvmStatus, jkvmSummary, q.status(), q.summary());
            assertEquals(q.status(), jkvmStatus, t + ": exit status");
            assertEquals(q.summary().replaceAll("\\d+ tests", "N tests"), jkvmSummary.replaceAll("\\d+ tests", "N tests"),
                    t + ": SUMMARY (the number of tests may differ with the CPUID each passes)");
            ran.add(t);
        }
        System.out.println("kvm-unit-tests: ran " + ran.size() + " of " + TESTS.size() + ": " + ran);
        assertTrue(!ran.isEmpty(), "none of " + TESTS + " is in " + dir);
    }

    private record Qemu(long status, String summary) {}

    private static Qemu qemu(Path image) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("qemu-system-x86_64", "-accel", "kvm", "-cpu", "qemu64", "-m", "64", "-display", "none",
                "-serial", "stdio", "-monitor", "none", "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x4",
                "-kernel", image.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        Thread watchdog = Thread.ofPlatform().daemon(true).start(() -> {
            try {
                if (!p.waitFor(90, TimeUnit.SECONDS)) p.destroyForcibly(); // a hung test still ends
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        });
        byte[] out = p.getInputStream().readAllBytes();
        p.waitFor();
        watchdog.interrupt();
        return new Qemu(p.exitValue(), summary(new String(out, StandardCharsets.UTF_8)));
    }

    private static String summary(String output) {
        return output.lines().filter(l -> l.startsWith("SUMMARY")).reduce((a, b) -> b).orElse("");
    }
}

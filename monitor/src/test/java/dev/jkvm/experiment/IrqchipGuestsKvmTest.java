package dev.jkvm.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.exits.ExitReason;
import dev.jkvm.exits.GuestResult;
import dev.jkvm.guest.GuestCatalog;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Guests that use the in-kernel irqchip's PIC, and the Multiboot handover with fw_cfg, on real KVM. */
@Tag("kvm")
class IrqchipGuestsKvmTest {

    @Test
    void com1ThreInterruptsReachTheGuestThroughTheInKernelPic() throws Exception {
        String line = "Hello from jkvm (COM1 interrupts)\n";
        VmReport vm = GuestsOnKvmTest.run(Duration.ofSeconds(10), null, "serial-irq").vm(0);
        assertEquals(line, vm.serialOutput());
        assertEquals(new GuestResult.Exited(1), vm.result(), "a write of 0 to port 0xf4 is status 1");
        // IER on, IIR + THR per byte, the last IIR, IER off, the debug exit. The PIC's ports never exit
        // (KVM handles them) and HLT sleeps in the kernel: any other exit would show here.
        assertEquals(2L * line.length() + 4, vm.exits().count(ExitReason.IO));
        assertEquals(0, vm.exits().count(ExitReason.HLT));
        assertEquals(2L * line.length() + 4, vm.exits().total());
    }

    @Test
    void aMultibootKernelGetsItsInformationAndFwCfg() throws Exception {
        VmReport vm = GuestsOnKvmTest.run(null, null, "multiboot-info").vm(0);
        assertInstanceOf(GuestResult.Halted.class, vm.result());
        assertEquals("""
                multiboot: magic ok, mem_lower 639 KiB, mem_upper 3072 KiB
                multiboot: cmdline 'multiboot-info.elf', loader 'jkvm', 0 modules
                multiboot: mmap 4 entries, 3711 KiB available
                fw_cfg: signature QEMU, ram 4096 KiB, cpus 1
                """, vm.serialOutput());
    }

    /**
     * The same kernel under QEMU/KVM (when installed) with the same RAM: fw_cfg must read the same, and
     * QEMU's Multiboot loader must accept the image jkvm accepted (its memory map differs: SeaBIOS
     * keeps memory of its own).
     */
    @Test
    void qemuReadsTheSameFwCfgFromTheSameKernel(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/qemu-system-x86_64")), "qemu-system-x86_64 is not installed");
        Path kernel = dir.resolve("multiboot-info.elf");
        try (var in = GuestCatalog.class.getClassLoader().getResourceAsStream("dev/jkvm/guests/multiboot-info.elf")) {
            Files.write(kernel, in.readAllBytes());
        }
        List<String> qemu = runQemu(kernel);
        String mine = GuestsOnKvmTest.run(null, null, "multiboot-info").vm(0).serialOutput();
        String fwCfg = mine.lines().filter(l -> l.startsWith("fw_cfg:")).findFirst().orElseThrow();
        assertTrue(qemu.contains(fwCfg), "QEMU printed " + qemu + ", jkvm " + fwCfg);
        assertTrue(qemu.stream().anyMatch(l -> l.startsWith("multiboot: magic ok, mem_lower 639 KiB")), qemu.toString());
    }

    private static List<String> runQemu(Path kernel) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("qemu-system-x86_64", "-accel", "kvm", "-cpu", "qemu64", "-m", "4", "-display", "none",
                "-serial", "stdio", "-monitor", "none", "-no-reboot", "-kernel", kernel.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            Thread killer = Thread.ofPlatform().daemon(true).start(() -> {
                try {
                    if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly();
                } catch (InterruptedException e) {
                    p.destroyForcibly();
                }
            });
            String l;
            while ((l = r.readLine()) != null) {
                lines.add(l);
                if (l.startsWith("fw_cfg:")) break; // the kernel halts after this line
            }
            killer.interrupt();
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        return lines;
    }
}

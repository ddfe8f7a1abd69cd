package dev.jkvm.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class QemuCommandLineTest {
    private static final Path T = Path.of("/tmp/jkvm-sandbox-1");

    private static Qemu.Launch launch(Optional<Path> console, List<Qemu.Share> shares) {
        return new Qemu.Launch(Path.of("/usr/bin/qemu-system-x86_64"), Path.of("/c/vmlinux"), Path.of("/c/initramfs.cpio"),
                2, 4096, Qemu.KERNEL_CMDLINE, shares, console, T.resolve("ctl.sock"), T.resolve("stdout.sock"), T.resolve("stderr.sock"));
    }

    /** The value that follows the first occurrence of an option. */
    private static String after(List<String> argv, String option) {
        int i = argv.indexOf(option);
        assertTrue(i >= 0 && i + 1 < argv.size(), option + " missing in " + argv);
        return argv.get(i + 1);
    }

    @Test
    void machineIsTcgWithSvmAndNoDefaults() {
        List<String> a = Qemu.commandLine(launch(Optional.of(T.resolve("console.sock")), List.of()));
        assertEquals("/usr/bin/qemu-system-x86_64", a.getFirst());
        assertEquals("tcg,thread=single", after(a, "-accel"));
        assertEquals("EPYC,+svm", after(a, "-cpu"));
        assertEquals("2", after(a, "-smp"));
        assertEquals("4096M", after(a, "-m"));
        assertEquals("/c/vmlinux", after(a, "-kernel"));
        assertEquals("/c/initramfs.cpio", after(a, "-initrd"));
        assertEquals("console=ttyS0 panic=-1", after(a, "-append"));
        assertTrue(a.containsAll(List.of("-nodefaults", "-no-user-config", "-no-reboot")));
        assertEquals("none", after(a, "-display"));
        assertEquals("chardev:console", after(a, "-serial"));
        assertTrue(a.contains("socket,id=console,path=/tmp/jkvm-sandbox-1/console.sock"));
    }

    @Test
    void threeVirtioSerialPortsOnSockets() {
        List<String> a = Qemu.commandLine(launch(Optional.of(T.resolve("console.sock")), List.of()));
        assertTrue(a.contains("virtio-serial-pci,id=vser0"));
        for (String[] p : new String[][] {{"ctl", "jkvm.ctl"}, {"stdout", "jkvm.stdout"}, {"stderr", "jkvm.stderr"}}) {
            assertTrue(a.contains("socket,id=" + p[0] + ",path=/tmp/jkvm-sandbox-1/" + p[0] + ".sock"), p[0]);
            assertTrue(a.contains("virtserialport,bus=vser0.0,chardev=" + p[0] + ",name=" + p[1]), p[1]);
        }
        // Every -chardev and -device is followed by a value (no option swallowed another).
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i).equals("-chardev") || a.get(i).equals("-device")) assertFalse(a.get(i + 1).startsWith("-"), a.get(i + 1));
        }
    }

    @Test
    void sharesAre9pExportsWithRemappedDevicesAndEscapedCommas() {
        List<String> a = Qemu.commandLine(launch(Optional.of(T.resolve("console.sock")), List.of(
                new Qemu.Share("hostroot", Path.of("/"), true),
                new Qemu.Share("share0", Path.of("/work/out,1"), false))));
        assertTrue(a.contains("local,path=/,mount_tag=hostroot,security_model=none,multidevs=remap,readonly=on"), a.toString());
        assertTrue(a.contains("local,path=/work/out,,1,mount_tag=share0,security_model=none,multidevs=remap"), a.toString());
        assertEquals(2, Collections.frequency(a, "-virtfs"));
    }

    @Test
    void interactiveConsoleIsTheTerminalWithSignalsForTheGuest() {
        List<String> a = Qemu.commandLine(launch(Optional.empty(), List.of()));
        assertTrue(a.contains("stdio,id=console,signal=off"));
        assertFalse(a.stream().anyMatch(s -> s.contains("console.sock")));
    }

    @Test
    void unavailabilityNamesTheDebianPackage() {
        Optional<String> cause = Qemu.unavailabilityCause();
        if (Qemu.find().isEmpty()) {
            assertTrue(cause.orElseThrow().contains("qemu-system-x86"), cause.toString());
        } else {
            assertTrue(cause.isEmpty());
        }
    }
}

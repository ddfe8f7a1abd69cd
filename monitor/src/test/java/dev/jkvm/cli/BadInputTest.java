package dev.jkvm.cli;

import static dev.jkvm.cli.MainUsageTest.usageError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.experiment.ExperimentSpec;
import dev.jkvm.testing.Tmpfs;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A careless user's inputs (issue 8): each is one line naming the thing, the reason and the fix,
 * exit code 2, and nothing starts. No KVM needed: all of it is checked before a VM exists.
 */
class BadInputTest {
    @TempDir
    Path dir;

    private static void assertContains(String haystack, String needle) {
        assertTrue(haystack.contains(needle), () -> "expected '" + needle + "' in:\n" + haystack);
    }

    private Path flatGuest(String manifestMemory, long imageBytes) throws Exception {
        Path image = dir.resolve("g.bin");
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(imageBytes); // sparse: a 3 GiB image costs nothing on disk
            f.write(0xf4); // hlt
        }
        Files.writeString(dir.resolve("g.manifest"), "name = g\nmode = long\nimage = g.bin\nmemory = " + manifestMemory + "\n");
        return image;
    }

    @Test
    void aNiceForAVmNumberBeyondIntIsAUsageError() {
        assertContains(usageError("run", "--guest", "hello", "--nice", "vm99999999999=1").err(),
                "--nice names vm99999999999 but the run has vm0..vm0");
        assertContains(usageError("run", "--guest", "hello", "--vms", "2", "--nice", "vm0002=1").err(), "vm0002");
    }

    @Test
    void aBadVcpuCountIsAUsageError() {
        assertContains(usageError("run", "--guest", "spin", "--vcpus", "0").err(), "--vcpus: a VM has 1 to 64 vCPUs, got 0");
        assertContains(usageError("run", "--guest", "spin", "--vms", "2", "--vcpus", "vm2=3").err(), "--vcpus names vm2 but the run has vm0..vm1");
        long files = HostLimits.openFileLimit().orElse(1 << 20);
        long vms = Math.max(1, (files - HostLimits.FDS_RESERVED) / HostLimits.FDS_PER_VM / 2);
        if (vms * 64 * HostLimits.FDS_PER_EXTRA_VCPU > files) { // half the VMs the files allow, each with 64 vCPUs: too many files
            assertContains(usageError("run", "--guest", "spin", "--vms", Long.toString(vms), "--vcpus", "64").err(), "vCPUs in all need about");
        }
    }

    @Test
    void moreVmsThanTheHostCanHoldIsRefusedBeforeAnythingStarts() {
        long t0 = System.nanoTime();
        String err = usageError("run", "--guest", "hello", "--vms", "100000").err();
        assertContains(err, "--vms 100000 needs about");
        assertContains(err, "(ulimit -n): at most");
        assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "refused at once");
    }

    @Test
    void benchCountsBeyondTheHostAreRefusedBeforeAnythingStarts() {
        long t0 = System.nanoTime();
        assertContains(usageError("bench", "--scale", "8,100000").err(), "--scale 100000 needs about");
        assertContains(usageError("bench", "--start", "100000").err(), "--start 100000 needs about");
        assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "refused at once");
    }

    @Test
    void aDurationBeyondAYearIsAUsageErrorNotARunThatStopsAtOnce() {
        assertContains(usageError("run", "--guest", "spin", "--duration", "99999999999h").err(),
                "duration too long: '99999999999h' (at most 365 days, 8760h)");
        assertContains(usageError("bench", "--scale", "1", "--duration", "99999999999h").err(), "duration too long");
    }

    @Test
    void aMissingOptionFileIsNamed() {
        Path missing = dir.resolve("opts");
        String err = usageError("run", "@" + missing).err();
        assertEquals("jkvm: option file " + missing + " not found (@" + missing + " names a file of options, one per line)", err.strip());
    }

    @Test
    void aDirectoryGivenAsTheImageIsSaidToBeOne() {
        assertContains(usageError("run", "--guest", dir.toString()).err(), "guest image " + dir + " is a directory; give the image file inside it");
    }

    @Test
    void aGarbageManifestIsNotInputLength1() throws Exception {
        flatGuest("4M", 16);
        Files.write(dir.resolve("g.manifest"), new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, 2, (byte) 0x80});
        String err = usageError("run", "--guest", dir.resolve("g.bin").toString()).err();
        assertContains(err, "g.manifest: not a text manifest (not UTF-8); expected 'key = value' lines");
    }

    @Test
    void manifestMemoryHasTheBoundsOfDashDashMemory() throws Exception {
        Path image = flatGuest("4097K", 16);
        assertContains(usageError("run", "--guest", image.toString()).err(), "g.manifest: 'memory' must be a multiple of 4 KiB, got 4097K");
        flatGuest("16G", 16);
        assertContains(usageError("run", "--guest", image.toString()).err(), "g.manifest: 'memory' must be between 1M and 1G, got 16G");
        flatGuest("4100", 16);
        assertContains(usageError("run", "--guest", image.toString()).err(), "'memory' must be a multiple of 4 KiB");
    }

    @Test
    void aThreeGibImageIsRefusedWithoutReadingIt() throws Exception {
        Path image = flatGuest("4M", 3L << 30);
        assertContains(usageError("run", "--guest", image.toString()).err(),
                "guest image " + image + " is 3221225472 bytes, more than the 4 MiB of guest memory it must fit into (use --memory)");
        // An ELF file (no manifest) is bounded by the largest guest memory.
        Path elf = dir.resolve("big.elf");
        try (RandomAccessFile f = new RandomAccessFile(elf.toFile(), "rw")) {
            f.write(new byte[] {0x7f, 'E', 'L', 'F'});
            f.setLength(3L << 30);
        }
        assertContains(usageError("run", "--guest", elf.toString()).err(), "is 3221225472 bytes, more than the 1 GiB of guest memory");
    }

    @Test
    void dashDashMemoryIsWhatTheImageMustFitInto() throws Exception {
        Path image = flatGuest("4M", 5L << 20); // 5 MiB loaded at 1 MiB: needs 6 MiB
        assertContains(usageError("run", "--guest", image.toString()).err(), "(use --memory)");
        assertContains(usageError("run", "--guest", image.toString(), "--memory", "5M").err(), "does not fit into 5120 KiB");
        RunCommand run = new RunCommand();
        new CommandLine(run).parseArgs("--guest", image.toString(), "--memory", "8M");
        ExperimentSpec spec = run.toSpec();
        assertEquals(8L << 20, spec.vms().get(0).memory());
    }

    @Test
    void aManifestAddressOutsideMemoryIsRefusedBeforeAnythingStarts() throws Exception {
        Path image = flatGuest("4M", 16);
        Files.writeString(dir.resolve("g.manifest"), "name = g\nmode = long\nimage = g.bin\nmemory = 4M\ntsc-ring = 0x3ffff0\n");
        assertContains(usageError("run", "--guest", image.toString()).err(),
                "manifest 'tsc-ring' 0x3ffff0-0x400030 is outside 4096 KiB of guest memory (fix the manifest or use --memory)");
        Files.writeString(dir.resolve("g.manifest"), "name = g\nmode = long\nimage = g.bin\nmemory = 4M\ncounter = 0x7fffffffffffff00\n");
        assertContains(usageError("run", "--guest", image.toString()).err(), "manifest 'counter' 0x7fffffffffffff00");
        Files.writeString(dir.resolve("g.manifest"), "name = g\nmode = long\nimage = g.bin\nmemory = 4M\nsteal-time = 0x201010\n");
        assertContains(usageError("run", "--guest", image.toString()).err(), "manifest 'steal-time' 0x201010 is not a 64-byte aligned guest address");
        Files.writeString(dir.resolve("g.manifest"), "name = g\nmode = long\nimage = g.bin\nmemory = 4M\ntick-ring = 0x3fffc8\n");
        assertContains(usageError("run", "--guest", image.toString()).err(), "manifest 'tick-ring' 0x3fffc8-0x400008 is outside 4096 KiB");
        // --memory moves the end of memory, and the check with it.
        Files.writeString(dir.resolve("g.manifest"), "name = g\nmode = long\nimage = g.bin\nmemory = 8M\ncounter = 0x700000\n");
        assertContains(usageError("run", "--guest", image.toString(), "--memory", "4M").err(), "manifest 'counter' 0x700000-0x700008 is outside 4096 KiB");
    }

    @Test
    void aSerialOutputPlaceThatCannotHoldTheFilesIsNamed() throws Exception {
        Path file = Files.writeString(dir.resolve("plain"), "x");
        assertContains(usageError("run", "--guest", "hello", "--serial-out", file.toString()).err(),
                "--serial-out " + file + " is not a directory; give a directory for the files vm0.serial");
        assertContains(usageError("run", "--guest", "hello", "--serial-out", dir.resolve("s").toString(), "--serial-cap", "0").err(),
                "--serial-cap: size must be positive: '0'");
        assertContains(usageError("run", "--guest", "hello", "--serial-out", dir.resolve("s").toString(), "--serial-cap", "lots").err(),
                "--serial-cap: not a size: 'lots'");
        assertContains(usageError("run", "--guest", "hello", "--serial-cap", "1M").err(), "--serial-cap limits the files of --serial-out DIR");
        try (Tmpfs ro = Tmpfs.mount("ro,size=16k")) {
            assertContains(usageError("run", "--guest", "hello", "--serial-out", ro.path().toString()).err(),
                    "cannot write serial output into " + ro.path() + ": Read-only file system; choose another --serial-out directory");
        }
    }

    @Test
    void anUnwritableRecordingIsNamedWithItsReason() throws Exception {
        assertContains(usageError("run", "--guest", "hello", "--jfr", dir.toString()).err(), "it is a directory");
        assertContains(usageError("run", "--guest", "hello", "--jfr", "").err(), "--jfr needs a file name");
        assertContains(usageError("run", "--guest", "hello", "--jfr", "/dev/null/x.jfr").err(),
                "cannot write the recording to /dev/null/x.jfr: /dev/null is not a directory");
        assertContains(usageError("run", "--guest", "hello", "--jfr", "/sys/x.jfr").err(),
                "cannot write the recording to /sys/x.jfr: permission denied; choose another --jfr path");
        try (Tmpfs ro = Tmpfs.mount("ro,size=16k")) {
            assertContains(usageError("run", "--guest", "hello", "--jfr", ro.path().resolve("r.jfr").toString()).err(),
                    ": Read-only file system; choose another --jfr path");
        }
    }
}

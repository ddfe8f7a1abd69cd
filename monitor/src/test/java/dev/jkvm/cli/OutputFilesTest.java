package dev.jkvm.cli;

import static dev.jkvm.cli.MainUsageTest.jkvm;
import static dev.jkvm.cli.MainUsageTest.usageError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outputs that would overwrite an input or each other, and outputs that cannot be written, are usage
 * errors before anything runs, and the files in their way are left as they were. Each case here
 * once ended with exit 0 and a file destroyed (`analyze run.jfr --html run.jfr`), or with an internal
 * error or a usage error only after the whole run or analysis. No KVM needed: all of it is checked
 * before a VM exists.
 */
class OutputFilesTest {
    @TempDir
    Path dir;

    private static void assertContains(String haystack, String needle) {
        assertTrue(haystack.contains(needle), () -> "expected '" + needle + "' in:\n" + haystack);
    }

    /** A file with contents that must survive. */
    private Path precious(String name) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, "precious " + name);
        return f;
    }

    private static void assertUnchanged(Path f) throws Exception {
        assertEquals("precious " + f.getFileName(), Files.readString(f), f + " was changed");
    }

    @Test
    void analyzeRefusesToWriteOverItsRecordingOrOneOutputOverAnother() throws Exception {
        Path rec = precious("run.jfr");
        assertContains(usageError("analyze", rec.toString(), "--html", rec.toString()).err(),
                "--html " + rec + " is the same file as the recording " + rec + "; give each its own file");
        assertContains(usageError("analyze", rec.toString(), "--svg", dir.resolve(".").resolve("run.jfr").toString()).err(),
                "is the same file as the recording");
        assertContains(usageError("analyze", rec.toString(), "--expect", "lost == 0", "--junit", rec.toString()).err(),
                "--junit " + rec + " is the same file as the recording");
        Path page = dir.resolve("t.html");
        assertContains(usageError("analyze", rec.toString(), "--html", page.toString(), "--svg", page.toString()).err(),
                "--svg " + page + " is the same file as --html " + page);
        assertUnchanged(rec);
        assertFalse(Files.exists(page));
    }

    @Test
    void aSymbolicLinkToTheRecordingIsTheSameFile() throws Exception {
        Path rec = precious("run.jfr");
        Path link = Files.createSymbolicLink(dir.resolve("link.html"), rec);
        assertContains(usageError("analyze", rec.toString(), "--html", link.toString()).err(), "is the same file as the recording");
        assertUnchanged(rec);
    }

    @Test
    void runRefusesOutputsOverItsImageOrEachOther() throws Exception {
        Path image = precious("guest.elf");
        assertContains(usageError("run", "--guest", image.toString(), "--jfr", image.toString()).err(),
                "--jfr " + image + " is the same file as the guest image " + image);
        assertUnchanged(image);
        Path rec = dir.resolve("run.jfr");
        assertContains(usageError("run", "--guest", "hello", "--jfr", rec.toString(), "--expect", "lost == 0", "--junit", rec.toString()).err(),
                "--junit " + rec + " is the same file as --jfr " + rec);
        Path serial = dir.resolve("serial");
        assertContains(usageError("run", "--guest", "spin", "--vms", "3", "--serial-out", serial.toString(),
                "--jfr", serial.resolve("vm2.serial").toString()).err(), "vm2's --serial-out file");
        assertFalse(Files.exists(rec));
    }

    @Test
    void aSerialFileInTheWayIsNamedBeforeAnyOtherIsEmptied() throws Exception {
        Path serial = Files.createDirectories(dir.resolve("serial"));
        Path vm0 = Files.writeString(serial.resolve("vm0.serial"), "precious vm0.serial");
        Files.createDirectory(serial.resolve("vm2.serial"));
        assertContains(usageError("run", "--guest", "spin", "--vms", "3", "--serial-out", serial.toString()).err(),
                serial.resolve("vm2.serial") + " is a directory; remove it or choose another --serial-out directory");
        assertEquals("precious vm0.serial", Files.readString(vm0));

        // A link is never followed: as root, opening it would overwrite whatever it points to.
        Path target = precious("target.txt");
        Path links = Files.createDirectories(dir.resolve("links"));
        Files.createSymbolicLink(links.resolve("vm0.serial"), target);
        assertContains(usageError("run", "--guest", "hello", "--serial-out", links.toString()).err(),
                "vm0.serial is a symbolic link (not followed)");
        assertUnchanged(target);
    }

    @Test
    void aRecordingInADirectoryThatTakesNoNewFilesIsAUsageError() throws Exception {
        // The recording is put together under a hidden name beside it: an existing, writable file in a
        // directory that takes no new files used to fail after the run (an internal error). A tmpfs
        // with two inodes (its root and the file) takes none, for root too.
        try (dev.jkvm.testing.Tmpfs full = dev.jkvm.testing.Tmpfs.mount("size=64k,nr_inodes=2")) {
            Path rec = Files.writeString(full.path().resolve("run.jfr"), "precious");
            assertContains(usageError("run", "--guest", "hello", "--jfr", rec.toString()).err(),
                    "cannot write the recording to " + rec + ": cannot create files in " + full.path());
            assertEquals("precious", Files.readString(rec));
        }
        assertContains(usageError("run", "--guest", "hello", "--jfr", "/proc/self/status").err(), "cannot write the recording to /proc/self/status");
    }

    @Test
    void unwritableOutputsAreRefusedBeforeTheWork() throws Exception {
        Path rec = precious("run.jfr");
        assertContains(usageError("analyze", rec.toString(), "--html", "/proc/x.html").err(), "cannot write --html /proc/x.html: ");
        assertContains(usageError("analyze", rec.toString(), "--svg", "").err(), "--svg needs a file name");
        assertContains(usageError("analyze", rec.toString(), "--html", dir.toString()).err(), "is a directory");
        assertContains(usageError("run", "--guest", "hello", "--expect", "lost == 0", "--junit", "/proc/j.xml").err(),
                "cannot write --junit /proc/j.xml: no such file or directory");
        assertContains(usageError("bench", "--analyze", rec.toString(), "--json", dir.toString()).err(), "--json " + dir + " is a directory");
        assertContains(usageError("bench", "--analyze", rec.toString(), "--json", "/proc/b.json").err(), "cannot write --json /proc/b.json");
    }

    @Test
    void analyzeHtmlMakesItsDirectoryAsTheOtherOutputsDo() throws Exception {
        // Nothing to analyze: the page's place is made before the recording is read, which then fails.
        Path page = dir.resolve("new/dir/t.html");
        MainUsageTest.Result r = jkvm("analyze", precious("run.jfr").toString(), "--html", page.toString());
        assertEquals(ExitCodes.USAGE, r.code(), r.err());
        assertContains(r.err(), "run.jfr");
        assertTrue(Files.isDirectory(page.getParent()));
        assertFalse(Files.exists(page), "no page for a recording that could not be read");
    }

    @Test
    void regressRefusesExperimentsNamedAfterItsOwnFiles() throws Exception {
        Path suite = Files.createDirectories(dir.resolve("suite"));
        Files.writeString(suite.resolve("junit.xml.args"), "--guest hello\n");
        assertContains(usageError("regress", suite.toString(), "--out", dir.resolve("out").toString(), "--no-sandbox").err(),
                "an experiment may not be named junit.xml, a file regress writes into --out itself");
        Path file = precious("out.txt");
        Files.delete(suite.resolve("junit.xml.args"));
        Files.writeString(suite.resolve("a.args"), "--guest hello\n");
        assertContains(usageError("regress", suite.toString(), "--out", file.toString(), "--no-sandbox").err(),
                "--out " + file + " is not a directory");
        assertUnchanged(file);
    }

    @Test
    void regressSaysWhatIsWrongWithItsDirectoriesAndFiles() throws Exception {
        Path suite = Files.createDirectories(dir.resolve("suite"));
        Path args = Files.writeString(suite.resolve("a.args"), "--guest hello\n--sandbox\n");
        Path out = dir.resolve("out");
        assertContains(usageError("regress", suite.toString(), "--out", out.toString(), "--no-sandbox").err(),
                "a.args: --sandbox and --no-sandbox choose where the whole suite runs; give them to regress");
        Files.writeString(args, "--guest hello\n");
        assertContains(usageError("regress", args.toString(), "--no-sandbox").err(), "is a file; regress takes the directory of *.args files");
        Path base = Files.createDirectories(dir.resolve("base/a"));
        Files.write(base.resolve("analysis.json"), new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1});
        assertContains(usageError("regress", suite.toString(), "--out", out.toString(), "--baseline", base.getParent().toString(),
                "--no-sandbox").err(), "is not an analysis.json: it is not UTF-8 text");
        Files.delete(base.resolve("analysis.json"));
        Files.createDirectory(base.resolve("analysis.json"));
        assertContains(usageError("regress", suite.toString(), "--out", out.toString(), "--baseline", base.getParent().toString(),
                "--no-sandbox").err(), "analysis.json is not a file");
        assertContains(usageError("regress", suite.toString(), "--out", out.toString(), "--timeout", "soon", "--no-sandbox").err(),
                "--timeout soon: not a duration: 'soon'");
        // The baseline reached through a link is still --out: the run would overwrite it.
        Path link = Files.createSymbolicLink(dir.resolve("link"), base.getParent());
        assertContains(usageError("regress", suite.toString(), "--out", link.toString(), "--baseline", base.getParent().toString(),
                "--no-sandbox").err(), "--baseline and --out are the same directory");
        Files.writeString(suite.resolve(".args"), "--guest hello\n");
        assertContains(usageError("regress", suite.toString(), "--out", out.toString(), "--no-sandbox").err(),
                ".args: an experiment needs a name before .args");
    }

    @Test
    void theHostMemoryCheckCountsTheGuestRamWrittenIn() throws Exception {
        long available = HostLimits.memAvailable().orElseThrow();
        long perVm = (64L << 20) + HostLimits.BYTES_PER_VM;
        long vms = available / perVm + 8; // just more than fit, far fewer than the other limits allow
        String err = usageError("run", "--guest", "spin", "--memory", "64M", "--vms", Long.toString(vms)).err();
        assertContains(err, "--vms " + vms + " needs about");
        assertContains(err, "its guest RAM, written in before the start up to 64 MiB");
        assertContains(err, "at most " + (available / perVm) + " such VMs here");
    }

    @Test
    void inputsThatWouldBeIgnoredAreRefused() throws Exception {
        assertContains(usageError("run", "--guest", "hello", "--initrd", precious("initrd.img").toString()).err(),
                "--initrd is for a Linux kernel (--guest linux or a bzImage), and no VM here boots one");
        assertContains(usageError("analyze", "").err(), "an empty name is no recording");
        assertContains(usageError("run", "--guest", "hello", "--profile", "jkvm-full").err(),
                "--profile jkvm-full chooses what --jfr records, and nothing is recorded: give --jfr FILE too");
    }

    @Test
    void theSandboxsFilesAreCheckedBeforeItBoots() throws Exception {
        assertContains(usageError("sandbox", "--kernel", dir.resolve("missing").toString(), "--", "true").err(), "--kernel " + dir.resolve("missing") + ": no such file");
        assertContains(usageError("sandbox", "--kernel", dir.toString(), "--", "true").err(), "is not a regular file");
        Path file = precious("f.txt");
        assertContains(usageError("sandbox", "-o", file.toString(), "--", "true").err(), "--output " + file + " is not a directory");
        assertContains(usageError("sandbox", "--cache", "/proc/jkvm-cache", "--", "true").err(), "cannot write into --cache /proc/jkvm-cache");
        assertUnchanged(file);
    }

    @Test
    void aCorruptBenchAnalyzeFileIsTheFilesProblem() throws Exception {
        Path bad = dir.resolve("bad.jfr");
        Files.write(bad, new byte[] {'F', 'L', 'R', 0, 0, 2, 0, 1, 1, 2, 3});
        assertContains(usageError("bench", "--analyze", bad.toString()).err(), "--analyze: ");
        assertContains(usageError("bench", "--analyze", precious("text.jfr").toString()).err(), "--analyze: ");
    }

    @Test
    void aFailingCompilerIsAUsageErrorWithItsStatus() {
        // Needs KVM for the run itself; the compile comes first, so without KVM the check of KVM speaks.
        MainUsageTest.Result r = jkvm("bench", "--cc", "/bin/false", "--exits", "10", "--rounds", "1", "--no-sandbox");
        assertFalse(r.err().contains("internal error"), r.err());
        assertTrue(r.code() == ExitCodes.USAGE || r.code() == ExitCodes.KVM_UNAVAILABLE, r.code() + ": " + r.err());
        if (r.code() == ExitCodes.USAGE) assertContains(r.err(), "'/bin/false' exited with status 1");
    }
}

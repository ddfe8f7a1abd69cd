package dev.jkvm.bindings;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.bindings.generated.LinuxHeaders;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every call of {@link Syscalls} (all but ioctl made through syscall(2) with the numbers gcc's
 * headers give, checked by handWrittenNumbersMatchGcc) does what the kernel says it did: files read back through Java's
 * own I/O, /proc's view of this thread, errno on failure.
 */
class SyscallsTest {
    private static final List<String> GCC_NAMES = List.of("SYS_read", "SYS_open", "SYS_close", "SYS_mmap", "SYS_munmap",
            "SYS_pread64", "SYS_madvise", "SYS_setpriority", "SYS_sched_setaffinity", "SYS_sched_getaffinity", "SYS_getrusage");

    /** The system call numbers written by hand in Syscalls are those of gcc's {@code <sys/syscall.h>} on this host. */
    @Test
    void handWrittenNumbersMatchGcc() throws Exception {
        long[] ours = {Syscalls.SYS_READ, Syscalls.SYS_OPEN, Syscalls.SYS_CLOSE, Syscalls.SYS_MMAP, Syscalls.SYS_MUNMAP,
            Syscalls.SYS_PREAD64, Syscalls.SYS_MADVISE, Syscalls.SYS_SETPRIORITY, Syscalls.SYS_SCHED_SETAFFINITY, Syscalls.SYS_SCHED_GETAFFINITY, Syscalls.SYS_GETRUSAGE};
        GccValues.Outcome gcc = GccValues.evaluate("#include <sys/syscall.h>", GCC_NAMES);
        for (int i = 0; i < ours.length; i++) {
            assertTrue(gcc.compiled()[i], GCC_NAMES.get(i) + " is not in <sys/syscall.h>");
            assertEquals(gcc.values()[i], ours[i], GCC_NAMES.get(i));
        }
        GccValues.Outcome advice = GccValues.evaluate("#include <sys/mman.h>", List.of("MADV_POPULATE_WRITE"));
        assertTrue(advice.compiled()[0], "MADV_POPULATE_WRITE is not in <sys/mman.h>");
        assertEquals(advice.values()[0], Syscalls.MADV_POPULATE_WRITE, "MADV_POPULATE_WRITE");
        List<String> usage = List.of("RUSAGE_SELF", "sizeof(struct rusage)", "offsetof(struct rusage, ru_utime)",
                "offsetof(struct rusage, ru_stime)", "sizeof(((struct timeval *) 0)->tv_sec)", "sizeof(((struct timeval *) 0)->tv_usec)");
        long[] ourUsage = {Syscalls.RUSAGE_SELF, Syscalls.RUSAGE_SIZE, Syscalls.RU_UTIME, Syscalls.RU_STIME, 8, 8};
        GccValues.Outcome rusage = GccValues.evaluate("#include <stddef.h>\n#include <sys/resource.h>", usage);
        for (int i = 0; i < usage.size(); i++) {
            assertTrue(rusage.compiled()[i], usage.get(i) + " does not compile with <sys/resource.h>");
            assertEquals(rusage.values()[i], ourUsage[i], usage.get(i));
        }
    }

    @Test
    void openPreadReadAndClose(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("f"), "0123456789");
        int fd = Syscalls.open(file.toString(), LinuxHeaders.O_RDONLY());
        assertTrue(fd >= 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(4);
            assertEquals(4, Syscalls.pread(fd, buf, 3, "the test file"));
            assertEquals("3456", new String(buf.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII));
            MemorySegment all = arena.allocate(32);
            assertEquals(10, Syscalls.readRaw(fd, all, new ErrnoCapture(arena))); // pread left the file offset at 0
            assertEquals("0123456789", new String(all.asSlice(0, 10).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII));
            assertEquals(0, Syscalls.readRaw(fd, all, new ErrnoCapture(arena)), "end of file");
        } finally {
            Syscalls.close(fd, "the test file");
        }
        // The fd is closed: reading it fails with EBADF, as returned -errno; closing it again throws, naming the call.
        try (Arena arena = Arena.ofConfined()) {
            assertEquals(-Errno.EBADF.value(), Syscalls.readRaw(fd, arena.allocate(1), new ErrnoCapture(arena)));
        }
        NativeException e = assertThrows(NativeException.class, () -> Syscalls.close(fd, "it again"));
        assertTrue(e.is(Errno.EBADF), e.getMessage());
        assertEquals("close it again", e.call());
        NativeException missing = assertThrows(NativeException.class, () -> Syscalls.open(dir.resolve("none").toString(), LinuxHeaders.O_RDONLY()));
        assertTrue(missing.is(Errno.ENOENT), missing.getMessage());
    }

    @Test
    void openSetsCloseOnExec(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("f"), "x");
        int fd = Syscalls.open(file.toString(), LinuxHeaders.O_RDONLY());
        try {
            String fdinfo = Files.readString(Path.of("/proc/self/fdinfo/" + fd));
            long flags = Long.parseLong(fdinfo.lines().filter(l -> l.startsWith("flags:")).findFirst().orElseThrow().split("\\s+")[1], 8);
            assertTrue((flags & LinuxHeaders.O_CLOEXEC()) != 0, fdinfo);
        } finally {
            Syscalls.close(fd, "the test file");
        }
    }

    /**
     * A shared mapping of a temporary file: /proc/self/maps names the file on the line that covers the
     * mapping, a store through it reaches the file, and after munmap no line names the file. The file's
     * name is what makes the check sound: after munmap another thread of this JVM may map anything at the
     * freed address (a clean-clone CI saw the address range mapped again), but nothing else maps this file.
     */
    @Test
    void mmapAndMunmap(@TempDir Path dir) throws Exception {
        long size = 1 << 20;
        Path file = dir.resolve("mapped");
        try (var raf = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size);
        }
        int fd = Syscalls.open(file.toString(), LinuxHeaders.O_RDWR());
        MemorySegment m;
        try {
            m = Syscalls.mmap(size, LinuxHeaders.PROT_READ() | LinuxHeaders.PROT_WRITE(), LinuxHeaders.MAP_SHARED(), fd, 0, "test file");
        } finally {
            Syscalls.close(fd, "the test file");
        }
        assertEquals(size, m.byteSize());
        String range = Long.toHexString(m.address()) + "-" + Long.toHexString(m.address() + size);
        assertTrue(mapsLines(file).stream().anyMatch(l -> l.startsWith(range + " ")), "no line " + range + " names " + file);
        m.set(ValueLayout.JAVA_LONG_UNALIGNED, size - 8, 0x0102030405060708L);
        Syscalls.munmap(m, "test file");
        assertEquals(List.of(), mapsLines(file), "still mapped");
        byte[] tail = java.util.Arrays.copyOfRange(Files.readAllBytes(file), (int) size - 8, (int) size);
        assertEquals(0x0102030405060708L, java.nio.ByteBuffer.wrap(tail).order(java.nio.ByteOrder.nativeOrder()).getLong(),
                "the store through the mapping is in the file");
        NativeException e = assertThrows(NativeException.class, () -> Syscalls.mmap(size, LinuxHeaders.PROT_READ(),
                LinuxHeaders.MAP_PRIVATE(), -1, 0, "no file"));
        assertTrue(e.is(Errno.EBADF), e.getMessage());
    }

    /** The lines of /proc/self/maps whose path is {@code file}. */
    private static List<String> mapsLines(Path file) throws java.io.IOException {
        String name = file.toRealPath().toString();
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(l -> l.endsWith(" " + name)).toList();
    }

    /**
     * populateWrite faults in every page of a fresh mapping, as /proc/self/pagemap's present bit shows
     * (readable for one's own pages without privilege), and keeps what a page held. (Whether a page is
     * its own or the shared zero page a read maps is not checked: the process's RssAnon, which would
     * show it, moves with the test JVM's own memory.)
     */
    @Test
    void populateWriteFaultsEveryPageIn() throws Exception {
        int pages = 64;
        MemorySegment m = Syscalls.mmap(pages * 4096L, LinuxHeaders.PROT_READ() | LinuxHeaders.PROT_WRITE(),
                LinuxHeaders.MAP_PRIVATE() | LinuxHeaders.MAP_ANONYMOUS(), -1, 0, "test memory");
        try {
            m.set(ValueLayout.JAVA_LONG, 5 * 4096L + 8, 42L);
            assertEquals(1, presentPages(m, pages), "only the page written is present before");
            Syscalls.populateWrite(m, "test memory");
            assertEquals(pages, presentPages(m, pages));
            assertEquals(42L, m.get(ValueLayout.JAVA_LONG, 5 * 4096L + 8));
            NativeException e = assertThrows(NativeException.class,
                    () -> Syscalls.populateWrite(MemorySegment.ofAddress(m.address() + 1).reinterpret(4096), "unaligned"));
            assertTrue(e.is(Errno.EINVAL), e.getMessage());
        } finally {
            Syscalls.munmap(m, "test memory");
        }
    }

    /** How many of the first {@code pages} pages of {@code m} /proc/self/pagemap says are present (bit 63). */
    private static int presentPages(MemorySegment m, int pages) throws java.io.IOException {
        try (java.nio.channels.FileChannel map = java.nio.channels.FileChannel.open(Path.of("/proc/self/pagemap"))) {
            java.nio.ByteBuffer entries = java.nio.ByteBuffer.allocate(pages * 8).order(java.nio.ByteOrder.nativeOrder());
            long at = m.address() / 4096 * 8;
            while (entries.hasRemaining()) {
                if (map.read(entries, at + entries.position()) < 0) break;
            }
            entries.flip();
            int present = 0;
            while (entries.hasRemaining()) if (entries.getLong() < 0) present++;
            return present;
        }
    }

    @Test
    void threadCallsAgreeWithProc() throws Exception {
        int[] tid = new int[1];
        BitSet[] seen = new BitSet[2];
        String[] status = new String[2];
        Throwable[] failed = new Throwable[1];
        Thread t = new Thread(() -> {
            try {
                tid[0] = Syscalls.gettid();
                assertEquals(Integer.parseInt(Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString()), tid[0]);
                seen[0] = Syscalls.getAffinity(tid[0]);
                BitSet one = new BitSet();
                one.set(seen[0].nextSetBit(0));
                Syscalls.setAffinity(tid[0], one);
                seen[1] = Syscalls.getAffinity(tid[0]);
                status[0] = Files.readString(Path.of("/proc/thread-self/status"));
                Syscalls.setNice(tid[0], 7);
                status[1] = Files.readString(Path.of("/proc/thread-self/stat"));
                Syscalls.tgkill(ProcessHandle.current().pid(), tid[0], 0); // signal 0: only checks the thread exists
            } catch (Throwable e) {
                failed[0] = e;
            }
        });
        t.start();
        t.join();
        if (failed[0] != null) throw new AssertionError(failed[0]);
        assertEquals(seen[0].nextSetBit(0), seen[1].nextSetBit(0));
        assertEquals(1, seen[1].cardinality());
        assertTrue(status[0].contains("Cpus_allowed_list:\t" + seen[1].nextSetBit(0) + "\n"), status[0]);
        String[] stat = status[1].substring(status[1].lastIndexOf(')') + 2).split(" ");
        assertEquals("7", stat[16], "nice in /proc/thread-self/stat"); // field 19, the 17th after the command
        NativeException e = assertThrows(NativeException.class, () -> Syscalls.tgkill(ProcessHandle.current().pid(), Integer.MAX_VALUE, 0));
        assertTrue(e.is(Errno.ESRCH), e.getMessage()); // no such thread (above any pid_max)
    }

    @Test
    void heapSegmentsAreRefused() {
        MemorySegment heap = MemorySegment.ofArray(new byte[16]);
        assertThrows(IllegalArgumentException.class, () -> Syscalls.pread(0, heap, 0, "stdin"));
    }
}

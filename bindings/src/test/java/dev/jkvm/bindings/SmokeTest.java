package dev.jkvm.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.bindings.generated.LinuxHeaders;
import dev.jkvm.bindings.generated.timespec;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Downcalls through the generated bindings work at all. */
class SmokeTest {

    @Test
    void gettidMatchesProcThreadSelf() throws Exception {
        int tid = LinuxHeaders.gettid();
        assertTrue(tid > 0, "gettid() = " + tid);
        // /proc/thread-self -> "<pid>/task/<tid>" of the thread resolving it (this one).
        Path link = Files.readSymbolicLink(Path.of("/proc/thread-self"));
        assertEquals(Integer.parseInt(link.getFileName().toString()), tid);
    }

    @Test
    void strerrorAndClockGettime() {
        MemorySegment message = LinuxHeaders.strerror(LinuxHeaders.EINVAL()).reinterpret(256);
        assertEquals("Invalid argument", message.getString(0));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ts = timespec.allocate(arena);
            assertEquals(0, LinuxHeaders.clock_gettime(LinuxHeaders.CLOCK_MONOTONIC(), ts));
            assertTrue(timespec.tv_sec(ts) > 0 || timespec.tv_nsec(ts) > 0);
        }
    }

    @Test
    void variadicOpenAndIoctl() {
        try (Arena arena = Arena.ofConfined()) {
            int fd = LinuxHeaders.open.makeInvoker()
                    .apply(arena.allocateFrom("/dev/null"), LinuxHeaders.O_RDWR() | LinuxHeaders.O_CLOEXEC());
            assertTrue(fd >= 0, "open(/dev/null) = " + fd);
            try {
                // /dev/null is no KVM device: the ioctl must be refused (ENOTTY), not crash.
                int r = LinuxHeaders.ioctl.makeInvoker().apply(fd, LinuxHeaders.KVM_GET_API_VERSION());
                assertEquals(-1, r);
            } finally {
                assertEquals(0, LinuxHeaders.close(fd));
            }
        }
    }
}

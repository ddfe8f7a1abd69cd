package dev.jkvm.util;

import java.io.IOException;
import java.nio.file.Path;
import java.util.OptionalInt;

/** The calling thread's nice value, as the kernel shows it in /proc/thread-self/stat. */
public final class ThreadNice {
    private ThreadNice() {}

    /** Field 19 of the calling thread's stat file; empty when unreadable. */
    public static OptionalInt ofThisThread() {
        try {
            String stat = KernelFile.read(Path.of("/proc/thread-self/stat"));
            // After the command name in parentheses (which may hold spaces) the first field is the 3rd (state).
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
            return OptionalInt.of(Integer.parseInt(f[19 - 3]));
        } catch (IOException | RuntimeException e) {
            return OptionalInt.empty();
        }
    }
}

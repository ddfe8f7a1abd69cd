package dev.jkvm.bindings;

import dev.jkvm.bindings.generated.LinuxHeaders;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

/** The errno values jkvm meets, by their C names, with the C library's description. */
public enum Errno {
    EPERM(LinuxHeaders.EPERM()),
    ENOENT(LinuxHeaders.ENOENT()),
    ESRCH(LinuxHeaders.ESRCH()),
    EINTR(LinuxHeaders.EINTR()),
    EIO(LinuxHeaders.EIO()),
    ENXIO(LinuxHeaders.ENXIO()),
    E2BIG(LinuxHeaders.E2BIG()),
    EBADF(LinuxHeaders.EBADF()),
    EAGAIN(LinuxHeaders.EAGAIN()),
    ENOMEM(LinuxHeaders.ENOMEM()),
    EACCES(LinuxHeaders.EACCES()),
    EFAULT(LinuxHeaders.EFAULT()),
    EBUSY(LinuxHeaders.EBUSY()),
    EEXIST(LinuxHeaders.EEXIST()),
    ENODEV(LinuxHeaders.ENODEV()),
    EINVAL(LinuxHeaders.EINVAL()),
    ENOTTY(LinuxHeaders.ENOTTY()),
    ENOSPC(LinuxHeaders.ENOSPC()),
    ENOSYS(LinuxHeaders.ENOSYS()),
    EOPNOTSUPP(LinuxHeaders.EOPNOTSUPP());

    private static final Map<Integer, Errno> BY_VALUE = new HashMap<>();

    static {
        for (Errno e : values()) BY_VALUE.putIfAbsent(e.value, e);
    }

    private final int value;

    Errno(int value) {
        this.value = value;
    }

    public int value() {
        return value;
    }

    /** The symbolic name of an errno value ("EEXIST"), or "errno N" for one jkvm has no name for. */
    public static String nameOf(int errno) {
        Errno e = BY_VALUE.get(errno);
        return e == null ? "errno " + errno : e.name();
    }

    /** The C library's text for an errno value ("File exists"). */
    public static String describe(int errno) {
        MemorySegment text = LinuxHeaders.strerror(errno);
        return text.equals(MemorySegment.NULL) ? "unknown error" : text.reinterpret(256).getString(0);
    }
}

package dev.jkvm.bindings;

/**
 * A failed system call, naming the call and the errno:
 * {@code KVM_CREATE_VCPU failed: EEXIST (File exists)}.
 */
public final class NativeException extends RuntimeException {
    private final String call;
    private final int errno;

    public NativeException(String call, int errno) {
        super(call + " failed: " + Errno.nameOf(errno) + " (" + Errno.describe(errno) + ")");
        this.call = call;
        this.errno = errno;
    }

    /** What was called, e.g. "KVM_RUN" or "open /dev/kvm". */
    public String call() {
        return call;
    }

    public int errno() {
        return errno;
    }

    public boolean is(Errno e) {
        return errno == e.value();
    }
}

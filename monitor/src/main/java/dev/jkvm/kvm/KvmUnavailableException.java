package dev.jkvm.kvm;

/** KVM cannot be used on this machine; the message says why and what to do. CLI exit code 3. */
public final class KvmUnavailableException extends RuntimeException {
    public KvmUnavailableException(String message) {
        super(message);
    }
}

package dev.jkvm.util;

/**
 * A user's mistake (an option, a guest name, a CPU that cannot be used). The CLI prints the message
 * as one line and exits with code 2; nothing has been started when it is thrown.
 */
public final class UsageException extends RuntimeException {
    public UsageException(String message) {
        super(message);
    }
}

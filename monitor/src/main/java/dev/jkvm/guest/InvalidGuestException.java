package dev.jkvm.guest;

/** A guest image or manifest that cannot be loaded; the message names the file and the problem. */
public final class InvalidGuestException extends RuntimeException {
    public InvalidGuestException(String message) {
        super(message);
    }
}

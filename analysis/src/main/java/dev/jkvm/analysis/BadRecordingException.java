package dev.jkvm.analysis;

/** The input is not an analyzable jkvm recording; the message is one line for the user. */
public final class BadRecordingException extends RuntimeException {
    public BadRecordingException(String message) {
        super(message);
    }
}

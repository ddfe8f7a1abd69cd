package dev.jkvm.analysis;

/** The input is not an analyzable jkvm recording; the message is one line for the user. */
public final class BadRecordingException extends RuntimeException {
    public BadRecordingException(String message) {
        super(message);
    }

    /**
     * {@code file} could not be read: "cannot read F: permission denied". java.nio's exceptions often
     * carry only the path as their message, which said "cannot read F: F".
     */
    public static BadRecordingException unreadable(java.nio.file.Path file, java.io.IOException e) {
        String reason = e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                : e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason()
                : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new BadRecordingException("cannot read " + file + ": " + reason);
    }

    /**
     * Why {@code file}, which is not a regular file, cannot be read as a recording: it does not exist,
     * or it is a directory or a special file (a device such as /dev/null, a pipe from {@code <(…)}):
     * the parsers need a file they can seek in.
     */
    public static BadRecordingException notAFile(java.nio.file.Path file) {
        if (file.toString().isEmpty()) return new BadRecordingException("an empty name is no recording: give the path of a .jfr file");
        if (java.nio.file.Files.isDirectory(file)) return new BadRecordingException(file + " is a directory, not a recording");
        if (java.nio.file.Files.exists(file)) {
            return new BadRecordingException(file + " is not a regular file (a device, pipe or socket): a recording must be a file"
                    + " that can be read at any offset; copy it to one first");
        }
        return new BadRecordingException("no such recording: " + file);
    }
}

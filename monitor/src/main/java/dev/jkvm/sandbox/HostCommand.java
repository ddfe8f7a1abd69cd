package dev.jkvm.sandbox;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs a short host tool (apt-cache, apt-get, dpkg-deb, xz) to completion and captures its output. */
final class HostCommand {

    /** What a finished tool said. */
    record Result(int status, String stdout, String stderr) {
        boolean ok() {
            return status == 0;
        }

        /** The last non-blank line of stderr (or stdout), for error messages. */
        String lastWords() {
            String text = stderr.isBlank() ? stdout : stderr;
            List<String> lines = text.lines().filter(l -> !l.isBlank()).toList();
            return lines.isEmpty() ? "(no output)" : lines.get(lines.size() - 1).strip();
        }
    }

    private HostCommand() {}

    /** The executable of that name on $PATH, if any. */
    static Optional<Path> onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) path = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) continue;
            Path candidate = Path.of(dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) return Optional.of(candidate);
        }
        return Optional.empty();
    }

    /**
     * Runs the command in {@code dir} (or the current directory) and waits up to {@code timeoutSeconds};
     * stdout is returned as text. The process is killed if it overruns or the caller is interrupted.
     */
    static Result run(Path dir, long timeoutSeconds, List<String> command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        if (dir != null) pb.directory(dir.toFile());
        Process p = pb.start();
        try {
            CompletableFuture<String> out = drain(p.getInputStream());
            CompletableFuture<String> err = drain(p.getErrorStream());
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new IOException(String.join(" ", command) + " did not finish within " + timeoutSeconds + " s");
            }
            return new Result(p.exitValue(), out.join(), err.join());
        } finally {
            if (p.isAlive()) p.destroyForcibly();
        }
    }

    /** Runs the command with its stdout going to {@code stdoutFile} (binary output, e.g. decompression). */
    static Result runTo(Path stdoutFile, long timeoutSeconds, List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(stdoutFile.toFile())
                .start();
        try {
            CompletableFuture<String> err = drain(p.getErrorStream());
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new IOException(String.join(" ", command) + " did not finish within " + timeoutSeconds + " s");
            }
            return new Result(p.exitValue(), "", err.join());
        } finally {
            if (p.isAlive()) p.destroyForcibly();
        }
    }

    private static CompletableFuture<String> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        }, command -> Thread.ofPlatform().daemon().name("jkvm-host-command").start(command));
    }
}

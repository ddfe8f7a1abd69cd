package dev.jkvm.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * `jkvm` in a child JVM, as the launcher runs it (same flags), with its output in files (or its
 * standard output in a pipe the test can close) and its resident memory sampled from /proc while
 * it runs — for tests about the process as a whole: memory, signals, exit codes.
 */
public final class JkvmProcess implements AutoCloseable {
    private final Process process;
    private final Path out;
    private final Path err;
    private volatile long maxRssKiB;
    private final Thread sampler;

    private JkvmProcess(Process process, Path out, Path err) {
        this.process = process;
        this.out = out;
        this.err = err;
        this.sampler = Thread.ofPlatform().daemon(true).name("rss-sampler").start(this::sample);
    }

    public static JkvmProcess start(Path workDir, String... args) throws IOException {
        return start(workDir, List.of(), args);
    }

    /** With extra JVM options before the main class (e.g. a -D switch of the tests). */
    public static JkvmProcess start(Path workDir, List<String> jvmOptions, String... args) throws IOException {
        return start(workDir, jvmOptions, false, args);
    }

    /**
     * With standard output in a pipe: {@link #readLineThenCloseStdout} reads from it and closes it, as
     * `jkvm run … | head -1` does; {@link #out} is then what was read.
     */
    public static JkvmProcess startWithStdoutPipe(Path workDir, String... args) throws IOException {
        return start(workDir, List.of(), true, args);
    }

    /**
     * On a terminal: under script(1), which gives the child a pseudo-terminal as its standard input
     * and output (and exits with the child's code), so jkvm draws its status line. {@link #out} is
     * what the terminal showed, carriage returns included.
     */
    public static JkvmProcess startOnTerminal(Path workDir, List<String> jvmOptions, String... args) throws IOException {
        StringBuilder line = new StringBuilder();
        for (String word : command(jvmOptions, args)) line.append(" '").append(word.replace("'", "'\\''")).append('\'');
        return start(workDir, List.of("script", "--quiet", "--return", "--command", line.toString().strip(), "/dev/null"), false);
    }

    /**
     * Under a command that runs its arguments with other limits or privileges (e.g. {@code prlimit
     * --memlock=0:0}, {@code setpriv --bounding-set=-ipc_lock}): {@code wrapper} comes before the java command.
     */
    public static JkvmProcess startUnder(Path workDir, List<String> wrapper, String... args) throws IOException {
        List<String> command = new ArrayList<>(wrapper);
        command.addAll(command(List.of(), args));
        return start(workDir, command, false);
    }

    private static List<String> command(List<String> jvmOptions, String... args) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.jkvm.cli.Main"));
        command.addAll(List.of(args));
        return command;
    }

    private static JkvmProcess start(Path workDir, List<String> jvmOptions, boolean pipe, String... args) throws IOException {
        return start(workDir, command(jvmOptions, args), pipe);
    }

    private static JkvmProcess start(Path workDir, List<String> command, boolean pipe) throws IOException {
        Path out = Files.createTempFile(workDir, "out", ".txt");
        Path err = Files.createTempFile(workDir, "err", ".txt");
        // With the stop signals' default handling, as a user at a terminal has it: a test JVM that is
        // a shell's background job (no job control) inherits SIGINT ignored, jkvm keeps it ignored,
        // and the signal tests then failed, testing how they were started (env execs: same PID).
        List<String> withDefaults = new ArrayList<>(List.of("env", "--default-signal=HUP,INT,TERM"));
        withDefaults.addAll(command);
        ProcessBuilder b = new ProcessBuilder(withDefaults).redirectError(err.toFile());
        Process p = (pipe ? b.redirectOutput(ProcessBuilder.Redirect.PIPE) : b.redirectOutput(out.toFile())).start();
        return new JkvmProcess(p, out, err);
    }

    /** Reads lines from the piped standard output until one contains {@code text} (or it ends), keeps them, then closes the pipe. */
    public String readLineThenCloseStdout(String text) throws IOException {
        StringBuilder read = new StringBuilder();
        try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(process.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                read.append(line).append('\n');
                if (line.contains(text)) break;
            }
        }
        Files.writeString(out, read);
        return read.toString();
    }

    private void sample() {
        Path status = Path.of("/proc", Long.toString(process.pid()), "status");
        while (process.isAlive()) {
            try {
                for (String line : Files.readAllLines(status)) {
                    // VmHWM is the kernel's own peak: what 50 ms samples of VmRSS could miss.
                    if (line.startsWith("VmRSS:") || line.startsWith("VmHWM:")) {
                        long kib = Long.parseLong(line.replaceAll("\\D", ""));
                        if (kib > maxRssKiB) maxRssKiB = kib;
                    }
                }
                Thread.sleep(50);
            } catch (IOException | RuntimeException e) {
                return; // the process is gone
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Sends a signal by name (INT, TERM, HUP) with kill(1). */
    public void signal(String name) throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start().waitFor();
    }

    /** Waits for the exit; returns the exit code, or -1 after {@code millis}. */
    public int waitFor(long millis) throws InterruptedException {
        return process.waitFor(millis, TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    public String out() throws IOException {
        return Files.readString(out);
    }

    public String err() throws IOException {
        return Files.readString(err);
    }

    /** The peak resident set size while it ran (the kernel's VmHWM as last read, or a larger VmRSS seen), in KiB. */
    public long maxRssKiB() throws InterruptedException {
        sampler.join(1000);
        return maxRssKiB;
    }

    @Override
    public void close() {
        if (process.isAlive()) process.destroyForcibly();
    }
}

package dev.jkvm.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * `jkvm` in a child JVM, as the launcher runs it (same flags), with its output in files and its
 * resident memory sampled from /proc while it runs — for tests about the process as a whole:
 * memory, signals, exit codes.
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
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), "dev.jkvm.cli.Main"));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(workDir, "out", ".txt");
        Path err = Files.createTempFile(workDir, "err", ".txt");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        return new JkvmProcess(p, out, err);
    }

    private void sample() {
        Path status = Path.of("/proc", Long.toString(process.pid()), "status");
        while (process.isAlive()) {
            try {
                for (String line : Files.readAllLines(status)) {
                    if (line.startsWith("VmRSS:")) {
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

    /** The largest resident set size seen while it ran, in KiB. */
    public long maxRssKiB() throws InterruptedException {
        sampler.join(1000);
        return maxRssKiB;
    }

    @Override
    public void close() {
        if (process.isAlive()) process.destroyForcibly();
    }
}

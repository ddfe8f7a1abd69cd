package dev.jkvm.sched;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Test-side capture of a few kvm:* tracepoints on every CPU through a private tracefs instance (root):
 * an independent view of what KVM did (IPIs delivered, PLE window changes). Events the host's
 * tracefs does not list are skipped and reported by {@link #missing}.
 */
final class KvmTracepoints implements AutoCloseable {
    private final Path instance;
    private final List<String> enabled = new ArrayList<>();
    private final List<String> missing = new ArrayList<>();
    private List<String> lines = List.of();

    private KvmTracepoints(Path instance) {
        this.instance = instance;
    }

    static KvmTracepoints start(String... events) throws IOException, InterruptedException {
        TraceFsCapture.ensureMounted();
        Path dir = TraceFsCapture.TRACEFS.resolve("instances/jkvm-test-kvm-" + ProcessHandle.current().pid());
        if (!Files.isDirectory(dir)) Files.createDirectory(dir);
        KvmTracepoints t = new KvmTracepoints(dir);
        Files.writeString(dir.resolve("tracing_on"), "0");
        Files.writeString(dir.resolve("buffer_size_kb"), "4096");
        Files.writeString(dir.resolve("trace"), "");
        for (String e : events) {
            Path enable = dir.resolve("events/kvm/" + e + "/enable");
            if (Files.exists(enable)) {
                Files.writeString(enable, "1");
                t.enabled.add(e);
            } else {
                t.missing.add(e);
            }
        }
        Files.writeString(dir.resolve("tracing_on"), "1");
        return t;
    }

    /** Stops tracing; the lines captured (comments dropped). */
    List<String> stop() throws IOException {
        Files.writeString(instance.resolve("tracing_on"), "0");
        lines = Files.readAllLines(instance.resolve("trace")).stream().filter(l -> !l.startsWith("#")).toList();
        return lines;
    }

    /** Lines of one event, e.g. {@code kvm_apic_accept_irq}. */
    List<String> of(String event) {
        return lines.stream().filter(l -> l.contains(" " + event + ":")).toList();
    }

    List<String> missing() {
        return missing;
    }

    @Override
    public void close() throws IOException {
        try {
            Files.writeString(instance.resolve("tracing_on"), "0");
            for (String e : enabled) Files.writeString(instance.resolve("events/kvm/" + e + "/enable"), "0");
        } finally {
            Files.deleteIfExists(instance);
        }
    }
}

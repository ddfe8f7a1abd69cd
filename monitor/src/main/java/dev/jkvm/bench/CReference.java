package dev.jkvm.bench;

import dev.jkvm.guest.GuestCatalog;
import dev.jkvm.guest.GuestImage;
import dev.jkvm.util.UsageException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The C reference monitor (io_ping_reference.c, compiled here with the given compiler into a
 * temporary directory, removed on {@link #close}) and the io-ping image it runs, written next to it.
 * Runs it and returns what it printed as named numbers.
 */
final class CReference implements AutoCloseable {
    private static final Pattern FIELD = Pattern.compile("(\\w+)=(-?\\d+)");

    private final Path dir;
    private final Path binary;
    private final Path image;
    private final GuestImage ioPing;

    private CReference(Path dir, Path binary, Path image, GuestImage ioPing) {
        this.dir = dir;
        this.binary = binary;
        this.image = image;
        this.ioPing = ioPing;
    }

    static CReference build(String compiler) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("jkvm-bench-");
        try {
            Path source = dir.resolve("io_ping_reference.c");
            try (InputStream in = CReference.class.getResourceAsStream("io_ping_reference.c")) {
                if (in == null) throw new IllegalStateException("io_ping_reference.c is missing from the jar");
                Files.copy(in, source);
            }
            Path binary = dir.resolve("io_ping_reference");
            Process cc;
            try {
                cc = new ProcessBuilder(compiler, "-O2", "-o", binary.toString(), source.toString()).redirectErrorStream(true).start();
            } catch (IOException e) {
                throw new UsageException("the C reference needs a C compiler: '" + compiler + "' cannot be run (apt-get install gcc, or --cc)");
            }
            String log = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int status = cc.waitFor();
            if (status != 0) {
                // A compiler that cannot build one small C file is the user's choice or setup (--cc), not jkvm's fault.
                String first = log.strip().lines().findFirst().orElse("it printed nothing");
                throw new UsageException("the C reference did not compile: '" + compiler + "' exited with status " + status + " (" + first
                        + "); install gcc or choose another with --cc" + (log.strip().lines().count() > 1 ? "\n" + log.strip() : ""));
            }
            GuestImage ioPing = GuestCatalog.resolve("io-ping");
            Path image = dir.resolve("io-ping.bin");
            Files.write(image, ioPing.segments().get(0).bytes());
            return new CReference(dir, binary, image, ioPing);
        } catch (IOException | InterruptedException | RuntimeException e) {
            delete(dir);
            throw e;
        }
    }

    /** The io-ping guest both monitors run. */
    GuestImage ioPing() {
        return ioPing;
    }

    /** Runs the reference with {@code args} after the binary ({@code IMAGE} stands for the image) and parses its key=value line. */
    Map<String, Long> run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        for (String a : args) command.add(a.equals("IMAGE") ? image.toString() : a);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IllegalStateException("the C reference failed: " + out.strip());
        Map<String, Long> fields = new HashMap<>();
        Matcher m = FIELD.matcher(out);
        while (m.find()) fields.put(m.group(1), Long.parseLong(m.group(2)));
        if (fields.isEmpty()) throw new IllegalStateException("the C reference printed no result: " + out.strip());
        return fields;
    }

    @Override
    public void close() throws IOException {
        delete(dir);
    }

    private static void delete(Path dir) throws IOException {
        try (var s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}

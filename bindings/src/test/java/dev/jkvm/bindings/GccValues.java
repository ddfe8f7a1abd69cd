package dev.jkvm.bindings;

import java.io.IOException;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Evaluates integer C expressions with gcc: one program that includes a header and prints each
 * expression's value. An expression that does not compile (a member or constant these headers do not
 * have) is dropped and reported, so one missing name never hides the values of all the others; which
 * of those losses matter is the caller's decision.
 *
 * <p>The kernel headers are the build host's unless the system property {@value #HEADERS_PROPERTY}
 * names other include directories (separated by {@code File.pathSeparator}, searched in that order
 * before the system's), e.g. a newer linux-libc-dev unpacked somewhere.
 */
final class GccValues {
    static final String HEADERS_PROPERTY = "jkvm.kernelHeaders";

    /** Values by expression index; {@code compiled[i]} is false where expression i does not compile. */
    record Outcome(long[] values, boolean[] compiled, String linuxVersion) {}

    private GccValues() {}

    /** The -isystem options for the chosen kernel header tree (none: the build host's). */
    static List<String> headerOptions() {
        List<String> options = new ArrayList<>();
        String dirs = System.getProperty(HEADERS_PROPERTY, "").trim();
        if (dirs.isEmpty()) {
            return options;
        }
        for (String dir : dirs.split(File.pathSeparator)) {
            if (!Files.isDirectory(Path.of(dir))) {
                throw new AssertionError(HEADERS_PROPERTY + ": no such directory: " + dir);
            }
            options.add("-isystem");
            options.add(dir);
        }
        return options;
    }

    static Outcome evaluate(String includeLine, List<String> expressions) throws Exception {
        boolean[] compiled = new boolean[expressions.size()];
        java.util.Arrays.fill(compiled, true);
        String cc = System.getenv().getOrDefault("CC", "gcc");
        Path dir = Files.createTempDirectory("jkvm-gcc-");
        try {
            Path source = dir.resolve("values.c");
            Path binary = dir.resolve("values");
            // Each round drops the expressions gcc rejected; a second failure of the same line cannot
            // happen (it is then the constant 0), so the rounds are bounded by the distinct error lines.
            for (int round = 0; ; round++) {
                Program program = program(includeLine, expressions, compiled);
                Files.writeString(source, program.text());
                List<String> command = new ArrayList<>(List.of(cc, "-std=gnu11", "-w", "-O0"));
                command.addAll(headerOptions());
                command.addAll(List.of("-o", binary.toString(), source.toString()));
                Result compile;
                try {
                    compile = run(dir, command);
                } catch (IOException e) {
                    throw new AssertionError("cannot run the C compiler '" + cc + "' (" + e.getMessage()
                            + "): install gcc (Debian: apt-get install gcc) or set CC to a C compiler.", e);
                }
                if (compile.exit() == 0) {
                    break;
                }
                List<Integer> rejected = rejectedExpressions(compile.output(), program.firstLine(), expressions.size());
                if (rejected.isEmpty() || round > 50) {
                    throw new AssertionError("gcc could not compile the check program, and not because of a"
                            + " single expression (the header itself?):\n" + compile.output());
                }
                for (int i : rejected) {
                    compiled[i] = false;
                }
            }
            Result result = run(dir, List.of(binary.toString()));
            if (result.exit() != 0) {
                throw new AssertionError("check program failed with exit " + result.exit() + ":\n" + result.output());
            }
            long[] values = new long[expressions.size()];
            boolean[] seen = new boolean[values.length];
            String version = "?";
            for (String line : result.output().split("\n")) {
                String[] parts = line.trim().split(" ");
                if (parts[0].equals("version")) {
                    version = parts[1];
                } else if (!line.isBlank()) {
                    int i = Integer.parseInt(parts[0]);
                    values[i] = Long.parseUnsignedLong(parts[1]);
                    seen[i] = true;
                }
            }
            for (int i = 0; i < seen.length; i++) {
                if (compiled[i] && !seen[i]) {
                    throw new AssertionError("check program printed no value for " + expressions.get(i));
                }
            }
            return new Outcome(values, compiled, version);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted((a, b) -> b.compareTo(a)).forEach(f -> f.toFile().delete());
            }
        }
    }

    private record Program(String text, int firstLine) {}

    /** Expression i is on line firstLine + i, so a compiler error's line names the expression. */
    private static Program program(String includeLine, List<String> expressions, boolean[] compiled) {
        StringBuilder c = new StringBuilder();
        c.append(includeLine).append('\n');
        c.append("#include <linux/version.h>\n#include <stddef.h>\n#include <stdio.h>\n");
        c.append("static void v(int i, unsigned long long x) { printf(\"%d %llu\\n\", i, x); }\n");
        c.append("int main(void) {\n");
        c.append("    printf(\"version %d.%d.%d\\n\", LINUX_VERSION_CODE >> 16, (LINUX_VERSION_CODE >> 8) & 255,"
                + " LINUX_VERSION_CODE & 255);\n");
        int firstLine = (int) c.chars().filter(ch -> ch == '\n').count() + 1;
        for (int i = 0; i < expressions.size(); i++) {
            if (compiled[i]) {
                c.append("    v(").append(i).append(", (unsigned long long)(").append(expressions.get(i)).append("));\n");
            } else {
                c.append("    ;\n"); // keeps the line numbering
            }
        }
        c.append("    return 0;\n}\n");
        return new Program(c.toString(), firstLine);
    }

    private static final Pattern ERROR_LINE = Pattern.compile("values\\.c:(\\d+):\\d+: error:");

    private static List<Integer> rejectedExpressions(String compilerOutput, int firstLine, int count) {
        List<Integer> rejected = new ArrayList<>();
        Matcher m = ERROR_LINE.matcher(compilerOutput);
        while (m.find()) {
            int i = Integer.parseInt(m.group(1)) - firstLine;
            if (i < 0 || i >= count) {
                return List.of(); // an error outside the expressions: not ours to drop
            }
            if (!rejected.contains(i)) {
                rejected.add(i);
            }
        }
        return rejected;
    }

    record Result(int exit, String output) {}

    private static Result run(Path dir, List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("timed out: " + String.join(" ", command));
        }
        return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}

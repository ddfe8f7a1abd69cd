package dev.jkvm.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jkvm.bindings.generated.LinuxHeaders;
import java.io.IOException;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.SequenceLayout;
import java.lang.foreign.UnionLayout;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Proves the jextract-generated layouts and constants against the C compiler.
 *
 * <p>Everything checked is discovered from the generated classes themselves: every top-level
 * struct/union/typedef class in {@code dev.jkvm.bindings.generated} (through its static
 * {@code layout()}), every field reachable from it (nested structs, named and anonymous
 * unions, arrays of structs), and every constant accessor of {@link LinuxHeaders}. A C program
 * including {@code bindings/jextract/jkvm.h} prints the compiler's view of each (sizeof,
 * _Alignof, offsetof, member sizeof, constant value and width); it is compiled with gcc, run,
 * and every difference is reported.
 */
class LayoutConformanceTest {

    private static final String GENERATED_PACKAGE = "dev.jkvm.bindings.generated";

    /** One comparison: a C expression (an integer) and what the Java side says it must be. */
    record Check(String subject, String what, String cExpr, long expected, int widthBytes) {
        Check(String subject, String what, String cExpr, long expected) {
            this(subject, what, cExpr, expected, 8);
        }

        /** Compares under the Java width: int constants are compared as 32-bit patterns. */
        boolean matches(long actual) {
            long mask = widthBytes >= 8 ? -1L : (1L << (8 * widthBytes)) - 1;
            return (expected & mask) == (actual & mask);
        }

        String describe(long actual) {
            return subject + ": " + what + " java=" + fmt(expected) + " gcc=" + fmt(actual);
        }

        private static String fmt(long v) {
            return Long.toUnsignedString(v) + " (0x" + Long.toHexString(v) + ")";
        }
    }

    /** The checks, with tallies by kind for the summary line. */
    static final class Plan {
        final List<Check> checks = new ArrayList<>();
        final Map<String, Integer> tally = new HashMap<>();
        final Set<String> types = new TreeSet<>();
        final List<String> problems = new ArrayList<>();

        void add(String kind, Check check) {
            checks.add(check);
            tally.merge(kind, 1, Integer::sum);
        }

        int count(String kind) {
            return tally.getOrDefault(kind, 0);
        }
    }

    private static Plan plan;
    private static long[] gccValues;

    @Test
    void generatedLayoutsAndConstantsMatchGcc() throws Exception {
        Plan p = plan();
        long[] actual = gccValues(p);
        List<String> differences = compare(p.checks, actual);
        List<String> all = new ArrayList<>(p.problems);
        all.addAll(differences);
        if (!all.isEmpty()) {
            fail(all.size() + " difference(s) between the generated bindings and gcc:\n  "
                    + String.join("\n  ", all));
        }
        System.out.printf(
                "LayoutConformanceTest: %d checks against gcc passed - %d types (%d sizes, %d alignments),"
                        + " %d field offsets, %d field sizes, %d constants (%d values + %d C type widths)%n",
                p.checks.size(), p.types.size(), p.count("sizeof"), p.count("alignof"),
                p.count("offsetof"), p.count("fieldsize"), p.count("constant"),
                p.count("constant"), p.count("width"));
        // Guard against a discovery that silently finds nothing.
        assertTrue(p.types.contains("struct kvm_run"), "kvm_run was not discovered");
        assertTrue(p.types.contains("cpu_set_t"), "cpu_set_t was not discovered");
        assertTrue(p.count("offsetof") > 500, "too few field offsets discovered: " + p.count("offsetof"));
        assertTrue(p.count("constant") > 200, "too few constants discovered: " + p.count("constant"));
    }

    /** The comparison must be able to fail: corrupt three expectations and see all three reported. */
    @Test
    void comparisonCatchesWrongExpectations() throws Exception {
        Plan p = plan();
        long[] actual = gccValues(p);
        List<Check> corrupted = new ArrayList<>(p.checks);
        Set<Integer> victims = new HashSet<>();
        victims.add(indexOf(corrupted, "struct kvm_run", "offsetof(io.port)"));
        victims.add(indexOf(corrupted, "struct kvm_regs", "sizeof"));
        victims.add(indexOf(corrupted, "KVM_RUN", "value"));
        victims.add(indexOf(corrupted, "KVM_GET_REGS", "value"));
        for (int i : victims) {
            Check c = corrupted.get(i);
            corrupted.set(i, new Check(c.subject(), c.what(), c.cExpr(), c.expected() + 8, c.widthBytes()));
        }
        List<String> differences = compare(corrupted, actual);
        assertEquals(victims.size(), differences.size(), "expected exactly the corrupted checks to differ: " + differences);
        assertTrue(differences.stream().anyMatch(d -> d.startsWith("struct kvm_run: offsetof(io.port)")), differences::toString);
        assertTrue(differences.stream().anyMatch(d -> d.startsWith("KVM_GET_REGS: value")), differences::toString);
    }

    private static int indexOf(List<Check> checks, String subject, String what) {
        for (int i = 0; i < checks.size(); i++) {
            if (checks.get(i).subject().equals(subject) && checks.get(i).what().equals(what)) {
                return i;
            }
        }
        throw new AssertionError("no check " + subject + " / " + what);
    }

    private static List<String> compare(List<Check> checks, long[] actual) {
        List<String> differences = new ArrayList<>();
        for (int i = 0; i < checks.size(); i++) {
            if (!checks.get(i).matches(actual[i])) {
                differences.add(checks.get(i).describe(actual[i]));
            }
        }
        return differences;
    }

    // ------------------------------------------------------------------ discovery

    private static synchronized Plan plan() throws Exception {
        if (plan == null) {
            Plan p = new Plan();
            for (Class<?> type : generatedTopLevelClasses()) {
                addStruct(p, type);
            }
            addConstants(p);
            plan = p;
        }
        return plan;
    }

    /** The top-level classes of the generated package, read from where LinuxHeaders was loaded. */
    private static List<Class<?>> generatedTopLevelClasses() throws Exception {
        URI location = LinuxHeaders.class.getProtectionDomain().getCodeSource().getLocation().toURI();
        Path root = Path.of(location);
        List<String> names = new ArrayList<>();
        String packagePath = GENERATED_PACKAGE.replace('.', '/');
        if (Files.isDirectory(root)) {
            collectClassNames(root.resolve(packagePath), names);
        } else {
            try (FileSystem jar = FileSystems.newFileSystem(root)) {
                collectClassNames(jar.getPath(packagePath), names);
            }
        }
        List<Class<?>> classes = new ArrayList<>();
        for (String simpleName : new TreeSet<>(names)) {
            classes.add(Class.forName(GENERATED_PACKAGE + "." + simpleName));
        }
        return classes;
    }

    private static void collectClassNames(Path dir, List<String> out) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            files.map(f -> f.getFileName().toString())
                    .filter(n -> n.endsWith(".class") && !n.contains("$"))
                    .forEach(n -> out.add(n.substring(0, n.length() - ".class".length())));
        }
    }

    private static void addStruct(Plan p, Class<?> type) throws Exception {
        Method layoutMethod;
        try {
            layoutMethod = type.getDeclaredMethod("layout");
        } catch (NoSuchMethodException e) {
            return; // LinuxHeaders and other non-struct classes
        }
        if (!Modifier.isStatic(layoutMethod.getModifiers())
                || !GroupLayout.class.isAssignableFrom(layoutMethod.getReturnType())) {
            return;
        }
        GroupLayout layout = (GroupLayout) layoutMethod.invoke(null);
        String name = layout.name().orElse("");
        String cType;
        if (name.equals(type.getSimpleName())) {
            cType = (layout instanceof UnionLayout ? "union " : "struct ") + name;
        } else if (name.startsWith("$anon$") || name.isEmpty()) {
            cType = type.getSimpleName(); // a typedef of an anonymous struct/union, e.g. cpu_set_t
        } else {
            p.problems.add(type.getName() + ": cannot map layout name '" + name + "' to a C type");
            return;
        }
        p.types.add(cType);
        p.add("sizeof", new Check(cType, "sizeof", "sizeof(" + cType + ")", layout.byteSize()));
        p.add("alignof", new Check(cType, "alignof", "_Alignof(" + cType + ")", layout.byteAlignment()));
        addMembers(p, cType, layout, "", 0);
    }

    /**
     * Walks the members of {@code group}, which sits at {@code base} in {@code cType} and is
     * reached in C through {@code cPath}. jextract names anonymous structs/unions
     * {@code $anon$<line>:<column>}; C members of anonymous aggregates are reached as if they
     * were members of the enclosing one, so such names are dropped from the C path. Unnamed
     * members are padding (alignment gaps and skipped bitfields) and have no C counterpart.
     */
    private static void addMembers(Plan p, String cType, GroupLayout group, String cPath, long base) {
        for (MemoryLayout member : group.memberLayouts()) {
            String name = member.name().orElse(null);
            if (name == null) {
                if (!(member instanceof PaddingLayout)) {
                    p.problems.add(cType + ": unnamed non-padding member in " + (cPath.isEmpty() ? "<top>" : cPath));
                }
                continue;
            }
            long offset = base + group.byteOffset(MemoryLayout.PathElement.groupElement(name));
            if (name.startsWith("$anon$")) {
                if (member instanceof GroupLayout inner) {
                    addMembers(p, cType, inner, cPath, offset);
                } else {
                    p.problems.add(cType + ": anonymous member " + name + " is not a struct/union");
                }
                continue;
            }
            String path = cPath.isEmpty() ? name : cPath + "." + name;
            addField(p, cType, member, path, offset);
        }
    }

    private static void addField(Plan p, String cType, MemoryLayout member, String path, long offset) {
        p.add("offsetof", new Check(cType, "offsetof(" + path + ")", "offsetof(" + cType + ", " + path + ")", offset));
        boolean flexible = member instanceof SequenceLayout seq && seq.elementCount() == 0;
        if (!flexible) { // sizeof of a flexible array member is not valid C
            p.add("fieldsize", new Check(cType, "sizeof(" + path + ")",
                    "sizeof(((" + cType + " *)0)->" + path + ")", member.byteSize()));
        }
        if (member instanceof GroupLayout inner) {
            addMembers(p, cType, inner, path, offset);
        } else if (member instanceof SequenceLayout seq) {
            MemoryLayout element = seq.elementLayout();
            String elementPath = path + "[0]";
            if (element instanceof GroupLayout || element instanceof SequenceLayout) {
                addField(p, cType, element, elementPath, offset);
            }
        }
    }

    /**
     * Constants are the public static no-argument accessors of LinuxHeaders (and of the classes
     * it extends) returning a primitive; functions without parameters (e.g. gettid) are told
     * apart by their {@code name$descriptor} companion.
     */
    private static void addConstants(Plan p) {
        List<Method> methods = new ArrayList<>();
        Set<String> allNames = new HashSet<>();
        for (Class<?> c = LinuxHeaders.class; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Method m : c.getDeclaredMethods()) {
                allNames.add(m.getName());
                methods.add(m);
            }
        }
        methods.sort((a, b) -> a.getName().compareTo(b.getName()));
        for (Method m : methods) {
            int mod = m.getModifiers();
            String name = m.getName();
            if (!Modifier.isPublic(mod) || !Modifier.isStatic(mod) || m.getParameterCount() != 0
                    || !m.getReturnType().isPrimitive() || m.getReturnType() == void.class
                    || name.contains("$") || allNames.contains(name + "$descriptor")) {
                continue;
            }
            Object value;
            try {
                value = m.invoke(null);
            } catch (ReflectiveOperationException e) {
                p.problems.add(name + ": cannot read constant: " + e);
                continue;
            }
            long bits;
            int width;
            switch (value) {
                case Integer i -> { bits = i; width = 4; }
                case Long l -> { bits = l; width = 8; }
                case Short s -> { bits = s; width = 2; }
                case Byte b -> { bits = b; width = 1; }
                case Character ch -> { bits = ch; width = 2; }
                default -> {
                    p.problems.add(name + ": unsupported constant type " + m.getReturnType());
                    continue;
                }
            }
            p.add("constant", new Check(name, "value", "(unsigned long long)(" + name + ")", bits, width));
            p.add("width", new Check(name, "width", "sizeof(" + name + ")", width));
        }
    }

    // ------------------------------------------------------------------ gcc

    private static synchronized long[] gccValues(Plan p) throws Exception {
        if (gccValues != null) {
            return gccValues;
        }
        Path header = findHeader();
        String cc = System.getenv().getOrDefault("CC", "gcc");
        Path dir = Files.createTempDirectory("jkvm-layout-");
        try {
            StringBuilder c = new StringBuilder();
            c.append("#include \"").append(header).append("\"\n");
            c.append("#include <stddef.h>\n#include <stdio.h>\n\n");
            c.append("static void v(int i, unsigned long long x) { printf(\"%d %llu\\n\", i, x); }\n\n");
            c.append("int main(void) {\n");
            for (int i = 0; i < p.checks.size(); i++) {
                c.append("    v(").append(i).append(", (unsigned long long)(").append(p.checks.get(i).cExpr()).append("));\n");
            }
            c.append("    return 0;\n}\n");
            Path source = dir.resolve("layout_check.c");
            Path binary = dir.resolve("layout_check");
            Files.writeString(source, c);

            Result compile;
            try {
                compile = run(dir, cc, "-std=gnu11", "-w", "-O0", "-o", binary.toString(), source.toString());
            } catch (IOException e) {
                throw new AssertionError("cannot run the C compiler '" + cc + "' (" + e.getMessage()
                        + "). LayoutConformanceTest needs gcc: install it (Debian: apt-get install gcc)"
                        + " or set CC to a C compiler.", e);
            }
            if (compile.exit() != 0) {
                fail("gcc could not compile the layout check program (a generated name with no C counterpart?):\n"
                        + compile.output());
            }
            Result result = run(dir, binary.toString());
            if (result.exit() != 0) {
                fail("layout check program failed with exit " + result.exit() + ":\n" + result.output());
            }
            long[] values = new long[p.checks.size()];
            boolean[] seen = new boolean[values.length];
            for (String line : result.output().split("\n")) {
                if (line.isBlank()) {
                    continue;
                }
                String[] parts = line.trim().split(" ");
                int i = Integer.parseInt(parts[0]);
                values[i] = Long.parseUnsignedLong(parts[1]);
                seen[i] = true;
            }
            for (int i = 0; i < seen.length; i++) {
                if (!seen[i]) {
                    fail("layout check program printed no value for " + p.checks.get(i));
                }
            }
            gccValues = values;
            return values;
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted((a, b) -> b.compareTo(a)).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static Path findHeader() {
        for (String candidate : new String[] {"jextract/jkvm.h", "bindings/jextract/jkvm.h"}) {
            for (String base : new String[] {System.getProperty("basedir", "."), "."}) {
                Path path = Path.of(base).resolve(candidate).toAbsolutePath().normalize();
                if (Files.isRegularFile(path)) {
                    return path;
                }
            }
        }
        throw new AssertionError("bindings/jextract/jkvm.h not found from " + Path.of(".").toAbsolutePath());
    }

    record Result(int exit, String output) {}

    private static Result run(Path dir, String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("timed out: " + String.join(" ", command));
        }
        return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}

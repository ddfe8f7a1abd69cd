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
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Proves the jextract-generated layouts and constants against the C compiler, holding jkvm to what
 * it relies on so that newer kernel headers (which only ever add) do not fail the build.
 *
 * <p>Everything generated is discovered from the generated classes themselves: every top-level
 * struct/union/typedef class in {@code dev.jkvm.bindings.generated} (through its static
 * {@code layout()}), every field reachable from it (nested structs, named and anonymous unions,
 * arrays of structs), and every constant accessor of {@link LinuxHeaders}. A C program including
 * {@code bindings/jextract/jkvm.h} prints gcc's view of each (sizeof, _Alignof, offsetof, member
 * sizeof, constant value and width).
 *
 * <p>What must hold is what jkvm's code uses ({@link JkvmUses}: the members, types and constants its
 * hand-written sources name): those offsets, member sizes, constants and type sizes must equal gcc's,
 * and a used name missing from the headers fails. Two sizes may be larger in C, because the ABI lets
 * them grow and jkvm never depends on their end ({@link #GROWABLE}). Everything else generated is
 * compared too and differences are printed, but they do not fail: newer headers rename reserved
 * fields, shrink padding arrays and move enum maxima, none of which jkvm reads.
 *
 * <p>Another kernel header tree: {@code mvn test -pl bindings -Dtest=LayoutConformanceTest
 * -Djkvm.kernelHeaders=DIR_WITH_ASM:DIR_WITH_LINUX} (see {@link GccValues}).
 */
class LayoutConformanceTest {

    private static final String GENERATED_PACKAGE = "dev.jkvm.bindings.generated";

    /**
     * Types whose sizeof may be larger in newer headers, and why jkvm does not care. Their members'
     * offsets are still held exactly.
     */
    static final Map<String, String> GROWABLE = Map.of(
            "struct kvm_run", "jkvm maps KVM_GET_VCPU_MMAP_SIZE bytes and only reads the fields it knows",
            "struct perf_event_attr", "jkvm sets attr.size to its own size; the kernel accepts every older size");

    /** How gcc's value must relate to the Java one. */
    enum Rule { EQUAL, NOT_SMALLER }

    /**
     * One comparison: a C expression (an integer) and what the Java side says it must be.
     * {@code owner} is the generated class it comes from, {@code member} the C member path for field
     * checks (null otherwise); {@code relied} says whether jkvm's code uses it.
     */
    record Check(String subject, String what, String cExpr, long expected, int widthBytes,
            String owner, String member, Rule rule, boolean relied) {

        Check(String subject, String what, String cExpr, long expected, String owner, String member) {
            this(subject, what, cExpr, expected, 8, owner, member, Rule.EQUAL, false);
        }

        Check withExpected(long value) {
            return new Check(subject, what, cExpr, value, widthBytes, owner, member, rule, relied);
        }

        Check relied(Rule newRule) {
            return new Check(subject, what, cExpr, expected, widthBytes, owner, member, newRule, true);
        }

        /** Compares under the Java width: int constants are compared as 32-bit patterns. */
        boolean matches(long actual) {
            long mask = widthBytes >= 8 ? -1L : (1L << (8 * widthBytes)) - 1;
            long e = expected & mask;
            long a = actual & mask;
            return rule == Rule.EQUAL ? e == a : Long.compareUnsigned(a, e) >= 0;
        }

        String describe(long actual) {
            return subject + ": " + what + " java=" + fmt(expected) + " gcc=" + fmt(actual)
                    + (rule == Rule.NOT_SMALLER ? " (may grow, must not shrink)" : "");
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
        final Set<String> classes = new TreeSet<>();
        final List<String> problems = new ArrayList<>();

        void add(String kind, Check check) {
            checks.add(check);
            tally.merge(kind, 1, Integer::sum);
        }

        int count(String kind) {
            return tally.getOrDefault(kind, 0);
        }

        long relied() {
            return checks.stream().filter(Check::relied).count();
        }
    }

    /** The verdict: failures are about what jkvm relies on; notes about the rest. */
    record Verdict(List<String> failures, List<String> notes) {}

    private static Plan plan;
    private static GccValues.Outcome gcc;

    @Test
    void layoutsAndConstantsJkvmUsesMatchGcc() throws Exception {
        Plan p = plan();
        GccValues.Outcome actual = gcc(p);
        Verdict verdict = judge(p.checks, actual);
        List<String> all = new ArrayList<>(p.problems);
        all.addAll(verdict.failures());
        if (!all.isEmpty()) {
            fail(all.size() + " difference(s) between what jkvm relies on and gcc (kernel headers "
                    + actual.linuxVersion() + "):\n  " + String.join("\n  ", all));
        }
        System.out.printf(
                "LayoutConformanceTest: kernel headers %s; %d checks jkvm relies on passed (of %d: %d types,"
                        + " %d field offsets, %d field sizes, %d constants); %d notes (growth jkvm allows, differences in what it does not use)%s%n",
                actual.linuxVersion(), p.relied(), p.checks.size(), p.types.size(), p.count("offsetof"),
                p.count("fieldsize"), p.count("constant"), verdict.notes().size(),
                verdict.notes().isEmpty() ? "" : ":\n  " + String.join("\n  ", verdict.notes()));
        // Guard against a discovery or a source scan that silently finds nothing.
        assertTrue(p.types.contains("struct kvm_run"), "kvm_run was not discovered");
        assertTrue(p.types.contains("cpu_set_t"), "cpu_set_t was not discovered");
        assertTrue(p.count("offsetof") > 500, "too few field offsets discovered: " + p.count("offsetof"));
        assertTrue(p.count("constant") > 200, "too few constants discovered: " + p.count("constant"));
        assertTrue(relied(p, "struct kvm_run", "offsetof(io.port)"), "the source scan missed kvm_run.io.port");
        assertTrue(relied(p, "KVM_RUN", "value"), "the source scan missed LinuxHeaders.KVM_RUN");
        assertTrue(p.relied() > 200, "too few checks found relied on: " + p.relied());
    }

    /**
     * The comparison must be able to fail: corrupt used offsets, sizes and constants and see exactly
     * those reported; an unused difference is only a note; a growable size may grow but not shrink;
     * a used member the headers lack fails.
     */
    @Test
    void comparisonCatchesWrongExpectations() throws Exception {
        Plan p = plan();
        GccValues.Outcome actual = gcc(p);
        List<Check> corrupted = new ArrayList<>(p.checks);
        Set<Integer> victims = new HashSet<>();
        victims.add(indexOf(corrupted, "struct kvm_run", "offsetof(io.port)"));
        victims.add(indexOf(corrupted, "struct kvm_regs", "sizeof"));
        victims.add(indexOf(corrupted, "KVM_RUN", "value"));
        victims.add(indexOf(corrupted, "KVM_GET_REGS", "value"));
        victims.add(indexOf(corrupted, "struct perf_event_attr", "offsetof(clockid)"));
        for (int i : victims) {
            assertTrue(corrupted.get(i).relied(), "not relied on: " + corrupted.get(i));
            corrupted.set(i, corrupted.get(i).withExpected(corrupted.get(i).expected() + 8));
        }
        // jkvm does not read kvm_run's hypercall exit: a moved field there is a note, not a failure.
        int unused = indexOf(corrupted, "struct kvm_run", "offsetof(hypercall.nr)");
        assertTrue(!corrupted.get(unused).relied(), "hypercall.nr should not be relied on");
        corrupted.set(unused, corrupted.get(unused).withExpected(corrupted.get(unused).expected() + 8));

        Verdict verdict = judge(corrupted, actual);
        assertEquals(victims.size(), verdict.failures().size(), "expected exactly the corrupted checks to fail: " + verdict.failures());
        assertTrue(verdict.failures().stream().anyMatch(d -> d.startsWith("struct kvm_run: offsetof(io.port)")), verdict.failures()::toString);
        assertTrue(verdict.failures().stream().anyMatch(d -> d.startsWith("KVM_GET_REGS: value")), verdict.failures()::toString);
        assertTrue(verdict.notes().stream().anyMatch(d -> d.startsWith("struct kvm_run: offsetof(hypercall.nr)")), verdict.notes()::toString);

        // perf_event_attr may be larger in C (newer headers), never smaller than what jkvm passes.
        int attrSize = indexOf(p.checks, "struct perf_event_attr", "sizeof");
        Check size = p.checks.get(attrSize);
        assertEquals(Rule.NOT_SMALLER, size.rule());
        long gccSize = actual.values()[attrSize];
        assertTrue(size.withExpected(gccSize - 8).matches(gccSize), "a larger C struct must pass");
        assertTrue(!size.withExpected(gccSize + 8).matches(gccSize), "a smaller C struct must fail");
    }

    /** A member jkvm uses that the headers lack (renamed or removed) fails, naming it. */
    @Test
    void usedMemberMissingFromHeadersFails() throws Exception {
        Plan p = plan();
        int port = indexOf(p.checks, "struct kvm_run", "offsetof(io.port)");
        Check real = p.checks.get(port);
        Check missing = new Check(real.subject(), "offsetof(io.no_such_port)", "offsetof(struct kvm_run, io.no_such_port)",
                real.expected(), 8, real.owner(), "io.no_such_port", Rule.EQUAL, true);
        Check unusedMissing = new Check(real.subject(), "offsetof(io.no_such_pad)", "offsetof(struct kvm_run, io.no_such_pad)",
                real.expected(), 8, real.owner(), "io.no_such_pad", Rule.EQUAL, false);
        List<Check> checks = List.of(real, missing, unusedMissing);
        GccValues.Outcome outcome = GccValues.evaluate(includeLine(), checks.stream().map(Check::cExpr).toList());
        Verdict verdict = judge(checks, outcome);
        assertEquals(List.of("struct kvm_run: offsetof(io.no_such_port): jkvm uses it but these headers do not have it"),
                verdict.failures());
        assertEquals(List.of("struct kvm_run: offsetof(io.no_such_pad): not in these headers"), verdict.notes());
    }

    static Verdict judge(List<Check> checks, GccValues.Outcome actual) {
        List<String> failures = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        for (int i = 0; i < checks.size(); i++) {
            Check c = checks.get(i);
            List<String> into = c.relied() ? failures : notes;
            if (!actual.compiled()[i]) {
                into.add(c.subject() + ": " + c.what() + (c.relied()
                        ? ": jkvm uses it but these headers do not have it" : ": not in these headers"));
            } else if (!c.matches(actual.values()[i])) {
                into.add(c.describe(actual.values()[i]));
            } else if (c.expected() != actual.values()[i]) {
                notes.add(c.describe(actual.values()[i]) + ": grew, allowed: " + GROWABLE.get(c.subject()));
            }
        }
        return new Verdict(failures, notes);
    }

    private static boolean relied(Plan p, String subject, String what) {
        return p.checks.get(indexOf(p.checks, subject, what)).relied();
    }

    private static int indexOf(List<Check> checks, String subject, String what) {
        for (int i = 0; i < checks.size(); i++) {
            if (checks.get(i).subject().equals(subject) && checks.get(i).what().equals(what)) {
                return i;
            }
        }
        throw new AssertionError("no check " + subject + " / " + what);
    }

    // ------------------------------------------------------------------ what jkvm relies on

    /**
     * Marks the checks jkvm relies on: a used type's size and alignment; a used member's offset and
     * size (and its array element's size); the offsets of the members enclosing a used member; a used
     * constant's value and width.
     */
    private static void markRelied(Plan p, JkvmUses uses) {
        for (int i = 0; i < p.checks.size(); i++) {
            Check c = p.checks.get(i);
            boolean relied;
            if (c.owner().equals("LinuxHeaders")) {
                relied = uses.constants.contains(c.subject());
            } else if (c.member() == null) {
                relied = uses.types.contains(c.owner());
            } else if (c.what().startsWith("offsetof(")) {
                relied = uses.usesMemberOrInside(c.owner(), c.member());
            } else { // a member's size
                String m = c.member().endsWith("[0]") ? c.member().substring(0, c.member().length() - 3) : c.member();
                relied = uses.usesMember(c.owner(), m);
            }
            if (relied) {
                Rule rule = c.what().equals("sizeof") && GROWABLE.containsKey(c.subject()) ? Rule.NOT_SMALLER : Rule.EQUAL;
                p.checks.set(i, c.relied(rule));
            }
        }
    }

    // ------------------------------------------------------------------ discovery

    private static synchronized Plan plan() throws Exception {
        if (plan == null) {
            Plan p = new Plan();
            for (Class<?> type : generatedTopLevelClasses()) {
                addStruct(p, type);
            }
            addConstants(p);
            Set<String> scanned = new TreeSet<>(p.classes);
            scanned.add("LinuxHeaders");
            markRelied(p, JkvmUses.scan(repositoryRoot(), scanned));
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
        String owner = type.getSimpleName();
        p.types.add(cType);
        p.classes.add(owner);
        p.add("sizeof", new Check(cType, "sizeof", "sizeof(" + cType + ")", layout.byteSize(), owner, null));
        p.add("alignof", new Check(cType, "alignof", "_Alignof(" + cType + ")", layout.byteAlignment(), owner, null));
        addMembers(p, owner, cType, layout, "", 0);
    }

    /**
     * Walks the members of {@code group}, which sits at {@code base} in {@code cType} and is
     * reached in C through {@code cPath}. jextract names anonymous structs/unions
     * {@code $anon$<line>:<column>}; C members of anonymous aggregates are reached as if they
     * were members of the enclosing one, so such names are dropped from the C path. Unnamed
     * members are padding (alignment gaps and skipped bitfields) and have no C counterpart.
     */
    private static void addMembers(Plan p, String owner, String cType, GroupLayout group, String cPath, long base) {
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
                    addMembers(p, owner, cType, inner, cPath, offset);
                } else {
                    p.problems.add(cType + ": anonymous member " + name + " is not a struct/union");
                }
                continue;
            }
            String path = cPath.isEmpty() ? name : cPath + "." + name;
            addField(p, owner, cType, member, path, offset);
        }
    }

    private static void addField(Plan p, String owner, String cType, MemoryLayout member, String path, long offset) {
        p.add("offsetof", new Check(cType, "offsetof(" + path + ")", "offsetof(" + cType + ", " + path + ")", offset, owner, path));
        boolean flexible = member instanceof SequenceLayout seq && seq.elementCount() == 0;
        if (!flexible) { // sizeof of a flexible array member is not valid C
            p.add("fieldsize", new Check(cType, "sizeof(" + path + ")",
                    "sizeof(((" + cType + " *)0)->" + path + ")", member.byteSize(), owner, path));
        }
        if (member instanceof GroupLayout inner) {
            addMembers(p, owner, cType, inner, path, offset);
        } else if (member instanceof SequenceLayout seq) {
            MemoryLayout element = seq.elementLayout();
            String elementPath = path + "[0]";
            if (element instanceof GroupLayout || element instanceof SequenceLayout) {
                addField(p, owner, cType, element, elementPath, offset);
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
            p.add("constant", new Check(name, "value", "(unsigned long long)(" + name + ")", bits, width,
                    "LinuxHeaders", null, Rule.EQUAL, false));
            p.add("width", new Check(name, "width", "sizeof(" + name + ")", width, 8, "LinuxHeaders", null, Rule.EQUAL, false));
        }
    }

    // ------------------------------------------------------------------ gcc

    private static synchronized GccValues.Outcome gcc(Plan p) throws Exception {
        if (gcc == null) {
            gcc = GccValues.evaluate(includeLine(), p.checks.stream().map(Check::cExpr).toList());
        }
        return gcc;
    }

    private static String includeLine() {
        return "#include \"" + findHeader() + "\"";
    }

    /** The checkout holding bindings/jextract/jkvm.h, whose modules' sources say what jkvm uses. */
    private static Path repositoryRoot() {
        return findHeader().getParent().getParent().getParent();
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
}

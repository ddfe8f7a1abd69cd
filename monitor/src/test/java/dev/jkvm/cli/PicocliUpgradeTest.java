package dev.jkvm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeModel;
import java.lang.classfile.Instruction;
import java.lang.classfile.MethodModel;
import java.lang.classfile.attribute.StackMapTableAttribute;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * The launcher's picocli (target/lib, written by monitor/src/build/UpgradeClassFiles.java before the
 * tests run) against the original from Maven (target/original): every class is now a version the
 * class-data archive holds, carries the stack map frames that version needs, has the original's
 * members and instructions, and passes the JVM's own verifier; every other entry is the original's.
 */
class PicocliUpgradeTest {
    private static final Path TARGET = Path.of(System.getProperty("user.dir"), "target");
    private static final String JAR = "picocli-" + picocli.CommandLine.VERSION + ".jar";
    private static final Path UPGRADED = TARGET.resolve("lib").resolve(JAR);
    private static final Path ORIGINAL = TARGET.resolve("original").resolve(JAR);

    private static Map<String, byte[]> entries(Path jar) throws Exception {
        Map<String, byte[]> m = new TreeMap<>();
        try (JarFile j = new JarFile(jar.toFile(), false)) {
            for (JarEntry e : Collections.list(j.entries())) m.put(e.getName(), j.getInputStream(e).readAllBytes());
        }
        return m;
    }

    private static boolean isClass(String name) {
        return name.endsWith(".class") && !name.startsWith("META-INF/");
    }

    /** A method's instructions as text (opcode and operands; branch targets as labels, which both sides number alike). */
    private static List<String> instructions(MethodModel m) {
        return m.code().map(c -> c.elementStream().filter(Instruction.class::isInstance).map(Object::toString).toList()).orElse(List.of());
    }

    @Test
    void everyClassIsUpgradedWithFramesAndTheSameCode() throws Exception {
        Map<String, byte[]> original = entries(ORIGINAL);
        Map<String, byte[]> upgraded = entries(UPGRADED);
        assertTrue(upgraded.containsKey("META-INF/JKVM-REWRITTEN.txt"), "the notice of the change is missing");
        upgraded.remove("META-INF/JKVM-REWRITTEN.txt");
        assertEquals(original.keySet(), upgraded.keySet());
        int classes = 0;
        for (String name : original.keySet()) {
            if (!isClass(name)) {
                assertArrayEquals(original.get(name), upgraded.get(name), name + " differs from the original");
                continue;
            }
            ClassModel before = ClassFile.of().parse(original.get(name));
            ClassModel after = ClassFile.of().parse(upgraded.get(name));
            assertEquals(49, before.majorVersion(), name + ": the original is no longer Java 5 (is this step still needed?)");
            assertEquals(52, after.majorVersion(), name);
            assertEquals(before.methods().size(), after.methods().size(), name);
            assertEquals(before.fields().stream().map(f -> f.fieldName().stringValue() + f.fieldType().stringValue()).toList(),
                    after.fields().stream().map(f -> f.fieldName().stringValue() + f.fieldType().stringValue()).toList(), name);
            for (int i = 0; i < before.methods().size(); i++) {
                MethodModel b = before.methods().get(i);
                MethodModel a = after.methods().get(i);
                String method = name + " " + b.methodName().stringValue() + b.methodType().stringValue();
                assertEquals(b.methodName().stringValue() + b.methodType().stringValue(), a.methodName().stringValue() + a.methodType().stringValue(), method);
                assertEquals(b.flags().flagsMask(), a.flags().flagsMask(), method);
                assertEquals(instructions(b), instructions(a), method);
                boolean branches = a.code().map(c -> c.elementStream().anyMatch(e -> e instanceof java.lang.classfile.instruction.BranchInstruction
                        || e instanceof java.lang.classfile.instruction.TableSwitchInstruction
                        || e instanceof java.lang.classfile.instruction.LookupSwitchInstruction
                        || e instanceof java.lang.classfile.instruction.ExceptionCatch)).orElse(false);
                boolean frames = a.code().flatMap(c -> ((CodeModel) c).findAttribute(java.lang.classfile.Attributes.stackMapTable()))
                        .map(StackMapTableAttribute::entries).map(l -> !l.isEmpty()).orElse(false);
                assertEquals(branches, frames, method + ": stack map frames where control flow joins, and only there");
            }
            classes++;
        }
        assertTrue(classes > 200, "picocli has over 200 classes, found " + classes);
    }

    /** The JVM's split verifier (no fallback at version 52) accepts every class as it loads and links it. */
    @Test
    void theVerifierAcceptsEveryClass() throws Exception {
        int linked = 0;
        try (URLClassLoader loader = new URLClassLoader(new java.net.URL[] {UPGRADED.toUri().toURL()}, null);
             JarFile jar = new JarFile(UPGRADED.toFile(), false)) {
            for (JarEntry e : Collections.list(jar.entries())) {
                if (!isClass(e.getName())) continue;
                String name = e.getName().substring(0, e.getName().length() - ".class".length()).replace('/', '.');
                Class<?> c = Class.forName(name, false, loader);
                assertEquals(loader, c.getClassLoader(), name + " came from elsewhere");
                Class.forName(name, true, loader); // links (verifies) and initializes; a VerifyError fails the test
                linked++;
            }
        }
        assertTrue(linked > 200, "linked " + linked);
    }
}

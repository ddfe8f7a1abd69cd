import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassFileVersion;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collections;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;

/**
 * Build step (monitor/pom.xml, generate-resources): copies a jar, rewriting its class files older
 * than Java 6 to class-file version 52 with stack map frames. Usage: {@code java
 * UpgradeClassFiles.java IN.jar OUT.jar NOTICE}.
 *
 * <p>Why: picocli ships Java 5 class files. The JVM's dynamic class-data archive leaves out an old
 * class once it has been linked ("Old class has been linked"), so every launch parsed and verified
 * picocli's ~140 classes again with the old type-inferring verifier. Version 52 class files with
 * frames are verified by the split verifier and archived like jkvm's own. The code is rebuilt
 * instruction for instruction by the JDK's class-file API, which computes the frames; nothing else
 * in the jar changes (other entries are copied byte for byte, entry times kept, so the output is
 * reproducible), and a notice entry says what was done to the licensed original.
 */
public final class UpgradeClassFiles {
    /** The oldest class-file version the split verifier and the class-data archive take (Java 6). */
    static final int OLDEST_KEPT = 50;
    /** The version written: Java 8, which no longer falls back to the old verifier when frames are wrong. */
    static final int WRITTEN = 52;
    static final String NOTICE_ENTRY = "META-INF/JKVM-REWRITTEN.txt";

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: java UpgradeClassFiles.java IN.jar OUT.jar NOTICE-TEXT-FILE");
            System.exit(2);
        }
        Path in = Path.of(args[0]);
        Path out = Path.of(args[1]);
        Path notice = Path.of(args[2]);
        // Run as a source file, the class's code source is that file: a changed tool rewrites again.
        var source = UpgradeClassFiles.class.getProtectionDomain().getCodeSource();
        Path self = source == null ? null : Path.of(source.getLocation().getPath());
        if (Files.exists(out) && newer(out, in) && newer(out, notice) && (self == null || !Files.exists(self) || newer(out, self))) {
            return; // up to date: Maven runs this step on every build
        }
        Files.createDirectories(out.toAbsolutePath().getParent());
        Path partial = out.resolveSibling(out.getFileName() + ".partial");
        int rewritten = rewrite(in, partial, Files.readString(notice));
        Files.move(partial, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        System.out.println("UpgradeClassFiles: " + rewritten + " class files of " + in.getFileName() + " now version " + WRITTEN + ", in " + out);
    }

    private static boolean newer(Path a, Path b) throws IOException {
        return Files.getLastModifiedTime(a).compareTo(Files.getLastModifiedTime(b)) > 0;
    }

    /** Writes {@code in} to {@code out} with its old class files upgraded and the notice added; returns how many were upgraded. */
    static int rewrite(Path in, Path out, String notice) throws IOException {
        int rewritten = 0;
        try (JarFile jar = new JarFile(in.toFile(), false);
             URLClassLoader classes = new URLClassLoader(new java.net.URL[] {in.toUri().toURL()}, null);
             JarOutputStream target = new JarOutputStream(Files.newOutputStream(out))) {
            // Frames need the common superclass of two types: the JDK's classes, else the jar's own.
            ClassFile cf = ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(
                    ClassHierarchyResolver.defaultResolver().orElse(ClassHierarchyResolver.ofResourceParsing(classes))));
            long latest = 0;
            for (JarEntry e : Collections.list(jar.entries())) {
                byte[] bytes = jar.getInputStream(e).readAllBytes();
                if (e.getName().endsWith(".class") && !e.getName().startsWith("META-INF/")) {
                    ClassModel model = cf.parse(bytes);
                    if (model.majorVersion() < OLDEST_KEPT) {
                        bytes = cf.transformClass(model, ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL)
                                .andThen((b, element) -> {
                                    if (element instanceof ClassFileVersion) b.withVersion(WRITTEN, 0);
                                    else b.with(element);
                                }));
                        rewritten++;
                    }
                }
                JarEntry copy = new JarEntry(e.getName());
                copy.setTime(e.getTime());
                latest = Math.max(latest, e.getTime());
                target.putNextEntry(copy);
                target.write(bytes);
                target.closeEntry();
            }
            JarEntry n = new JarEntry(NOTICE_ENTRY);
            n.setTime(latest);
            target.putNextEntry(n);
            target.write(notice.getBytes(StandardCharsets.UTF_8));
            target.closeEntry();
        }
        return rewritten;
    }
}

package dev.jkvm.bindings;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What jkvm's own code takes from the generated bindings, read from its sources: every
 * {@code <generated class>.<member>.<member>…} chain (e.g. {@code kvm_run.io.port$offset()},
 * {@code kvm_sregs.cs(seg)}) and every {@code LinuxHeaders.<CONSTANT>}. These are the sizes, offsets
 * and values a newer kernel header must keep; everything else generated is there only because
 * jextract emits whole structs.
 *
 * <p>Read from the hand-written sources of every module ({@code * /src/main/java}, the generated
 * package excluded), comments stripped so a mention in prose is not a use.
 */
final class JkvmUses {
    /** C member paths used, by generated class simple name (e.g. "kvm_run" → {"io", "io.port"}). */
    final Map<String, Set<String>> members = new HashMap<>();
    /** Generated classes used at all (their size and alignment count as relied on). */
    final Set<String> types = new HashSet<>();
    /** LinuxHeaders constants used. */
    final Set<String> constants = new HashSet<>();
    int filesRead;

    private JkvmUses() {}

    static JkvmUses scan(Path repositoryRoot, Set<String> generatedClasses) throws IOException {
        JkvmUses uses = new JkvmUses();
        Pattern chain = Pattern.compile("(?<![\\w$.])(" + String.join("|", generatedClasses)
                + ")((?:\\s*\\.\\s*[A-Za-z_][\\w$]*)+)");
        List<Path> sources = new ArrayList<>();
        try (Stream<Path> modules = Files.list(repositoryRoot)) {
            for (Path module : modules.toList()) {
                Path main = module.resolve("src/main/java");
                if (Files.isDirectory(main)) {
                    try (Stream<Path> files = Files.walk(main)) {
                        files.filter(f -> f.toString().endsWith(".java"))
                                .filter(f -> !f.toString().contains("/dev/jkvm/bindings/generated/"))
                                .forEach(sources::add);
                    }
                }
            }
        }
        for (Path source : sources) {
            uses.filesRead++;
            String code = withoutComments(Files.readString(source));
            Matcher m = chain.matcher(code);
            while (m.find()) {
                uses.add(m.group(1), m.group(2));
            }
        }
        return uses;
    }

    /**
     * A chain's components up to the first that is not a member (layout(), allocate(), …) name a
     * member path; accessor suffixes ($offset, $layout, $slice, …) are dropped. The caller keeps only
     * paths that are members of the struct, so method names that slip through match nothing.
     */
    private void add(String type, String chain) {
        types.add(type);
        List<String> parts = Arrays.stream(chain.split("\\."))
                .map(String::strip)
                .filter(p -> !p.isEmpty())
                .toList();
        if (type.equals("LinuxHeaders")) {
            constants.add(parts.get(0));
            return;
        }
        StringBuilder path = new StringBuilder();
        for (String part : parts) {
            int dollar = part.indexOf('$');
            String name = dollar >= 0 ? part.substring(0, dollar) : part;
            if (name.isEmpty()) {
                break;
            }
            if (!path.isEmpty()) {
                path.append('.');
            }
            path.append(name);
            members.computeIfAbsent(type, t -> new HashSet<>()).add(path.toString());
            if (dollar >= 0) {
                break; // x$offset() ends the chain: what follows is the call's result
            }
        }
    }

    /** True if jkvm uses this member path of the class, or a member inside it (then its offset matters). */
    boolean usesMemberOrInside(String type, String path) {
        Set<String> used = members.getOrDefault(type, Set.of());
        if (used.contains(path)) {
            return true;
        }
        for (String u : used) {
            if (u.startsWith(path + ".")) {
                return true;
            }
        }
        return false;
    }

    boolean usesMember(String type, String path) {
        return members.getOrDefault(type, Set.of()).contains(path);
    }

    private static String withoutComments(String code) {
        return code.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\\n]*", " ");
    }
}

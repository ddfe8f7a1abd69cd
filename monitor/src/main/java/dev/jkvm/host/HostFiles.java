package dev.jkvm.host;

import dev.jkvm.util.KernelFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Where the host's facts come from: the text of kernel files (/proc, /sys) by absolute path, and
 * the names in a directory. The live machine in production; captured text in the unit tests, so
 * every parsing and decision is tested without the machine it describes.
 */
public interface HostFiles {
    /** The file's text, or empty when it does not exist or cannot be read. */
    Optional<String> read(String path);

    /** The names in a directory, sorted; empty when it does not exist. */
    List<String> list(String dir);

    default boolean exists(String path) {
        return read(path).isPresent() || !list(path).isEmpty();
    }

    /** This machine's files. */
    static HostFiles live() {
        return new HostFiles() {
            @Override
            public Optional<String> read(String path) {
                try {
                    return Optional.of(KernelFile.read(Path.of(path)));
                } catch (IOException | RuntimeException e) {
                    return Optional.empty(); // absent, unreadable, or not text: the fact is "not exposed"
                }
            }

            @Override
            public List<String> list(String dir) {
                try (Stream<Path> s = Files.list(Path.of(dir))) {
                    return s.map(p -> p.getFileName().toString()).sorted().toList();
                } catch (IOException | RuntimeException e) {
                    return List.of();
                }
            }

            @Override
            public boolean exists(String path) {
                return Files.exists(Path.of(path));
            }
        };
    }

    /** Captured files: path → text; a directory is listed from the paths under it. */
    static HostFiles of(Map<String, String> files) {
        return new HostFiles() {
            @Override
            public Optional<String> read(String path) {
                return Optional.ofNullable(files.get(path));
            }

            @Override
            public List<String> list(String dir) {
                String prefix = dir.endsWith("/") ? dir : dir + "/";
                return files.keySet().stream().filter(p -> p.startsWith(prefix))
                        .map(p -> p.substring(prefix.length()).split("/", 2)[0]).distinct().sorted().toList();
            }
        };
    }
}

package dev.jkvm.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Keeps the caller's checkout visible inside the sandbox. The guest shows the host's root read-only
 * but mounts its own tmpfs on /tmp (and /dev/shm), so that host temporary files stay private; a
 * working directory under /tmp (a fresh clone in /tmp/x, say) would then vanish inside, and with it
 * the classes and sources a command run there needs. This picks the one directory to share
 * read-only at its own path: the git checkout the working directory belongs to (its nearest
 * ancestor holding .git, which a build's sibling modules share), or the working directory itself
 * when it is in no checkout. The rest of /tmp stays hidden. Pure path logic.
 */
final class VisibleCheckout {
    /** Host directories the guest's own mounts cover (init.sh mounts tmpfs on both). */
    static final List<Path> HIDDEN = List.of(Path.of("/tmp"), Path.of("/dev/shm"));

    private VisibleCheckout() {}

    /** The directory to share read-only so {@code workingDir} is visible, or empty when it already is. */
    static Optional<Path> shareFor(Path workingDir) {
        Path real;
        try {
            real = workingDir.toRealPath();
        } catch (IOException e) {
            return Optional.empty(); // a missing directory is reported by the job itself (GuestJob)
        }
        for (Path hidden : HIDDEN) {
            if (real.startsWith(hidden) && !real.equals(hidden)) {
                return Optional.of(checkoutRoot(real, hidden));
            }
        }
        return Optional.empty();
    }

    /** The nearest ancestor of {@code dir} (itself included) with .git, strictly below {@code mount}; else {@code dir}. */
    static Path checkoutRoot(Path dir, Path mount) {
        for (Path p = dir; p != null && p.startsWith(mount) && !p.equals(mount); p = p.getParent()) {
            if (Files.exists(p.resolve(".git"))) return p;
        }
        return dir;
    }
}

package dev.jkvm.sandbox;

import dev.jkvm.sandbox.SandboxException.Step;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Fetches Debian packages without installing them: {@code apt-get download} puts the .deb in a
 * directory and {@code dpkg-deb -x} unpacks it there, so the host's /boot and package database are
 * never touched.
 */
final class DebianPackages {
    /** A package name with the version apt would fetch. */
    record Package(String name, String version) {
        /** A file-name-safe key: name_version with ':' (epochs) replaced. */
        String key() {
            return (name + "_" + version).replace(':', '+');
        }
    }

    private DebianPackages() {}

    /**
     * The versioned package a metapackage points at, e.g. linux-image-amd64 → linux-image-6.1.0-56-amd64,
     * with its candidate version. apt-cache answers from the local package lists, without the network.
     */
    static Package resolveDependency(String metapackage, String prefix) throws SandboxException {
        HostCommand.Result r = tool(List.of("apt-cache", "depends", metapackage));
        if (r.ok()) {
            for (String line : r.stdout().lines().toList()) {
                String t = line.strip();
                if (t.startsWith("Depends:")) {
                    String dep = t.substring("Depends:".length()).strip();
                    if (dep.startsWith(prefix)) return candidate(dep);
                }
            }
        }
        throw new SandboxException(Step.HOST_SETUP, "apt does not know the Debian package " + metapackage
                + " (" + r.lastWords() + "): run 'apt-get update' as root, then try again");
    }

    /**
     * Like {@link #resolveDependency}, remembered in {@code memo} until apt's package lists change:
     * the two apt-cache calls take 0.3–1.5 s, more than anything else before the boot.
     */
    static Package resolveDependencyRemembered(Path memo, String metapackage, String prefix) throws SandboxException {
        Optional<String> stamp = listsStamp();
        if (stamp.isPresent() && Files.isRegularFile(memo)) {
            try {
                String[] f = Files.readString(memo).strip().split("\t");
                if (f.length == 4 && f[0].equals(stamp.get()) && f[1].equals(metapackage)) return new Package(f[2], f[3]);
            } catch (IOException e) {
                // resolve again
            }
        }
        Package pkg = resolveDependency(metapackage, prefix);
        if (stamp.isPresent()) {
            try {
                Files.createDirectories(memo.getParent());
                Files.writeString(memo, stamp.get() + "\t" + metapackage + "\t" + pkg.name() + "\t" + pkg.version() + "\n");
            } catch (IOException e) {
                // only a speed-up
            }
        }
        return pkg;
    }

    /** Changes whenever apt-get update brings new package lists (empty where there is no apt). */
    private static Optional<String> listsStamp() {
        try {
            Path lists = Path.of("/var/lib/apt/lists");
            if (!Files.isDirectory(lists)) return Optional.empty();
            StringBuilder s = new StringBuilder().append(Files.getLastModifiedTime(lists).toMillis());
            Path pkgcache = Path.of("/var/cache/apt/pkgcache.bin");
            if (Files.exists(pkgcache)) s.append('-').append(Files.getLastModifiedTime(pkgcache).toMillis());
            return Optional.of(s.toString());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The version apt would install or download for this package. */
    static Package candidate(String name) throws SandboxException {
        HostCommand.Result r = tool(List.of("apt-cache", "policy", name));
        for (String line : r.stdout().lines().toList()) {
            String t = line.strip();
            if (t.startsWith("Candidate:")) {
                String v = t.substring("Candidate:".length()).strip();
                if (!v.isEmpty() && !v.equals("(none)")) return new Package(name, v);
            }
        }
        throw new SandboxException(Step.HOST_SETUP, "apt has no downloadable version of the Debian package " + name
                + ": run 'apt-get update' as root, then try again");
    }

    /** The installed version of a package, if dpkg says it is installed. */
    static Optional<String> installedVersion(String name) {
        if (HostCommand.onPath("dpkg-query").isEmpty()) return Optional.empty();
        try {
            HostCommand.Result r = HostCommand.run(null, 30, List.of("dpkg-query", "-W", "-f=${Status}\t${Version}", name));
            if (!r.ok()) return Optional.empty();
            String[] parts = r.stdout().split("\t");
            return parts.length == 2 && parts[0].endsWith(" installed") ? Optional.of(parts[1].strip()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** Downloads the package into {@code dir} and unpacks it into {@code dir}/root; returns that root. */
    static Path downloadAndUnpack(Package pkg, Path dir) throws SandboxException {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new SandboxException(Step.ASSETS, "cannot create " + dir + ": " + e.getMessage(), e);
        }
        HostCommand.Result r = tool(dir, 1800, List.of("apt-get", "download", pkg.name() + "=" + pkg.version()));
        Path deb = findDeb(dir);
        if (!r.ok() || deb == null) {
            throw new SandboxException(Step.HOST_SETUP, "could not download the Debian package " + pkg.name() + " " + pkg.version()
                    + " (" + r.lastWords() + "): run 'apt-get update' as root and check that the Debian mirror is reachable");
        }
        Path root = dir.resolve("root");
        HostCommand.Result x = tool(dir, 600, List.of("dpkg-deb", "-x", deb.toString(), root.toString()));
        if (!x.ok()) {
            throw new SandboxException(Step.ASSETS, "could not unpack " + deb + " (" + x.lastWords() + ")");
        }
        return root;
    }

    private static Path findDeb(Path dir) {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.deb")) {
            for (Path p : s) return p;
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    private static HostCommand.Result tool(List<String> command) throws SandboxException {
        return tool(null, 120, command);
    }

    private static HostCommand.Result tool(Path dir, long timeoutSeconds, List<String> command) throws SandboxException {
        String name = command.getFirst();
        if (HostCommand.onPath(name).isEmpty()) {
            throw new SandboxException(Step.HOST_SETUP, name + " not found: the sandbox takes its kernel and busybox from"
                    + " Debian packages and needs apt and dpkg (a Debian or Ubuntu host), or pass --kernel and --initrd");
        }
        try {
            return HostCommand.run(dir, timeoutSeconds, command);
        } catch (IOException e) {
            throw new SandboxException(Step.HOST_SETUP, String.join(" ", command) + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException(Step.INTERRUPTED, "interrupted while running " + name, e);
        }
    }
}

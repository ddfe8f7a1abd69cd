package dev.jkvm.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Guests written by a test: GNU as source assembled and turned into a flat long-mode image the way
 * guests/src/Makefile builds the shipped ones (binutils), with a manifest beside it.
 */
public final class TestGuests {
    private TestGuests() {}

    /**
     * Assembles {@code source} (64-bit code, loaded and entered at 1 MiB) into {@code dir/name.bin}
     * and writes {@code dir/name.manifest} with the extra manifest lines given. Returns the image.
     */
    public static Path longModeFlat(Path dir, String name, String source, String... manifestLines)
            throws IOException, InterruptedException {
        Path s = dir.resolve(name + ".s"), o = dir.resolve(name + ".o"), bin = dir.resolve(name + ".bin");
        Files.writeString(s, "        .code64\n        .text\n" + source + "\n");
        run("as", "--64", "--fatal-warnings", "-o", o.toString(), s.toString());
        run("objcopy", "-O", "binary", "-j", ".text", o.toString(), bin.toString());
        StringBuilder m = new StringBuilder("name = " + name + "\nmode = long\nimage = " + name
                + ".bin\nformat = flat\nload = 0x100000\nentry = 0x100000\nmemory = 4M\nexpect-exit = never\n");
        for (String line : manifestLines) m.append(line).append('\n');
        Files.writeString(dir.resolve(name + ".manifest"), m);
        return bin;
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
    }
}

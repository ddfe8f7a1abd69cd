package dev.jkvm.sandbox;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes a cpio archive in the "newc" format (magic 070701), the only format the Linux kernel
 * unpacks as an initramfs. Writing it ourselves keeps the sandbox free of a cpio binary.
 *
 * <p>Each entry is a 110-byte ASCII header (the magic and 13 eight-digit hexadecimal fields), the
 * NUL-terminated name padded to a multiple of 4 bytes (counting the header), then the data padded
 * to a multiple of 4. The archive ends with an entry named {@code TRAILER!!!}. Times are 0 and
 * owners root so the same inputs give the same bytes (the cache key relies on that).
 */
public final class CpioWriter implements AutoCloseable {
    public static final String MAGIC = "070701";
    public static final String TRAILER = "TRAILER!!!";
    public static final int HEADER_SIZE = 110;

    // File type bits of st_mode (<sys/stat.h>).
    public static final int S_IFDIR = 0040000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFLNK = 0120000;
    public static final int S_IFCHR = 0020000;

    private final OutputStream out;
    private long written;
    private int nextInode = 1;
    private boolean finished;

    public CpioWriter(OutputStream out) {
        this.out = out;
    }

    public void directory(String path, int permissions) throws IOException {
        entry(path, S_IFDIR | permissions, 2, 0, 0, new byte[0]);
    }

    public void file(String path, int permissions, byte[] data) throws IOException {
        entry(path, S_IFREG | permissions, 1, 0, 0, data);
    }

    /** A symbolic link: its data is the target, without a terminating NUL. */
    public void symlink(String path, String target) throws IOException {
        entry(path, S_IFLNK | 0777, 1, 0, 0, target.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A character device node. The kernel needs /dev/console in the archive to give init its
     * standard streams before anything mounts devtmpfs.
     */
    public void charDevice(String path, int permissions, int major, int minor) throws IOException {
        entry(path, S_IFCHR | permissions, 1, major, minor, new byte[0]);
    }

    /** Writes the trailer entry; the archive is complete afterwards. */
    public void finish() throws IOException {
        if (finished) return;
        writeHeader(TRAILER, 0, 0, 1, 0, 0, 0);
        finished = true;
        out.flush();
    }

    /** Bytes written so far (headers, names, data and padding). */
    public long size() {
        return written;
    }

    @Override
    public void close() throws IOException {
        try {
            finish();
        } finally {
            out.close();
        }
    }

    private void entry(String path, int mode, int links, int rdevMajor, int rdevMinor, byte[] data) throws IOException {
        if (finished) throw new IllegalStateException("cpio archive already finished");
        String name = normalize(path);
        writeHeader(name, nextInode++, mode, links, data.length, rdevMajor, rdevMinor);
        write(data);
        pad();
    }

    /** Archive names are relative ("bin/busybox"); the kernel resolves them against the root. */
    private static String normalize(String path) {
        String name = path;
        while (name.startsWith("/")) name = name.substring(1);
        if (name.isEmpty() || name.equals(TRAILER)) throw new IllegalArgumentException("bad cpio entry name: '" + path + "'");
        return name;
    }

    private void writeHeader(String name, int inode, int mode, int links, long fileSize, int rdevMajor, int rdevMinor)
            throws IOException {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        StringBuilder h = new StringBuilder(HEADER_SIZE);
        h.append(MAGIC);
        hex(h, inode);             // c_ino
        hex(h, mode);              // c_mode
        hex(h, 0);                 // c_uid
        hex(h, 0);                 // c_gid
        hex(h, links);             // c_nlink
        hex(h, 0);                 // c_mtime
        hex(h, fileSize);          // c_filesize
        hex(h, 0);                 // c_devmajor
        hex(h, 0);                 // c_devminor
        hex(h, rdevMajor);         // c_rdevmajor
        hex(h, rdevMinor);         // c_rdevminor
        hex(h, nameBytes.length + 1); // c_namesize, including the NUL
        hex(h, 0);                 // c_check (only used by the "crc" format 070702)
        write(h.toString().getBytes(StandardCharsets.US_ASCII));
        write(nameBytes);
        write(new byte[] {0});
        pad();
    }

    private static void hex(StringBuilder h, long value) {
        if (value < 0 || value > 0xFFFF_FFFFL) throw new IllegalArgumentException("cpio field out of range: " + value);
        String s = Long.toHexString(value).toUpperCase(java.util.Locale.ROOT);
        h.append("0".repeat(8 - s.length())).append(s);
    }

    private void write(byte[] bytes) throws IOException {
        out.write(bytes);
        written += bytes.length;
    }

    private void pad() throws IOException {
        int rest = (int) (written % 4);
        if (rest != 0) write(new byte[4 - rest]);
    }
}

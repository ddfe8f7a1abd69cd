package dev.jkvm.kvm;

import dev.jkvm.bindings.Syscalls;
import dev.jkvm.bindings.generated.LinuxHeaders;
import dev.jkvm.bindings.generated.kvm_stats_desc;
import dev.jkvm.bindings.generated.kvm_stats_header;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Owner of a KVM binary statistics fd (KVM_GET_STATS_FD of a VM or vCPU). The descriptors are read
 * once; {@link #sample} re-reads the data block with pread. Safe to read from any thread.
 */
public final class KvmStatsFd implements AutoCloseable {
    /** One statistic: its name, KVM's kind and unit, and where its first value sits in the data block. */
    public record Descriptor(String name, String kind, String unit, int exponent, int offset) {
        /** The unit with its base-10 exponent when there is one, e.g. {@code seconds (10^-9)}. */
        public String displayUnit() {
            return exponent == 0 ? unit : unit + " (10^" + exponent + ")";
        }
    }

    private static final Map<List<Descriptor>, List<Descriptor>> SHARED = new ConcurrentHashMap<>();

    private final int fd;
    private final String what;
    private final List<Descriptor> descriptors;
    private final long dataOffset;
    // GC-freed with its owner, as Vcpu's scratch: closing a shared arena is a handshake with every Java thread.
    private final Arena arena = Arena.ofAuto();
    private final MemorySegment data;
    private boolean closed;

    private KvmStatsFd(int fd, String what) {
        this.fd = fd;
        this.what = what;
        try (Arena scratch = Arena.ofConfined()) {
            // Header and descriptors are read once into scratch memory; only the data block stays allocated.
            MemorySegment header = scratch.allocate(kvm_stats_header.layout());
            Syscalls.pread(fd, header, 0, "stats header of " + what);
            int nameSize = kvm_stats_header.name_size(header);
            int count = kvm_stats_header.num_desc(header);
            long descSize = kvm_stats_desc.layout().byteSize() + nameSize;
            MemorySegment descs = scratch.allocate(descSize * count, 8);
            Syscalls.pread(fd, descs, kvm_stats_header.desc_offset(header), "stats descriptors of " + what);
            List<Descriptor> list = new ArrayList<>();
            long dataSize = 0;
            for (int i = 0; i < count; i++) {
                MemorySegment d = descs.asSlice(i * descSize, descSize);
                int flags = kvm_stats_desc.flags(d);
                String name = d.asSlice(kvm_stats_desc.layout().byteSize(), nameSize).getString(0, StandardCharsets.US_ASCII);
                int offset = kvm_stats_desc.offset(d);
                int size = Short.toUnsignedInt(kvm_stats_desc.size(d));
                dataSize = Math.max(dataSize, offset + 8L * Math.max(1, size));
                list.add(new Descriptor(name, kind(flags), unit(flags), kvm_stats_desc.exponent(d), offset));
            }
            // Every VM (and every vCPU) of one kernel has the same statistics: one shared copy, not ~6 KiB per fd.
            this.descriptors = SHARED.computeIfAbsent(List.copyOf(list), l -> l);
            this.dataOffset = kvm_stats_header.data_offset(header);
            this.data = arena.allocate(Math.max(8, dataSize), 8);
        } catch (RuntimeException e) {
            Syscalls.close(fd, "stats fd of " + what);
            throw e;
        }
    }

    static KvmStatsFd open(int ownerFd, String what) {
        int fd = Syscalls.ioctl(ownerFd, LinuxHeaders.KVM_GET_STATS_FD(), 0, "KVM_GET_STATS_FD of " + what);
        return new KvmStatsFd(fd, what);
    }

    public List<Descriptor> descriptors() {
        return descriptors;
    }

    /** Current values, one per descriptor (the first element of array statistics such as histograms). */
    public long[] sample() {
        long[] values = new long[descriptors.size()];
        sampleInto(values);
        return values;
    }

    /** Like {@link #sample} into {@code values} (one element per descriptor), for samplers that keep their arrays. */
    public void sampleInto(long[] values) {
        if (values.length != descriptors.size()) {
            throw new IllegalArgumentException(values.length + " values for " + descriptors.size() + " statistics of " + what);
        }
        Syscalls.pread(fd, data, dataOffset, "stats of " + what);
        for (int i = 0; i < values.length; i++) values[i] = data.get(ValueLayout.JAVA_LONG, descriptors.get(i).offset());
    }

    private static String kind(int flags) {
        int type = flags & LinuxHeaders.KVM_STATS_TYPE_MASK();
        if (type == LinuxHeaders.KVM_STATS_TYPE_CUMULATIVE()) return "cumulative";
        if (type == LinuxHeaders.KVM_STATS_TYPE_INSTANT()) return "instant";
        if (type == LinuxHeaders.KVM_STATS_TYPE_PEAK()) return "peak";
        if (type == LinuxHeaders.KVM_STATS_TYPE_LINEAR_HIST()) return "linear histogram";
        if (type == LinuxHeaders.KVM_STATS_TYPE_LOG_HIST()) return "log histogram";
        return "type " + type;
    }

    private static String unit(int flags) {
        int unit = flags & LinuxHeaders.KVM_STATS_UNIT_MASK();
        if (unit == LinuxHeaders.KVM_STATS_UNIT_NONE()) return "none";
        if (unit == LinuxHeaders.KVM_STATS_UNIT_BYTES()) return "bytes";
        if (unit == LinuxHeaders.KVM_STATS_UNIT_SECONDS()) return "seconds";
        if (unit == LinuxHeaders.KVM_STATS_UNIT_CYCLES()) return "cycles";
        if (unit == LinuxHeaders.KVM_STATS_UNIT_BOOLEAN()) return "boolean";
        return "unit " + unit;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Syscalls.close(fd, "stats fd of " + what);
    }
}

package dev.jkvm.experiment;

import dev.jkvm.devices.Com1Serial;
import dev.jkvm.devices.DebugExit;
import dev.jkvm.devices.FwCfg;
import dev.jkvm.devices.InterruptLine;
import dev.jkvm.devices.PingPort;
import dev.jkvm.devices.PortBus;
import dev.jkvm.devices.SerialConsole;
import dev.jkvm.devices.SerialLog;
import dev.jkvm.exits.ExitHandler;
import dev.jkvm.exits.ExitStats;
import dev.jkvm.guest.GuestImage;
import dev.jkvm.guest.GuestManifest;
import dev.jkvm.guest.MultibootImage;
import dev.jkvm.guest.MultibootInfo;
import dev.jkvm.kvm.CpuSetup;
import dev.jkvm.kvm.GuestMemory;
import dev.jkvm.bindings.generated.LinuxHeaders;
import dev.jkvm.kvm.Kvm;
import dev.jkvm.kvm.KvmStatsFd;
import dev.jkvm.kvm.Vcpu;
import dev.jkvm.kvm.Vm;
import dev.jkvm.sched.KvmRunTrace;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * One VM of an experiment: the KVM VM with its memory and single vCPU, its devices, the guest loaded
 * and the vCPU set up, and the thread that will run it. Owns the {@link Vm}; {@link #close} must come
 * after the thread is joined.
 */
final class VmInstance implements AutoCloseable {
    private final String name;
    private final int index;
    private final GuestImage guest;
    private final Vm vm;
    private final Vcpu vcpu;
    private final SerialConsole serial;
    private final PingPort ping = new PingPort();
    private final ExitHandler handler;
    private final ExitStats stats = new ExitStats();
    private final KvmRunTrace trace = new KvmRunTrace();
    private final long tscHz;
    private final KvmStatsFd vmStats;
    private final KvmStatsFd vcpuStats;
    private VcpuThread thread;

    private VmInstance(int index, GuestImage guest, Vm vm, Vcpu vcpu, PrintWriter terminal, SerialLog log, KvmStatsFd vmStats,
            KvmStatsFd vcpuStats, FwCfg fwCfg) {
        this.vmStats = vmStats;
        this.vcpuStats = vcpuStats;
        this.tscHz = vcpu.tscKhz() * 1000;
        this.index = index;
        this.name = nameOf(index);
        this.guest = guest;
        this.vm = vm;
        this.vcpu = vcpu;
        this.serial = new SerialConsole(name, terminal, log);
        PortBus bus = new PortBus()
                .map(Com1Serial.BASE, Com1Serial.LAST, new Com1Serial(serial,
                        vm.hasIrqchip() ? vm.irqLine(Com1Serial.IRQ)::set : InterruptLine.NONE))
                .map(DebugExit.PORT, DebugExit.PORT, new DebugExit())
                .map(PingPort.PORT, PingPort.PORT, ping)
                .map(FwCfg.SELECTOR_PORT, FwCfg.DATA_PORT, fwCfg);
        this.handler = new ExitHandler(bus);
    }

    /**
     * Creates the VM, loads the guest and sets up its vCPU. {@code log} (may be null) receives the
     * whole serial output and is owned by the instance from here on. On failure nothing is left open.
     */
    static VmInstance create(Kvm kvm, MemorySegment cpuid, int index, GuestImage guest, long memoryBytes, long arg, PrintWriter terminal,
            SerialLog log) {
        Vm vm;
        try {
            vm = kvm.createVm();
        } catch (RuntimeException e) {
            if (log != null) log.close();
            throw e;
        }
        try {
            GuestMemory memory = vm.mapMemory(memoryBytes);
            if (guest.manifest().irqchip() == GuestManifest.Irqchip.KERNEL) vm.createInterruptControllers();
            for (GuestImage.Segment s : guest.segments()) {
                memory.write(s.address(), s.bytes());
            }
            MultibootInfo multiboot = null;
            if (guest.manifest().format() == GuestManifest.ImageFormat.MULTIBOOT) {
                // Like QEMU, the kernel's command line starts with its own name (kvm-unit-tests take it as argv[0]).
                multiboot = MultibootInfo.build(guest, memoryBytes, guest.manifest().image(), List.of(), guest.manifest().name());
                for (GuestImage.Segment s : multiboot.segments()) memory.write(s.address(), s.bytes());
            }
            Vcpu vcpu = vm.createVcpu(0);
            // Pass the host's supported CPUID through, KVM paravirt leaves included (steal time).
            vcpu.setCpuid(cpuid);
            CpuSetup.apply(vcpu, memory, guest.manifest().mode(), guest.entry(), arg, vcpu.tscKhz());
            if (multiboot != null) CpuSetup.multiboot(vcpu, MultibootImage.BOOTLOADER_MAGIC, multiboot.infoAddress());
            memory.prefault();
            boolean stats = kvm.checkExtension(LinuxHeaders.KVM_CAP_BINARY_STATS_FD()) > 0;
            return new VmInstance(index, guest, vm, vcpu, terminal, log, stats ? vm.openStats() : null, stats ? vcpu.openStats() : null,
                    new FwCfg(memoryBytes, 1, multiboot != null ? guest.manifest().image() : ""));
        } catch (RuntimeException e) {
            if (log != null) log.close();
            vm.close();
            throw e;
        }
    }

    String name() {
        return name;
    }

    /** The names the VMs of an experiment of {@code count} VMs get: vm0, vm1, … */
    static java.util.List<String> names(int count) {
        return java.util.stream.IntStream.range(0, count).mapToObj(VmInstance::nameOf).toList();
    }

    static String nameOf(int index) {
        return "vm" + index;
    }

    int index() {
        return index;
    }

    GuestImage guest() {
        return guest;
    }

    GuestMemory memory() {
        return vm.memory();
    }

    ExitStats stats() {
        return stats;
    }

    ExitHandler handler() {
        return handler;
    }

    PingPort ping() {
        return ping;
    }

    SerialConsole serial() {
        return serial;
    }

    KvmRunTrace trace() {
        return trace;
    }

    /** The vCPU thread, named like {@code vcpu-vm0-0} so it is recognisable in /proc, perf and JFR. */
    VcpuThread newThread(StartGate gate, java.util.BitSet leaveTo) {
        if (thread != null) throw new IllegalStateException(name + " already has a vCPU thread");
        thread = new VcpuThread(name, vcpu, handler, stats, trace, gate, leaveTo);
        return thread;
    }

    VcpuThread thread() {
        return thread;
    }

    /** The vCPU's TSC frequency in Hz. */
    long tscHz() {
        return tscHz;
    }

    /** KVM's statistics of the VM, or null when this KVM has no binary stats. */
    KvmStatsFd vmStats() {
        return vmStats;
    }

    /** KVM's statistics of the vCPU, or null when this KVM has no binary stats. */
    KvmStatsFd vcpuStats() {
        return vcpuStats;
    }

    @Override
    public void close() {
        serial.finish();
        try {
            if (vcpuStats != null) vcpuStats.close();
            if (vmStats != null) vmStats.close();
        } finally {
            vm.close();
        }
    }
}

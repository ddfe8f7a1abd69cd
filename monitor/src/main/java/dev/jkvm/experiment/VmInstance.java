package dev.jkvm.experiment;

import dev.jkvm.devices.CmosRtc;
import dev.jkvm.devices.Com1Serial;
import dev.jkvm.devices.DebugExit;
import dev.jkvm.devices.FwCfg;
import dev.jkvm.devices.InterruptLine;
import dev.jkvm.devices.PingPort;
import dev.jkvm.devices.PortBus;
import dev.jkvm.devices.PowerOff;
import dev.jkvm.devices.SerialConsole;
import dev.jkvm.devices.SerialLog;
import dev.jkvm.exits.ExitHandler;
import dev.jkvm.exits.ExitStats;
import dev.jkvm.guest.GuestImage;
import dev.jkvm.guest.GuestManifest;
import dev.jkvm.guest.MpTable;
import dev.jkvm.guest.MultibootImage;
import dev.jkvm.guest.MultibootInfo;
import dev.jkvm.kvm.CpuSetup;
import dev.jkvm.kvm.GuestMemory;
import dev.jkvm.bindings.generated.LinuxHeaders;
import dev.jkvm.kvm.Kvm;
import dev.jkvm.kvm.KvmStatsFd;
import dev.jkvm.kvm.Vcpu;
import dev.jkvm.kvm.Vm;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import dev.jkvm.exits.GuestResult;
import java.util.ArrayList;
import java.util.List;

/**
 * One VM of an experiment: the KVM VM with its memory and vCPUs, its devices (shared by its vCPUs),
 * the guest loaded and the vCPUs set up, and the threads that will run them. Owns the {@link Vm}
 * and the vCPUs' statistics; {@link #close} must come after the threads are joined.
 *
 * <p>A VM ends when its guest ends on any vCPU (halt without irqchip, debug exit, shutdown, a fault):
 * that vCPU's result is the VM's, and its other vCPUs are stopped at once. Stopped by the
 * experiment (duration, signal), every vCPU stops at the experiment's one instant.
 */
final class VmInstance implements AutoCloseable {
    private final String name;
    private final int index;
    private final GuestImage guest;
    private final Vm vm;
    private final List<VmVcpu> vcpus;
    private final SerialConsole serial;
    private final LinuxWorkloadWatch linuxWatch;
    private final PingPort ping = new PingPort();
    private final ExitHandler handler;
    private final long tscHz;
    private final KvmStatsFd vmStats;
    /** The vCPU whose guest ended the VM, or null while none has. */
    private VmVcpu endedBy;

    private VmInstance(int index, GuestImage guest, Vm vm, List<VmVcpu> vcpus, PrintWriter terminal, SerialLog log, KvmStatsFd vmStats,
            FwCfg fwCfg) {
        this.vmStats = vmStats;
        this.tscHz = vcpus.get(0).vcpu().tscKhz() * 1000;
        this.index = index;
        this.name = nameOf(index);
        this.guest = guest;
        this.vm = vm;
        this.vcpus = List.copyOf(vcpus);
        this.serial = new SerialConsole(name, terminal, log);
        this.linuxWatch = guest.linux() == null ? null : new LinuxWorkloadWatch(serial);
        PortBus bus = new PortBus()
                .map(Com1Serial.BASE, Com1Serial.LAST, new Com1Serial(linuxWatch != null ? linuxWatch : serial,
                        vm.hasIrqchip() ? vm.irqLine(Com1Serial.IRQ)::set : InterruptLine.NONE))
                .map(DebugExit.PORT, DebugExit.PORT, new DebugExit())
                .map(PingPort.PORT, PingPort.PORT, ping)
                .map(PowerOff.PORT, PowerOff.PORT, new PowerOff())
                .map(FwCfg.SELECTOR_PORT, FwCfg.DATA_PORT, fwCfg);
        if (guest.linux() != null) {
            CmosRtc rtc = new CmosRtc(java.time.Clock.systemUTC());
            bus.map(CmosRtc.INDEX_PORT, CmosRtc.DATA_PORT, rtc);
        }
        this.handler = new ExitHandler(bus);
    }

    /**
     * Creates the VM with {@code vcpuCount} vCPUs, loads the guest and sets the vCPUs up: vCPU 0 (the
     * bootstrap processor) at the guest's entry; the others as the manifest's {@code ap-start} says
     * ({@link ApStarts}). {@code log} (may be null) receives the whole serial output and is owned by
     * the instance from here on. {@code kvmStats}: open KVM's binary statistics fds of the VM and its
     * vCPUs (two per VM; only the recording's jkvm.KvmStats events read them). On failure nothing is left open.
     */
    static VmInstance create(Kvm kvm, MemorySegment cpuid, int index, GuestImage guest, long memoryBytes, long arg, int vcpuCount,
            PrintWriter terminal, SerialLog log, boolean kvmStats) {
        Vm vm;
        try {
            vm = kvm.createVm();
        } catch (RuntimeException e) {
            if (log != null) log.close();
            throw e;
        }
        List<VmVcpu> vcpus = new ArrayList<>();
        KvmStatsFd vmStats = null;
        try {
            GuestMemory memory = vm.mapMemory(memoryBytes);
            if (guest.manifest().irqchip() == GuestManifest.Irqchip.KERNEL) vm.createInterruptControllers();
            for (GuestImage.Segment s : guest.segments()) {
                memory.write(s.address(), s.bytes());
            }
            // A Linux VM learns its processors and the in-kernel I/O APIC from an MP table (it has no ACPI).
            if (guest.linux() != null && vm.hasIrqchip()) memory.write(MpTable.ADDRESS, MpTable.build(vcpuCount));
            MultibootInfo multiboot = null;
            if (guest.manifest().format() == GuestManifest.ImageFormat.MULTIBOOT) {
                // Like QEMU, the kernel's command line starts with its own name (kvm-unit-tests take it as argv[0]).
                multiboot = MultibootInfo.build(guest, memoryBytes, guest.manifest().image(), List.of(), guest.manifest().name());
                for (GuestImage.Segment s : multiboot.segments()) memory.write(s.address(), s.bytes());
            }
            boolean stats = kvmStats && kvm.checkExtension(LinuxHeaders.KVM_CAP_BINARY_STATS_FD()) > 0;
            String vmName = nameOf(index);
            for (int i = 0; i < vcpuCount; i++) {
                Vcpu vcpu = vm.createVcpu(i);
                if (guest.linux() != null) {
                    // The host's supported CPUID with the hypervisor bit: Linux looks for kvmclock and steal time only then.
                    try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                        vcpu.setCpuid(dev.jkvm.kvm.LinuxCpuid.of(cpuid, arena));
                    }
                    // Linux starts its application processors itself (INIT/SIPI); only the bootstrap processor is set up.
                    if (i == 0) CpuSetup.linux64(vcpu, memory, guest.entry(), guest.linux().bootParams());
                } else {
                    // Pass the host's supported CPUID through, KVM paravirt leaves included (steal time).
                    vcpu.setCpuid(cpuid);
                    ApStarts.setUp(vcpu, memory, guest, arg, vcpuCount, vm.hasIrqchip());
                }
                if (i == 0 && multiboot != null) CpuSetup.multiboot(vcpu, MultibootImage.BOOTLOADER_MAGIC, multiboot.infoAddress());
                vcpus.add(new VmVcpu(VmVcpu.nameOf(vmName, i, vcpuCount), vcpu, stats ? vcpu.openStats() : null));
            }
            memory.prefault();
            if (stats) vmStats = vm.openStats();
            return new VmInstance(index, guest, vm, vcpus, terminal, log, vmStats,
                    new FwCfg(memoryBytes, vcpuCount, multiboot != null ? guest.manifest().image() : ""));
        } catch (RuntimeException e) {
            for (VmVcpu v : vcpus) v.close();
            if (vmStats != null) vmStats.close();
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

    /** The vCPUs, by index; vCPU 0 is the bootstrap processor. */
    List<VmVcpu> vcpus() {
        return vcpus;
    }

    /** The exits of every vCPU of this VM together. */
    ExitStats stats() {
        return ExitStats.sum(vcpus.stream().map(VmVcpu::stats).toList());
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

    /** One thread per vCPU, named like {@code vcpu-vm0-0} so it is recognisable in /proc, perf and JFR. */
    List<VcpuThread> newThreads(StartGate gate, Departure departure) {
        Object deviceLock = vcpus.size() == 1 ? null : handler;
        for (VmVcpu v : vcpus) {
            v.setThread(new VcpuThread(name, v.vcpu(), handler, v.stats(), v.trace(), gate, departure, deviceLock,
                    result -> guestEnded(v, result)));
        }
        return threads();
    }

    /** The Linux workload's ready/summary watch, or null for a guest that is not Linux. */
    LinuxWorkloadWatch linuxWatch() {
        return linuxWatch;
    }

    /** The vCPU threads, by vCPU index (empty before {@link #newThreads}). */
    List<VcpuThread> threads() {
        return vcpus.stream().map(VmVcpu::thread).filter(java.util.Objects::nonNull).toList();
    }

    boolean anyThreadAlive() {
        for (VmVcpu v : vcpus) if (v.thread() != null && v.thread().isAlive()) return true;
        return false;
    }

    /** Called on vCPU {@code v}'s thread when its guest ended by itself: the first such vCPU ends the VM. */
    private void guestEnded(VmVcpu v, GuestResult result) {
        synchronized (this) {
            if (endedBy != null) return;
            endedBy = v;
        }
        for (VmVcpu other : vcpus) {
            if (other != v && other.thread() != null) other.thread().stop(v.name() + " ended the VM: " + result.describe());
        }
    }

    /** How the VM ended: the result of the vCPU whose guest ended it, else vCPU 0's (stopped). */
    synchronized GuestResult result() {
        return (endedBy != null ? endedBy : vcpus.get(0)).thread().result();
    }

    /** The vCPU whose thread's end is the VM's: the one that ended it, else vCPU 0. */
    synchronized VmVcpu deciding() {
        return endedBy != null ? endedBy : vcpus.get(0);
    }

    /** The vCPUs' TSC frequency in Hz. */
    long tscHz() {
        return tscHz;
    }

    /** KVM's statistics of the VM, or null when this KVM has no binary stats or JFR is not initialized (nothing records them). */
    KvmStatsFd vmStats() {
        return vmStats;
    }

    @Override
    public void close() {
        serial.finish();
        try {
            for (VmVcpu v : vcpus) v.close();
            if (vmStats != null) vmStats.close();
        } finally {
            vm.close();
        }
    }
}

package dev.jkvm.exits;

import dev.jkvm.devices.PortBus;
import dev.jkvm.devices.PortDevice;

/**
 * The policy for one vCPU's exits: what each decoded exit does to the guest. Port I/O goes to the
 * {@link PortBus}; MMIO (no MMIO devices exist) reads all ones and drops writes, counted; HLT ends the
 * guest cleanly; SHUTDOWN, FAIL_ENTRY, INTERNAL_ERROR, malformed and unhandled exits end it as faulted.
 * A guest's exit can only ever end that guest. Runs without KVM on synthetic kvm_run contents in tests.
 */
public final class ExitHandler {
    private static final GuestResult HALTED = new GuestResult.Halted();

    private final PortBus ports;
    private long mmioReads;
    private long mmioWrites;

    public ExitHandler(PortBus ports) {
        this.ports = ports;
    }

    /** Handles one exit; returns null while the guest goes on, or how it ended. */
    public GuestResult handle(VmExit exit) {
        return switch (exit) {
            case VmExit.Io io -> handleIo(io);
            case VmExit.Mmio mmio -> {
                if (mmio.isWrite()) {
                    mmioWrites++;
                } else {
                    mmioReads++;
                    mmio.setData(-1L);
                }
                yield null;
            }
            case VmExit.Interrupted i -> null;
            case VmExit.Halt h -> HALTED;
            case VmExit.Shutdown s -> new GuestResult.Faulted("SHUTDOWN", "triple fault or shutdown request");
            case VmExit.FailEntry f -> new GuestResult.Faulted("FAIL_ENTRY",
                    String.format("hardware entry failure reason 0x%x on CPU %d", f.hardwareReason(), f.cpu()));
            case VmExit.InternalError e -> new GuestResult.Faulted("INTERNAL_ERROR", e.describe());
            case VmExit.SystemEvent e -> new GuestResult.Faulted("SYSTEM_EVENT", "system event type " + e.type());
            case VmExit.Unhandled u -> new GuestResult.Faulted(ExitReason.nameOf(u.reason()), "exit reason jkvm does not serve");
            case VmExit.Malformed m -> new GuestResult.Faulted(ExitReason.nameOf(m.reason()), "malformed exit: " + m.problem());
        };
    }

    private GuestResult handleIo(VmExit.Io io) {
        int port = io.port();
        int size = io.size();
        if (io.isOut()) {
            for (int i = 0; i < io.count(); i++) {
                long status = ports.write(port, size, io.value(i));
                if (status != PortDevice.CONTINUE) return new GuestResult.Exited(status);
            }
        } else {
            for (int i = 0; i < io.count(); i++) io.setValue(i, ports.read(port, size));
        }
        return null;
    }

    public long mmioReads() {
        return mmioReads;
    }

    public long mmioWrites() {
        return mmioWrites;
    }

    public PortBus ports() {
        return ports;
    }
}

package dev.jkvm.devices;

/**
 * jkvm's power-off port (0x524): an {@code out} of 1, 2 or 4 bytes writing v ends the guest with exit
 * status v, so 0 is a clean power-off. Unlike the debug-exit port (status (v << 1) | 1, always odd),
 * a guest can end cleanly here; the built-in {@code linux} guest's /init writes 0 once its workload is
 * done (a Linux guest without ACPI has no other way to power off: its halt loop sleeps in KVM forever).
 */
public final class PowerOff implements PortDevice {
    public static final int PORT = 0x524;

    @Override
    public int read(int port, int size) {
        return 0;
    }

    @Override
    public long write(int port, int size, int value) {
        return DebugExit.valueOf(size, value);
    }
}

package dev.jkvm.devices;

/** A device behind one or more I/O ports. Called on the vCPU thread; must not block. */
public interface PortDevice {
    /** Returned by {@link #write} when the guest goes on running. */
    long CONTINUE = -1;

    /** The value an {@code in} of {@code size} bytes (1, 2 or 4) from {@code port} reads. */
    int read(int port, int size);

    /**
     * An {@code out} of {@code size} bytes to {@code port}. Returns {@link #CONTINUE}, or the guest's
     * exit status (an unsigned value of {@code size} bytes) when the write ends the guest.
     */
    long write(int port, int size, int value);
}

package dev.jkvm.devices;

/** A device's interrupt output wire: high while the device wants service. Called on the vCPU thread. */
@FunctionalInterface
public interface InterruptLine {
    /** A device without a connected interrupt (no irqchip): its level goes nowhere. */
    InterruptLine NONE = high -> {};

    void set(boolean high);
}

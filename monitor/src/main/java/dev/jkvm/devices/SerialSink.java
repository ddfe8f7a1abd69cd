package dev.jkvm.devices;

/** Where a guest's serial output goes, one byte at a time. */
@FunctionalInterface
public interface SerialSink {
    void write(byte b);
}

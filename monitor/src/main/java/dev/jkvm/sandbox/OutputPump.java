package dev.jkvm.sandbox;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * Copies one virtio-serial port's bytes (a job's stdout or stderr) from QEMU's socket to the
 * current job's stream, unchanged, and counts them. The guest reports how many bytes each job
 * wrote; {@link #awaitTotal} waits until that many have arrived, because the control port's exit
 * line and the output travel on separate queues and the exit line can come first.
 */
final class OutputPump {
    private final String name;
    private OutputStream sink;
    private long total;
    private boolean closed;
    private IOException sinkFailure;

    OutputPump(String name) {
        this.name = name;
    }

    /** Reads the socket until it closes (QEMU exited or the sandbox was closed). Runs on its own thread. */
    void pump(SocketChannel channel) {
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        try (channel) {
            while (true) {
                buf.clear();
                int n = channel.read(buf);
                if (n < 0) break;
                if (n == 0) continue;
                deliver(buf.array(), n);
            }
        } catch (IOException e) {
            // closed under us: the sandbox is going away
        } finally {
            synchronized (this) {
                closed = true;
                notifyAll();
            }
        }
    }

    private synchronized void deliver(byte[] data, int n) {
        if (sink != null && sinkFailure == null) {
            try {
                sink.write(data, 0, n);
                sink.flush();
            } catch (IOException e) {
                sinkFailure = e; // the caller's stream broke; keep counting so the job still ends
            }
        }
        total += n;
        notifyAll();
    }

    /** Where the next bytes go (null: dropped). */
    synchronized void sink(OutputStream s) {
        sink = s;
        sinkFailure = null;
    }

    synchronized long total() {
        return total;
    }

    /** Waits until {@code target} bytes have arrived in total; false on deadline or if the socket closed first. */
    synchronized boolean awaitTotal(long target, long deadlineNanos) throws InterruptedException {
        while (total < target) {
            if (closed) return false;
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) return false;
            long ms = Math.max(1, left / 1_000_000);
            wait(ms);
        }
        return true;
    }

    synchronized IOException sinkFailure() {
        return sinkFailure;
    }

    String name() {
        return name;
    }
}

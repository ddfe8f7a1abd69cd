package dev.jkvm.experiment;

import dev.jkvm.util.FaultInjection;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The thread of a sampler that reads what guests write into their memory while they run: it polls
 * every {@value #POLL_NANOS} ns until stopped. Any failure, an {@link Error} included, ends the
 * polling only: it is handed to the sampler once and the VMs go on. A sampler reads what is left
 * after {@link #stopAndJoin}, under its own lock: joined first, since the thread may be waiting for
 * that lock to poll once more.
 */
final class SamplerThread implements AutoCloseable {
    static final long POLL_NANOS = 10_000_000;

    private final Thread thread;
    private final FaultInjection.Point fault;
    private volatile boolean stopping;

    /**
     * @param name   names the thread ({@code jkvm-}name) and its fault-injection point (name)
     * @param poll   one read of the guests' memory
     * @param failed told of the failure that ended the polling, on the sampler's thread
     */
    SamplerThread(String name, Runnable poll, Consumer<Throwable> failed) {
        this.fault = FaultInjection.at(name);
        this.thread = Thread.ofPlatform().name("jkvm-" + name).daemon(true).unstarted(() -> {
            try {
                while (!stopping) {
                    fault.pass();
                    poll.run();
                    LockSupport.parkNanos(POLL_NANOS);
                }
            } catch (Throwable t) {
                failed.accept(t);
            }
        });
    }

    void start() {
        thread.start();
    }

    /** Ends the polling and waits for the thread, if it was started. */
    void stopAndJoin() throws InterruptedException {
        stopping = true;
        if (thread.isAlive()) thread.join();
    }

    /** Ends the polling without waiting. */
    @Override
    public void close() {
        stopping = true;
    }
}

package dev.jkvm.experiment;

import dev.jkvm.bindings.ErrnoCapture;
import dev.jkvm.bindings.Syscalls;
import dev.jkvm.bindings.generated.LinuxHeaders;
import dev.jkvm.exits.ExitDecoder;
import dev.jkvm.exits.ExitHandler;
import dev.jkvm.exits.ExitReason;
import dev.jkvm.jfr.VmExitEvent;
import jdk.jfr.EventType;
import dev.jkvm.exits.ExitStats;
import dev.jkvm.exits.GuestResult;
import dev.jkvm.exits.VmExit;
import dev.jkvm.kvm.Vcpu;
import java.lang.foreign.Arena;
import java.util.concurrent.CountDownLatch;

/**
 * The platform thread that runs one vCPU: it learns its kernel TID, applies its placement (pinning,
 * nice) before the first KVM_RUN, then loops KVM_RUN ⇄ decode ⇄ handle until the guest ends or
 * {@link #stop} is called. The loop allocates nothing per exit.
 */
final class VcpuThread {
    /** What the thread does to itself before its first KVM_RUN (pinning, nice); runs on the vCPU thread. */
    interface Placement {
        void apply(int tid);
    }

    private final Vcpu vcpu;
    private final ExitHandler handler;
    private final ExitStats stats;
    private final Placement placement;
    private final Thread thread;
    private final CountDownLatch started = new CountDownLatch(1);
    private static final GuestResult NO_RESULT = new GuestResult.MonitorError("the vCPU thread failed and no reason could be recorded");
    private static final EventType EXIT_EVENT = EventType.getEventType(VmExitEvent.class);

    private final KvmRunTrace trace;
    private final String vmName;
    private final ExitDecoder decoder;
    private volatile int tid = -1;
    private volatile String stopReason;
    private volatile GuestResult result;
    private volatile long startNanos;
    private volatile long endNanos;
    private volatile long loopAllocatedBytes = -1;

    VcpuThread(String vmName, Vcpu vcpu, ExitHandler handler, ExitStats stats, KvmRunTrace trace, Placement placement) {
        String name = "vcpu-" + vmName + "-" + vcpu.id();
        this.vmName = vmName;
        this.vcpu = vcpu;
        this.handler = handler;
        this.stats = stats;
        this.trace = trace;
        this.placement = placement;
        this.thread = Thread.ofPlatform().name(name).daemon(true).unstarted(this::body);
        this.decoder = new ExitDecoder(vcpu.runArea());
        primeLinkage(handler);
    }

    /**
     * Class loading and call-site linking of the loop's code happen once per JVM, on whichever thread
     * gets there first. Doing it here, on the thread that builds the experiment, keeps that work
     * (slow in an emulated sandbox) off the pinned vCPU threads, so their recording starts with the guest.
     */
    private static void primeLinkage(ExitHandler handler) {
        handler.handle(new VmExit.Interrupted());
        try (Arena arena = Arena.ofConfined()) {
            Syscalls.ioctlRaw(-1, 0, 0, new ErrnoCapture(arena)); // EBADF: links the KVM_RUN downcall
        }
    }

    String name() {
        return thread.getName();
    }

    void start() {
        thread.start();
    }

    /** Waits until the thread has its TID and placement (or has failed trying). */
    void awaitStarted() throws InterruptedException {
        started.await();
    }

    int tid() {
        return tid;
    }

    GuestResult result() {
        return result;
    }

    boolean isAlive() {
        return thread.isAlive();
    }

    /**
     * Heap bytes this thread allocated inside its KVM_RUN loop (the exits and the end included), or
     * -1 when the JVM cannot tell. The loop is meant to allocate nothing per exit.
     */
    long loopAllocatedBytes() {
        return loopAllocatedBytes;
    }

    private static long allocatedBytes() {
        return java.lang.management.ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
                ? t.getCurrentThreadAllocatedBytes() : -1;
    }

    /** When the thread left its KVM_RUN loop (System.nanoTime), or 0 while it runs. */
    long endNanos() {
        return endNanos;
    }

    long runNanos() {
        long end = endNanos == 0 ? System.nanoTime() : endNanos;
        return startNanos == 0 ? 0 : end - startNanos;
    }

    /**
     * Asks the guest to stop: sets kvm_run.immediate_exit (so a KVM_RUN about to start returns at
     * once) and signals the thread (so a KVM_RUN in progress returns EINTR). Safe to call repeatedly.
     */
    void stop(String why) {
        if (stopReason == null) stopReason = why;
        vcpu.requestImmediateExit();
        int t = tid;
        if (t > 0 && thread.isAlive()) {
            try {
                Syscalls.tgkill(ProcessHandle.current().pid(), t, LinuxHeaders.SIGPIPE());
            } catch (RuntimeException e) {
                // ESRCH: the thread ended between the check and the signal. Nothing left to stop.
            }
        }
    }

    /** Stops the guest if needed and waits for the thread, re-signalling until it is gone. */
    void stopAndJoin(String why) throws InterruptedException {
        while (thread.isAlive()) {
            stop(why);
            thread.join(50);
        }
    }

    void join(long millis) throws InterruptedException {
        thread.join(millis);
    }

    private void body() {
        try (Arena arena = Arena.ofConfined()) {
            ErrnoCapture capture = new ErrnoCapture(arena);
            try {
                tid = Syscalls.gettid();
                placement.apply(tid);
            } catch (Throwable e) {
                result = new GuestResult.MonitorError(String.valueOf(e.getMessage()));
                return;
            } finally {
                started.countDown();
            }
            startNanos = System.nanoTime();
            long allocatedBefore = allocatedBytes();
            result = loop(capture);
            loopAllocatedBytes = allocatedBytes() - allocatedBefore;
        } catch (Throwable t) {
            // Anything (OutOfMemoryError, StackOverflowError, a bug) ends this VM only, as a monitor
            // error; the run and the other VMs go on. Nothing is rethrown, so no stack trace escapes.
            result = new GuestResult.MonitorError(t.getMessage() == null ? t.toString() : t.getClass().getSimpleName() + ": " + t.getMessage());
        } finally {
            // Made up front: when memory ran out, building the error above may itself have failed.
            if (result == null) result = NO_RESULT;
            endNanos = System.nanoTime();
        }
    }

    private GuestResult loop(ErrnoCapture capture) {
        while (true) {
            if (stopReason != null) return new GuestResult.Stopped(stopReason);
            long enter = System.nanoTime();
            trace.enter(enter);
            int rc = vcpu.run(capture);
            long exitAt = System.nanoTime();
            trace.leave(exitAt);
            VmExit exit = decoder.decode(rc);
            if (exit instanceof VmExit.Interrupted) {
                stats.recordInterrupted();
                continue;
            }
            // The per-exit event is off by default: only build it when the recording asked for it.
            VmExitEvent event = null;
            if (EXIT_EVENT.isEnabled()) {
                event = new VmExitEvent();
                event.begin();
            }
            GuestResult end = handler.handle(exit);
            long handled = System.nanoTime();
            stats.record(decoder.reasonCode(), handled - exitAt);
            if (event != null) commitExitEvent(event, exit, decoder.reasonCode(), exitAt - enter);
            if (end != null) return end;
        }
    }

    private void commitExitEvent(VmExitEvent event, VmExit exit, int reason, long guestNanos) {
        event.end();
        if (!event.shouldCommit()) return;
        event.vm = vmName;
        event.vcpu = vcpu.id();
        event.reason = ExitReason.nameOf(reason);
        event.port = exit instanceof VmExit.Io io ? io.port() : -1;
        event.address = exit instanceof VmExit.Mmio m ? m.address() : 0;
        event.guestTime = guestNanos;
        event.commit();
    }
}

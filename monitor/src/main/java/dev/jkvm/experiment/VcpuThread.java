package dev.jkvm.experiment;

import dev.jkvm.bindings.ErrnoCapture;
import dev.jkvm.bindings.Syscalls;
import dev.jkvm.bindings.generated.LinuxHeaders;
import dev.jkvm.exits.ExitDecoder;
import dev.jkvm.exits.ExitHandler;
import dev.jkvm.exits.ExitReason;
import dev.jkvm.jfr.VmExitEvent;
import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;
import dev.jkvm.exits.ExitStats;
import dev.jkvm.exits.GuestResult;
import dev.jkvm.exits.VmExit;
import dev.jkvm.kvm.Vcpu;
import dev.jkvm.sched.KvmRunTrace;
import java.lang.foreign.Arena;
import java.util.concurrent.CountDownLatch;

/**
 * The platform thread that runs one vCPU: it publishes its kernel TID, waits at the experiment's
 * {@link StartGate} (meanwhile the experiment records, pins and nices it from outside), then loops
 * KVM_RUN ⇄ decode ⇄ handle until the guest ends or {@link #stop} is called. The loop allocates
 * nothing per exit.
 */
final class VcpuThread {
    private final Vcpu vcpu;
    private final ExitHandler handler;
    private final ExitStats stats;
    private final StartGate gate;
    private final Departure departure;
    private final Thread thread;
    private final CountDownLatch ready = new CountDownLatch(1);
    private static final GuestResult NO_RESULT = new GuestResult.MonitorError("the vCPU thread failed and no reason could be recorded");
    /**
     * The per-exit event's type, or null when JFR is not initialized in this process (no --jfr and no
     * other recording): looking the type up initializes JFR, about 0.1–0.3 s before the first guest
     * instruction that a run without a recording has no use for.
     */
    private final EventType exitEvent = FlightRecorder.isInitialized() ? EventType.getEventType(VmExitEvent.class) : null;

    private final KvmRunTrace trace;
    private final String vmName;
    /** Held while handling an exit when the VM's vCPUs share their devices; null for a single vCPU. */
    private final Object deviceLock;
    /** Told when this vCPU's guest ended by itself (not stopped): the VM ends with it. */
    private final java.util.function.Consumer<GuestResult> guestEnded;
    private final ExitDecoder decoder;
    private final dev.jkvm.util.FaultInjection.Point fault;
    private volatile int tid = -1;
    private volatile String stopReason;
    private volatile GuestResult result;
    private volatile long startNanos;
    private volatile long endNanos;
    private volatile long loopAllocatedBytes = -1;
    private volatile long runTimeAtEnd = -1;
    private volatile long runTimeAtGate = -1;

    /**
     * @param departure how the thread leaves the experiment CPU when its loop ends, so that its
     *                exit (which perf no longer records: the kernel detaches a task's events early
     *                in do_exit) happens off the experiment CPU and its whole life there is recorded
     */
    VcpuThread(String vmName, Vcpu vcpu, ExitHandler handler, ExitStats stats, KvmRunTrace trace, StartGate gate, Departure departure) {
        this(vmName, vcpu, handler, stats, trace, gate, departure, null, r -> {});
    }

    /**
     * @param deviceLock held around every exit's handling when several vCPUs share {@code handler}'s
     *                   devices (null: this vCPU is the VM's only one)
     * @param guestEnded called on this thread when the guest ended by itself (halt, debug exit,
     *                   shutdown, a fault, a monitor error), not when it was stopped
     */
    VcpuThread(String vmName, Vcpu vcpu, ExitHandler handler, ExitStats stats, KvmRunTrace trace, StartGate gate, Departure departure,
            Object deviceLock, java.util.function.Consumer<GuestResult> guestEnded) {
        String name = "vcpu-" + vmName + "-" + vcpu.id();
        this.deviceLock = deviceLock;
        this.guestEnded = guestEnded;
        this.vmName = vmName;
        this.vcpu = vcpu;
        this.handler = handler;
        this.stats = stats;
        this.trace = trace;
        this.gate = gate;
        this.departure = departure;
        this.thread = Thread.ofPlatform().name(name).daemon(true).unstarted(this::body);
        this.decoder = new ExitDecoder(vcpu.runArea());
        this.fault = dev.jkvm.util.FaultInjection.at(name);
        primeLinkage(handler);
    }

    /**
     * Class loading and call-site linking of the loop's code happen once per JVM, on whichever thread
     * gets there first. Doing it here, on the thread that builds the experiment, keeps that work
     * (slow in an emulated sandbox) off the pinned vCPU threads, so their recording starts with the guest.
     */
    private static void primeLinkage(ExitHandler handler) {
        handler.handle(new VmExit.Interrupted());
        allocatedBytes();
        runTime();
        try (Arena arena = Arena.ofConfined()) {
            Syscalls.ioctlRaw(-1, 0, 0, new ErrnoCapture(arena)); // EBADF: links the KVM_RUN downcall
        }
    }

    String name() {
        return thread.getName();
    }

    /** The Java thread id, which names this thread's lane in JFR readers. */
    long javaThreadId() {
        return thread.threadId();
    }

    /** This thread as the timeline's events name it (after {@link #awaitReady}, which publishes the TID). */
    dev.jkvm.jfr.timeline.TimelineThread timelineThread() {
        return new dev.jkvm.jfr.timeline.TimelineThread(javaThreadId(), tid(), name());
    }

    void start() {
        thread.start();
    }

    /**
     * Waits until the thread has published its TID and is parked at the gate (or has failed). Parked,
     * not only queued: a thread pinned to the experiment CPU while it still ran would take its last
     * steps to the park there, before the gate opened.
     */
    void awaitReady() throws InterruptedException {
        ready.await();
        while (thread.isAlive() && thread.getState() != Thread.State.WAITING) {
            java.util.concurrent.locks.LockSupport.parkNanos(20_000);
        }
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

    /**
     * Looked up once, here: ManagementFactory's getter is synchronized, and when 64 vCPU threads leave
     * the start gate at once and all call it, the monitor is handed from waiter to waiter, each of which
     * must first get the shared CPU: some guests then started seconds late (measured).
     */
    private static final com.sun.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t ? t : null;

    private static long runTime() {
        return THREADS == null ? -1 : THREADS.getCurrentThreadCpuTime();
    }

    private static long allocatedBytes() {
        return THREADS == null ? -1 : THREADS.getCurrentThreadAllocatedBytes();
    }

    /** The thread's run time (ns) read by itself on its way to the start gate; -1 before that or where the JVM cannot tell. */
    long runTimeAtGate() {
        return runTimeAtGate;
    }

    /**
     * The thread's run time (ns) read by itself when it left its loop, before it moved off the
     * experiment CPU; -1 before that or where the JVM cannot tell. HotSpot reads it with
     * clock_gettime(CLOCK_THREAD_CPUTIME_ID): the scheduler's sum_exec_runtime, the first field of
     * the thread's schedstat, in one system call (reading the schedstat file instead, 64 threads
     * leaving at once kept the CPU busier while the last guests were still being stopped).
     */
    long runTimeAtEnd() {
        return runTimeAtEnd;
    }

    /** When the thread left its KVM_RUN loop (System.nanoTime), or 0 while it runs. */
    long endNanos() {
        return endNanos;
    }

    /** When the thread began its KVM_RUN loop, after the gate opened (System.nanoTime), or 0 if it never did. */
    long startNanos() {
        return startNanos;
    }

    /**
     * Asks the guest to stop: sets kvm_run.immediate_exit (so a KVM_RUN about to start returns at
     * once) and signals the thread (so a KVM_RUN in progress returns EINTR). Safe to call repeatedly.
     */
    void stop(String why) {
        requestStop(why);
        interrupt();
    }

    /** The first half of {@link #stop}: no KVM_RUN starts any more. Cheap, so all VMs get it at one instant. */
    void requestStop(String why) {
        if (stopReason == null) stopReason = why;
        vcpu.requestImmediateExit();
    }

    /** The second half of {@link #stop}: a KVM_RUN in progress returns now (or, if the thread is off CPU, when it is next scheduled, before entering the guest). */
    void interrupt() {
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
            boolean run;
            try {
                tid = Syscalls.gettid();
                runTimeAtGate = runTime(); // a thread waiting at the gate runs no more until it opens
                run = gate.await(ready::countDown);
            } finally {
                ready.countDown(); // also when gettid failed: the experiment must not wait for this thread
            }
            if (!run) {
                result = new GuestResult.Stopped("the experiment was abandoned before it started");
                return;
            }
            startNanos = System.nanoTime();
            long allocatedBefore = allocatedBytes(), traceGrowthBefore = trace.growthBytes();
            result = loop(capture);
            // Besides the run trace's growth: bounded and once (KvmRunTrace.growthBytes), not per exit.
            long allocated = allocatedBytes();
            loopAllocatedBytes = allocated < 0 ? -1 : allocated - allocatedBefore - (trace.growthBytes() - traceGrowthBefore);
        } catch (Throwable e) {
            // Anything, an Error included, ends this VM only, as a monitor error the report names.
            result = new GuestResult.MonitorError(dev.jkvm.util.HelperFailures.reason(e));
        } finally {
            // Made up front: when memory ran out, building the error above may itself have failed.
            if (result == null) result = NO_RESULT;
            endNanos = System.nanoTime();
            runTimeAtEnd = runTime();
            if (!(result instanceof GuestResult.Stopped)) {
                try {
                    guestEnded.accept(result);
                } catch (Throwable e) {
                    // Stopping the siblings failed: the experiment's stop still reaches them.
                }
            }
            departure.leave(tid);
        }
    }

    private GuestResult loop(ErrnoCapture capture) {
        while (true) {
            if (stopReason != null) return new GuestResult.Stopped(stopReason);
            // The per-exit event is off by default: only built when the recording asks for it. Built
            // before KVM_RUN and begun as it returns, so that its duration spans what the exit
            // statistics time (KVM_RUN's return to the end of handling): the two sources analyze
            // reads give one meaning of "handling time" (the event began after the decoding before).
            VmExitEvent event = exitEvent != null && exitEvent.isEnabled() ? new VmExitEvent() : null;
            long enter = System.nanoTime();
            trace.enter(enter);
            int rc = vcpu.run(capture);
            if (event != null) event.begin();
            long exitAt = System.nanoTime();
            trace.leave(exitAt);
            VmExit exit = decoder.decode(rc);
            fault.pass();
            if (exit instanceof VmExit.Interrupted) {
                stats.recordInterrupted();
                continue;
            }
            GuestResult end;
            if (deviceLock == null) {
                end = handler.handle(exit);
            } else {
                synchronized (deviceLock) {
                    end = handler.handle(exit);
                }
            }
            long handled = System.nanoTime();
            if (event != null) event.end();
            stats.record(decoder.reasonCode(), handled - exitAt);
            if (event != null) commitExitEvent(event, exit, decoder.reasonCode(), exitAt - enter);
            if (end != null) return end;
        }
    }

    private void commitExitEvent(VmExitEvent event, VmExit exit, int reason, long guestNanos) {
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

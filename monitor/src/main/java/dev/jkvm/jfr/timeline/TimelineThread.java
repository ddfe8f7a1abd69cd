package dev.jkvm.jfr.timeline;

/**
 * A Java thread as the JVM's own chunks name it, so events written here land on the same thread
 * lane: the JVM keys its thread constants by the Java thread id (JDK 19 and later), and JMC and
 * {@code jdk.jfr.consumer} tell threads apart by that key and these fields.
 *
 * @param javaThreadId {@link Thread#threadId()}
 * @param osThreadId   the kernel TID (gettid)
 * @param name         {@link Thread#getName()}, which the JVM also writes as the OS thread name
 */
public record TimelineThread(long javaThreadId, long osThreadId, String name) {
    public TimelineThread {
        if (javaThreadId <= 0) throw new IllegalArgumentException("a Java thread id is positive: " + javaThreadId);
        if (name == null) throw new IllegalArgumentException("a thread needs a name");
    }

    /** The calling thread, with its kernel TID. */
    public static TimelineThread current(long osThreadId) {
        Thread t = Thread.currentThread();
        return new TimelineThread(t.threadId(), osThreadId, t.getName());
    }
}

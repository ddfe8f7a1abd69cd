package dev.jkvm.bindings;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * The memory where a downcall linked with {@code captureCallState("errno")} leaves errno. Hot
 * callers (the KVM_RUN loop) allocate one up front and reuse it, so a call allocates nothing.
 * Its lifetime is the arena's that allocated it.
 */
public final class ErrnoCapture {
    static final Linker.Option OPTION = Linker.Option.captureCallState("errno");
    private static final MemoryLayout LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private final MemorySegment state;

    public ErrnoCapture(Arena arena) {
        this.state = arena.allocate(LAYOUT);
    }

    MemorySegment segment() {
        return state;
    }

    /** The errno left by the last call made with this capture. */
    public int errno() {
        return (int) ERRNO.get(state, 0L);
    }
}

package dev.jkvm.testing;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Proves the KVM suite runner end to end: this test only passes where /dev/kvm really works
 * (natively or inside the sandbox). Plain FFM on purpose, independent of jkvm's own bindings.
 */
@Tag("kvm")
class KvmRunnerSelfTest {
    private static final int O_RDWR = 2;
    private static final int O_CLOEXEC = 0x80000;
    private static final long KVM_GET_API_VERSION = 0xAE00;
    private static final long KVM_CREATE_VM = 0xAE01;

    @Test
    void devKvmOpensSpeaksApi12AndCreatesAVm() throws Throwable {
        Linker linker = Linker.nativeLinker();
        var libc = linker.defaultLookup();
        MethodHandle open = linker.downcallHandle(libc.find("open").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), Linker.Option.firstVariadicArg(2));
        // ioctl(int fd, unsigned long request, ...): one variadic argument, passed as a long.
        MethodHandle ioctl = linker.downcallHandle(libc.find("ioctl").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(2));
        MethodHandle close = linker.downcallHandle(libc.find("close").orElseThrow(), FunctionDescriptor.of(JAVA_INT, JAVA_INT));

        try (Arena arena = Arena.ofConfined()) {
            int kvm = (int) open.invokeExact(arena.allocateFrom("/dev/kvm"), O_RDWR | O_CLOEXEC);
            assertTrue(kvm >= 0, "open(/dev/kvm) failed");
            try {
                assertEquals(12, (int) ioctl.invokeExact(kvm, KVM_GET_API_VERSION, 0L), "KVM_GET_API_VERSION");
                int vm = (int) ioctl.invokeExact(kvm, KVM_CREATE_VM, 0L);
                assertTrue(vm >= 0, "KVM_CREATE_VM returned " + vm);
                assertEquals(0, (int) close.invokeExact(vm));
            } finally {
                int ignored = (int) close.invokeExact(kvm);
            }
        }
    }
}

package dev.jkvm.exits;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.bindings.Errno;
import dev.jkvm.bindings.NativeException;
import dev.jkvm.bindings.generated.LinuxHeaders;
import dev.jkvm.bindings.generated.kvm_run;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ExitDecoderTest {
    private static final int IO = LinuxHeaders.KVM_EXIT_IO();
    private static final int OUT = LinuxHeaders.KVM_EXIT_IO_OUT();
    private static final int IN = LinuxHeaders.KVM_EXIT_IO_IN();

    private Arena arena;
    private SyntheticRun run;
    private ExitDecoder decoder;

    @BeforeEach
    void setUp() {
        arena = Arena.ofConfined();
        run = new SyntheticRun(arena);
        decoder = new ExitDecoder(run.seg);
    }

    @AfterEach
    void tearDown() {
        arena.close();
    }

    private VmExit.Io decodeIo() {
        return assertInstanceOf(VmExit.Io.class, decoder.decode(0));
    }

    private VmExit.Malformed decodeMalformed() {
        return assertInstanceOf(VmExit.Malformed.class, decoder.decode(0));
    }

    @Test
    void mappingSmallerThanKvmRunIsRefused() {
        try (Arena a = Arena.ofConfined()) {
            var tooSmall = a.allocate(kvm_run.layout().byteSize() - 1, 8);
            assertThrows(IllegalArgumentException.class, () -> new ExitDecoder(tooSmall));
        }
    }

    @Test
    void ioOutOfOneByte() {
        run.out(1, 0x3F8, 1).pioBytes('H');
        VmExit.Io io = decodeIo();
        assertTrue(io.isOut());
        assertEquals(1, io.size());
        assertEquals(0x3F8, io.port());
        assertEquals(1, io.count());
        assertEquals(SyntheticRun.PIO_PAGE, io.dataOffset());
        assertEquals('H', io.value(0));
        assertEquals(IO, decoder.reasonCode());
    }

    @Test
    void ioOutValuesOfEverySizeAreZeroExtendedLittleEndian() {
        run.out(1, 0x80, 3).pioBytes(0xFF, 0x01, 0x80);
        VmExit.Io b = decodeIo();
        assertEquals(0xFF, b.value(0));
        assertEquals(0x01, b.value(1));
        assertEquals(0x80, b.value(2));

        run.out(2, 0xFFFF, 2).pioBytes(0x34, 0x12, 0xFE, 0xFF);
        VmExit.Io w = decodeIo();
        assertEquals(0xFFFF, w.port(), "port is unsigned");
        assertEquals(0x1234, w.value(0));
        assertEquals(0xFFFE, w.value(1));

        run.out(4, 0x510, 2).pioBytes(0x78, 0x56, 0x34, 0x12, 0xFF, 0xFF, 0xFF, 0xFF);
        VmExit.Io d = decodeIo();
        assertEquals(0x12345678, d.value(0));
        assertEquals(-1, d.value(1));
        assertEquals(2, d.count());
    }

    @Test
    void ioInValuesAreWrittenAtTheDataOffset() {
        run.in(1, 0x3FD, 2);
        VmExit.Io b = decodeIo();
        assertFalse(b.isOut());
        b.setValue(0, 0x60);
        b.setValue(1, 0x1AB); // only the low byte goes in
        assertEquals(0x60, run.pioByte(0));
        assertEquals(0xAB, run.pioByte(1));
        assertEquals(0, run.pioByte(2));

        run.in(2, 0x60, 1);
        decodeIo().setValue(0, 0xBEEF);
        assertEquals(0xEF, run.pioByte(0));
        assertEquals(0xBE, run.pioByte(1));

        run.in(4, 0xCF8, 2);
        VmExit.Io d = decodeIo();
        d.setValue(1, 0xCAFEF00D);
        assertEquals(0xCAFEF00D, run.seg.get(ValueLayout.JAVA_INT_UNALIGNED, SyntheticRun.PIO_PAGE + 4));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 3, 5, 8})
    void ioOfAnotherSizeIsMalformed(int size) {
        run.out(size, 0x3F8, 1);
        VmExit.Malformed m = decodeMalformed();
        assertEquals(IO, m.reason());
        assertEquals("I/O size " + size, m.problem());
    }

    @Test
    void ioCountZeroOrNegativeIsMalformed() {
        run.out(1, 0x3F8, 0);
        assertEquals("I/O count 0", decodeMalformed().problem());
        run.out(1, 0x3F8, Integer.MIN_VALUE);
        assertEquals("I/O count 2147483648", decodeMalformed().problem());
    }

    @Test
    void ioDirectionOtherThanInOrOutIsMalformed() {
        run.io(2, 1, 0x3F8, 1, SyntheticRun.PIO_PAGE);
        assertEquals("I/O direction 2", decodeMalformed().problem());
        run.io(0xFF, 1, 0x3F8, 1, SyntheticRun.PIO_PAGE);
        assertEquals("I/O direction 255", decodeMalformed().problem());
    }

    @Test
    void ioDataOffsetBeyondTheMappingIsMalformed() {
        run.io(OUT, 1, 0x3F8, 1, SyntheticRun.MMAP_SIZE);
        assertEquals("I/O data at offset 12288 + 1 bytes lies outside the 12288-byte kvm_run mapping", decodeMalformed().problem());
        run.io(OUT, 1, 0x3F8, 1, -1);
        assertInstanceOf(VmExit.Malformed.class, decoder.decode(0), "a negative (huge unsigned) offset");
        run.io(IN, 4, 0x3F8, Integer.MAX_VALUE, 0);
        assertInstanceOf(VmExit.Malformed.class, decoder.decode(0), "8 GiB of data");
    }

    @Test
    void ioDataOverflowingTheEndByOneByteIsMalformedButExactlyFittingIsNot() {
        long end = SyntheticRun.MMAP_SIZE;
        run.io(OUT, 4, 0x510, 3, end - 11);
        VmExit.Malformed m = decodeMalformed();
        assertEquals("I/O data at offset 12277 + 12 bytes lies outside the 12288-byte kvm_run mapping", m.problem());

        run.io(OUT, 4, 0x510, 3, end - 12);
        run.seg.set(ValueLayout.JAVA_INT_UNALIGNED, end - 4, 0x0BADCAFE);
        VmExit.Io io = decodeIo();
        assertEquals(0x0BADCAFE, io.value(2), "the last value ends at the mapping's last byte");

        run.io(IN, 2, 0x60, 1, end - 2);
        decodeIo().setValue(0, 0xABCD);
        assertEquals((short) 0xABCD, run.seg.get(ValueLayout.JAVA_SHORT_UNALIGNED, end - 2));
        run.io(IN, 2, 0x60, 1, end - 1);
        decodeMalformed();
    }

    @Test
    void mmioReadAndWrite() {
        run.mmio(0xFEE0_0000L, 4, false);
        VmExit.Mmio read = assertInstanceOf(VmExit.Mmio.class, decoder.decode(0));
        assertEquals(0xFEE0_0000L, read.address());
        assertEquals(4, read.length());
        assertFalse(read.isWrite());

        run.mmio(0xC000_0000L, 8, true, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88);
        VmExit.Mmio write = assertInstanceOf(VmExit.Mmio.class, decoder.decode(0));
        assertTrue(write.isWrite());
        assertEquals(0xC000_0000L, write.address());
        assertEquals(0x8877_6655_4433_2211L, write.data());

        run.mmio(0x1000, 2, true, 0xCD, 0xAB);
        assertEquals(0xABCD, assertInstanceOf(VmExit.Mmio.class, decoder.decode(0)).data(), "only len bytes count");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 9, -1})
    void mmioLengthOutsideOneToEightIsMalformed(int len) {
        run.mmio(0x1000, len, false);
        VmExit.Malformed m = decodeMalformed();
        assertEquals(LinuxHeaders.KVM_EXIT_MMIO(), m.reason());
        assertEquals("MMIO length " + len, m.problem());
    }

    @Test
    void hltAndShutdown() {
        run.reason(LinuxHeaders.KVM_EXIT_HLT());
        assertInstanceOf(VmExit.Halt.class, decoder.decode(0));
        run.reason(LinuxHeaders.KVM_EXIT_SHUTDOWN());
        assertInstanceOf(VmExit.Shutdown.class, decoder.decode(0));
    }

    @Test
    void failEntryCarriesReasonAndCpu() {
        run.failEntry(0x8000_0021L, 3);
        assertEquals(new VmExit.FailEntry(0x8000_0021L, 3), decoder.decode(0));
    }

    @Test
    void internalErrorCarriesSuberrorAndNdataWords() {
        run.internalError(1, 3, 10, 20, 30, 40);
        VmExit.InternalError e = assertInstanceOf(VmExit.InternalError.class, decoder.decode(0));
        assertEquals(1, e.suberror());
        assertArrayEquals(new long[] {10, 20, 30}, e.data());
        assertEquals("emulation failure", e.suberrorName());
    }

    @Test
    void internalErrorNdataIsClampedToTheArray() {
        int capacity = (int) kvm_run.internal.data$layout().elementCount();
        long[] words = new long[capacity];
        for (int i = 0; i < capacity; i++) words[i] = i + 100;
        run.internalError(3, 1000, words);
        VmExit.InternalError big = assertInstanceOf(VmExit.InternalError.class, decoder.decode(0));
        assertArrayEquals(words, big.data());

        run.internalError(7, -5);
        VmExit.InternalError negative = assertInstanceOf(VmExit.InternalError.class, decoder.decode(0));
        assertEquals(0, negative.data().length);
        assertEquals("suberror 7", negative.suberrorName());
    }

    @Test
    void systemEventCarriesItsType() {
        run.systemEvent(2);
        assertEquals(new VmExit.SystemEvent(2), decoder.decode(0));
    }

    @Test
    void unknownReasonIsUnhandled() {
        run.reason(99);
        assertEquals(new VmExit.Unhandled(99), decoder.decode(0));
        run.reason(LinuxHeaders.KVM_EXIT_DEBUG());
        assertEquals(new VmExit.Unhandled(LinuxHeaders.KVM_EXIT_DEBUG()), decoder.decode(0));
    }

    @Test
    void eintrAndEagainAreInterruptionsWhateverTheExitReason() {
        run.reason(LinuxHeaders.KVM_EXIT_SHUTDOWN());
        assertInstanceOf(VmExit.Interrupted.class, decoder.decode(-Errno.EINTR.value()));
        assertInstanceOf(VmExit.Interrupted.class, decoder.decode(-Errno.EAGAIN.value()));
    }

    @Test
    void otherErrnoIsAHostFailure() {
        NativeException e = assertThrows(NativeException.class, () -> decoder.decode(-Errno.EFAULT.value()));
        assertTrue(e.getMessage().startsWith("KVM_RUN failed: "), e.getMessage());
        assertTrue(e.getMessage().contains("EFAULT"), e.getMessage());
        assertEquals("KVM_RUN", e.call());
        assertTrue(e.is(Errno.EFAULT));

        NativeException unnamed = assertThrows(NativeException.class, () -> decoder.decode(-200));
        assertTrue(unnamed.getMessage().startsWith("KVM_RUN failed: errno 200"), unnamed.getMessage());
    }

    @Test
    void ioAndMmioViewsAreReusedBetweenExits() {
        run.out(1, 0x3F8, 1);
        VmExit first = decoder.decode(0);
        run.out(2, 0x510, 1);
        assertSame(first, decoder.decode(0), "the hot path allocates nothing per exit");
        assertEquals(0x510, ((VmExit.Io) first).port());
    }
}

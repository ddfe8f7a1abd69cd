package dev.jkvm.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Fields of a raw tracepoint sample, laid out as tracefs's format file says, written here with a ByteBuffer. */
class TracepointFormatTest {
    /** The shape of a kernel format file (this one: sched_switch on x86-64 with 6.x kernels). */
    private static final String FORMAT = """
            name: sched_switch
            ID: 316
            format:
            \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
            \tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
            \tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
            \tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

            \tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;
            \tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;
            \tfield:int prev_prio;\toffset:28;\tsize:4;\tsigned:1;
            \tfield:long prev_state;\toffset:32;\tsize:8;\tsigned:1;
            \tfield:char next_comm[16];\toffset:40;\tsize:16;\tsigned:0;
            \tfield:pid_t next_pid;\toffset:56;\tsize:4;\tsigned:1;
            \tfield:int next_prio;\toffset:60;\tsize:4;\tsigned:1;
            """;

    @Test
    void integersOfEverySizeAreLittleEndianAndSignExtended() {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(0, (short) 0xFFFE).put(2, (byte) 0x81).put(3, (byte) 7).putInt(4, 123_456);
        b.put(8, "vcpu-vm0-0".getBytes(StandardCharsets.US_ASCII));
        b.putInt(24, -2).putInt(28, 120).putLong(32, 0x1_0000_0002L).putInt(56, 987_654).putLong(32, -9L);
        byte[] raw = b.array();
        TracepointFormat f = TracepointFormat.parse(FORMAT);
        assertEquals(-2, f.integer(raw, "common_type"), "2 bytes, sign-extended");
        assertEquals(-127, f.integer(raw, "common_flags"), "1 byte, sign-extended");
        assertEquals(7, f.integer(raw, "common_preempt_count"));
        assertEquals(123_456, f.integer(raw, "common_pid"));
        assertEquals(-2, f.integer(raw, "prev_pid"), "4 bytes, sign-extended");
        assertEquals(120, f.integer(raw, "prev_prio"));
        assertEquals(-9L, f.integer(raw, "prev_state"), "8 bytes");
        assertEquals(987_654, f.integer(raw, "next_pid"));
        assertEquals("vcpu-vm0-0", f.string(raw, "prev_comm"));
    }

    @Test
    void aLargeEightByteValueKeepsEveryByte() {
        byte[] raw = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN).putLong(32, 0x0102_0304_0506_0708L).array();
        assertEquals(0x0102_0304_0506_0708L, TracepointFormat.parse(FORMAT).integer(raw, "prev_state"));
    }

    @Test
    void aMissingFieldOrASampleTooShortIsAnError() {
        TracepointFormat f = TracepointFormat.parse(FORMAT);
        assertThrows(IllegalArgumentException.class, () -> f.integer(new byte[64], "no_such_field"));
        assertThrows(IndexOutOfBoundsException.class, () -> f.integer(new byte[30], "prev_state"));
    }
}

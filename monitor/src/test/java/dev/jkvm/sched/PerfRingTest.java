package dev.jkvm.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.bindings.generated.perf_event_mmap_page;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The ring reader on hand-built rings laid out as the kernel lays them out (control page, then the
 * data area; records of header + payload; data_head/data_tail as free-running byte counts), so the
 * wrap-around path, LOST records and corrupt sizes run without a kernel.
 */
class PerfRingTest {
    private static final long HEAD = perf_event_mmap_page.data_head$offset();
    private static final long TAIL = perf_event_mmap_page.data_tail$offset();
    private static final int DATA = 4096;

    /** A kernel-side writer of a ring: appends records at data_head, wrapping around the data area. */
    static final class Writer {
        final MemorySegment mapping;
        long head;

        Writer(MemorySegment mapping) {
            this.mapping = mapping;
        }

        void switchRecord(boolean out, boolean preempt, int tid, long time, int cpu) {
            int misc = (out ? SwitchRecord.MISC_OUT : 0) | (preempt ? SwitchRecord.MISC_PREEMPT : 0);
            MemorySegment r = MemorySegment.ofArray(new byte[8 + SwitchRecord.SAMPLE_ID_SIZE]);
            header(r, SwitchRecord.TYPE, misc);
            sampleId(r, 8, tid, time, cpu);
            write(r);
        }

        void lost(long count, long time) {
            MemorySegment r = MemorySegment.ofArray(new byte[8 + 16 + SwitchRecord.SAMPLE_ID_SIZE]);
            header(r, SwitchRecord.LOST, 0);
            r.set(ValueLayout.JAVA_LONG_UNALIGNED, 8, 7);
            r.set(ValueLayout.JAVA_LONG_UNALIGNED, 16, count);
            sampleId(r, 24, 1, time, 0);
            write(r);
        }

        void raw(int type, int size) {
            MemorySegment r = MemorySegment.ofArray(new byte[Math.max(8, size)]);
            r.set(ValueLayout.JAVA_INT_UNALIGNED, 0, type);
            r.set(ValueLayout.JAVA_SHORT_UNALIGNED, 6, (short) size);
            write(r);
        }

        private static void header(MemorySegment r, int type, int misc) {
            r.set(ValueLayout.JAVA_INT_UNALIGNED, 0, type);
            r.set(ValueLayout.JAVA_SHORT_UNALIGNED, 4, (short) misc);
            r.set(ValueLayout.JAVA_SHORT_UNALIGNED, 6, (short) r.byteSize());
        }

        private static void sampleId(MemorySegment r, long at, int tid, long time, int cpu) {
            r.set(ValueLayout.JAVA_INT_UNALIGNED, at, 4242);
            r.set(ValueLayout.JAVA_INT_UNALIGNED, at + 4, tid);
            r.set(ValueLayout.JAVA_LONG_UNALIGNED, at + 8, time);
            r.set(ValueLayout.JAVA_INT_UNALIGNED, at + 16, cpu);
        }

        private void write(MemorySegment r) {
            for (long i = 0; i < r.byteSize(); i++) {
                mapping.set(ValueLayout.JAVA_BYTE, PerfRing.PAGE + ((head + i) % DATA), r.get(ValueLayout.JAVA_BYTE, i));
            }
            head += r.byteSize();
            mapping.set(ValueLayout.JAVA_LONG, HEAD, head);
        }
    }

    record Seen(int type, SwitchRecord record, long lost, long lostTime) {}

    static List<Seen> drain(PerfRing ring) {
        List<Seen> seen = new ArrayList<>();
        ring.drain((type, misc, r) -> {
            if (type == SwitchRecord.TYPE) seen.add(new Seen(type, SwitchRecord.decode(misc, r), 0, 0));
            else if (type == SwitchRecord.LOST) seen.add(new Seen(type, null, SwitchRecord.lostCount(r), SwitchRecord.lostTime(r)));
            else seen.add(new Seen(type, null, 0, 0));
        });
        return seen;
    }

    @Test
    void recordsStraddlingTheEndOfTheDataAreaAreReadWhole() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mapping = arena.allocate(PerfRing.PAGE + DATA, PerfRing.PAGE);
            PerfRing ring = new PerfRing(mapping, arena, "test ring");
            Writer w = new Writer(mapping);
            long time = 1_000;
            int read = 0, straddled = 0;
            // 32-byte records in a 4096-byte area wrap exactly; start 8 bytes off so some records straddle.
            w.raw(99, 8);
            assertEquals(1, drain(ring).size());
            for (int round = 0; round < 20; round++) {
                for (int i = 0; i < 50; i++) {
                    long at = w.head % DATA;
                    if (at + 8 + SwitchRecord.SAMPLE_ID_SIZE > DATA) straddled++;
                    w.switchRecord(i % 2 == 1, i % 4 == 1, 77, time++, 3);
                }
                List<Seen> seen = drain(ring);
                assertEquals(50, seen.size());
                for (int i = 0; i < 50; i++) {
                    SwitchRecord r = seen.get(i).record();
                    assertEquals(77, r.tid());
                    assertEquals(3, r.cpu());
                    assertEquals(i % 2 == 1, r.out());
                    assertEquals(i % 4 == 1, r.preempted());
                    assertEquals(1_000 + read + i, r.time(), "record " + (read + i) + " out of order or corrupt");
                }
                read += 50;
                assertEquals(w.head, mapping.get(ValueLayout.JAVA_LONG, TAIL), "the reader frees what it read");
            }
            assertTrue(straddled >= 5, "only " + straddled + " records straddled the end");
        }
    }

    @Test
    void aRecordLargerThanTheFirstCopyBufferIsReadWholeAcrossTheEnd() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mapping = arena.allocate(PerfRing.PAGE + DATA, PerfRing.PAGE);
            PerfRing ring = new PerfRing(mapping, arena, "test ring");
            Writer w = new Writer(mapping);
            int big = (int) PerfRing.WRAP_BUFFER * 3;
            w.raw(98, DATA - big / 2); // the next record starts half its size before the end
            assertEquals(1, drain(ring).size());
            // A record of a recognisable pattern that wraps; then a switch record after it still decodes.
            MemorySegment r = MemorySegment.ofArray(new byte[big]);
            for (int i = 8; i < big; i++) r.set(ValueLayout.JAVA_BYTE, i, (byte) i);
            r.set(ValueLayout.JAVA_INT_UNALIGNED, 0, 97);
            r.set(ValueLayout.JAVA_SHORT_UNALIGNED, 6, (short) big);
            for (long i = 0; i < big; i++) {
                mapping.set(ValueLayout.JAVA_BYTE, PerfRing.PAGE + ((w.head + i) % DATA), r.get(ValueLayout.JAVA_BYTE, i));
            }
            w.head += big;
            mapping.set(ValueLayout.JAVA_LONG, HEAD, w.head);
            w.switchRecord(true, false, 9, 500, 1);
            List<byte[]> bodies = new ArrayList<>();
            List<Integer> types = new ArrayList<>();
            ring.drain((type, misc, rec) -> {
                types.add(type);
                bodies.add(rec.toArray(ValueLayout.JAVA_BYTE));
            });
            assertEquals(List.of(97, SwitchRecord.TYPE), types);
            assertEquals(big, bodies.get(0).length);
            for (int i = 8; i < big; i++) assertEquals((byte) i, bodies.get(0)[i], "byte " + i + " of the wrapped record");
        }
    }

    @Test
    void lostRecordsCarryTheirCountAndTime() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mapping = arena.allocate(PerfRing.PAGE + DATA, PerfRing.PAGE);
            PerfRing ring = new PerfRing(mapping, arena, "test ring");
            Writer w = new Writer(mapping);
            w.switchRecord(false, false, 5, 100, 0);
            w.lost(12, 150);
            w.switchRecord(true, true, 5, 200, 0);
            List<Seen> seen = drain(ring);
            assertEquals(3, seen.size());
            assertEquals(SwitchRecord.LOST, seen.get(1).type());
            assertEquals(12, seen.get(1).lost());
            assertEquals(150, seen.get(1).lostTime());
        }
    }

    @Test
    void aRecordSizeThatCannotBeIsAnErrorNotALoop() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mapping = arena.allocate(PerfRing.PAGE + DATA, PerfRing.PAGE);
            PerfRing ring = new PerfRing(mapping, arena, "test ring");
            Writer w = new Writer(mapping);
            w.raw(9, 4); // smaller than its own header
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> drain(ring));
            assertTrue(e.getMessage().contains("corrupt perf ring of test ring"), e.getMessage());
        }
    }

    @Test
    void theDataAreaMustBeAPowerOfTwoOfPages() {
        try (Arena arena = Arena.ofConfined()) {
            assertThrows(IllegalArgumentException.class, () -> new PerfRing(arena.allocate(PerfRing.PAGE * 4), arena, "three pages"));
        }
    }
}

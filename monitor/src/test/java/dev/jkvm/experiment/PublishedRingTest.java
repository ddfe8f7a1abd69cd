package dev.jkvm.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.testing.Property;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The published-ring reader against rings written here, byte by byte, the way a guest would —
 * well-behaved (every entry read back exactly, in order) and hostile (any header: nothing but
 * bounded work, bounded memory and counts).
 */
class PublishedRingTest {
    static final long BASE = 0x1000;
    static final long RAM = 1 << 20;

    /** A guest's view of its ring: writes entries the tsc-probe way (entry first, then the count). */
    static final class GuestRing {
        final MemorySegment ram;
        final long base;
        final long capacity;
        long count;

        GuestRing(MemorySegment ram, long base, long capacity) {
            this.ram = ram;
            this.base = base;
            this.capacity = capacity;
            set(0, PublishedRing.MAGIC);
            set(16, capacity);
            set(24, 0);
        }

        void set(long offset, long value) {
            ram.set(ValueLayout.JAVA_LONG_UNALIGNED, base + offset, value);
        }

        void log(long tsc, long cycles) {
            long at = PublishedRing.HEADER_BYTES + (count % capacity) * PublishedRing.ENTRY_BYTES;
            set(at, tsc);
            set(at + 8, cycles);
            set(24, ++count);
        }
    }

    @Test
    void entriesAreReadOnceInOrderAcrossPolls() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ram = arena.allocate(RAM);
            GuestRing guest = new GuestRing(ram, BASE, 8);
            PublishedRing ring = new PublishedRing("vm0", ram, BASE);
            GapStore store = new GapStore(100);
            for (int i = 0; i < 5; i++) guest.log(1000 + i, 10 + i);
            assertEquals(5, ring.poll(store));
            assertEquals(0, ring.poll(store), "nothing new");
            for (int i = 5; i < 12; i++) guest.log(1000 + i, 10 + i);
            assertEquals(7, ring.poll(store));
            assertEquals(12, store.size());
            for (int i = 0; i < 12; i++) {
                assertEquals(i, store.sequence(i));
                assertEquals(1000 + i, store.tsc(i));
                assertEquals(10 + i, store.cycles(i));
            }
            assertEquals(0, ring.missed());
        }
    }

    @Test
    void aRingOverwrittenBeforeItIsReadCountsTheMissedEntries() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ram = arena.allocate(RAM);
            GuestRing guest = new GuestRing(ram, BASE, 8);
            PublishedRing ring = new PublishedRing("vm0", ram, BASE);
            GapStore store = new GapStore(100);
            for (int i = 0; i < 20; i++) guest.log(i, i);
            assertEquals(8, ring.poll(store), "only the last capacity entries are still there");
            assertEquals(12, ring.missed());
            assertEquals(12, store.sequence(0));
            assertEquals(19, store.tsc(7));
        }
    }

    @Test
    void aHostileCapacityIsNotFollowed() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ram = arena.allocate(RAM);
            GuestRing guest = new GuestRing(ram, BASE, 8);
            PublishedRing ring = new PublishedRing("vm0", ram, BASE);
            GapStore store = new GapStore(1 << 20);
            guest.set(16, 1L << 40);
            guest.set(24, Long.MAX_VALUE);
            assertEquals(0, ring.poll(store));
            assertEquals(1, ring.badHeaders());
            assertTrue(ring.problem().startsWith("capacity 1099511627776 outside 1..65536"), ring.problem());
            // A capacity the reader accepts but whose entries would run past the end of RAM.
            guest.set(16, 65536);
            PublishedRing nearEnd = new PublishedRing("vm1", ram, RAM - 0x100);
            new GuestRing(ram, RAM - 0x100, 65536);
            assertEquals(0, nearEnd.poll(store));
            assertTrue(nearEnd.problem().contains("reach past the end of guest memory"), nearEnd.problem());
        }
    }

    @Test
    void aHugeWriteCountCopiesAtMostOneRingfulPerPoll() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ram = arena.allocate(RAM);
            GuestRing guest = new GuestRing(ram, BASE, 4096);
            PublishedRing ring = new PublishedRing("vm0", ram, BASE);
            GapStore store = new GapStore(1 << 20);
            guest.set(24, Long.MAX_VALUE);
            assertEquals(4096, ring.poll(store));
            assertEquals(Long.MAX_VALUE - 4096, ring.missed());
        }
    }

    @Test
    void theStoreLimitBoundsWhatIsKeptAndCountsTheRest() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ram = arena.allocate(RAM);
            GuestRing guest = new GuestRing(ram, BASE, 4096);
            PublishedRing ring = new PublishedRing("vm0", ram, BASE);
            GapStore store = new GapStore(10_000);
            for (int poll = 0; poll < 10; poll++) {
                for (int i = 0; i < 4096; i++) guest.log(i, i);
                ring.poll(store);
            }
            assertEquals(10_000, store.size());
            assertEquals(40_960 - 10_000, ring.dropped());
        }
    }

    @Test
    void aRingHeaderOutsideMemoryIsRefusedUpFront() {
        assertNull(PublishedRing.placementProblem(0x200000, 4 << 20));
        assertNull(PublishedRing.placementProblem((4 << 20) - 0x40, 4 << 20));
        assertNotNull(PublishedRing.placementProblem((4 << 20) - 0x38, 4 << 20));
        assertNotNull(PublishedRing.placementProblem(-8, 4 << 20));
        assertNotNull(PublishedRing.placementProblem(0x200004, 4 << 20));
        assertNotNull(PublishedRing.placementProblem(Long.MAX_VALUE & ~7, 4 << 20));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ram = arena.allocate(RAM);
            assertThrows(IllegalArgumentException.class, () -> new PublishedRing("vm0", ram, RAM));
        }
    }

    /** Any sequence of headers a guest can write: no exception, at most a ringful a poll, never past the store's limit. */
    @Test
    void anyHeaderIsReadWithBoundedWork() {
        Property.forAll(300, gen -> {
            long base = gen.between(0, (int) (RAM / 8) - 8) * 8L;
            int limit = gen.between(0, 50_000);
            long[] interesting = {PublishedRing.MAX_CAPACITY, PublishedRing.MAX_CAPACITY + 1, 4096};
            List<Long> capacities = gen.list(1, 20, g -> g.anyLong(interesting));
            List<Long> counts = gen.list(1, 20, g -> g.anyLong(interesting));
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment ram = arena.allocate(RAM);
                PublishedRing ring = new PublishedRing("vm0", ram, base);
                GapStore store = new GapStore(limit);
                ram.set(ValueLayout.JAVA_LONG_UNALIGNED, base, PublishedRing.MAGIC);
                for (int i = 0; i < Math.max(capacities.size(), counts.size()); i++) {
                    ram.set(ValueLayout.JAVA_LONG_UNALIGNED, base + 16, capacities.get(i % capacities.size()));
                    ram.set(ValueLayout.JAVA_LONG_UNALIGNED, base + 24, counts.get(i % counts.size()));
                    int copied = ring.poll(store);
                    assertTrue(copied >= 0 && copied <= PublishedRing.MAX_CAPACITY, "copied " + copied);
                    assertTrue(store.size() <= limit, store.size() + " > " + limit);
                }
                assertTrue(ring.missed() >= 0 && ring.dropped() >= 0, "counts " + ring.missed() + ", " + ring.dropped());
            }
        });
    }

    /** A well-behaved guest writing bursts of any size: every entry still in the ring is read, exactly once, in order. */
    @Test
    void aWellBehavedRingIsReadExactly() {
        Property.forAll(200, gen -> {
            int capacity = gen.between(1, 64);
            List<Integer> bursts = gen.list(1, 30, g -> g.between(0, 100));
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment ram = arena.allocate(RAM);
                GuestRing guest = new GuestRing(ram, BASE, capacity);
                PublishedRing ring = new PublishedRing("vm0", ram, BASE);
                GapStore store = new GapStore(1 << 16);
                long expectedMissed = 0;
                for (int burst : bursts) {
                    for (int i = 0; i < burst; i++) guest.log(guest.count * 3, guest.count * 5);
                    expectedMissed += Math.max(0, burst - capacity);
                    ring.poll(store);
                }
                assertEquals(expectedMissed, ring.missed());
                assertEquals(guest.count - expectedMissed, store.size());
                long previous = -1;
                for (int i = 0; i < store.size(); i++) {
                    long seq = store.sequence(i);
                    assertTrue(seq > previous, "in order, each once");
                    assertEquals(seq * 3, store.tsc(i));
                    assertEquals(seq * 5, store.cycles(i));
                    previous = seq;
                }
            }
        });
    }
}

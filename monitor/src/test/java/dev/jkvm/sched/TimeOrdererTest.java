package dev.jkvm.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TimeOrdererTest {
    final List<String> released = new ArrayList<>();
    final TimeOrderer<String> orderer = new TimeOrderer<>(new TimeOrderer.Sink<>() {
        @Override
        public void inOrder(long time, String item) {
            released.add(time + ":" + item);
        }

        @Override
        public void late(long time, String item, long behind) {
            released.add("LATE " + time + ":" + item + " behind " + behind);
        }
    });

    @Test
    void interleavedRingsComeOutInTimeOrderUpToTheHorizon() {
        // Two rings drained one after the other: ring A's records, then ring B's.
        orderer.add(10, "a1");
        orderer.add(30, "a2");
        orderer.add(50, "a3");
        orderer.add(20, "b1");
        orderer.add(40, "b2");
        orderer.release(35);
        assertEquals(List.of("10:a1", "20:b1", "30:a2"), released);
        assertEquals(2, orderer.waiting());
        orderer.add(45, "b3");
        orderer.release(100);
        assertEquals(List.of("10:a1", "20:b1", "30:a2", "40:b2", "45:b3", "50:a3"), released);
        assertEquals(0, orderer.lateCount());
    }

    @Test
    void equalTimesKeepTheirArrivalOrder() {
        orderer.add(5, "first");
        orderer.add(5, "second");
        orderer.add(5, "third");
        orderer.releaseAll();
        assertEquals(List.of("5:first", "5:second", "5:third"), released);
    }

    @Test
    void aRecordOlderThanOneReleasedIsLateMarkedAndCounted() {
        orderer.add(10, "x");
        orderer.add(20, "y");
        orderer.release(25);
        orderer.add(15, "straggler");
        orderer.add(20, "tie"); // not older than the last released: in order
        orderer.releaseAll();
        assertEquals(List.of("10:x", "20:y", "LATE 15:straggler behind 5", "20:tie"), released);
        assertEquals(1, orderer.lateCount());
    }

    @Test
    void nothingAfterTheHorizonIsReleasedEvenIfItArrivedFirst() {
        orderer.add(100, "early arrival, late time");
        orderer.release(99);
        assertEquals(List.of(), released);
        orderer.add(60, "later arrival, earlier time");
        orderer.release(100);
        assertEquals(List.of("60:later arrival, earlier time", "100:early arrival, late time"), released);
        assertEquals(0, orderer.lateCount());
    }
}

package dev.jkvm.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The Linux workload watch on console bytes written by this test: it passes every byte on and reads schedstat at both lines. */
class LinuxWorkloadWatchTest {
    @Test
    void readsTheHostWaitAtReadyAndSummaryAndTheGuestStealFromTheSummary() {
        ByteArrayOutputStream passed = new ByteArrayOutputStream();
        LinuxWorkloadWatch watch = new LinuxWorkloadWatch(b -> passed.write(b));
        String text = "[    1.0] boot\r\njkvm-linux: ready, work=cpu for 1 s\njkvm-linux: progress 5\n"
                + "jkvm-linux: summary work=cpu elapsed_ms=1000 iterations=5 steal_ms=420\n";
        byte[] half = text.substring(0, 40).getBytes(StandardCharsets.US_ASCII);
        for (byte b : half) watch.write(b);
        assertNull(watch.steal(), "no summary yet");
        for (byte b : text.substring(40).getBytes(StandardCharsets.US_ASCII)) watch.write(b);
        assertEquals(text, passed.toString(StandardCharsets.US_ASCII));
        LinuxSteal s = watch.steal();
        assertEquals(420, s.guestStealMs());
        assertTrue(s.hostWaitNanos() >= 0, "schedstat of this thread: " + s.hostWaitNanos());
    }

    @Test
    void toleranceIsTwoTicksPlusTenPercent() {
        assertTrue(new LinuxSteal(1000, 1_050_000_000L).agree());
        assertEquals(125, new LinuxSteal(0, 1_050_000_000L).toleranceMs());
        assertFalse(new LinuxSteal(800, 1_050_000_000L).agree());
        assertTrue(new LinuxSteal(15, 0).agree());
    }
}

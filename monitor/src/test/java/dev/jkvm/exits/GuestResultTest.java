package dev.jkvm.exits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GuestResultTest {
    @Test
    void cleanForEachKind() {
        assertTrue(new GuestResult.Halted().clean());
        assertTrue(new GuestResult.Exited(0).clean());
        assertFalse(new GuestResult.Exited(1).clean());
        assertFalse(new GuestResult.Exited(0xFFFF_FFFFL).clean());
        assertTrue(new GuestResult.Stopped("duration elapsed").clean());
        assertFalse(new GuestResult.Faulted("SHUTDOWN", "").clean());
        assertFalse(new GuestResult.MonitorError("boom").clean());
    }

    @Test
    void describeForEachKind() {
        assertEquals("halted", new GuestResult.Halted().describe());
        assertEquals("exited with status 7", new GuestResult.Exited(7).describe());
        assertEquals("stopped (duration elapsed)", new GuestResult.Stopped("duration elapsed").describe());
        assertEquals("faulted: SHUTDOWN", new GuestResult.Faulted("SHUTDOWN", "").describe());
        assertEquals("faulted: SHUTDOWN (triple fault)", new GuestResult.Faulted("SHUTDOWN", "triple fault").describe());
        assertEquals("monitor error: boom", new GuestResult.MonitorError("boom").describe());
    }
}

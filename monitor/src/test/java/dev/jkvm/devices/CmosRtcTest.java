package dev.jkvm.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** The CMOS clock: BCD time of its clock, never "update in progress", selected through the index port. */
class CmosRtcTest {
    private static int reg(CmosRtc rtc, int index) {
        assertEquals(PortDevice.CONTINUE, rtc.write(CmosRtc.INDEX_PORT, 1, index | 0x80));
        return rtc.read(CmosRtc.DATA_PORT, 1);
    }

    @Test
    void readsTheClocksTimeInBcd() {
        CmosRtc rtc = new CmosRtc(Clock.fixed(Instant.parse("2026-11-26T19:58:07Z"), ZoneOffset.UTC));
        assertEquals(0x07, reg(rtc, 0x0));
        assertEquals(0x58, reg(rtc, 0x2));
        assertEquals(0x19, reg(rtc, 0x4));
        assertEquals(0x26, reg(rtc, 0x7));
        assertEquals(0x11, reg(rtc, 0x8));
        assertEquals(0x26, reg(rtc, 0x9));
        assertEquals(0x20, reg(rtc, 0x32));
        assertEquals(5, reg(rtc, 0x6), "Thursday is day 5 counting Sunday as 1");
        assertEquals(0, reg(rtc, 0xA) & 0x80, "never an update in progress");
        assertEquals(0x80, reg(rtc, 0xD));
        assertEquals(0, reg(rtc, 0x40));
    }
}

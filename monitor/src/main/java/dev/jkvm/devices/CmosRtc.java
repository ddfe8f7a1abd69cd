package dev.jkvm.devices;

import java.time.Clock;
import java.time.ZonedDateTime;

/**
 * A read-only MC146818 CMOS clock at ports 0x70 (index) and 0x71 (data), for Linux guests. Why: an
 * absent RTC reads all ones, and all ones in register A means "update in progress" for ever, which
 * Linux's rtc_cmos driver waits out port read by port read. Here the time registers give the host's
 * UTC time in BCD, 24-hour mode, never updating (register A bit 7 clear), the battery good (register
 * D bit 7); every other register reads 0 and writes to the data port are dropped.
 */
public final class CmosRtc implements PortDevice {
    public static final int INDEX_PORT = 0x70, DATA_PORT = 0x71;
    static final int SECONDS = 0x0, MINUTES = 0x2, HOURS = 0x4, WEEKDAY = 0x6, DAY = 0x7, MONTH = 0x8, YEAR = 0x9,
            REG_A = 0xA, REG_B = 0xB, REG_D = 0xD, CENTURY = 0x32;
    /** Register A: 32.768 kHz time base, 1024 Hz rate, no update in progress. */
    static final int REG_A_VALUE = 0x26;
    /** Register B: 24-hour mode, BCD, no interrupts enabled. */
    static final int REG_B_VALUE = 0x02;
    /** Register D: valid RAM and time (battery good). */
    static final int REG_D_VALUE = 0x80;

    private final Clock clock;
    private int index;

    public CmosRtc(Clock clock) {
        this.clock = clock;
    }

    @Override
    public int read(int port, int size) {
        if (port == INDEX_PORT) return index;
        ZonedDateTime t = ZonedDateTime.now(clock);
        return switch (index) {
            case SECONDS -> bcd(t.getSecond());
            case MINUTES -> bcd(t.getMinute());
            case HOURS -> bcd(t.getHour());
            case WEEKDAY -> bcd(t.getDayOfWeek().getValue() % 7 + 1);
            case DAY -> bcd(t.getDayOfMonth());
            case MONTH -> bcd(t.getMonthValue());
            case YEAR -> bcd(t.getYear() % 100);
            case CENTURY -> bcd(t.getYear() / 100);
            case REG_A -> REG_A_VALUE;
            case REG_B -> REG_B_VALUE;
            case REG_D -> REG_D_VALUE;
            default -> 0;
        };
    }

    @Override
    public long write(int port, int size, int value) {
        if (port == INDEX_PORT) index = value & 0x7f; // bit 7 masks NMIs on a PC; nothing to mask here
        return CONTINUE;
    }

    static int bcd(int v) {
        return (v / 10) << 4 | v % 10;
    }
}

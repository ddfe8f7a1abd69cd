package dev.jkvm.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** COM1's interrupt output as a 16550 drives it: THRE after IER enables it and after each byte. */
class Com1InterruptTest {
    private static final int THR = Com1Serial.BASE, IER = Com1Serial.BASE + 1, IIR = Com1Serial.BASE + 2, LCR = Com1Serial.BASE + 3;

    private final List<Boolean> levels = new ArrayList<>();
    private final StringBuilder printed = new StringBuilder();
    private final Com1Serial com1 = new Com1Serial(b -> printed.append((char) b), levels::add);

    private boolean line() {
        return !levels.isEmpty() && levels.get(levels.size() - 1);
    }

    @Test
    void noInterruptUntilIerEnablesOne() {
        com1.write(THR, 1, 'a');
        assertEquals(false, line());
        assertEquals(Com1Serial.IIR_NONE, com1.read(IIR, 1));
    }

    @Test
    void enablingThreRaisesTheLineAndReadingIirAcknowledgesIt() {
        com1.write(IER, 1, Com1Serial.IER_THRE);
        assertEquals(true, line(), "THR is empty: THRE is pending at once");
        assertEquals(Com1Serial.IIR_THRE, com1.read(IIR, 1));
        assertEquals(false, line(), "reading IIR that names THRE clears it");
        assertEquals(Com1Serial.IIR_NONE, com1.read(IIR, 1));
    }

    @Test
    void everyTransmittedByteGivesAFreshEdge() {
        com1.write(IER, 1, Com1Serial.IER_THRE);
        com1.read(IIR, 1);
        levels.clear();
        com1.write(THR, 1, 'x');
        com1.write(THR, 1, 'y');
        // The write clears THRE (line low); the byte leaves at once and THRE is pending again (line high).
        assertEquals(List.of(false, true, false, true), levels);
        assertEquals("xy", printed.toString());
    }

    @Test
    void disablingThreLowersTheLine() {
        com1.write(IER, 1, Com1Serial.IER_THRE);
        com1.write(IER, 1, 0);
        assertEquals(false, line());
    }

    @Test
    void theDivisorLatchIsNotOutput() {
        com1.write(LCR, 1, 0x83); // DLAB, 8N1
        com1.write(THR, 1, 0x01); // divisor low: 115200 baud
        com1.write(IER, 1, 0x00); // divisor high
        com1.write(LCR, 1, 0x03);
        assertEquals("", printed.toString());
        assertEquals(0, com1.bytesWritten());
        com1.write(LCR, 1, 0x83);
        assertEquals(0x01, com1.read(THR, 1), "DLL reads back under DLAB");
        com1.write(LCR, 1, 0x03);
        com1.write(THR, 1, 'k');
        assertEquals("k", printed.toString());
    }
}

package dev.jkvm.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SerialConsoleTest {
    private final StringWriter terminal = new StringWriter();
    private final SerialConsole console = new SerialConsole("vm0", new PrintWriter(terminal));
    private static final String NL = System.lineSeparator();

    private void write(SerialConsole c, String s) {
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) c.write(b);
    }

    @Test
    void completeLinesArePrefixedWithTheVmName() {
        write(console, "Hello\nworld\n");
        assertEquals("vm0| Hello" + NL + "vm0| world" + NL, terminal.toString());
    }

    @Test
    void nothingIsPrintedBeforeTheNewline() {
        write(console, "partial");
        assertEquals("", terminal.toString());
        write(console, "\n");
        assertEquals("vm0| partial" + NL, terminal.toString());
    }

    @Test
    void carriageReturnsAreDroppedFromTheTerminalButKeptInTheText() {
        write(console, "a\r\nb\rc\n");
        assertEquals("vm0| a" + NL + "vm0| bc" + NL, terminal.toString());
        assertEquals("a\r\nb\rc\n", console.text(), "text() is everything the guest wrote, exactly");
    }

    @Test
    void emptyLinesArePrintedAsJustThePrefix() {
        write(console, "\n\n");
        assertEquals("vm0| " + NL + "vm0| " + NL, terminal.toString());
    }

    @Test
    void utf8IsDecodedPerLine() {
        write(console, "grüße ✓\n");
        assertEquals("vm0| grüße ✓" + NL, terminal.toString());
        assertEquals("grüße ✓\n", console.text());
    }

    @Test
    void finishPrintsTheUnterminatedLastLineOnce() {
        write(console, "done\nno newline");
        console.finish();
        console.finish();
        assertEquals("vm0| done" + NL + "vm0| no newline" + NL, terminal.toString());
        assertEquals("done\nno newline", console.text());
    }

    @Test
    void finishAfterACompleteLinePrintsNothing() {
        write(console, "done\n");
        console.finish();
        assertEquals("vm0| done" + NL, terminal.toString());
    }

    @Test
    void aLineLongerThan4096BytesIsSplit() {
        String longLine = "x".repeat(4096) + "y".repeat(10);
        write(console, longLine + "\n");
        assertEquals("vm0| " + "x".repeat(4096) + NL + "vm0| " + "y".repeat(10) + NL, terminal.toString());
        assertEquals(longLine + "\n", console.text());
    }

    @Test
    void aGuestThatNeverPrintsANewlineIsStreamedIn4096ByteChunks() {
        write(console, "z".repeat(3 * 4096));
        // Full chunks are printed when the next byte arrives; the last one by finish().
        assertEquals(("vm0| " + "z".repeat(4096) + NL).repeat(2), terminal.toString());
        console.finish();
        assertEquals(("vm0| " + "z".repeat(4096) + NL).repeat(3), terminal.toString());
    }

    @Test
    void aLineOfExactly4096BytesIsPrintedOnce() {
        write(console, "x".repeat(4096) + "\n");
        assertEquals("vm0| " + "x".repeat(4096) + NL, terminal.toString());
    }

    @Test
    void withoutATerminalTheTextIsStillKept() {
        SerialConsole quiet = new SerialConsole("vm1", null);
        write(quiet, "Hello\r\nno newline");
        quiet.finish();
        assertEquals("Hello\r\nno newline", quiet.text());
    }

    @Test
    void twoConsolesOnOneTerminalKeepTheirPrefixes() {
        SerialConsole other = new SerialConsole("vm1", new PrintWriter(terminal));
        write(console, "from ");
        write(other, "one\n");
        write(console, "zero\n");
        assertEquals("vm1| one" + NL + "vm0| from zero" + NL, terminal.toString());
    }

    @Test
    void aFloodKeepsOnlyTheTailAndCountsTheRest() {
        SerialConsole quiet = new SerialConsole("vm0", null);
        long flood = 10L << 20; // 10 MiB, as in issue 8
        for (long i = 0; i < flood; i++) quiet.write((byte) ('a' + i % 26));
        quiet.write((byte) '!');
        assertEquals(flood + 1, quiet.bytesWritten());
        assertEquals(flood + 1 - SerialConsole.TAIL_BYTES, quiet.bytesDropped());
        String text = quiet.text();
        String head = "[jkvm: " + (flood + 1 - SerialConsole.TAIL_BYTES) + " earlier bytes of serial output not kept]\n";
        assertEquals(head.length() + SerialConsole.TAIL_BYTES, text.length());
        assertEquals(head, text.substring(0, head.length()));
        assertEquals('!', text.charAt(text.length() - 1), "the newest byte is last");
        // The byte before the '!' is byte flood-1 of the pattern.
        assertEquals((char) ('a' + (flood - 1) % 26), text.charAt(text.length() - 2));
    }

    @Test
    void exactlyTheTailIsKeptWhole() {
        SerialConsole quiet = new SerialConsole("vm0", null);
        for (int i = 0; i < SerialConsole.TAIL_BYTES; i++) quiet.write((byte) 'x');
        assertEquals("x".repeat(SerialConsole.TAIL_BYTES), quiet.text());
        assertEquals(0, quiet.bytesDropped());
    }
}

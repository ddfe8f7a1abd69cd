package dev.jkvm.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SizesTest {
    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource({
        "4M, 4194304",
        "512K, 524288",
        "1G, 1073741824",
        "4096, 4096",
        "4MiB, 4194304",
        "4mib, 4194304",
        "4m, 4194304",
        "4MB, 4194304",
        "512KiB, 524288",
        "' 8M ', 8388608",
        "'4 M', 4194304",
        "8G, 8589934592",
    })
    void parsesBinaryUnits(String text, long bytes) {
        assertEquals(bytes, Sizes.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "abc", "M", "MiB", "B", "4T", "1.5M", "0x1000", "4 MB extra", "99999999999G", "--4M"})
    void rejectsWhatIsNotASize(String text) {
        UsageException e = assertThrows(UsageException.class, () -> Sizes.parse(text));
        assertEquals("not a size: '" + text + "' (examples: 4M, 512K, 1G)", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "0M", "-4M", "-1"})
    void rejectsSizesThatAreNotPositive(String text) {
        UsageException e = assertThrows(UsageException.class, () -> Sizes.parse(text));
        assertEquals("size must be positive: '" + text + "'", e.getMessage());
    }

    @Test
    void plainBytesWithBSuffix() {
        assertEquals(4096, Sizes.parse("4096B"));
    }

    @Test
    void formatUsesTheLargestExactBinaryUnit() {
        assertEquals("4 MiB", Sizes.format(4L << 20));
        assertEquals("512 KiB", Sizes.format(512L << 10));
        assertEquals("1 GiB", Sizes.format(1L << 30));
        assertEquals("3 GiB", Sizes.format(3L << 30));
        assertEquals("4 KiB", Sizes.format(4096));
        assertEquals("1536 KiB", Sizes.format(1536L << 10));
        assertEquals("1000 B", Sizes.format(1000));
        assertEquals("1 B", Sizes.format(1));
    }

    @Test
    void formatAndParseRoundTrip() {
        for (long n : new long[] {4096, 1L << 20, 3L << 30, 1536L << 10, 12345}) {
            String f = Sizes.format(n);
            assertTrue(f.endsWith("iB") || f.endsWith(" B"), f);
            String compact = f.replace(" ", "").replace("B", "").replace("i", "");
            assertEquals(n, Sizes.parse(compact), f);
        }
    }
}

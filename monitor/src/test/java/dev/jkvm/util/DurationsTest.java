package dev.jkvm.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {
    @ParameterizedTest(name = "{0} = {1} ns")
    @CsvSource({
        "500ms, 500000000",
        "5s, 5000000000",
        "2m, 120000000000",
        "1h, 3600000000000",
        "1.5s, 1500000000",
        "0.5ms, 500000",
        "250us, 250000",
        "3, 3000000000",
        "0.25, 250000000",
        "' 5 S ', 5000000000",
        "10MS, 10000000",
    })
    void parsesWhatUsersWrite(String text, long nanos) {
        assertEquals(Duration.ofNanos(nanos), Durations.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "soon", "5x", "-5s", "s", "1.s", ".5s", "5 s s", "1e3", "5 seconds", "1,5s"})
    void rejectsWhatIsNotADuration(String text) {
        UsageException e = assertThrows(UsageException.class, () -> Durations.parse(text));
        assertEquals("not a duration: '" + text + "' (examples: 500ms, 5s, 2m)", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "0s", "0.0ms", "0us"})
    void rejectsZero(String text) {
        UsageException e = assertThrows(UsageException.class, () -> Durations.parse(text));
        assertEquals("duration must be positive: '" + text + "'", e.getMessage());
    }

    @Test
    void decimalDurationsAreExact() {
        assertEquals(Duration.ofMillis(2010), Durations.parse("2.01s"));
        assertEquals(Duration.ofNanos(2_010_000), Durations.parse("2.01ms"));
        assertEquals(Duration.ofMillis(34_200), Durations.parse("0.57m"));
    }

    @Test
    void aDurationBelowOneNanosecondIsNotPositive() {
        assertThrows(UsageException.class, () -> Durations.parse("0.0001us"));
    }

    @Test
    void formatPicksSecondsMillisecondsOrMicroseconds() {
        assertEquals("1.500 s", Durations.format(Duration.ofMillis(1500)));
        assertEquals("1.000 s", Durations.format(Duration.ofSeconds(1)));
        assertEquals("120.000 s", Durations.format(Duration.ofMinutes(2)));
        assertEquals("250.0 ms", Durations.format(Duration.ofMillis(250)));
        assertEquals("1.0 ms", Durations.format(Duration.ofMillis(1)));
        assertEquals("12.0 µs", Durations.format(Duration.ofNanos(12_000)));
        assertEquals("0.5 µs", Durations.format(Duration.ofNanos(500)));
        assertEquals("0.0 µs", Durations.format(Duration.ZERO));
    }

    @ParameterizedTest
    @ValueSource(strings = {"99999999999h", "8761h", "366d0", "1000000000000000000000s"})
    void rejectsMoreThanAYear(String text) {
        UsageException e = assertThrows(UsageException.class, () -> Durations.parse(text));
        String expected = text.endsWith("d0") ? "not a duration: '" + text + "' (examples: 500ms, 5s, 2m)"
                : "duration too long: '" + text + "' (at most 365 days, 8760h)";
        assertEquals(expected, e.getMessage());
    }

    @Test
    void aYearIsTheLongest() {
        assertEquals(Duration.ofDays(365), Durations.parse("8760h"));
    }
}

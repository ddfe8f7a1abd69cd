package dev.jkvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jkvm.util.UsageException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** --cmdline: common text for every VM, vmI=TEXT for one. */
class LinuxCommandLinesTest {
    @Test
    void commonTextGoesToEveryVmAndPerVmTextToItsVm() {
        assertEquals(List.of("loglevel=7 init=/nonexistent", "loglevel=7"),
                LinuxCommandLines.perVm(List.of("loglevel=7", "vm0=init=/nonexistent"), 2));
        assertEquals(List.of("", ""), LinuxCommandLines.perVm(List.of(), 2));
        assertEquals(List.of("a=b c=d"), LinuxCommandLines.perVm(List.of("vm0=a=b", "vm0=c=d"), 1));
    }

    @Test
    void aVmTheRunDoesNotHaveIsAUsageError() {
        UsageException e = assertThrows(UsageException.class, () -> LinuxCommandLines.perVm(List.of("vm2=x"), 2));
        assertEquals("--cmdline names vm2 but the run has vm0..vm1", e.getMessage());
    }
}

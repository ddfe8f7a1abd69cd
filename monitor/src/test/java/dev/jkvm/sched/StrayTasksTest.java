package dev.jkvm.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class StrayTasksTest {
    @Test
    void namesAreGivenOnceWithTheirCountInFirstSeenOrder() {
        assertEquals("kvm-nx-lpage-re ×3, C2 CompilerThre, jkvm-recorder ×2",
                StrayTasks.countedNames(List.of("kvm-nx-lpage-re", "C2 CompilerThre", "kvm-nx-lpage-re", "jkvm-recorder",
                        "kvm-nx-lpage-re", "jkvm-recorder")));
        assertEquals("", StrayTasks.countedNames(List.of()));
        assertEquals("main", StrayTasks.countedNames(List.of("main")));
    }
}

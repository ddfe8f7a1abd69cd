package dev.jkvm.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jkvm.analysis.expect.Metrics;
import dev.jkvm.exits.ExitReason;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The exit reasons an expectation may name (the analysis module's list, which cannot see the monitor's
 * enum) are exactly the names jkvm gives exits: ExitReason's, whose codes come from the generated KVM
 * bindings, and "other" for codes without a name (ExitStats).
 */
class ExitReasonNamesTest {
    @Test
    void expectationsKnowEveryExitReasonJkvmWrites() {
        List<String> written = new ArrayList<>();
        for (ExitReason r : ExitReason.values()) written.add(r.name());
        written.add("other");
        assertEquals(written, Metrics.EXIT_REASONS);
    }
}

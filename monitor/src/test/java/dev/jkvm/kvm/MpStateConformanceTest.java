package dev.jkvm.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The hand-written {@link MpState} numbers against gcc and {@code <linux/kvm.h>} (the bound header does
 * not carry them). Same {@code -Djkvm.kernelHeaders=DIR:DIR} as the bindings' LayoutConformanceTest. No KVM.
 */
class MpStateConformanceTest {

    @Test
    void ioctlNumbersStatesAndSizeAreTheKernelHeaders() throws Exception {
        Map<String, Long> c = gcc("""
                #include <stdio.h>
                #include <linux/kvm.h>
                int main(void) {
                    printf("set %lu\\n", (unsigned long) KVM_SET_MP_STATE);
                    printf("get %lu\\n", (unsigned long) KVM_GET_MP_STATE);
                    printf("runnable %d\\n", KVM_MP_STATE_RUNNABLE);
                    printf("uninitialized %d\\n", KVM_MP_STATE_UNINITIALIZED);
                    printf("size %zu\\n", sizeof(struct kvm_mp_state));
                    return 0;
                }
                """);
        assertEquals(c.get("set"), MpState.KVM_SET_MP_STATE, "KVM_SET_MP_STATE");
        assertEquals(c.get("get"), MpState.KVM_GET_MP_STATE, "KVM_GET_MP_STATE");
        assertEquals(c.get("runnable"), MpState.RUNNABLE, "KVM_MP_STATE_RUNNABLE");
        assertEquals(c.get("uninitialized"), MpState.UNINITIALIZED, "KVM_MP_STATE_UNINITIALIZED");
        assertEquals(c.get("size"), MpState.BYTES, "sizeof(struct kvm_mp_state)");
    }

    private static Map<String, Long> gcc(String source) throws Exception {
        Path dir = Files.createTempDirectory("jkvm-mp-state-");
        try {
            Path src = dir.resolve("mp.c"), bin = dir.resolve("mp");
            Files.writeString(src, source);
            List<String> cmd = new ArrayList<>(List.of(System.getenv().getOrDefault("CC", "gcc"), "-std=gnu11"));
            String headers = System.getProperty("jkvm.kernelHeaders", "").trim();
            if (!headers.isEmpty()) for (String d : headers.split(File.pathSeparator)) cmd.addAll(List.of("-isystem", d));
            cmd.addAll(List.of("-o", bin.toString(), src.toString()));
            exec(cmd);
            Map<String, Long> values = new HashMap<>();
            for (String line : exec(List.of(bin.toString())).split("\n")) {
                String[] kv = line.trim().split(" ");
                if (kv.length == 2) values.put(kv[0], Long.parseUnsignedLong(kv[1]));
            }
            return values;
        } finally {
            for (String f : new String[] {"mp.c", "mp"}) Files.deleteIfExists(dir.resolve(f));
            Files.deleteIfExists(dir);
        }
    }

    private static String exec(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command.get(0) + " timed out");
        }
        if (p.exitValue() != 0) throw new AssertionError(String.join(" ", command) + " failed (exit " + p.exitValue() + "):\n" + out);
        return out;
    }
}

package dev.jkvm.sched;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.bindings.generated.LinuxHeaders;
import java.io.File;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The hand-written perf pieces against gcc and {@code <linux/perf_event.h>}, as the generated
 * layouts are checked by the bindings' LayoutConformanceTest. jextract skips bitfields and the
 * record layouts exist only as comments in the header, so these are the places a wrong number could
 * hide:
 * <ul>
 *   <li>the flag bits of struct perf_event_attr: C sets each named bitfield and prints the 64-bit
 *       word at jkvm's {@link PerfAttributes#FLAGS_OFFSET}; and C decodes, by bitfield name, the very
 *       bytes {@link PerfAttributes} hands the kernel;</li>
 *   <li>the records: C builds PERF_RECORD_SWITCH, PERF_RECORD_LOST and PERF_RECORD_SAMPLE records from
 *       the header's types, constants and documented field order for jkvm's sample_type, and jkvm's
 *       decoders ({@link SwitchRecord}, {@link ProbeSample}) must read back what C wrote.</li>
 * </ul>
 * Uses the same {@code -Djkvm.kernelHeaders=DIR:DIR} as LayoutConformanceTest to run against
 * another header tree. No KVM needed.
 */
class PerfLayoutConformanceTest {

    /** Every perf_event_attr bitfield that exists since Linux 5.13 (sigtrap), declaration order. */
    static final List<String> BITFIELDS = List.of("disabled", "inherit", "pinned", "exclusive", "exclude_user",
            "exclude_kernel", "exclude_hv", "exclude_idle", "mmap", "comm", "freq", "inherit_stat", "enable_on_exec",
            "task", "watermark", "precise_ip", "mmap_data", "sample_id_all", "exclude_host", "exclude_guest",
            "exclude_callchain_kernel", "exclude_callchain_user", "mmap2", "comm_exec", "use_clockid", "context_switch",
            "write_backward", "namespaces", "ksymbol", "bpf_event", "aux_output", "cgroup", "text_poke", "build_id",
            "inherit_thread", "remove_on_exec", "sigtrap");

    /** The flag constants jkvm writes, by the C bitfield name each stands for. */
    static final Map<String, Long> JKVM_FLAGS = Map.of(
            "disabled", PerfAttributes.DISABLED,
            "exclude_kernel", PerfAttributes.EXCLUDE_KERNEL,
            "exclude_hv", PerfAttributes.EXCLUDE_HV,
            "sample_id_all", PerfAttributes.SAMPLE_ID_ALL,
            "use_clockid", PerfAttributes.USE_CLOCKID,
            "context_switch", PerfAttributes.CONTEXT_SWITCH);

    private static final int PID = 0x1234567, TID = 0x2345678, CPU = 5;
    private static final long TIME = 0x0123_4567_89ab_cdefL, LOST = 4242;
    private static final byte[] RAW = "tracepoint-raw-data".getBytes(StandardCharsets.US_ASCII);

    private static Map<String, String> gcc;
    private static byte[] flippedFlagsAttr;

    @BeforeAll
    static void runGcc() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment switches = PerfAttributes.contextSwitches(arena);
            MemorySegment hits = PerfAttributes.everyHit(arena, LinuxHeaders.PERF_TYPE_TRACEPOINT(), 77, true);
            // The context-switch attr with its flag word shifted by one bit: C must see different flags.
            MemorySegment flipped = arena.allocate(switches.byteSize());
            flipped.copyFrom(switches);
            PerfAttributes.setFlags(flipped, PerfAttributes.flags(switches) << 1);
            flippedFlagsAttr = flipped.toArray(ValueLayout.JAVA_BYTE);
            gcc = run(program(switches.toArray(ValueLayout.JAVA_BYTE), hits.toArray(ValueLayout.JAVA_BYTE), flippedFlagsAttr));
        }
    }

    @Test
    void flagBitsAreTheBitfieldsOfTheHeader() {
        for (Map.Entry<String, Long> flag : JKVM_FLAGS.entrySet()) {
            long word = Long.parseUnsignedLong(gcc.get("bit." + flag.getKey()));
            assertEquals(flag.getValue(), word, flag.getKey() + ": C sets 0x" + Long.toHexString(word)
                    + " in the word at offset " + PerfAttributes.FLAGS_OFFSET + ", jkvm uses 0x" + Long.toHexString(flag.getValue()));
        }
        assertEquals(PerfAttributes.FLAGS_OFFSET, Long.parseLong(gcc.get("flags_word_offset")),
                "the bitfield word follows read_format");
    }

    @Test
    void cReadsTheContextSwitchAttributesJkvmOpens() {
        Map<String, Long> attr = decoded("switches");
        assertEquals(LinuxHeaders.PERF_TYPE_SOFTWARE(), attr.get("type"));
        assertEquals(LinuxHeaders.PERF_COUNT_SW_DUMMY(), attr.get("config"));
        assertEquals(PerfAttributes.SAMPLE_TYPE, attr.get("sample_type"));
        assertEquals(LinuxHeaders.CLOCK_MONOTONIC(), attr.get("clockid"));
        assertOnlyFlags(attr, Set.of("exclude_kernel", "exclude_hv", "sample_id_all", "use_clockid", "context_switch"));
    }

    @Test
    void cReadsTheProbeAttributesJkvmOpens() {
        Map<String, Long> attr = decoded("hits");
        assertEquals(LinuxHeaders.PERF_TYPE_TRACEPOINT(), attr.get("type"));
        assertEquals(77L, attr.get("config"));
        assertEquals(1L, attr.get("sample_period"));
        assertEquals(PerfAttributes.SAMPLE_TYPE | LinuxHeaders.PERF_SAMPLE_RAW(), attr.get("sample_type"));
        assertOnlyFlags(attr, Set.of("sample_id_all", "use_clockid"));
    }

    /** The C side really reads the bytes jkvm gave it: a shifted flag word decodes differently. */
    @Test
    void aWrongFlagWordIsSeen() {
        Map<String, Long> right = decoded("switches");
        Map<String, Long> wrong = decoded("flipped");
        assertNotEquals(right, wrong);
        // Bits 5, 6, 18, 25, 26 moved up by one: exclude_kernel (5) is clear, write_backward (27) set.
        assertEquals(0L, wrong.get("exclude_kernel"));
        assertEquals(1L, wrong.get("write_backward"));
    }

    @Test
    void switchRecordDecodesWhatCWrote() {
        byte[] record = bytes("record.switch_out_preempt");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment r = arena.allocate(record.length);
            r.copyFrom(MemorySegment.ofArray(record));
            assertEquals(SwitchRecord.TYPE, r.get(ValueLayout.JAVA_INT_UNALIGNED, 0));
            int misc = Short.toUnsignedInt(r.get(ValueLayout.JAVA_SHORT_UNALIGNED, 4));
            assertEquals(new SwitchRecord(PID, TID, TIME, CPU, true, true), SwitchRecord.decode(misc, r));
        }
        byte[] in = bytes("record.switch_in");
        MemorySegment r = MemorySegment.ofArray(in);
        int misc = Short.toUnsignedInt(r.get(ValueLayout.JAVA_SHORT_UNALIGNED, 4));
        assertEquals(new SwitchRecord(PID, TID, TIME + 1, CPU, false, false), SwitchRecord.decode(misc, r));
    }

    @Test
    void lostRecordDecodesWhatCWrote() {
        MemorySegment r = MemorySegment.ofArray(bytes("record.lost"));
        assertEquals(SwitchRecord.LOST, r.get(ValueLayout.JAVA_INT_UNALIGNED, 0));
        assertEquals(LOST, SwitchRecord.lostCount(r));
        assertEquals(TIME + 2, SwitchRecord.lostTime(r));
    }

    @Test
    void probeSampleDecodesWhatCWrote() {
        MemorySegment r = MemorySegment.ofArray(bytes("record.sample"));
        assertEquals(ProbeSample.TYPE, r.get(ValueLayout.JAVA_INT_UNALIGNED, 0));
        ProbeSample s = ProbeSample.decode(r, true);
        assertEquals(List.of(PID, TID, TIME + 3, CPU), List.of(s.pid(), s.tid(), s.time(), s.cpu()));
        assertArrayEquals(RAW, s.raw());
    }

    private static void assertOnlyFlags(Map<String, Long> attr, Set<String> set) {
        List<String> wrong = new ArrayList<>();
        for (String f : BITFIELDS) {
            long expected = set.contains(f) ? 1 : 0;
            if (attr.get(f) != expected) {
                wrong.add(f + "=" + attr.get(f) + " (want " + expected + ")");
            }
        }
        assertTrue(wrong.isEmpty(), "C reads these bitfields differently from what jkvm means: " + wrong);
    }

    private static Map<String, Long> decoded(String which) {
        Map<String, Long> values = new LinkedHashMap<>();
        String prefix = which + ".";
        gcc.forEach((k, v) -> {
            if (k.startsWith(prefix)) values.put(k.substring(prefix.length()), Long.parseUnsignedLong(v));
        });
        assertTrue(values.size() > BITFIELDS.size(), "C printed too little for " + which + ": " + values);
        return values;
    }

    private static byte[] bytes(String key) {
        String hex = gcc.get(key);
        assertTrue(hex != null && !hex.isEmpty(), "C printed no " + key);
        return HexFormat.of().parseHex(hex);
    }

    // ------------------------------------------------------------------ the C side

    private static String program(byte[] switches, byte[] hits, byte[] flipped) {
        StringBuilder c = new StringBuilder();
        c.append("""
                #include <linux/perf_event.h>
                #include <stdint.h>
                #include <stdio.h>
                #include <stddef.h>
                #include <string.h>

                #define FLAGS_OFFSET %d
                #define SAMPLE_TYPE %dULL
                #define J_PID %d
                #define J_TID %d
                #define J_CPU %d
                #define J_TIME %dULL
                #define J_LOST %dULL
                #define J_RAW "%s"

                static void word(const char *name, const struct perf_event_attr *a) {
                    uint64_t w;
                    memcpy(&w, (const char *)a + FLAGS_OFFSET, 8);
                    printf("bit.%%s %%llu\\n", name, (unsigned long long)w);
                }
                #define BIT(f) { struct perf_event_attr a; memset(&a, 0, sizeof a); a.f = 1; word(#f, &a); }

                static void decode(const char *which, const unsigned char *bytes, size_t n) {
                    struct perf_event_attr a;
                    memset(&a, 0, sizeof a);
                    memcpy(&a, bytes, n < sizeof a ? n : sizeof a);
                #define F(f) printf("%%s.%%s %%llu\\n", which, #f, (unsigned long long)a.f);
                    F(type) F(size) F(config) F(sample_period) F(sample_type) F(clockid)
                """.formatted(PerfAttributes.FLAGS_OFFSET, PerfAttributes.SAMPLE_TYPE, PID, TID, CPU, TIME, LOST,
                new String(RAW, StandardCharsets.US_ASCII)));
        for (String f : BITFIELDS) {
            c.append("    F(").append(f).append(")\n");
        }
        c.append("""
                }

                static unsigned char buf[256];
                static size_t len;
                static void put32(uint32_t v) { memcpy(buf + len, &v, 4); len += 4; }
                static void put64(uint64_t v) { memcpy(buf + len, &v, 8); len += 8; }
                static void begin(uint32_t type, uint16_t misc) {
                    struct perf_event_header h = { .type = type, .misc = misc, .size = 0 };
                    memcpy(buf, &h, sizeof h);
                    len = sizeof h;
                }
                static void end(const char *name) {
                    struct perf_event_header h;
                    memcpy(&h, buf, sizeof h);
                    h.size = (uint16_t)len;
                    memcpy(buf, &h, sizeof h);
                    printf("record.%s ", name);
                    for (size_t i = 0; i < len; i++) printf("%02x", buf[i]);
                    printf("\\n");
                }
                /* struct sample_id, in the order perf_event.h documents it, for sample_type st. */
                static void sample_id(uint64_t st, uint64_t time) {
                    if (st & PERF_SAMPLE_TID) { put32(J_PID); put32(J_TID); }
                    if (st & PERF_SAMPLE_TIME) put64(time);
                    if (st & PERF_SAMPLE_ID) put64(0x1d);
                    if (st & PERF_SAMPLE_STREAM_ID) put64(0x5d);
                    if (st & PERF_SAMPLE_CPU) { put32(J_CPU); put32(0); }
                    if (st & PERF_SAMPLE_IDENTIFIER) put64(0x1d);
                }

                int main(void) {
                    printf("flags_word_offset %zu\\n", offsetof(struct perf_event_attr, read_format) + sizeof(__u64));
                """);
        for (String f : JKVM_FLAGS.keySet()) {
            c.append("    BIT(").append(f).append(")\n");
        }
        c.append("    static const unsigned char switches[] = {").append(initializer(switches)).append("};\n");
        c.append("    static const unsigned char hits[] = {").append(initializer(hits)).append("};\n");
        c.append("    static const unsigned char flipped[] = {").append(initializer(flipped)).append("};\n");
        c.append("""
                    decode("switches", switches, sizeof switches);
                    decode("hits", hits, sizeof hits);
                    decode("flipped", flipped, sizeof flipped);

                    begin(PERF_RECORD_SWITCH, PERF_RECORD_MISC_SWITCH_OUT | PERF_RECORD_MISC_SWITCH_OUT_PREEMPT);
                    sample_id(SAMPLE_TYPE, J_TIME);
                    end("switch_out_preempt");
                    begin(PERF_RECORD_SWITCH, 0);
                    sample_id(SAMPLE_TYPE, J_TIME + 1);
                    end("switch_in");

                    /* PERF_RECORD_LOST: u64 id, u64 lost, struct sample_id. */
                    begin(PERF_RECORD_LOST, 0);
                    put64(7); put64(J_LOST);
                    sample_id(SAMPLE_TYPE, J_TIME + 2);
                    end("lost");

                    /* PERF_RECORD_SAMPLE for SAMPLE_TYPE|RAW, fields in the documented order;
                       the raw block is padded so the record stays a multiple of 8 bytes. */
                    uint64_t st = SAMPLE_TYPE | PERF_SAMPLE_RAW;
                    begin(PERF_RECORD_SAMPLE, PERF_RECORD_MISC_KERNEL);
                    if (st & PERF_SAMPLE_IDENTIFIER) put64(0x1d);
                    if (st & PERF_SAMPLE_IP) put64(0x1f);
                    if (st & PERF_SAMPLE_TID) { put32(J_PID); put32(J_TID); }
                    if (st & PERF_SAMPLE_TIME) put64(J_TIME + 3);
                    if (st & PERF_SAMPLE_ADDR) put64(0xadd);
                    if (st & PERF_SAMPLE_ID) put64(0x1d);
                    if (st & PERF_SAMPLE_STREAM_ID) put64(0x5d);
                    if (st & PERF_SAMPLE_CPU) { put32(J_CPU); put32(0); }
                    if (st & PERF_SAMPLE_PERIOD) put64(1);
                    static const char raw[] = J_RAW;
                    uint32_t rawSize = sizeof raw - 1;
                    put32(rawSize);
                    memcpy(buf + len, raw, rawSize); len += rawSize;
                    while (len % 8) buf[len++] = 0;
                    end("sample");
                    return 0;
                }
                """);
        return c.toString();
    }

    private static String initializer(byte[] bytes) {
        StringBuilder s = new StringBuilder();
        for (byte b : bytes) {
            s.append(Byte.toUnsignedInt(b)).append(',');
        }
        return s.toString();
    }

    /** Compiles and runs the program; returns its "key value" lines. Same header override as the bindings' test. */
    private static Map<String, String> run(String source) throws Exception {
        Path dir = Files.createTempDirectory("jkvm-perf-layout-");
        try {
            Path c = dir.resolve("perf_layout.c");
            Path binary = dir.resolve("perf_layout");
            Files.writeString(c, source);
            List<String> compile = new ArrayList<>(List.of(System.getenv().getOrDefault("CC", "gcc"), "-std=gnu11", "-O0"));
            String headers = System.getProperty("jkvm.kernelHeaders", "").trim();
            if (!headers.isEmpty()) {
                for (String d : headers.split(File.pathSeparator)) {
                    compile.add("-isystem");
                    compile.add(d);
                }
            }
            compile.addAll(List.of("-o", binary.toString(), c.toString()));
            String out = exec(dir, compile, "gcc (install gcc or set CC)");
            String printed = exec(dir, List.of(binary.toString()), "the perf layout program");
            Map<String, String> values = new LinkedHashMap<>();
            for (String line : printed.split("\n")) {
                int space = line.indexOf(' ');
                if (space > 0) values.put(line.substring(0, space), line.substring(space + 1).trim());
            }
            assertTrue(out.isBlank() || !out.contains("error"), out);
            return values;
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted((a, b) -> b.compareTo(a)).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static String exec(Path dir, List<String> command, String what) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(what + " timed out");
        }
        if (p.exitValue() != 0) {
            throw new AssertionError(what + " failed (exit " + p.exitValue() + "):\n" + out);
        }
        return out;
    }
}

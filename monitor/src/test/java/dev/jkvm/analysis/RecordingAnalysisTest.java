package dev.jkvm.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.analysis.jmc.JmcRecording;
import dev.jkvm.analysis.jmc.RuleReport;
import dev.jkvm.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The analysis on real JFR files holding synthetic jkvm events whose schedule is known exactly: the
 * expected numbers come from {@link SyntheticSchedule}'s own arithmetic, not from the analysis.
 */
class RecordingAnalysisTest {

    /** vm0's slices grow 0.1 ms … 10 ms, vm1 always runs 2 ms: every percentile lands on a known sample. */
    static SyntheticSchedule varied() {
        SyntheticSchedule s = new SyntheticSchedule().vm("vm0", 0).vm("vm1", 0);
        for (int i = 1; i <= 100; i++) {
            s.run("vm0", i * 100_000L).run("vm1", 2_000_000);
        }
        return s;
    }

    /** Three slices of one vCPU (JmcReadsRecordingTest reads this file with JMC's parser). */
    static Path record(Path dir) throws Exception {
        return new SyntheticSchedule().vm("vm0", 0).run("vm0", 4_000).run("vm0", 1_000, false).run("vm0", 1_000)
                .write(dir.resolve("synthetic.jfr"), 1);
    }

    /** Nearest rank: the smallest sample with at least p % of the samples at or below it. */
    static long nearestRank(List<Long> samples, double p) {
        List<Long> sorted = new ArrayList<>(samples);
        sorted.sort(null);
        int rank = (int) Math.ceil(p / 100 * sorted.size());
        return sorted.get(Math.max(1, rank) - 1);
    }

    static RunSummary.VcpuSummary vcpu(RunSummary r, String vm) {
        return r.vcpus().stream().filter(v -> v.vm().equals(vm)).findFirst().orElseThrow(() -> new AssertionError("no " + vm + " in " + r.vcpus()));
    }

    static void assertMatches(SyntheticSchedule s, RunSummary r) {
        assertEquals(s.window(), r.windowNanos(), "window");
        double sum = 0, squares = 0;
        for (String vm : s.nice.keySet()) {
            RunSummary.VcpuSummary v = vcpu(r, vm);
            List<Long> slices = s.slicesOf(vm), waits = s.waitsOf(vm);
            assertEquals(s.shareOf(vm), v.share(), 1e-12, vm + " share");
            assertEquals(slices.stream().mapToLong(Long::longValue).sum(), v.runNanos(), vm + " run");
            assertEquals(slices.size(), v.slices().count(), vm + " slices");
            assertEquals(nearestRank(slices, 50), v.slices().p50(), vm + " slice p50");
            assertEquals(nearestRank(slices, 90), v.slices().p90(), vm + " slice p90");
            assertEquals(nearestRank(slices, 99), v.slices().p99(), vm + " slice p99");
            assertEquals(nearestRank(slices, 100), v.slices().max(), vm + " slice max");
            assertEquals(waits.size(), v.waits().count(), vm + " waits");
            assertEquals(nearestRank(waits, 50), v.waits().p50(), vm + " wait p50");
            assertEquals(nearestRank(waits, 99), v.waits().p99(), vm + " wait p99");
            assertEquals(nearestRank(waits, 100), v.waits().max(), vm + " wait max");
            assertEquals(waits.stream().mapToLong(Long::longValue).sum(), v.waitNanos(), vm + " wait total");
            assertEquals(s.slices.stream().filter(x -> x.vm().equals(vm) && x.preempted()).count(), v.preemptedOuts(), vm + " preempted");
            assertEquals(s.slices.stream().filter(x -> x.vm().equals(vm) && !x.preempted()).count(), v.voluntaryOuts(), vm + " voluntary");
            assertEquals(1, v.firstRuns(), vm + " first runs");
            assertEquals(s.slices.stream().filter(x -> x.vm().equals(vm) && x.switchClass().startsWith("switched")).count(), v.fromOtherVcpu());
            sum += v.share();
            squares += v.share() * v.share();
        }
        assertEquals(sum * sum / (s.nice.size() * squares), r.jainIndex(), 1e-12, "Jain's index");
        assertEquals(s.slices.size() / (s.window() / 1e9), r.switchesPerSecond(), 1e-6, "switches/s");
        assertEquals(SyntheticSchedule.GAP, r.vcpuToVcpuGap().p50(), "vCPU-to-vCPU gap p50");
        assertEquals(SyntheticSchedule.GAP, r.vcpuToVcpuGap().p99(), "vCPU-to-vCPU gap p99");
    }

    @Test
    void exactSharesSlicePercentilesWaitsAndFairness(@TempDir Path dir) throws Exception {
        SyntheticSchedule s = varied();
        // Two periodic exit-statistics samples: the later (larger) one counts.
        s.also(() -> SyntheticSchedule.exitStats("vm0", "IO", 120, 4096, 9000));
        s.also(() -> SyntheticSchedule.exitStats("vm0", "IO", 500, 8192, 20000));
        s.also(() -> SyntheticSchedule.guestGap("vm1", 3_000_000));
        s.also(() -> SyntheticSchedule.guestGap("vm1", 2_500_000));
        RunSummary r = RecordingAnalysis.analyze(s.write(dir.resolve("varied.jfr"), 1));
        assertMatches(s, r);
        RunSummary.ExitSummary io = vcpu(r, "vm0").exits().get(0);
        assertEquals(new RunSummary.ExitSummary("IO", 500, 500 / (s.window() / 1e9), -1, 8192, 20000, "stats"), io);
        assertEquals(List.of(), vcpu(r, "vm1").exits());
        assertEquals(new RunSummary.GuestView(2, 5_500_000, 3_000_000, -1), vcpu(r, "vm1").guest());
        assertEquals(RunSummary.GuestView.NONE, vcpu(r, "vm0").guest());
        assertEquals(5_000_000, vcpu(r, "vm0").slices().p50());
        // An older recording's p99 (a bucket bound, 262,144 ns) above the maximum it was sampled with: reported as the maximum.
        s.also(() -> SyntheticSchedule.exitStats("vm1", "HLT", 1, 262_144, 158_145));
        RunSummary.ExitSummary hlt = vcpu(RecordingAnalysis.analyze(s.write(dir.resolve("bucket.jfr"), 1)), "vm1").exits().get(0);
        assertEquals(158_145, hlt.p99Nanos());
        assertEquals(158_145, hlt.maxNanos());
        assertEquals(9_000_000, vcpu(r, "vm0").slices().p90());
        assertTrue(r.health().complete(), r.health().toString());
        assertEquals(0, r.health().inconsistentSwitches());
    }

    @Test
    void outOfOrderChunksAndSpilledSortRunsGiveTheSameAnswer(@TempDir Path dir) throws Exception {
        SyntheticSchedule s = varied();
        Path three = s.write(dir.resolve("three-chunks.jfr"), 3);
        RunSummary whole = RecordingAnalysis.analyze(s.write(dir.resolve("one.jfr"), 1));
        assertMatches(s, RecordingAnalysis.analyze(three));
        try (ScheduleAnalyzer tiny = new ScheduleAnalyzer("spilled", 7)) {
            RecordingAnalysis.read(three, tiny);
            RunSummary spilled = tiny.finish(null);
            assertMatches(s, spilled);
            assertEquals(json(whole), json(spilled));
        }
    }

    @Test
    void missionControlsParserFeedsTheSameAnalysis(@TempDir Path dir) throws Exception {
        SyntheticSchedule s = varied();
        Path file = s.write(dir.resolve("jmc.jfr"), 2);
        RunSummary jdk = RecordingAnalysis.analyze(file);
        RunSummary jmc = JmcRecording.summary(RuleReport.load(file));
        assertMatches(s, jmc);
        assertEquals(json(jdk), json(jmc));
    }

    /**
     * Recordings made before each sched-in carried its class wrote the class as a jkvm.VcpuSwitch of
     * its own: the same schedule written that way analyzes to the same numbers, switch classes
     * included, with the JDK's parser and JMC's.
     */
    @Test
    void recordingsWithSeparateSwitchEventsAnalyzeTheSame(@TempDir Path dir) throws Exception {
        SyntheticSchedule s = varied();
        Path now = s.write(dir.resolve("class-in-sched-in.jfr"), 1);
        s.legacySwitchEvents = true;
        Path before = s.write(dir.resolve("separate-switch-events.jfr"), 1);
        RunSummary jdk = RecordingAnalysis.analyze(before);
        assertMatches(s, jdk);
        assertMatches(s, RecordingAnalysis.analyze(now));
        assertEquals(json(RecordingAnalysis.analyze(now)), json(jdk));
        assertEquals(json(jdk), json(JmcRecording.summary(RuleReport.load(before))));
        assertEquals(json(jdk), json(JmcRecording.summary(RuleReport.load(now))));
    }

    /**
     * A vCPU's CPU in the report (JSON `vcpus[].cpu`, the csv column) is the one it ran on longest. In a
     * pinned run each vCPU thread's last slices are on another CPU, where it goes to end after the stop;
     * the report named that CPU (0) for every vCPU of a run pinned to CPU 1. Both parsers.
     */
    @Test
    void aVcpusCpuIsTheOneItRanOnLongestNotTheLast(@TempDir Path dir) throws Exception {
        SyntheticSchedule s = new SyntheticSchedule().vm("vm0", 0).vm("vm1", 0);
        for (int i = 0; i < 5; i++) s.run("vm0", 1_000_000).run("vm1", 1_000_000);
        s.runOn(0, "vm0", 50_000, false).runOn(0, "vm1", 6_000_000, false); // vm1 then runs longer on CPU 0 than its 5 ms on CPU 1
        Path file = s.write(dir.resolve("leaving.jfr"), 1);
        for (RunSummary r : List.of(RecordingAnalysis.analyze(file), JmcRecording.summary(RuleReport.load(file)))) {
            Map<String, Integer> cpus = new java.util.TreeMap<>();
            for (RunSummary.VcpuSummary v : r.vcpus()) cpus.put(v.vm(), v.cpu());
            assertEquals(Map.of("vm0", 1, "vm1", 0), cpus);
        }
    }

    /** A recorder summary listing failed helper threads: each is a missing source for both parsers, and the health is not complete. */
    @Test
    void helperFailuresInTheRecorderSummaryAreMissingSources(@TempDir Path dir) throws Exception {
        SyntheticSchedule s = varied();
        String recorder = "recorder failed: OutOfMemoryError: Java heap space; switch events after 21:58:03.120 UTC are missing";
        String hook = "periodic hook jkvm.KvmStats failed: IllegalStateException: x; y; KVM statistics after 21:58:04.000 UTC are missing";
        s.failures = recorder + "\n" + hook;
        Path file = s.write(dir.resolve("failed.jfr"), 1);
        RunSummary jdk = RecordingAnalysis.analyze(file);
        RunSummary jmc = JmcRecording.summary(RuleReport.load(file));
        for (RunSummary r : List.of(jdk, jmc)) {
            assertEquals(List.of("events of a failed helper: " + recorder, "events of a failed helper: " + hook), r.health().missingSources());
            assertTrue(!r.health().complete());
        }
        s.failures = "";
        RunSummary none = RecordingAnalysis.analyze(s.write(dir.resolve("none.jfr"), 1));
        assertEquals(List.of(), none.health().missingSources());
    }

    @Test
    void reloadLatencyIsSummarisedPerSwitchClassByBothParsers(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("reloads.jfr");
        try (jdk.jfr.Recording r = new jdk.jfr.Recording()) {
            r.enable(dev.jkvm.jfr.VcpuReload.class);
            r.enable(dev.jkvm.jfr.VcpuSchedIn.class);
            r.enable(dev.jkvm.jfr.VcpuSchedOut.class);
            r.start();
            dev.jkvm.jfr.VcpuSchedIn in = new dev.jkvm.jfr.VcpuSchedIn();
            in.vm = "vm0"; in.tid = 100; in.cpu = 1; in.inKvmRun = true;
            SyntheticSchedule.at(in, 1_000);
            in.commit();
            dev.jkvm.jfr.VcpuSchedOut out = new dev.jkvm.jfr.VcpuSchedOut();
            out.vm = "vm0"; out.tid = 100; out.cpu = 1; out.inKvmRun = true; out.preempted = true;
            SyntheticSchedule.at(out, 50_000);
            out.commit();
            long[] other = {4_000, 5_000, 6_000, 7_000}, same = {1_000, 1_000};
            for (long l : other) reload("another vCPU was loaded", l);
            for (long l : same) reload("same vCPU reloaded", l);
            r.stop();
            r.dump(file);
        }
        RunSummary jdk = RecordingAnalysis.analyze(file);
        assertEquals(2, jdk.reloadLatency().size());
        RunSummary.ReloadLatency other = jdk.reloadLatency().get(0), same = jdk.reloadLatency().get(1);
        assertEquals("another vCPU was loaded", other.switchClass());
        assertEquals(4, other.latency().count());
        assertEquals(5_000, other.latency().p50(), "nearest rank: the 2nd of 4");
        assertEquals(7_000, other.latency().max());
        assertEquals("same vCPU reloaded", same.switchClass());
        assertEquals(1_000, same.latency().p99());
        String table = TableReport.render(List.of(jdk));
        assertTrue(table.contains("reload, another vCPU was loaded"), table);
        assertEquals(json(jdk), json(JmcRecording.summary(RuleReport.load(file))));
    }

    private static void reload(String switchClass, long latency) {
        dev.jkvm.jfr.VcpuReload e = new dev.jkvm.jfr.VcpuReload();
        e.vm = "vm0";
        e.switchClass = switchClass;
        e.latency = latency;
        e.commit();
    }

    /** The JSON of a summary without its source name. */
    static String json(RunSummary r) {
        return JsonReport.render(List.of(r)).replace(JsonReport.q(r.source()), "\"x\"");
    }

    @Test
    void theCommandPrintsTableJsonAndCsvAndComparesRecordingsSideBySide(@TempDir Path dir) throws Exception {
        SyntheticSchedule s = varied();
        Path a = s.write(dir.resolve("host-a-recording.jfr"), 1);
        Path b = new SyntheticSchedule().vm("vm0", 0).vm("vm1", 5).run("vm0", 12_000_000).run("vm1", 4_000_000)
                .run("vm0", 12_000_000).run("vm1", 4_000_000).write(dir.resolve("host-b-recording.jfr"), 1);
        String[] out = new String[1];
        assertEquals(0, cli(out, "analyze", a.toString(), b.toString(), a.toString(), b.toString()));
        for (String line : out[0].lines().toList()) assertTrue(line.length() <= TableReport.WIDTH, "wider than 100: " + line);
        assertTrue(out[0].contains("host-a-recording.jfr") && out[0].contains("host-b-recording.jfr"), out[0]);
        assertTrue(out[0].lines().anyMatch(l -> l.startsWith("vm0/0 slice p50/p90/p99/max") && l.contains("5.000/9.000/9.900/10.000 ms")), out[0]);
        assertTrue(out[0].lines().anyMatch(l -> l.startsWith("vm1/0 share") && l.contains("24.98 % nice 5")), out[0]);

        assertEquals(0, cli(out, "analyze", "--format", "csv", a.toString(), b.toString()));
        List<String> rows = out[0].lines().toList();
        assertEquals(CsvReport.HEADER, rows.get(0));
        assertEquals(5, rows.size(), out[0]);
        int col = List.of(CsvReport.HEADER.split(",")).indexOf("slice_p99_ns");
        assertEquals("9900000", rows.get(1).split(",")[col], rows.get(1));

        assertEquals(0, cli(out, "analyze", "--format", "json", a.toString()));
        assertTrue(out[0].contains("\"p90\": 9000000"), out[0]);
        JsonSchemaCheck.validate(out[0]);
    }

    static int cli(String[] out, String... args) {
        StringWriter o = new StringWriter(), e = new StringWriter();
        int code = Main.run(new PrintWriter(o), new PrintWriter(e), args);
        out[0] = o + e.toString();
        return code;
    }

    @Test
    void badInputIsAOneLineUsageError(@TempDir Path dir) throws Exception {
        Path bogus = Files.writeString(dir.resolve("x.jfr"), "not a recording");
        BadRecordingException e = assertThrows(BadRecordingException.class, () -> RecordingAnalysis.analyze(bogus));
        assertTrue(e.getMessage().contains("is not a JFR recording"), e.getMessage());
        assertEquals("no such recording: " + dir.resolve("missing.jfr"),
                assertThrows(BadRecordingException.class, () -> RecordingAnalysis.analyze(dir.resolve("missing.jfr"))).getMessage());
        assertEquals(dir + " is a directory, not a recording",
                assertThrows(BadRecordingException.class, () -> RecordingAnalysis.analyze(dir)).getMessage());
        assertTrue(assertThrows(BadRecordingException.class, () -> RecordingAnalysis.analyze(Path.of("/dev/null"))).getMessage()
                .startsWith("/dev/null is not a regular file"));
        // Root reads every file, so the test names the reason an unprivileged user gets (java.nio's message is the path alone).
        assertEquals("cannot read /r/x.jfr: permission denied",
                BadRecordingException.unreadable(Path.of("/r/x.jfr"), new java.nio.file.AccessDeniedException("/r/x.jfr")).getMessage());
        // A recording cut short (a killed run, a partial copy) is refused, never analyzed up to where it breaks off.
        Path whole = varied().write(dir.resolve("whole.jfr"), 3);
        byte[] bytes = Files.readAllBytes(whole);
        for (int keep : new int[] {bytes.length - 1, bytes.length / 2, 10}) {
            Path cut = Files.write(dir.resolve("cut" + keep + ".jfr"), java.util.Arrays.copyOf(bytes, keep));
            BadRecordingException c = assertThrows(BadRecordingException.class, () -> RecordingAnalysis.analyze(cut));
            assertTrue(c.getMessage().contains("truncated") || c.getMessage().contains("not a"), c.getMessage());
        }
        Path twice = Files.write(dir.resolve("garbage-after.jfr"), java.util.Arrays.copyOf(bytes, bytes.length + 100));
        assertTrue(assertThrows(BadRecordingException.class, () -> RecordingAnalysis.analyze(twice)).getMessage().contains("starts no chunk"));
        String[] out = new String[1];
        assertEquals(2, cli(out, "analyze", bogus.toString()));
        assertEquals(1, out[0].strip().lines().count(), out[0]);
        assertEquals(2, cli(out, "analyze", "--html", dir.resolve("p.html").toString(), bogus.toString(), bogus.toString()));
        assertTrue(out[0].contains("--html and --svg draw one recording"), out[0]);
        assertEquals(2, cli(out, "analyze", "--format", "xml", bogus.toString()));
    }

    /**
     * Two runs' recordings joined into one file (`cat a.jfr b.jfr`, a valid JFR file the JDK's tools
     * read as one) are refused: their vCPUs of the same names would make one schedule of both, with
     * a window over both runs. `jfr summary` counts both runs' summaries in it.
     */
    @Test
    void recordingsOfTwoRunsJoinedIntoOneFileAreRefused(@TempDir Path dir) throws Exception {
        byte[] one = Files.readAllBytes(record(dir));
        Path joined = dir.resolve("joined.jfr");
        Files.write(joined, one);
        Files.write(joined, one, java.nio.file.StandardOpenOption.APPEND);
        assertTrue(dev.jkvm.jfr.timeline.Readers.jfr("summary", joined.toString()).matches("(?s).*jkvm\\.RecorderSummary\\s+2\\s.*"),
                "the JDK's tool reads both runs' summaries");
        BadRecordingException e = assertThrows(BadRecordingException.class, () -> RecordingAnalysis.analyze(joined));
        assertTrue(e.getMessage().startsWith(joined + " holds the records of more than one run"), e.getMessage());
        assertEquals(1, RecordingAnalysis.analyze(dir.resolve("synthetic.jfr")).vcpus().size(), "each alone is analyzed");
    }

    /**
     * Damage that stops the JDK's parser before the first chunk's metadata leaves the stream no event
     * at all: that is a corrupt file, as the JDK's own parser says, not "not a jkvm recording".
     */
    @Test
    void damageBeforeAnyMetadataIsCorruptNotForeign(@TempDir Path dir) throws Exception {
        byte[] bytes = Files.readAllBytes(varied().write(dir.resolve("whole.jfr"), 1));
        int metadata = (int) java.nio.ByteBuffer.wrap(bytes).getLong(24); // the chunk header's offset of its metadata event
        int corrupted = 0;
        for (int at = metadata + 8; at < Math.min(bytes.length, metadata + 400) && corrupted < 8; at += 13) {
            byte[] damaged = bytes.clone();
            damaged[at] = (byte) 0x61;
            Path f = Files.write(dir.resolve("damaged" + at + ".jfr"), damaged);
            String parser;
            try (jdk.jfr.consumer.RecordingFile in = new jdk.jfr.consumer.RecordingFile(f)) {
                while (in.hasMoreEvents()) in.readEvent();
                continue; // this byte did not matter to the parser
            } catch (Exception | InternalError ex) {
                parser = ex.getMessage();
            }
            corrupted++;
            BadRecordingException e = assertThrows(BadRecordingException.class, () -> RecordingAnalysis.analyze(f));
            assertTrue(e.getMessage().contains("is corrupt"), "byte " + at + " (the JDK's parser: " + parser + "): " + e.getMessage());
        }
        assertTrue(corrupted > 0, "no damage the JDK's parser noticed: the test proves nothing");
    }

    /** Offsets of the chunks in a .jfr file's bytes (each header: "FLR\0", versions, then its size). */
    private static java.util.List<Integer> chunkStarts(byte[] bytes) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes);
        java.util.List<Integer> starts = new java.util.ArrayList<>();
        for (int at = 0; at < bytes.length; at += (int) b.getLong(at + 8)) starts.add(at);
        return starts;
    }

    /** Offsets of the size-prefixed records (events, constant pools, metadata) of the chunk at {@code chunk}, in file order. */
    private static java.util.List<Integer> recordStarts(byte[] bytes, int chunk) {
        long end = chunk + java.nio.ByteBuffer.wrap(bytes).getLong(chunk + 8);
        java.util.List<Integer> starts = new java.util.ArrayList<>();
        for (int at = chunk + 68; at < end; ) {
            starts.add(at);
            long size = 0;
            for (int shift = 0, i = at; ; shift += 7, i++) { // LEB128, at most 9 bytes (the JVM sometimes pads to 4)
                int v = bytes[i] & 0xff;
                size |= (long) (shift == 56 ? v : v & 0x7f) << shift;
                if (shift == 56 || v < 0x80) break;
            }
            at += (int) size;
        }
        return starts;
    }

    private static long schedInsStreamed(Path file) {
        try (jdk.jfr.consumer.EventStream in = jdk.jfr.consumer.EventStream.openFile(file)) {
            long[] n = {0};
            in.onEvent("jkvm.VcpuSchedIn", e -> n[0]++);
            in.start();
            return n[0];
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Reads the LEB128 integer at {@code at}; returns {value, the offset after it}. */
    private static long[] varLong(byte[] bytes, int at) {
        long v = 0;
        for (int shift = 0; ; shift += 7, at++) {
            int b = bytes[at] & 0xff;
            v |= (long) (shift == 56 ? b : b & 0x7f) << shift;
            if (shift == 56 || b < 0x80) return new long[] {v, at + 1};
        }
    }

    @Test
    void aRecordingDamagedInsideAChunkIsRefusedNotAnalyzedUpToTheDamage(@TempDir Path dir) throws Exception {
        Path whole = varied().write(dir.resolve("whole.jfr"), 3);
        byte[] bytes = Files.readAllBytes(whole);
        java.util.List<Integer> chunks = chunkStarts(bytes);
        assertTrue(chunks.size() >= 3, "chunks: " + chunks);
        // A record whose size is damaged: the walk over the records finds it.
        for (int c : new int[] {0, chunks.size() - 1}) {
            java.util.List<Integer> records = recordStarts(bytes, chunks.get(c));
            byte[] damaged = bytes.clone();
            int at = records.get(records.size() / 2);
            for (int i = 0; i < 4; i++) damaged[at + i] = 0;
            Path file = Files.write(dir.resolve("zero-size-in-chunk" + (c + 1) + ".jfr"), damaged);
            BadRecordingException e = assertThrows(BadRecordingException.class, () -> RecordingAnalysis.analyze(file));
            assertTrue(e.getMessage().contains(" is corrupt: the record at byte " + at + " (in chunk " + (c + 1) + ") claims 0 bytes"),
                    e.getMessage());
        }
        // A sched-in whose vm string has an encoding no reader knows: the JDK's EventStream stops there
        // without a word (its parser's IOException is swallowed); the sizes are intact, so only the
        // count of what it handed over against what the file holds shows it.
        jdk.jfr.EventType schedIn;
        try (jdk.jfr.consumer.RecordingFile f = new jdk.jfr.consumer.RecordingFile(whole)) {
            schedIn = f.readEventTypes().stream().filter(t -> t.getName().equals("jkvm.VcpuSchedIn")).findFirst().orElseThrow();
        }
        int fieldsBefore = schedIn.getFields().indexOf(schedIn.getField("vm"));
        int last = chunks.get(chunks.size() - 1), victim = -1;
        for (int at : recordStarts(bytes, last)) {
            long[] size = varLong(bytes, at), type = varLong(bytes, (int) size[1]);
            if (type[0] == schedIn.getId()) victim = (int) type[1];
        }
        assertTrue(victim > 0, "a sched-in in the last chunk");
        for (int i = 0; i < fieldsBefore; i++) victim = (int) varLong(bytes, victim)[1]; // start, duration, thread, …
        assertTrue(bytes[victim] >= 0 && bytes[victim] <= 5, "a string encoding byte: " + bytes[victim]);
        byte[] damaged = bytes.clone();
        damaged[victim] = 17;
        Path unparsable = Files.write(dir.resolve("bad-string.jfr"), damaged);
        long intact = schedInsStreamed(whole), read = schedInsStreamed(unparsable); // returns normally: the damage is not reported
        assertTrue(read < intact, "the JDK's stream stopped early, quietly: " + read + " of " + intact);
        BadRecordingException e = assertThrows(BadRecordingException.class, () -> RecordingAnalysis.analyze(unparsable));
        assertTrue(e.getMessage().contains(" is corrupt: the JDK's JFR parser stopped before "), e.getMessage());
        // A damaged metadata event: the parser throws through EventStream.start itself.
        int first = chunks.get(0);
        int metadata = first + (int) java.nio.ByteBuffer.wrap(bytes).getLong(first + 24);
        damaged = bytes.clone();
        for (int i = 8; i < 40; i++) damaged[metadata + i] = (byte) 0xee;
        Path file = Files.write(dir.resolve("damaged-metadata.jfr"), damaged);
        e = assertThrows(BadRecordingException.class, () -> RecordingAnalysis.analyze(file));
        assertTrue(e.getMessage().contains(" is corrupt: "), e.getMessage());
        // A type name in the metadata that is no Java name: the JDK's parser throws an InternalError.
        byte[] name = "jkvm.VcpuSchedIn".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        damaged = bytes.clone();
        int named = 0;
        for (int i = 2; i + name.length < bytes.length; i++) { // every whole string: encoding (UTF-8, char array or Latin-1), length, bytes
            if (bytes[i - 1] == name.length && bytes[i - 2] >= 3 && bytes[i - 2] <= 5
                    && java.util.Arrays.equals(bytes, i, i + name.length, name, 0, name.length)) {
                damaged[i] = '0';
                named++;
            }
        }
        assertTrue(named > 0, "the metadata names jkvm.VcpuSchedIn");
        Path badName = Files.write(dir.resolve("bad-type-name.jfr"), damaged);
        e = assertThrows(BadRecordingException.class, () -> RecordingAnalysis.analyze(badName));
        assertTrue(e.getMessage().contains(" is corrupt: the JDK's JFR parser failed after 0 of its jkvm events (InternalError: "), e.getMessage());
        String[] out = new String[1];
        for (Path p : new Path[] {file, unparsable, badName}) {
            assertEquals(2, cli(out, "analyze", p.toString()));
            assertEquals(1, out[0].strip().lines().count(), out[0]);
        }
    }
}

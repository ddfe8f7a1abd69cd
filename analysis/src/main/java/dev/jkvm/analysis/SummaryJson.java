package dev.jkvm.analysis;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads {@link JsonReport}'s output back into {@link RunSummary}s, so an earlier run's
 * {@code analysis.json} can be judged and compared like a fresh recording (`jkvm regress --baseline`).
 * A small JSON parser of its own (no dependency), bounded in depth and input size; anything that is
 * not such a document is a {@link BadRecordingException} naming the file and the place.
 */
public final class SummaryJson {
    /** Larger files are refused: analysis.json of even thousands of vCPUs stays far below. */
    public static final long MAX_BYTES = 64L << 20;
    private static final int MAX_DEPTH = 64;

    private SummaryJson() {}

    public static List<RunSummary> read(Path file) {
        String text;
        try {
            if (Files.size(file) > MAX_BYTES) throw new BadRecordingException(file + " is larger than " + (MAX_BYTES >> 20) + " MiB: not an analysis.json");
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new BadRecordingException("no such file: " + file);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new BadRecordingException(file + " is not an analysis.json: it is not UTF-8 text");
        } catch (IOException e) {
            throw BadRecordingException.unreadable(file, e);
        }
        try {
            return parse(text);
        } catch (BadRecordingException e) {
            throw new BadRecordingException(file + ": " + e.getMessage());
        }
    }

    public static List<RunSummary> parse(String json) {
        Object doc = new Parser(json).document();
        // Another version of the format would be read field by field as if it were this one: refused.
        Object schema = obj(doc, "document").get("$schema");
        if (schema != null && !JsonReport.SCHEMA_ID.equals(schema)) {
            throw new BadRecordingException("written in the format " + schema + ", not " + JsonReport.SCHEMA_ID
                    + " that this jkvm reads (analyze the baseline's recordings again with this version)");
        }
        List<RunSummary> out = new ArrayList<>();
        for (Object r : list(obj(doc, "document").get("recordings"), "recordings")) out.add(run(obj(r, "recording")));
        return out;
    }

    private static RunSummary run(Map<String, Object> r) {
        Map<String, Object> h = obj(r.get("health"), "health");
        RunSummary.Health health = new RunSummary.Health(bool(h, "recorderSummary"), lng(h, "switchRecords"), lng(h, "lostRecords"),
                strings(h.get("lostSources")), lng(h, "lateRecords"), lng(h, "maxLagNanos"), lng(h, "inconsistentSwitches"),
                bool(h, "kernelSwitches"), strings(h.get("missingSources")));
        List<RunSummary.ForeignTask> foreign = new ArrayList<>();
        for (Object o : list(r.get("foreignTasks"), "foreignTasks")) {
            Map<String, Object> f = obj(o, "foreign task");
            foreign.add(new RunSummary.ForeignTask((int) lng(f, "cpu"), str(f, "comm"), lng(f, "nanos")));
        }
        List<RunSummary.ReloadLatency> reloads = new ArrayList<>();
        for (Object o : r.get("reloadLatency") == null ? List.of() : list(r.get("reloadLatency"), "reloadLatency")) {
            Map<String, Object> l = obj(o, "reload latency");
            reloads.add(new RunSummary.ReloadLatency(str(l, "switchClass"), dist(l.get("latency"))));
        }
        List<RunSummary.VcpuSummary> vcpus = new ArrayList<>();
        for (Object o : list(r.get("vcpus"), "vcpus")) vcpus.add(vcpu(obj(o, "vcpu")));
        return new RunSummary(str(r, "source"), lng(r, "windowStart"), lng(r, "windowEnd"), vcpus, dbl(r, "jainIndex"),
                dbl(r, "weightedJainIndex"), dbl(r, "switchesPerSecond"), dist(r.get("vcpuToVcpuGap")), foreign, lng(r, "idleNanos"), health,
                reloads, r.containsKey("host") ? host(obj(r.get("host"), "host")) : RunSummary.Host.NONE,
                r.containsKey("hygiene") ? hygiene(obj(r.get("hygiene"), "hygiene")) : RunSummary.Hygiene.NONE,
                r.containsKey("slices") ? dist(r.get("slices")) : Dist.EMPTY, r.containsKey("waits") ? dist(r.get("waits")) : Dist.EMPTY);
    }

    private static RunSummary.Host host(Map<String, Object> h) {
        return new RunSummary.Host(bool(h, "recorded"), str(h, "kernelRelease"), str(h, "kernelCommandLine"), str(h, "cpuVendor"),
                str(h, "cpuModel"), str(h, "microcode"), str(h, "vendorModule"), str(h, "vendorKind"), str(h, "kvmParameters"), str(h, "smt"),
                (int) lng(h, "cpu"), str(h, "governor"), str(h, "frequencyRange"), str(h, "isolatedCpus"), str(h, "nohzFull"),
                str(h, "transparentHugepages"), str(h, "jkvmVersion"), str(h, "jdkVersion"));
    }

    /** JsonReport writes an unmeasured fraction as -1; it reads back as NaN, as the analyzer had it. */
    private static RunSummary.Hygiene hygiene(Map<String, Object> h) {
        return new RunSummary.Hygiene(str(h, "foreignSource"), lng(h, "foreignTimeNanos"), fraction(h, "foreignFraction"),
                fraction(h, "procStatForeignFraction"), str(h, "siblingCpus"), fraction(h, "siblingLoad"), (int) lng(h, "frequencyChanges"),
                lng(h, "minFrequencyHz"), lng(h, "maxFrequencyHz"), lng(h, "stealNanos"));
    }

    private static double fraction(Map<String, Object> m, String key) {
        double d = dbl(m, key);
        return d < 0 ? Double.NaN : d;
    }

    private static RunSummary.VcpuSummary vcpu(Map<String, Object> v) {
        Map<String, Object> c = obj(v.get("switchClasses"), "switchClasses");
        List<RunSummary.ExitSummary> exits = new ArrayList<>();
        for (Object o : list(v.get("exits"), "exits")) {
            Map<String, Object> e = obj(o, "exit");
            exits.add(new RunSummary.ExitSummary(str(e, "reason"), lng(e, "count"), dbl(e, "perSecond"), lng(e, "p50Nanos"), lng(e, "p99Nanos"),
                    lng(e, "maxNanos"), str(e, "source")));
        }
        Map<String, Object> g = obj(v.get("guest"), "guest");
        return new RunSummary.VcpuSummary(str(v, "vm"), (int) lng(v, "vcpu"), (int) lng(v, "tid"), (int) lng(v, "cpu"), (int) lng(v, "nice"),
                dbl(v, "share"), lng(v, "runNanos"), lng(v, "waitNanos"), lng(v, "sleepNanos"), dist(v.get("slices")), dist(v.get("waits")),
                lng(v, "schedIns"), lng(v, "preemptedOuts"), lng(v, "voluntaryOuts"), lng(c, "firstRun"), lng(c, "sameVcpuResumed"),
                lng(c, "fromOtherVcpu"), lng(c, "unclassified"), lng(v, "foreignWhileRunnableNanos"), exits,
                new RunSummary.GuestView(lng(g, "gaps"), lng(g, "gapTotalNanos"), lng(g, "gapMaxNanos"), lng(g, "stealNanos")),
                str(v, "result"), lng(v, "progress"), v.containsKey("vmVcpus") ? (int) lng(v, "vmVcpus") : 1,
                v.containsKey("wakeupLatency") ? dist(v.get("wakeupLatency")) : Dist.EMPTY,
                v.containsKey("missedTicks") ? lng(v, "missedTicks") : -1);
    }

    private static Dist dist(Object o) {
        Map<String, Object> d = obj(o, "distribution");
        return new Dist(lng(d, "count"), lng(d, "p50"), lng(d, "p90"), lng(d, "p99"), lng(d, "max"), lng(d, "total"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> obj(Object o, String what) {
        if (o instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw new BadRecordingException("expected an object for " + what);
    }

    private static List<?> list(Object o, String what) {
        if (o instanceof List<?> l) return l;
        throw new BadRecordingException("expected an array for " + what);
    }

    private static List<String> strings(Object o) {
        List<String> out = new ArrayList<>();
        for (Object x : list(o, "a list of strings")) out.add(String.valueOf(x));
        return out;
    }

    private static String str(Map<String, Object> m, String key) {
        if (m.get(key) instanceof String s) return s;
        throw new BadRecordingException("expected a string for " + key);
    }

    private static boolean bool(Map<String, Object> m, String key) {
        if (m.get(key) instanceof Boolean b) return b;
        throw new BadRecordingException("expected true or false for " + key);
    }

    private static double dbl(Map<String, Object> m, String key) {
        if (m.get(key) instanceof Number n) return n.doubleValue();
        throw new BadRecordingException("expected a number for " + key);
    }

    private static long lng(Map<String, Object> m, String key) {
        if (m.get(key) instanceof Number n) return n.longValue();
        throw new BadRecordingException("expected a number for " + key);
    }

    /** JSON text → Map / List / String / Long / Double / Boolean / null. */
    private static final class Parser {
        private final String s;
        private int i;
        private int depth;

        Parser(String s) {
            this.s = s;
        }

        Object document() {
            Object v = value();
            space();
            if (i != s.length()) throw fail("text after the document");
            return v;
        }

        private Object value() {
            space();
            if (i >= s.length()) throw fail("unexpected end");
            char c = s.charAt(i);
            return switch (c) {
                case '{' -> object();
                case '[' -> array();
                case '"' -> string();
                case 't' -> word("true", Boolean.TRUE);
                case 'f' -> word("false", Boolean.FALSE);
                case 'n' -> word("null", null);
                default -> {
                    if (c == '-' || c >= '0' && c <= '9') yield number();
                    throw fail("unexpected '" + c + "'");
                }
            };
        }

        private Map<String, Object> object() {
            if (++depth > MAX_DEPTH) throw fail("nested deeper than " + MAX_DEPTH);
            Map<String, Object> m = new LinkedHashMap<>();
            i++;
            space();
            if (peek() == '}') {
                i++;
                depth--;
                return m;
            }
            while (true) {
                space();
                if (peek() != '"') throw fail("expected a key");
                String k = string();
                space();
                if (peek() != ':') throw fail("expected ':'");
                i++;
                m.put(k, value());
                space();
                char c = peek();
                i++;
                if (c == '}') break;
                if (c != ',') throw fail("expected ',' or '}'");
            }
            depth--;
            return m;
        }

        private List<Object> array() {
            if (++depth > MAX_DEPTH) throw fail("nested deeper than " + MAX_DEPTH);
            List<Object> l = new ArrayList<>();
            i++;
            space();
            if (peek() == ']') {
                i++;
                depth--;
                return l;
            }
            while (true) {
                l.add(value());
                space();
                char c = peek();
                i++;
                if (c == ']') break;
                if (c != ',') throw fail("expected ',' or ']'");
            }
            depth--;
            return l;
        }

        private String string() {
            StringBuilder b = new StringBuilder();
            i++;
            while (true) {
                if (i >= s.length()) throw fail("unterminated string");
                char c = s.charAt(i++);
                if (c == '"') return b.toString();
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                if (i >= s.length()) throw fail("unterminated string");
                char e = s.charAt(i++);
                switch (e) {
                    case '"', '\\', '/' -> b.append(e);
                    case 'n' -> b.append('\n');
                    case 't' -> b.append('\t');
                    case 'r' -> b.append('\r');
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'u' -> {
                        if (i + 4 > s.length()) throw fail("short \\u escape");
                        try {
                            b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        } catch (NumberFormatException x) {
                            throw fail("bad \\u escape");
                        }
                        i += 4;
                    }
                    default -> throw fail("bad escape \\" + e);
                }
            }
        }

        private Object number() {
            int start = i;
            if (peek() == '-') i++;
            while (i < s.length() && "0123456789.eE+-".indexOf(s.charAt(i)) >= 0) i++;
            String t = s.substring(start, i);
            try {
                if (t.matches("-?\\d{1,18}")) return Long.parseLong(t);
                return Double.parseDouble(t);
            } catch (NumberFormatException e) {
                throw fail("bad number '" + t + "'");
            }
        }

        private Object word(String w, Object v) {
            if (!s.startsWith(w, i)) throw fail("unexpected '" + s.charAt(i) + "'");
            i += w.length();
            return v;
        }

        private char peek() {
            if (i >= s.length()) throw fail("unexpected end");
            return s.charAt(i);
        }

        private void space() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        }

        private BadRecordingException fail(String why) {
            int line = 1;
            for (int k = 0; k < Math.min(i, s.length()); k++) if (s.charAt(k) == '\n') line++;
            return new BadRecordingException("not jkvm analyze JSON: " + why + " (line " + line + ")");
        }
    }
}

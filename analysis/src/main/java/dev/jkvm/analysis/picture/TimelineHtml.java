package dev.jkvm.analysis.picture;

import dev.jkvm.analysis.RunSummary;
import dev.jkvm.analysis.TableReport;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * `jkvm analyze --html`: one self-contained page (inline script and style, nothing fetched): a lane
 * per vCPU with on-CPU / runnable / blocked, switch classes marked above the bars, exits as ticks
 * below, wheel to zoom, drag to pan, double-click to reset, hover for details, and the summary
 * table. The timeline's data is embedded as JSON; the script is the resource timeline.js.
 */
public final class TimelineHtml {
    private TimelineHtml() {}

    public static String render(RunSummary run, Timeline t) {
        String script = resource("timeline.js");
        StringBuilder sb = new StringBuilder(4096);
        sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
        sb.append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n");
        sb.append("<title>jkvm timeline: ").append(esc(TableReport.render(List.of(run)).lines().findFirst().orElse(""))).append("</title>\n");
        sb.append("<style>body{font:13px system-ui,sans-serif;margin:12px;color:#222}")
                .append("#view{position:relative}canvas{display:block;border:1px solid #bbb;cursor:grab}")
                .append("#tip{position:absolute;display:none;background:#fffde7;border:1px solid #999;padding:4px 6px;")
                .append("font:12px monospace;white-space:pre;pointer-events:none}")
                .append(".key span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}")
                .append("pre{font:12px monospace;background:#f7f7f7;padding:8px}</style>\n");
        sb.append("<script>window.jkvmErrors=[];window.addEventListener('error',function(e){window.jkvmErrors.push(String(e.message));")
                .append("var d=document.getElementById('drawn');if(d)d.textContent='ERROR '+e.message;});</script>\n");
        sb.append("</head><body>\n<h3>jkvm timeline</h3>\n<div class=\"key\">")
                .append("<span style=\"background:#2e7d32\"></span>on CPU<span style=\"background:#f9a825\"></span>runnable")
                .append("<span style=\"background:#cfd8dc\"></span>blocked<span style=\"background:#1565c0\"></span>first run")
                .append("<span style=\"background:#8e24aa\"></span>same vCPU resumed<span style=\"background:#d32f2f\"></span>from another vCPU")
                .append("<span style=\"background:#757575\"></span>unclassified (outside KVM_RUN)")
                .append("<span style=\"background:#000\"></span>exit</div>\n");
        sb.append("<p id=\"mode\"></p>\n<div id=\"view\"><canvas id=\"lanes\" width=\"1200\" height=\"100\"></canvas><div id=\"tip\"></div></div>\n");
        sb.append("<p>Wheel: zoom · drag: pan · double-click: whole run · hover: details</p>\n");
        sb.append("<pre id=\"summary\">").append(esc(TableReport.render(List.of(run)))).append("</pre>\n");
        sb.append("<pre id=\"drawn\" hidden></pre>\n");
        sb.append("<script id=\"data\" type=\"application/json\">").append(data(run, t)).append("</script>\n");
        sb.append("<script>\n").append(script).append("\n</script>\n</body></html>\n");
        return sb.toString();
    }

    /** The embedded timeline: times in nanoseconds relative to the window's start. */
    static String data(RunSummary run, Timeline t) {
        long t0 = t.windowStart();
        StringBuilder sb = new StringBuilder();
        sb.append("{\"mode\":\"").append(t.exact() ? "exact" : "binned").append("\",\"t1\":").append(t.windowEnd() - t0);
        sb.append(",\"lanes\":[");
        for (int i = 0; i < t.lanes().size(); i++) {
            sb.append(i == 0 ? "" : ",").append(str(t.lanes().get(i)));
        }
        sb.append("],\"exitReasons\":[");
        for (int i = 0; i < t.exitReasons().size(); i++) sb.append(i == 0 ? "" : ",").append(str(t.exitReasons().get(i)));
        sb.append("],\"binStart\":").append(t.binStart() - t0).append(",\"binNanos\":").append(t.binNanos());
        sb.append(",\"lane\":[");
        for (int l = 0; l < t.lanes().size(); l++) {
            sb.append(l == 0 ? "{" : ",\n{");
            if (t.exact()) {
                sb.append("\"seg\":");
                relative(sb, t.segments(l), t0, 3, 2);
                sb.append(",\"marks\":");
                relative(sb, t.marks(l), t0, 2, 1);
            } else {
                sb.append("\"on\":").append(fractions(t.occupancy(l, 0), t.binNanos()));
                sb.append(",\"runnable\":").append(fractions(t.occupancy(l, 1), t.binNanos()));
                sb.append(",\"blocked\":").append(fractions(t.occupancy(l, 2), t.binNanos()));
                sb.append(",\"markBins\":").append(ints(t.markBins(l)));
            }
            sb.append(",\"exits\":");
            relative(sb, t.exits(l), t0, 2, 1);
            int[] eb = t.exitBins(l);
            if (eb != null) sb.append(",\"exitBins\":").append(ints(eb));
            sb.append('}');
        }
        sb.append("]}");
        return sb.toString();
    }

    /** Flat groups of {@code stride} values whose first {@code times} are times, made relative to t0. */
    private static void relative(StringBuilder sb, long[] flat, long t0, int stride, int times) {
        sb.append('[');
        for (int i = 0; i < flat.length; i++) {
            sb.append(i == 0 ? "" : ",").append(i % stride < times ? flat[i] - t0 : flat[i]);
        }
        sb.append(']');
    }

    private static String fractions(double[] nanos, long binNanos) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < nanos.length; i++) {
            sb.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.3f", nanos[i] / binNanos));
        }
        return sb.append(']').toString();
    }

    private static String ints(int[] a) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < a.length; i++) sb.append(i == 0 ? "" : ",").append(a[i]);
        return sb.append(']').toString();
    }

    private static String str(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') sb.append('\\').append(c);
            else if (c < 0x20 || c == '<' || c == '>' || c == '&') sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        return sb.append('"').toString();
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static String resource(String name) {
        try (InputStream in = TimelineHtml.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("resource " + name + " is missing from the jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

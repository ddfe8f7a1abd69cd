package dev.jkvm.analysis.picture;

import dev.jkvm.analysis.RunSummary;
import java.util.Locale;

/**
 * `jkvm analyze --svg`: the timeline as a static figure for a paper: a lane per vCPU (on CPU full
 * height, runnable half, blocked a thin line), switch classes as marks above, exits as ticks below,
 * a millisecond axis and a legend. Segments are rects with class on/runnable/blocked and data-lane,
 * so the figure can be restyled or checked. Binned timelines draw one rect per bin and state, its
 * opacity the fraction of the bin.
 */
public final class TimelineSvg {
    private static final int WIDTH = 1000, LEFT = 80, RIGHT = 10, AXIS = 28, LANE = 30;
    private static final String[] CLASS = {"on", "runnable", "blocked"};
    private static final String[] MARK = {"first", "same", "other", "unknown"};

    private TimelineSvg() {}

    public static String render(RunSummary run, Timeline t) {
        int n = t.lanes().size();
        int height = AXIS + n * LANE + 34;
        long t0 = t.windowStart(), span = Math.max(1, t.windowEnd() - t0);
        double scale = (WIDTH - LEFT - RIGHT) / (double) span;
        StringBuilder sb = new StringBuilder();
        sb.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"").append(height)
                .append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(height).append("\" font-family=\"sans-serif\" font-size=\"11\">\n");
        sb.append("<style>.on{fill:#2e7d32}.runnable{fill:#f9a825}.blocked{fill:#b0bec5}.first{fill:#1565c0}")
                .append(".same{fill:#8e24aa}.other{fill:#d32f2f}.unknown{fill:#757575}.exit{fill:#000}</style>\n");
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n");
        axis(sb, span, scale);
        for (int l = 0; l < n; l++) {
            int top = AXIS + l * LANE;
            sb.append("<text x=\"4\" y=\"").append(top + LANE / 2 + 4).append("\">").append(TimelineHtml.esc(t.lanes().get(l))).append("</text>\n");
            if (t.exact()) {
                long[] s = t.segments(l);
                for (int i = 0; i < s.length; i += 3) {
                    int st = (int) s[i + 2];
                    double x = LEFT + (s[i] - t0) * scale, w = Math.max(0.2, (s[i + 1] - s[i]) * scale);
                    int y = top + (st == 0 ? 5 : st == 1 ? 10 : 14), h = st == 0 ? LANE - 10 : st == 1 ? LANE - 20 : LANE - 28;
                    sb.append("<rect class=\"").append(CLASS[st]).append("\" data-lane=\"").append(l).append("\" x=\"").append(f(x))
                            .append("\" y=\"").append(y).append("\" width=\"").append(f(w)).append("\" height=\"").append(h).append("\"/>\n");
                }
                long[] m = t.marks(l);
                for (int i = 0; i < m.length; i += 2) {
                    sb.append("<rect class=\"").append(MARK[(int) m[i + 1]]).append("\" x=\"").append(f(LEFT + (m[i] - t0) * scale))
                            .append("\" y=\"").append(top).append("\" width=\"1.5\" height=\"4\"/>\n");
                }
            } else {
                long binStart = t.binStart() - t0;
                for (int st = 0; st < 3; st++) {
                    double[] occ = t.occupancy(l, st);
                    for (int b = 0; b < occ.length; b++) {
                        double frac = occ[b] / t.binNanos();
                        if (frac <= 0) continue;
                        sb.append("<rect class=\"").append(CLASS[st]).append("\" data-lane=\"").append(l).append("\" x=\"")
                                .append(f(LEFT + (binStart + b * t.binNanos()) * scale)).append("\" y=\"").append(top + 5 + 7 * st)
                                .append("\" width=\"").append(f(Math.max(0.2, t.binNanos() * scale))).append("\" height=\"6\" fill-opacity=\"")
                                .append(f(Math.min(1, frac))).append("\"/>\n");
                    }
                }
            }
            long[] e = t.exits(l);
            for (int i = 0; i < e.length; i += 2) {
                sb.append("<rect class=\"exit\" x=\"").append(f(LEFT + (e[i] - t0) * scale)).append("\" y=\"").append(top + LANE - 5)
                        .append("\" width=\"0.6\" height=\"4\"/>\n");
            }
        }
        int y = AXIS + n * LANE + 20;
        String[][] legend = {{"on", "on CPU"}, {"runnable", "runnable"}, {"blocked", "blocked"}, {"first", "first run"},
            {"same", "same vCPU resumed"}, {"other", "from another vCPU"}, {"unknown", "unclassified (outside KVM_RUN)"}, {"exit", "exit"}};
        int x = LEFT;
        for (String[] k : legend) {
            sb.append("<rect class=\"").append(k[0]).append("\" x=\"").append(x).append("\" y=\"").append(y - 9).append("\" width=\"10\" height=\"10\"/>");
            sb.append("<text x=\"").append(x + 14).append("\" y=\"").append(y).append("\">").append(k[1]).append("</text>\n");
            x += 20 + 7 * k[1].length();
        }
        return sb.append("</svg>\n").toString();
    }

    private static void axis(StringBuilder sb, long span, double scale) {
        double step = Math.pow(10, Math.floor(Math.log10(span / 8.0)));
        if (span / step > 16) step *= 5;
        else if (span / step > 8) step *= 2;
        sb.append("<line x1=\"").append(LEFT).append("\" y1=\"").append(AXIS - 4).append("\" x2=\"").append(WIDTH - RIGHT)
                .append("\" y2=\"").append(AXIS - 4).append("\" stroke=\"#555\"/>\n");
        // As many decimals as the step needs, never an exponent ("1.50e+03 ms" before).
        int decimals = (int) Math.max(0, -Math.floor(Math.log10(step / 1e6)));
        for (double v = 0; v <= span; v += step) {
            double x = LEFT + v * scale;
            // A label near the right edge ends at its tick, so that it is not cut off.
            String anchor = x > WIDTH - RIGHT - 40 ? "end" : "middle";
            sb.append("<line x1=\"").append(f(x)).append("\" y1=\"").append(AXIS - 8).append("\" x2=\"").append(f(x)).append("\" y2=\"")
                    .append(AXIS - 4).append("\" stroke=\"#555\"/><text x=\"").append(f(x)).append("\" y=\"").append(AXIS - 11)
                    .append("\" text-anchor=\"").append(anchor).append("\">")
                    .append(String.format(Locale.ROOT, "%." + decimals + "f ms", v / 1e6)).append("</text>\n");
        }
    }

    private static String f(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }
}

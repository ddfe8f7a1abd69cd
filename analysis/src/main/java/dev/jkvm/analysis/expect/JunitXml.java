package dev.jkvm.analysis.expect;

import java.util.List;
import java.util.Locale;

/**
 * JUnit XML as CI systems read it (Jenkins, GitLab, GitHub test reporters): one {@code <testsuite>}
 * per recording or experiment, one {@code <testcase>} per expectation, a {@code <failure>} whose
 * message holds the expected and the measured value; a passing case has its verdict line (the
 * measured value) as {@code <system-out>}, which Jenkins, GitLab and surefire's schema allow there.
 */
public final class JunitXml {
    private JunitXml() {}

    /**
     * One test case; {@code failure} is null when it passed; {@code type} is the failure's type:
     * ExpectationFailed for an expectation, RunFailed for how the run ended, NotRun, TimedOut.
     */
    public record Case(String name, String failure, String detail, String type) {
        public Case(String name, String failure, String detail) {
            this(name, failure, detail, "ExpectationFailed");
        }

        public static Case of(Verdict v) {
            return new Case(v.expectation().text(), v.passed() ? null : v.message(), v.line());
        }
    }

    /** One suite: an experiment or a recording, how long it took (seconds), its cases. */
    public record Suite(String name, double seconds, List<Case> cases) {
        public Suite {
            cases = List.copyOf(cases);
        }

        public long failures() {
            return cases.stream().filter(c -> c.failure() != null).count();
        }

        public static Suite of(String name, double seconds, List<Verdict> verdicts) {
            return new Suite(name, seconds, verdicts.stream().map(Case::of).toList());
        }
    }

    public static String render(List<Suite> suites) {
        long tests = suites.stream().mapToLong(s -> s.cases().size()).sum();
        long failures = suites.stream().mapToLong(Suite::failures).sum();
        double time = suites.stream().mapToDouble(Suite::seconds).sum();
        StringBuilder sb = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        sb.append("<testsuites name=\"jkvm\" tests=\"").append(tests).append("\" failures=\"").append(failures)
                .append("\" errors=\"0\" time=\"").append(seconds(time)).append("\">\n");
        for (Suite s : suites) {
            sb.append("  <testsuite name=\"").append(escape(s.name())).append("\" tests=\"").append(s.cases().size())
                    .append("\" failures=\"").append(s.failures()).append("\" errors=\"0\" skipped=\"0\" time=\"")
                    .append(seconds(s.seconds())).append("\">\n");
            for (Case c : s.cases()) {
                sb.append("    <testcase classname=\"jkvm.").append(escape(s.name())).append("\" name=\"").append(escape(c.name()))
                        .append("\" time=\"0\"");
                if (c.failure() == null && c.detail() == null) {
                    sb.append("/>\n");
                } else if (c.failure() == null) {
                    // A passing case carries what was measured too, where CI shows a case's output.
                    sb.append(">\n      <system-out>").append(escape(c.detail())).append("</system-out>\n    </testcase>\n");
                } else {
                    sb.append(">\n      <failure message=\"").append(escape(c.failure())).append("\" type=\"").append(escape(c.type())).append("\">")
                            .append(escape(c.detail())).append("</failure>\n    </testcase>\n");
                }
            }
            sb.append("  </testsuite>\n");
        }
        return sb.append("</testsuites>\n").toString();
    }

    private static String seconds(double s) {
        return String.format(Locale.ROOT, "%.3f", s);
    }

    /** Escapes for text and attribute values; characters XML 1.0 cannot hold become '?'. */
    static String escape(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&apos;");
                case '\n' -> out.append("&#10;");
                case '\t' -> out.append("&#9;");
                default -> {
                    if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                        out.append(c).append(s.charAt(++i));
                    } else if (c < 0x20 || Character.isSurrogate(c) || c == 0xFFFE || c == 0xFFFF) {
                        out.append('?');
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}

package dev.jkvm.analysis.expect;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Recursive descent over the grammar (README, "Expectations"):
 * <pre>
 * expectation := metric ( COMPARE value | "within" value ("±" | "+-" | "+/-") value ) END
 * metric      := NAME [ "(" arg { "," arg } ")" ]
 * arg         := NAME [ "/" NUMBER ]                      vm1, vm1/0, IO
 * value       := term { ("*" | "/") term }
 * term        := NUMBER [ unit | ":" NUMBER ] | "N" | "(" value ")"      3.06:1 is 3.06
 * unit        := ns | us | µs | ms | s | %
 * </pre>
 * Types are checked here too (a time needs a unit, a share takes none), so every mistake is reported
 * with its position before any recording is read.
 */
final class Parser {
    private static final Map<String, Double> TIME_UNITS = Map.of("ns", 1.0, "us", 1e3, "\u00b5s", 1e3, "\u03bcs", 1e3, "ms", 1e6, "s", 1e9);
    private static final int MAX_DEPTH = 32;
    /** Longer texts are refused: nothing sensible is that long, and the checks stay cheap. */
    static final int MAX_LENGTH = 500;

    private final String text;
    private final List<Token> tokens;
    private int next;
    private int depth;

    Parser(String text) {
        this.text = text;
        if (text.length() > MAX_LENGTH) throw new ExpectationSyntaxException(text, MAX_LENGTH, "expectation longer than " + MAX_LENGTH + " characters");
        this.tokens = Lexer.tokens(text);
    }

    Expectation expectation() {
        if (peek().kind() == Token.Kind.END) throw error(peek(), "empty expectation (write e.g. 'slice.p99 < 12ms')");
        Token name = take(Token.Kind.NAME, "a metric name (e.g. share, slice.p99, fairness)");
        Metric metric = Metrics.get(name.text());
        if (metric == null) throw error(name, "unknown metric '" + name.text() + "'" + suggestion(name.text()));
        List<String> args = new ArrayList<>();
        Token open = peek();
        if (open.kind() == Token.Kind.LPAREN) {
            next++;
            do {
                if (metric.params().max == 0) throw error(open, metric.name() + " takes no arguments (it is run-wide)");
                if (args.size() == metric.params().max) {
                    throw error(peek(), metric.name() + " takes at most " + metric.params().max + " argument" + (metric.params().max == 1 ? "" : "s")
                            + ": " + metric.usage());
                }
                Token first = peek();
                args.add(argument());
                if (metric.params() == Metric.Params.VM_AND_REASON && args.size() == 2 && !Metrics.isExitReason(args.get(1))) {
                    throw error(first, "unknown exit reason '" + args.get(1) + "': one of " + String.join(", ", Metrics.EXIT_REASONS)
                            + " (case does not matter)");
                }
            } while (accept(Token.Kind.COMMA));
            take(Token.Kind.RPAREN, "')' or ','");
        }
        if (args.size() < metric.params().min) {
            throw error(open, metric.name() + " needs " + (metric.params().min == 1 ? "a VM" : metric.params().min + " VMs") + ": " + metric.usage());
        }
        Token op = peek();
        Expectation.Check check;
        if (op.kind() == Token.Kind.COMPARE) {
            next++;
            check = new Expectation.Compare(op.text(), typed(value(), metric, "the value"));
        } else if (op.kind() == Token.Kind.NAME && op.text().equals("within")) {
            next++;
            Quantity center = typed(value(), metric, "the value");
            take(Token.Kind.PLUS_MINUS, "'±' (or +-) and a tolerance");
            Quantity tolerance = value();
            toleranceTyped(tolerance, metric);
            check = new Expectation.Within(center, tolerance);
        } else {
            throw error(op, "expected a comparison (< <= > >= == !=) or 'within' after " + metric.name()
                    + (op.kind() == Token.Kind.END ? "" : ", found '" + op.text() + "'"));
        }
        if (peek().kind() != Token.Kind.END) throw error(peek(), "unexpected '" + peek().text() + "' after the expectation");
        return new Expectation(text, metric, args, check);
    }

    private String argument() {
        Token a = take(Token.Kind.NAME, "a VM name (vm0, vm1/0) or an exit reason (IO, HLT)");
        if (peek().kind() == Token.Kind.SLASH) {
            next++;
            // vm1/cpu2 as the tables name a vCPU of an SMP VM, or vm1/2.
            if (peek().kind() == Token.Kind.NAME && peek().text().matches("cpu\\d{1,9}")) {
                return a.text() + "/" + Integer.parseInt(tokens.get(next++).text().substring(3));
            }
            Token vcpu = take(Token.Kind.NUMBER, "a vCPU number after '/' (vm1/0 or vm1/cpu0)");
            if (!vcpu.text().chars().allMatch(Character::isDigit) || vcpu.text().length() > 9) throw error(vcpu, "a vCPU number is a whole number");
            return a.text() + "/" + Integer.parseInt(vcpu.text());
        }
        return a.text();
    }

    private Quantity value() {
        if (++depth > MAX_DEPTH) throw error(peek(), "value nested more than " + MAX_DEPTH + " levels deep");
        Quantity q = term();
        while (peek().kind() == Token.Kind.STAR || peek().kind() == Token.Kind.SLASH) {
            Token op = tokens.get(next++);
            Quantity right = term();
            boolean divide = op.kind() == Token.Kind.SLASH;
            if (q.isTime() && right.isTime() && !divide) throw error(op, "a time times a time is not a time");
            if (!q.isTime() && right.isTime() && divide) throw error(op, "a number divided by a time is a rate, which no metric is");
            // Only literals are known now (N is at least 1): a bound that divides by zero could never be judged.
            if (divide && right instanceof Quantity.Literal l && l.number() == 0) throw error(op, "division by zero");
            q = new Quantity.Product(q, divide, right, op.position());
        }
        depth--;
        return q;
    }

    private Quantity term() {
        Token t = peek();
        switch (t.kind()) {
            case NUMBER -> {
                next++;
                double v;
                try {
                    v = Double.parseDouble(t.text());
                } catch (NumberFormatException e) {
                    throw error(t, "not a number: '" + t.text() + "'");
                }
                if (!Double.isFinite(v)) throw error(t, "number too large: '" + t.text() + "'");
                Token unit = peek();
                if (unit.kind() == Token.Kind.PERCENT) {
                    next++;
                    return new Quantity.Literal(v / 100, false, true, t.position());
                }
                if (unit.kind() == Token.Kind.NAME) {
                    Double scale = TIME_UNITS.get(unit.text());
                    if (scale == null) throw error(unit, "unknown unit '" + unit.text() + "' (use ns, us, µs, ms, s or %)");
                    next++;
                    return new Quantity.Literal(v * scale, true, false, t.position());
                }
                if (unit.kind() == Token.Kind.COLON) {
                    next++;
                    Token d = take(Token.Kind.NUMBER, "a number after ':' (a ratio such as 3.06:1)");
                    double den = Double.parseDouble(d.text());
                    if (den == 0 || !Double.isFinite(den)) throw error(d, "a ratio's second number must be a finite number other than 0");
                    return new Quantity.Literal(v / den, false, false, t.position());
                }
                return new Quantity.Literal(v, false, false, t.position());
            }
            case NAME -> {
                if (t.text().equals("N")) {
                    next++;
                    return new Quantity.VcpuCount(t.position());
                }
                throw error(t, "expected a number or N (the number of vCPUs), found '" + t.text() + "'");
            }
            case LPAREN -> {
                next++;
                Quantity q = value();
                take(Token.Kind.RPAREN, "')'");
                return q;
            }
            default -> throw error(t, "expected a number or N (the number of vCPUs)" + found(t));
        }
    }

    /** A value compared with a time metric is a time; with any other metric a plain number (or percent). */
    private Quantity typed(Quantity q, Metric m, String what) {
        if (m.dimension() == Dimension.TIME && !q.isTime()) {
            throw error(q.position(), m.name() + " is a time: give " + what + " a unit (ns, us, µs, ms, s)");
        }
        if (m.dimension() != Dimension.TIME && q.isTime()) {
            throw error(q.position(), m.name() + " is " + article(m.dimension()) + ", not a time: drop the unit");
        }
        return q;
    }

    private void toleranceTyped(Quantity t, Metric m) {
        if (t.percent()) return; // relative (or percentage points of a fraction): fits every metric
        if (m.dimension() == Dimension.TIME && !t.isTime()) {
            throw error(t.position(), "the tolerance of a time is a time (e.g. ± 1ms) or a percentage of the value (± 10%)");
        }
        if (m.dimension() != Dimension.TIME && t.isTime()) {
            throw error(t.position(), m.name() + " is " + article(m.dimension()) + ", not a time: drop the tolerance's unit");
        }
    }

    private static String article(Dimension d) {
        return switch (d) {
            case FRACTION -> "a fraction (0.5 or 50%)";
            case COUNT -> "a count";
            case RATIO -> "a ratio";
            case TIME -> "a time";
        };
    }

    private Token peek() {
        return tokens.get(next);
    }

    private boolean accept(Token.Kind kind) {
        if (peek().kind() != kind) return false;
        next++;
        return true;
    }

    private Token take(Token.Kind kind, String what) {
        Token t = peek();
        if (t.kind() != kind) throw error(t, "expected " + what + found(t));
        next++;
        return t;
    }

    private static String found(Token t) {
        return t.kind() == Token.Kind.END ? " at the end" : ", found '" + t.text() + "'";
    }

    private ExpectationSyntaxException error(Token t, String reason) {
        return error(t.position(), reason);
    }

    private ExpectationSyntaxException error(int position, String reason) {
        return new ExpectationSyntaxException(text, position, reason);
    }

    /** " (did you mean slice.p99?)" for a near miss, else the list of metrics. */
    private static String suggestion(String name) {
        Metric best = Metrics.all().stream().min(Comparator.comparingInt(m -> distance(m.name(), name))).orElseThrow();
        if (distance(best.name(), name) <= Math.max(2, name.length() / 4)) return " (did you mean " + best.name() + "?)";
        return " (metrics: " + String.join(", ", Metrics.all().stream().map(Metric::name).toList()) + ")";
    }

    private static int distance(String a, String b) {
        if (a.length() > 64 || b.length() > 64) return Integer.MAX_VALUE;
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}

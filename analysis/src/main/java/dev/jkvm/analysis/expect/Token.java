package dev.jkvm.analysis.expect;

/** One lexical token of an expectation: its kind, its text, and where it starts (0-based). */
record Token(Kind kind, String text, int position) {
    enum Kind {
        /** A number as written: 12, 0.95, 1e5. */
        NUMBER,
        /** A metric, VM, exit reason or unit name: slice.p99, vm1, vm1/0 is NAME "/" NUMBER, IO, ms, µs. */
        NAME,
        /** {@code < <= > >= == !=} */
        COMPARE,
        PLUS_MINUS,
        PERCENT,
        LPAREN,
        RPAREN,
        COMMA,
        SLASH,
        /** The ':' of a ratio written as 3.06:1. */
        COLON,
        STAR,
        END
    }

    int end() {
        return position + text.length();
    }
}

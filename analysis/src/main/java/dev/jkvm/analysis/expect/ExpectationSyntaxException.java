package dev.jkvm.analysis.expect;

/**
 * A mistake in an expectation's text, found before anything runs: what is wrong and where (a
 * 0-based character index into the text). {@link #pointer()} draws the text with a caret under the
 * mistake.
 */
public final class ExpectationSyntaxException extends RuntimeException {
    private final String text;
    private final int position;
    private final String reason;

    public ExpectationSyntaxException(String text, int position, String reason) {
        super(reason + " at column " + (Math.max(0, Math.min(position, text.length())) + 1) + " of '" + text + "'");
        this.text = text;
        this.position = Math.max(0, Math.min(position, text.length()));
        this.reason = reason;
    }

    public String text() {
        return text;
    }

    /** 0-based index of the mistake in {@link #text()}; the text's length when something is missing at the end. */
    public int position() {
        return position;
    }

    /** What is wrong, without the position. */
    public String reason() {
        return reason;
    }

    /** Two lines: the text (control characters shown as spaces) and a caret under the mistake. */
    public String pointer() {
        StringBuilder line = new StringBuilder();
        for (char c : text.toCharArray()) line.append(Character.isISOControl(c) ? ' ' : c);
        return line + "\n" + " ".repeat(position) + "^";
    }
}

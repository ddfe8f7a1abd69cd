package dev.jkvm.analysis.expect;

import java.util.ArrayList;
import java.util.List;

/** Splits an expectation into {@link Token}s; a character that starts no token is a syntax error at its position. */
final class Lexer {
    private Lexer() {}

    static List<Token> tokens(String text) {
        List<Token> out = new ArrayList<>();
        int i = 0, n = text.length();
        while (i < n) {
            char c = text.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c >= '0' && c <= '9' || c == '.' && i + 1 < n && isDigit(text.charAt(i + 1))) {
                int start = i;
                while (i < n && isDigit(text.charAt(i))) i++;
                if (i < n && text.charAt(i) == '.') {
                    i++;
                    if (i >= n || !isDigit(text.charAt(i))) throw new ExpectationSyntaxException(text, i, "a digit must follow the decimal point");
                    while (i < n && isDigit(text.charAt(i))) i++;
                }
                if (i < n && (text.charAt(i) == 'e' || text.charAt(i) == 'E') && exponentFollows(text, i + 1)) {
                    i++;
                    if (text.charAt(i) == '+' || text.charAt(i) == '-') i++;
                    while (i < n && isDigit(text.charAt(i))) i++;
                }
                out.add(new Token(Token.Kind.NUMBER, text.substring(start, i), start));
            } else if (isNameStart(c)) {
                int start = i;
                while (i < n && isNamePart(text.charAt(i))) i++;
                // A name never ends with a dot ("slice." is slice followed by a stray dot).
                while (text.charAt(i - 1) == '.') i--;
                out.add(new Token(Token.Kind.NAME, text.substring(start, i), start));
            } else {
                int start = i;
                String two = text.startsWith("+/-", i) ? "+-" : i + 1 < n ? text.substring(i, i + 2) : "";
                Token t = switch (two) {
                    case "<=", ">=", "==", "!=" -> new Token(Token.Kind.COMPARE, two, start);
                    case "+-" -> new Token(Token.Kind.PLUS_MINUS, text.startsWith("+/-", i) ? "+/-" : "+-", start);
                    default -> switch (c) {
                        case '<', '>' -> new Token(Token.Kind.COMPARE, String.valueOf(c), start);
                        case '\u00b1' -> new Token(Token.Kind.PLUS_MINUS, "\u00b1", start);
                        case '%' -> new Token(Token.Kind.PERCENT, "%", start);
                        case '(' -> new Token(Token.Kind.LPAREN, "(", start);
                        case ')' -> new Token(Token.Kind.RPAREN, ")", start);
                        case ',' -> new Token(Token.Kind.COMMA, ",", start);
                        case '/' -> new Token(Token.Kind.SLASH, "/", start);
                        case '*' -> new Token(Token.Kind.STAR, "*", start);
                        case ':' -> new Token(Token.Kind.COLON, ":", start);
                        case '=' -> throw new ExpectationSyntaxException(text, i, "'=' alone is not a comparison (use ==)");
                        case '!' -> throw new ExpectationSyntaxException(text, i, "'!' alone is not a comparison (use !=)");
                        default -> throw new ExpectationSyntaxException(text, i, "unexpected character '" + printable(text, i) + "'");
                    };
                };
                out.add(t);
                i += t.text().length();
            }
        }
        out.add(new Token(Token.Kind.END, "", n));
        return out;
    }

    private static boolean exponentFollows(String text, int i) {
        if (i < text.length() && (text.charAt(i) == '+' || text.charAt(i) == '-')) i++;
        return i < text.length() && isDigit(text.charAt(i));
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** Letters (µ included), '_'; names go on with digits, '.', '_' and '-'. */
    private static boolean isNameStart(char c) {
        return Character.isLetter(c) || c == '_';
    }

    private static boolean isNamePart(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '.' || c == '-';
    }

    private static String printable(String text, int i) {
        int cp = text.codePointAt(i);
        return Character.isISOControl(cp) || Character.isSurrogate(text.charAt(i)) && !Character.isSupplementaryCodePoint(cp)
                ? String.format("\\u%04x", (int) text.charAt(i)) : new String(Character.toChars(cp));
    }
}

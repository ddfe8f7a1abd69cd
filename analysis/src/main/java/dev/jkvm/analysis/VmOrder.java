package dev.jkvm.analysis;

import java.util.Comparator;

/**
 * VM names in the order people count them: vm2 before vm10 (as text, vm10 came between vm1 and vm2
 * in every table, CSV, JSON and picture of a run with ten VMs or more). A name is compared by the
 * text before its trailing digits, then by those digits as a number, then as text.
 */
public final class VmOrder {
    private VmOrder() {}

    public static final Comparator<String> NATURAL = VmOrder::compare;

    static int compare(String a, String b) {
        int da = digitsFrom(a), db = digitsFrom(b);
        int byPrefix = a.substring(0, da).compareTo(b.substring(0, db));
        if (byPrefix != 0) return byPrefix;
        String na = a.substring(da), nb = b.substring(db);
        if (na.isEmpty() || nb.isEmpty()) return a.compareTo(b);
        String ta = na.replaceFirst("^0+(?=.)", ""), tb = nb.replaceFirst("^0+(?=.)", "");
        int byValue = ta.length() != tb.length() ? Integer.compare(ta.length(), tb.length()) : ta.compareTo(tb);
        return byValue != 0 ? byValue : a.compareTo(b);
    }

    /** Where the name's trailing run of digits begins (its length when it has none). */
    private static int digitsFrom(String s) {
        int i = s.length();
        while (i > 0 && Character.isDigit(s.charAt(i - 1)) && s.charAt(i - 1) < 128) i--;
        return i;
    }
}

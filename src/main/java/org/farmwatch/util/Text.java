package org.farmwatch.util;

/**
 * Text from input files made safe to show: bounded in length, and with control and bidirectional-override
 * characters made visible, so that an attribute can neither split a message or a list row nor reorder what a
 * reader sees. Stateless.
 */
public final class Text {
    private Text() {}

    /** Excel's limit on the characters of one cell. */
    public static final int XLSX_CELL_MAX = 32_767;

    /**
     * {@code s} cut to at most {@code max} characters, the cut marked with an ellipsis and the full length
     * ("…[100000 chars]"); null stays null. A surrogate pair is never split.
     */
    public static String bounded(String s, int max) {
        if (s == null || s.length() <= max) {
            return s;
        }
        String tail = "…[" + s.length() + " chars]";
        int keep = Math.max(0, max - tail.length());
        if (keep > 0 && Character.isHighSurrogate(s.charAt(keep - 1))) {
            keep--;
        }
        return s.substring(0, keep) + tail;
    }

    /**
     * True for the characters that must not reach a message or a list raw: C0 and C1 controls (CR and LF
     * included), DEL, and the bidirectional embedding, override and isolate marks (U+202A-U+202E,
     * U+2066-U+2069), the line and paragraph separators and the directional marks U+200E, U+200F, U+061C.
     */
    public static boolean unsafe(int c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)
                || c == 0x2028 || c == 0x2029 || c == 0x200e || c == 0x200f || c == 0x061c;
    }

    /** {@code s} with every {@link #unsafe} character written as an escape ({@code \n}, {@code \r}, {@code \t}, {@code \u202E}). */
    public static String escaped(String s) {
        return replacingUnsafe(s, (c, b) -> {
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> b.append(String.format("\\u%04X", (int) c));
            }
        });
    }

    /**
     * {@code s} as a list or report shows it: CR, LF and tab become spaces (a row stays one row), the bidirectional
     * marks and overrides become visible escapes such as {@code \u202E} (nothing reorders what a reader sees), and
     * the other control characters are dropped (XML cannot carry them); null stays null.
     */
    public static String listSafe(String s) {
        return replacingUnsafe(s, (c, b) -> {
            if (c == '\r' || c == '\n' || c == '\t') {
                b.append(' ');
            } else if (c >= 0x200e) {
                b.append(String.format("\\u%04X", (int) c));
            } else if (c == 0x061c) {
                b.append("\\u061C");
            }
        });
    }

    /** What one {@link #unsafe} character becomes: appended to the builder (nothing: dropped). */
    private interface Replacement {
        void append(char c, StringBuilder b);
    }

    /** {@code s} with each {@link #unsafe} character replaced; {@code s} itself when it has none; null stays null. */
    private static String replacingUnsafe(String s, Replacement replacement) {
        if (s == null) {
            return null;
        }
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!unsafe(c)) {
                if (b != null) {
                    b.append(c);
                }
                continue;
            }
            if (b == null) {
                b = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            replacement.append(c, b);
        }
        return b == null ? s : b.toString();
    }

    /** For display: {@link #escaped} and then {@link #bounded}. */
    public static String shown(String s, int max) {
        return bounded(escaped(s), max);
    }
}

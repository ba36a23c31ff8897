package org.farmwatch.publish;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.function.Function;

/**
 * One column of an inspector list: a bilingual header, and the cell of a row as text or as a number. Immutable.
 * {@code decimals} is -1 for text, otherwise the number of decimals the value is rounded to, as printed and as
 * stored in the workbook.
 *
 * @param <T> the row type: a flagged parcel, or a change patch's row of the patch list
 */
record ListColumn<T>(String header, int decimals, double widthChars, Function<T, Object> read) {

    ListColumn {
        if (header == null || header.isBlank()) {
            throw new IllegalArgumentException("a list column needs a header, got: '" + header + "'");
        }
        if (decimals < -1) {
            throw new IllegalArgumentException("decimals must be -1 (text) or >= 0, got: " + decimals);
        }
    }

    boolean numeric() {
        return decimals >= 0;
    }

    /** The row's cell: a String (never null), or a BigDecimal rounded as printed, or null when not finite. */
    Object cell(T row) {
        Object v = read.apply(row);
        if (!numeric()) {
            return v == null ? "" : v.toString();
        }
        double d = ((Number) v).doubleValue();
        // BigDecimal.valueOf rounds the shortest decimal form, so 0.125 prints as 0.13 as people expect.
        return Double.isFinite(d) ? BigDecimal.valueOf(d).setScale(decimals, RoundingMode.HALF_UP) : null;
    }

    /** Excel number format matching the rounding. */
    String excelFormat() {
        return decimals == 0 ? "0" : "0." + "0".repeat(decimals);
    }

    static <T> ListColumn<T> text(String header, double width, Function<T, Object> read) {
        return new ListColumn<>(header, -1, width, read);
    }

    static <T> ListColumn<T> number(String header, int decimals, double width, Function<T, Object> read) {
        return new ListColumn<>(header, decimals, width, read);
    }
}

package org.farmwatch.publish;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.fontbox.ttf.CmapLookup;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.font.PDType0Font;

/**
 * Text on a dossier page in the embedded CJK font: shown, measured, cut to a width or wrapped over lines. Control
 * characters become spaces and characters the font lacks become '?', so hand-typed text never fails a page.
 */
final class DossierText {

    /** The most characters of a text line a dossier page prints; longer attributes are cut (the lists keep them). */
    static final int MAX_LINE_CHARS = PdfDossier.MAX_LINE_CHARS;

    private final PDType0Font font;
    private final CmapLookup cmap;

    DossierText(PDType0Font font, CmapLookup cmap) {
        this.font = font;
        this.cmap = cmap;
    }

    /** Shows {@code s} in black, whatever fill colour a drawing left set. */
    void show(PDPageContentStream cs, float size, float x, float y, String s) throws IOException {
        cs.setNonStrokingColor(0f, 0f, 0f);
        cs.beginText();
        cs.setFont(font, size);
        cs.newLineAtOffset(x, y);
        cs.showText(printable(s));
        cs.endText();
    }

    float width(String s, float size) throws IOException {
        return font.getStringWidth(printable(s)) / 1000 * size;
    }

    /** {@code s} cut with an ellipsis to fit {@code max} points: a binary search over its length, so linear in it. */
    String fit(String s, float size, float max) throws IOException {
        String t = printable(s);
        if (width(t, size) <= max) {
            return t;
        }
        int lo = 0;
        int hi = t.codePointCount(0, t.length());
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (width(t.substring(0, t.offsetByCodePoints(0, mid)) + "…", size) <= max) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return t.substring(0, t.offsetByCodePoints(0, lo)) + "…";
    }

    /** {@code s} over as many lines of {@code max} points as it needs, broken at spaces where it can: nothing cut. */
    List<String> wrap(String s, float size, float max) throws IOException {
        String t = printable(s);
        List<String> lines = new ArrayList<>();
        while (!t.isEmpty()) {
            if (width(t, size) <= max) {
                lines.add(t);
                break;
            }
            // The most code points that fit, by binary search (at least one, so that the loop always advances).
            int lo = 1;
            int hi = t.codePointCount(0, t.length());
            while (lo < hi) {
                int mid = (lo + hi + 1) >>> 1;
                if (width(t.substring(0, t.offsetByCodePoints(0, mid)), size) <= max) {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            int fits = lo;
            int end = t.offsetByCodePoints(0, fits);
            int space = t.lastIndexOf(' ', end);
            if (space > end / 2) {
                end = space;
            }
            lines.add(t.substring(0, end));
            t = t.substring(end).stripLeading();
        }
        return lines;
    }

    private String printable(String s) {
        if (s == null) {
            return "";
        }
        // No line of an A4 page holds more: a 100,000-character attribute costs no more than this.
        s = org.farmwatch.util.Text.bounded(s, MAX_LINE_CHARS);
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> {
            if (Character.isISOControl(cp) || Character.isWhitespace(cp)) {
                b.append(' ');
            } else if (cmap.getGlyphId(cp) == 0) {
                b.append('?');
            } else {
                b.appendCodePoint(cp);
            }
        });
        return b.toString();
    }
}

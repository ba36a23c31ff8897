package org.farmwatch.publish;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.fontbox.ttf.CmapLookup;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.font.PDType0Font;
import org.apache.pdfbox.pdmodel.graphics.image.JPEGFactory;
import org.apache.pdfbox.pdmodel.graphics.image.PDImageXObject;
import org.farmwatch.change.ChangePatch;
import org.farmwatch.flag.FlaggedParcel;
import org.locationtech.jts.geom.Envelope;

/**
 * Lays out one flagged parcel's dossier page (A4 portrait): the title with the parcel id in full, before and after
 * chips framed on the parcel's change patches, the patches outlined in {@link DossierMarks#PATCH_RGB} and the parcel
 * faint, a scale bar, north arrow and locator map, the attributes, every patch's number and id in full (on a
 * continuation page when they do not fit), and the verdict boxes.
 */
final class DossierPage {

    /** A run's patches by id and their patch-list numbers, shared by a township's pages. */
    record Patches(Map<String, ChangePatch> byId, Map<String, String> numbers) {
        Patches {
            byId = Map.copyOf(byId);
            numbers = Map.copyOf(numbers);
        }

        List<ChangePatch> of(FlaggedParcel p) {
            List<ChangePatch> out = new ArrayList<>();
            if (p.patchIds() != null) {
                p.patchIds().forEach(id -> {
                    ChangePatch c = byId.get(id);
                    if (c != null) {
                        out.add(c);
                    }
                });
            }
            return out;
        }
    }

    static final PDRectangle PAGE = PDRectangle.A4;
    static final float MARGIN = 40;
    /** Lowest line of the patch block; the verdict boxes sit below. */
    private static final float PATCH_FLOOR = 140;

    private final PDDocument doc;
    private final DossierText text;
    private final List<FlaggedParcel> township;
    private final Patches patches;

    DossierPage(PDDocument doc, PDType0Font font, CmapLookup cmap, List<FlaggedParcel> township, Patches patches) {
        this.doc = doc;
        this.text = new DossierText(font, cmap);
        this.township = township;
        this.patches = patches;
    }

    /** The frame of a parcel's chips: on its patches when it has them, so that a small patch is not lost. */
    static Envelope frame(FlaggedParcel p, List<ChangePatch> onParcel) {
        if (onParcel.isEmpty()) {
            return ImageChips.frame(p);
        }
        Envelope e = new Envelope();
        onParcel.forEach(c -> e.expandToInclude(c.geometry().getEnvelopeInternal()));
        double half = Math.max(Math.max(e.getWidth(), e.getHeight()) * 0.75 + 30, 120);
        Envelope parcel = p.geometry() == null ? e : p.geometry().getEnvelopeInternal();
        // Show the whole parcel when that keeps the patches at least a third of the frame across.
        double parcelHalf = Math.max(Math.abs(parcel.getMaxX() - e.centre().x), Math.abs(parcel.getMinX() - e.centre().x));
        parcelHalf = Math.max(parcelHalf, Math.max(Math.abs(parcel.getMaxY() - e.centre().y),
                Math.abs(parcel.getMinY() - e.centre().y))) * 1.1;
        if (parcelHalf > half && parcelHalf <= 1.5 * half) {
            half = parcelHalf;
        }
        return new Envelope(e.centre().x - half, e.centre().x + half, e.centre().y - half, e.centre().y + half);
    }

    void write(FlaggedParcel p, String townshipName, int n, int of, String runId, PdfDossier.Chips chips)
            throws IOException {
        PDPage page = new PDPage(PAGE);
        doc.addPage(page);
        List<ChangePatch> onParcel = patches.of(p);
        Envelope frame = frame(p, onParcel);
        BufferedImage[] pair = chips.of(frame);
        float w = PAGE.getWidth();
        float right = w - MARGIN;
        List<String> patchLines;
        try (PDPageContentStream cs = new PDPageContentStream(doc, page)) {
            float y = PAGE.getHeight() - MARGIN;
            text.show(cs, 9, MARGIN, y, text.fit("永久基本农田变化核查单 Farmland change dossier · " + townshipName, 9,
                    w - 2 * MARGIN - 60));
            text.show(cs, 9, right - text.width(n + " / " + of, 9), y, n + " / " + of);
            y -= 22;
            String type = p.changeType() == null ? "" : p.changeType().chinese + " " + p.changeType().code;
            // The parcel id in full: wrapped over lines rather than cut.
            for (String line : text.wrap("地块 parcel " + Objects.toString(p.parcelId(), "") + "   " + type, 15,
                    w - 2 * MARGIN)) {
                text.show(cs, 15, MARGIN, y, line);
                y -= 18;
            }
            text.show(cs, 9, MARGIN, y, text.fit(InspectorLists.fromTo(p) + "   "
                    + LandClasses.named(p.landClass()), 9, w - 2 * MARGIN));
            y -= 8;

            float side = (w - 2 * MARGIN - 15) / 2;
            float top = y - 4;
            String[] captions = {"前时相 before " + Objects.toString(p.beforeDate(), ""),
                    "后时相 after " + Objects.toString(p.afterDate(), "")};
            for (int i = 0; i < 2; i++) {
                float x = MARGIN + i * (side + 15);
                if (pair[i] != null) {
                    PDImageXObject img = JPEGFactory.createFromImage(doc, pair[i], 0.85f);
                    cs.drawImage(img, x, top - side, side, side);
                } else {
                    cs.addRect(x, top - side, side, side);
                    cs.stroke();
                    text.show(cs, 9, x + 8, top - side / 2, "无影像 no image");
                }
                DossierMarks.Chip chip = new DossierMarks.Chip(frame, x, top - side, side);
                DossierMarks.parcel(cs, chip, p.geometry());
                for (ChangePatch c : onParcel) {
                    DossierMarks.patch(cs, chip, c.geometry());
                }
                DossierMarks.scaleBar(cs, chip, text);
                if (i == 1) {
                    DossierMarks.northArrow(cs, chip, text);
                }
                text.show(cs, 9, x, top - side - 12, captions[i]);
            }
            y = top - side - 24;
            text.show(cs, 8, MARGIN, y, "图例 legend:");
            DossierMarks.legend(cs, MARGIN + 52, y, text);
            y -= 16;

            float locatorSide = 130;
            DossierMarks.locator(cs, township, p, right - locatorSide, y - locatorSide, locatorSide, text);
            float valueX = MARGIN + 170;
            float valueW = right - locatorSide - 12 - valueX;
            for (ListColumn<FlaggedParcel> c : InspectorLists.COLUMNS) {
                String key = ReportPage.propertyName(c);
                if (key.equals("patch_ids") || key.equals("parcel_id")) {
                    continue; // both in full elsewhere on the page
                }
                text.show(cs, 8, MARGIN, y, text.fit(c.header(), 8, 165));
                text.show(cs, 8.5f, valueX, y, text.fit(InspectorLists.printed(c.cell(p)), 8.5f, valueW));
                y -= 12.5f;
            }
            y -= 6;
            text.show(cs, 9, MARGIN, y, "图斑 patches (" + (p.patchIds() == null ? 0 : p.patchIds().size()) + ")  编号 number · 标识 id · 亩 mu · 变化 change · 置信度 confidence");
            y -= 12;
            float width = w - 2 * MARGIN;
            patchLines = patchLines(p, onParcel, width, 8, false);
            int shown = 0;
            if (patchLines.size() * 10.5f <= y - PATCH_FLOOR + 10.5f) {
                while (shown < patchLines.size()) {
                    text.show(cs, 8, MARGIN, y, patchLines.get(shown++));
                    y -= 10.5f;
                }
            } else {
                // Many patches: shorter entries in two columns, so that a parcel still takes one page.
                float column = (width - 12) / 2;
                patchLines = patchLines(p, onParcel, column, 7, true);
                int perColumn = Math.max(1, (int) ((y - PATCH_FLOOR) / 9) + 1);
                for (int c = 0; c < 2; c++) {
                    float cy = y;
                    for (int k = 0; k < perColumn && shown < patchLines.size(); k++) {
                        text.show(cs, 7, MARGIN + c * (column + 12), cy, patchLines.get(shown++));
                        cy -= 9;
                    }
                }
                y -= perColumn * 9;
            }
            if (shown < patchLines.size()) {
                text.show(cs, 8, MARGIN, y, "续见下页 continued on the next page (" + (patchLines.size() - shown) + ")");
            }
            verdictBoxes(cs);
            text.show(cs, 7, MARGIN, MARGIN - 16, text.fit("farmwatch run " + runId, 7, w - 2 * MARGIN));
            patchLines = patchLines.subList(shown, patchLines.size());
        }
        if (!patchLines.isEmpty()) {
            continuation(p, patchLines, runId);
        }
    }

    /**
     * One entry per patch, every id in full (wrapped onto a second line if need be); a {@code compact} entry leaves out
     * the English and the confidence's explanation.
     */
    private List<String> patchLines(FlaggedParcel p, List<ChangePatch> onParcel, float width, float size,
                                    boolean compact) throws IOException {
        Map<String, ChangePatch> byId = new java.util.HashMap<>();
        onParcel.forEach(c -> byId.put(c.patchId(), c));
        List<String> lines = new ArrayList<>();
        for (String id : p.patchIds() == null ? List.<String>of() : p.patchIds()) {
            ChangePatch c = byId.get(id);
            String line = patches.numbers().getOrDefault(id, "—") + "  " + id;
            if (c != null && compact) {
                line += String.format(java.util.Locale.ROOT, " %.2f亩 ", c.areaM2() / FlaggedParcel.M2_PER_MU)
                        + PatchList.fromToChinese(c.fromClass(), c.toClass()) + " "
                        + PatchList.confidencePhrase(c.confidence()).substring(0, 6);
            } else if (c != null) {
                line += String.format(java.util.Locale.ROOT, "  %.2f 亩  ", c.areaM2() / FlaggedParcel.M2_PER_MU)
                        + PatchList.fromToChinese(c.fromClass(), c.toClass()) + " "
                        + PatchList.fromToEnglish(c.fromClass(), c.toClass()) + "  "
                        + PatchList.confidencePhrase(c.confidence());
            }
            lines.addAll(text.wrap(line, size, width));
        }
        return lines;
    }

    private void continuation(FlaggedParcel p, List<String> lines, String runId) throws IOException {
        List<String> rest = lines;
        while (!rest.isEmpty()) {
            PDPage page = new PDPage(PAGE);
            doc.addPage(page);
            try (PDPageContentStream cs = new PDPageContentStream(doc, page)) {
                float y = PAGE.getHeight() - MARGIN;
                for (String l : text.wrap("地块 parcel " + p.parcelId() + " 图斑（续）patches, continued", 11,
                        PAGE.getWidth() - 2 * MARGIN)) {
                    text.show(cs, 11, MARGIN, y, l);
                    y -= 16;
                }
                int k = 0;
                while (k < rest.size() && y > MARGIN + 10) {
                    text.show(cs, 8, MARGIN, y, rest.get(k++));
                    y -= 10.5f;
                }
                rest = rest.subList(k, rest.size());
                text.show(cs, 7, MARGIN, MARGIN - 16, "farmwatch run " + runId);
            }
        }
    }

    private void verdictBoxes(PDPageContentStream cs) throws IOException {
        float y = PATCH_FLOOR - 22;
        text.show(cs, 11, MARGIN, y, "核查结论 Verdict");
        y -= 20;
        float x = MARGIN;
        for (String v : new String[] {"属实 confirmed", "误报 false alarm", "合法批准 approved"}) {
            cs.addRect(x, y - 2, 10, 10);
            cs.stroke();
            text.show(cs, 10, x + 15, y, v);
            x += 150;
        }
        y -= 22;
        text.show(cs, 10, MARGIN, y, "批准文号 approval number: ______________________    核查人 inspector: ______________");
        y -= 20;
        text.show(cs, 10, MARGIN, y, "日期 date: ____________    备注 notes: __________________________________________");
    }
}

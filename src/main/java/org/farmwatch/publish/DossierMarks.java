package org.farmwatch.publish;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.graphics.state.PDExtendedGraphicsState;
import org.farmwatch.flag.FlaggedParcel;
import org.locationtech.jts.geom.Coordinate;
import org.locationtech.jts.geom.Envelope;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.Polygon;

/**
 * What a dossier page draws over and beside its chips: the patch outline, the parcel faint, a scale bar, a north
 * arrow, the legend and a locator map of the township's flagged parcels. Map units are metres of the working CRS,
 * whose grid north is drawn as north (in a Gauss–Krüger or UTM zone the two differ by at most a degree or two).
 */
final class DossierMarks {

    /** The patch outline's colour, pure yellow: bright on imagery and found by the dossier test in rendered pages. */
    static final float[] PATCH_RGB = {1f, 1f, 0f};
    private static final float[] PARCEL_RGB = {1f, 1f, 1f};

    private DossierMarks() {}

    /** A chip on the page: the map frame it shows, drawn at (x0, y0) with the given side in points. */
    record Chip(Envelope frame, float x0, float y0, float side) {
        Chip {
            if (frame == null || frame.isNull() || frame.getWidth() <= 0) {
                throw new IllegalArgumentException("a chip needs a frame with area, got: " + frame);
            }
        }

        float x(double mapX) {
            return (float) (x0 + (mapX - frame.getMinX()) * side / frame.getWidth());
        }

        float y(double mapY) {
            return (float) (y0 + (mapY - frame.getMinY()) * side / frame.getHeight());
        }

        double pointsPerMetre() {
            return side / frame.getWidth();
        }
    }

    /** The parcel, faint: a thin dashed white line at half opacity, so that the patch stands out. */
    static void parcel(PDPageContentStream cs, Chip chip, Geometry g) throws IOException {
        cs.saveGraphicsState();
        clip(cs, chip);
        PDExtendedGraphicsState faint = new PDExtendedGraphicsState();
        faint.setStrokingAlphaConstant(0.6f);
        cs.setGraphicsStateParameters(faint);
        cs.setStrokingColor(PARCEL_RGB[0], PARCEL_RGB[1], PARCEL_RGB[2]);
        cs.setLineWidth(0.8f);
        cs.setLineDashPattern(new float[] {3, 2}, 0);
        rings(cs, chip, g);
        cs.stroke();
        cs.restoreGraphicsState();
    }

    /**
     * A change patch: a yellow outline on a dark halo, readable on bright and dark ground alike; a patch smaller than
     * a few points also gets a ring around it, so that it is found at a glance.
     */
    static void patch(PDPageContentStream cs, Chip chip, Geometry g) throws IOException {
        if (g == null || g.isEmpty()) {
            return;
        }
        cs.saveGraphicsState();
        clip(cs, chip);
        cs.setStrokingColor(0f, 0f, 0f);
        cs.setLineWidth(3.2f);
        rings(cs, chip, g);
        cs.stroke();
        cs.setStrokingColor(PATCH_RGB[0], PATCH_RGB[1], PATCH_RGB[2]);
        cs.setLineWidth(1.6f);
        rings(cs, chip, g);
        cs.stroke();
        Envelope e = g.getEnvelopeInternal();
        double extent = Math.max(e.getWidth(), e.getHeight()) * chip.pointsPerMetre();
        if (extent < 12) {
            float cx = chip.x(e.centre().x);
            float cy = chip.y(e.centre().y);
            circle(cs, cx, cy, 12);
            cs.stroke();
        }
        cs.restoreGraphicsState();
    }

    /** A scale bar of a round length near a quarter of the chip, bottom left, black and white. */
    static void scaleBar(PDPageContentStream cs, Chip chip, DossierText text) throws IOException {
        double metres = niceLength(chip.frame().getWidth() / 4);
        float len = (float) (metres * chip.pointsPerMetre());
        float x = chip.x0() + 8;
        float y = chip.y0() + 8;
        cs.saveGraphicsState();
        cs.setNonStrokingColor(1f, 1f, 1f);
        cs.addRect(x - 3, y - 3, len + 6 + 40, 14);
        cs.fill();
        cs.setNonStrokingColor(0f, 0f, 0f);
        cs.addRect(x, y, len / 2, 4);
        cs.fill();
        cs.setStrokingColor(0f, 0f, 0f);
        cs.setLineWidth(0.6f);
        cs.addRect(x, y, len, 4);
        cs.stroke();
        text.show(cs, 7, x + len + 4, y, (metres >= 1000 ? (metres / 1000) + " km" : (int) metres + " m"));
        cs.restoreGraphicsState();
    }

    /** 1, 2 or 5 times a power of ten, at most {@code max}. */
    static double niceLength(double max) {
        double p = Math.pow(10, Math.floor(Math.log10(Math.max(max, 1e-9))));
        for (double m : new double[] {5, 2, 1}) {
            if (m * p <= max) {
                return m * p;
            }
        }
        return p;
    }

    /** A north arrow, top right of the chip: a filled half and an open half, with "N 北". */
    static void northArrow(PDPageContentStream cs, Chip chip, DossierText text) throws IOException {
        float cx = chip.x0() + chip.side() - 16;
        float top = chip.y0() + chip.side() - 8;
        cs.saveGraphicsState();
        cs.setNonStrokingColor(1f, 1f, 1f);
        cs.addRect(cx - 11, top - 38, 22, 38);
        cs.fill();
        cs.setNonStrokingColor(0f, 0f, 0f);
        cs.moveTo(cx, top - 14);
        cs.lineTo(cx - 6, top - 34);
        cs.lineTo(cx, top - 29);
        cs.closePath();
        cs.fill();
        cs.setStrokingColor(0f, 0f, 0f);
        cs.setLineWidth(0.6f);
        cs.moveTo(cx, top - 14);
        cs.lineTo(cx + 6, top - 34);
        cs.lineTo(cx, top - 29);
        cs.closePath();
        cs.stroke();
        text.show(cs, 7, cx - 7, top - 10, "N北");
        cs.restoreGraphicsState();
    }

    /** The legend line: the patch's yellow outline and the parcel's faint dashes. */
    static void legend(PDPageContentStream cs, float x, float y, DossierText text) throws IOException {
        cs.saveGraphicsState();
        cs.setNonStrokingColor(0.25f, 0.3f, 0.25f);
        cs.addRect(x, y - 2, 22, 9);
        cs.fill();
        cs.setStrokingColor(PATCH_RGB[0], PATCH_RGB[1], PATCH_RGB[2]);
        cs.setLineWidth(1.6f);
        cs.addRect(x + 3, y, 16, 5);
        cs.stroke();
        cs.restoreGraphicsState();
        text.show(cs, 8, x + 26, y, "变化图斑 change patch");
        float x2 = x + 130;
        cs.saveGraphicsState();
        cs.setNonStrokingColor(0.25f, 0.3f, 0.25f);
        cs.addRect(x2, y - 2, 22, 9);
        cs.fill();
        cs.setStrokingColor(1f, 1f, 1f);
        cs.setLineWidth(0.8f);
        cs.setLineDashPattern(new float[] {3, 2}, 0);
        cs.addRect(x2 + 3, y, 16, 5);
        cs.stroke();
        cs.restoreGraphicsState();
        text.show(cs, 8, x2 + 26, y, "地块 parcel (淡 faint)   比例尺 scale bar · 北 north arrow");
    }

    /**
     * A small locator map: the township's flagged parcels in grey, this one in red with a ring, framed on them all,
     * so that the inspector sees where on the round the page lies.
     */
    static void locator(PDPageContentStream cs, List<FlaggedParcel> township, FlaggedParcel current, float x0,
                        float y0, float side, DossierText text) throws IOException {
        Envelope all = new Envelope();
        township.forEach(p -> {
            if (p.geometry() != null && !p.geometry().isEmpty()) {
                all.expandToInclude(p.geometry().getEnvelopeInternal());
            }
        });
        cs.saveGraphicsState();
        cs.setNonStrokingColor(0.95f, 0.96f, 0.95f);
        cs.addRect(x0, y0, side, side);
        cs.fill();
        cs.setStrokingColor(0.4f, 0.4f, 0.4f);
        cs.setLineWidth(0.5f);
        cs.addRect(x0, y0, side, side);
        cs.stroke();
        text.show(cs, 7, x0 + 3, y0 + side + 3, "位置 locator · 本乡镇标记地块 flagged in township");
        if (all.isNull()) {
            cs.restoreGraphicsState();
            return;
        }
        double half = Math.max(all.getWidth(), all.getHeight()) / 2 * 1.1 + 50;
        Envelope frame = new Envelope(all.centre().x - half, all.centre().x + half, all.centre().y - half,
                all.centre().y + half);
        Chip map = new Chip(frame, x0, y0, side);
        cs.setNonStrokingColor(0.6f, 0.6f, 0.6f);
        for (FlaggedParcel p : township) {
            if (p != current && p.geometry() != null && !p.geometry().isEmpty()) {
                dot(cs, map, p.geometry(), 1.2f);
            }
        }
        cs.fill();
        if (current.geometry() != null && !current.geometry().isEmpty()) {
            cs.setNonStrokingColor(0.85f, 0.1f, 0.1f);
            dot(cs, map, current.geometry(), 2.2f);
            cs.fill();
            cs.setStrokingColor(0.85f, 0.1f, 0.1f);
            cs.setLineWidth(1f);
            Coordinate c = current.geometry().getEnvelopeInternal().centre();
            circle(cs, map.x(c.x), map.y(c.y), 7);
            cs.stroke();
        }
        double metres = niceLength(frame.getWidth() / 3);
        float len = (float) (metres * map.pointsPerMetre());
        cs.setStrokingColor(0f, 0f, 0f);
        cs.setLineWidth(1f);
        cs.moveTo(x0 + 5, y0 + 5);
        cs.lineTo(x0 + 5 + len, y0 + 5);
        cs.stroke();
        text.show(cs, 6, x0 + 8 + len, y0 + 3, metres >= 1000 ? (metres / 1000) + " km" : (int) metres + " m");
        cs.restoreGraphicsState();
    }

    /** A parcel drawn as its outline when large enough, else as a dot at least {@code minRadius} across. */
    private static void dot(PDPageContentStream cs, Chip map, Geometry g, float minRadius) throws IOException {
        Envelope e = g.getEnvelopeInternal();
        float w = (float) (e.getWidth() * map.pointsPerMetre());
        float h = (float) (e.getHeight() * map.pointsPerMetre());
        if (w > 2 * minRadius || h > 2 * minRadius) {
            rings(cs, map, g);
        } else {
            circle(cs, map.x(e.centre().x), map.y(e.centre().y), minRadius);
        }
    }

    private static void clip(PDPageContentStream cs, Chip chip) throws IOException {
        cs.addRect(chip.x0(), chip.y0(), chip.side(), chip.side());
        cs.clip();
    }

    /** Adds a geometry's polygon rings to the current path. */
    private static void rings(PDPageContentStream cs, Chip chip, Geometry g) throws IOException {
        if (g == null || g.isEmpty()) {
            return;
        }
        for (int i = 0; i < g.getNumGeometries(); i++) {
            if (!(g.getGeometryN(i) instanceof Polygon poly)) {
                continue;
            }
            List<Coordinate[]> rings = new ArrayList<>();
            rings.add(poly.getExteriorRing().getCoordinates());
            for (int h = 0; h < poly.getNumInteriorRing(); h++) {
                rings.add(poly.getInteriorRingN(h).getCoordinates());
            }
            for (Coordinate[] ring : rings) {
                for (int k = 0; k < ring.length; k++) {
                    if (k == 0) {
                        cs.moveTo(chip.x(ring[k].x), chip.y(ring[k].y));
                    } else {
                        cs.lineTo(chip.x(ring[k].x), chip.y(ring[k].y));
                    }
                }
                cs.closePath();
            }
        }
    }

    /** A circle as four Bézier quarters. */
    private static void circle(PDPageContentStream cs, float cx, float cy, float r) throws IOException {
        float k = 0.5523f * r;
        cs.moveTo(cx + r, cy);
        cs.curveTo(cx + r, cy + k, cx + k, cy + r, cx, cy + r);
        cs.curveTo(cx - k, cy + r, cx - r, cy + k, cx - r, cy);
        cs.curveTo(cx - r, cy - k, cx - k, cy - r, cx, cy - r);
        cs.curveTo(cx + k, cy - r, cx + r, cy - k, cx + r, cy);
        cs.closePath();
    }
}

package org.farmwatch.flag;

import java.util.List;
import java.util.function.Consumer;
import org.farmwatch.change.ChangePatch;
import org.farmwatch.farmland.Parcel;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.TileKey;
import org.locationtech.jts.geom.Coordinate;
import org.locationtech.jts.geom.Envelope;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.prep.PreparedGeometry;
import org.locationtech.jts.geom.prep.PreparedGeometryFactory;
import org.locationtech.jts.index.strtree.STRtree;
import org.locationtech.jts.operation.overlayng.OverlayNG;
import org.locationtech.jts.operation.overlayng.OverlayNGRobust;

/**
 * Intersects the change patches of one tile with the parcels that touch the tile. A patch and a
 * parcel can meet in several tiles; the pair is counted only in one: the tile holding their bounding
 * boxes' overlap when it lies in one tile, else the tile holding an interior point of their
 * intersection (where the parcel reaches even when its source filters by geometry, not by box). So
 * every pair is counted exactly once across the grid without any exchange between tiles.
 */
public final class ParcelOverlay {

    private final GridLayout layout;
    private final List<ConversionRule> rules;

    public ParcelOverlay(GridLayout layout, List<ConversionRule> rules) {
        this.layout = layout;
        this.rules = rules;
    }

    /** An index over the tile's patches, ready for {@link #overlay}. */
    public static STRtree index(Iterable<ChangePatch> patches) {
        STRtree tree = new STRtree();
        for (ChangePatch p : patches) {
            tree.insert(p.geometry().getEnvelopeInternal(), new Indexed(p));
        }
        return tree;
    }

    /** A patch in the index, prepared for containment tests the first time a parcel's box lies inside its box. */
    private static final class Indexed {
        final ChangePatch patch;
        final Envelope envelope;
        /** The patch's counter-clockwise ring when it is convex, else null ({@link ConvexClip}). */
        final double[] convex;
        PreparedGeometry prepared;

        Indexed(ChangePatch patch) {
            this.patch = patch;
            this.envelope = patch.geometry().getEnvelopeInternal();
            this.convex = ConvexClip.convexRing(patch.geometry());
        }

        /** True when the patch covers the whole parcel (a large patch over small parcels): no intersection needed. */
        boolean covers(Geometry parcel, Envelope parcelBox) {
            if (!envelope.covers(parcelBox)) {
                return false;
            }
            if (prepared == null) {
                prepared = PreparedGeometryFactory.prepare(patch.geometry());
            }
            return prepared.covers(parcel);
        }
    }

    /** The area of the two polygons' intersection, by JTS's robust overlay (OverlayNG, snapping where needed). */
    private static double intersectionArea(Geometry a, Geometry b) {
        return OverlayNGRobust.overlay(a, b, OverlayNG.INTERSECTION).getArea();
    }

    /**
     * A parcel with more vertices than this is cut into pieces of at most {@link #PIECE_VERTICES} (as PostGIS users
     * do with ST_Subdivide) before the overlay: each patch then meets only the few small pieces under it, instead of
     * the whole outline once per patch.
     */
    public static final int LARGE_PARCEL_VERTICES = 20_000;

    /** The most vertices of a piece of a large parcel. */
    public static final int PIECE_VERTICES = 1024;

    /** The last large parcel's pieces: a parcel across tile edges meets the overlay once per tile. */
    private String piecesOf;
    private Geometry piecesSource;
    private STRtree pieces;

    /** Emits one hit per (parcel, patch) pair that this tile owns and whose rule watches the parcel. */
    public void overlay(TileKey tile, STRtree patches, Parcel parcel, Consumer<ParcelHit> hits) {
        Geometry pg = parcel.geometry();
        Envelope pe = pg.getEnvelopeInternal();
        @SuppressWarnings("unchecked")
        List<Indexed> candidates = patches.query(pe);
        if (candidates.isEmpty()) {
            return;
        }
        if (pg.getNumPoints() > LARGE_PARCEL_VERTICES) {
            overlayLarge(tile, candidates, parcel, hits);
            return;
        }
        // A convex parcel (the common case) is intersected by clipping; others by a prepared geometry and overlay.
        double[] convex = ConvexClip.convexRing(pg);
        PreparedGeometry prepared = null;
        for (Indexed entry : candidates) {
            ChangePatch patch = entry.patch;
            int ruleIndex = watchingRule(patch, parcel);
            if (ruleIndex < 0) {
                continue;
            }
            Envelope overlap = pe.intersection(entry.envelope);
            TileKey first = layout.keyAt(overlap.getMinX(), overlap.getMaxY());
            boolean oneTile = first.equals(layout.keyAt(overlap.getMaxX(), overlap.getMinY()));
            if (oneTile && !first.equals(tile)) {
                continue;
            }
            double area;
            if (convex != null || entry.convex != null) {
                area = convex != null ? ConvexClip.area(patch.geometry(), convex) : ConvexClip.area(pg, entry.convex);
                if (!(area > 0)) {
                    continue;
                }
            } else {
                if (prepared == null) {
                    prepared = PreparedGeometryFactory.prepare(pg);
                }
                if (!prepared.intersects(patch.geometry())) {
                    continue;
                }
                area = prepared.covers(patch.geometry()) ? patch.geometry().getArea()
                        : entry.covers(pg, pe) ? pg.getArea() : intersectionArea(pg, patch.geometry());
            }
            if (!oneTile) {
                // Their boxes overlap in several tiles, but the parcel itself need not reach them all, and a source
                // that filters by geometry (OGR does) leaves it out of those. The tile holding an interior point of
                // the intersection surely reads both; the intersection is the same in every tile, so exactly one
                // tile counts the pair.
                Coordinate inside = convex != null ? ConvexClip.pointInside(patch.geometry(), convex, pg) : null;
                if (inside == null) {
                    Geometry meet = OverlayNGRobust.overlay(pg, patch.geometry(), OverlayNG.INTERSECTION);
                    area = meet.getArea();
                    if (!(area > 0)) {
                        continue;
                    }
                    inside = meet.getInteriorPoint().getCoordinate();
                }
                if (!layout.keyAt(inside.x, inside.y).equals(tile)) {
                    continue;
                }
            }
            if (area > 0) {
                hits.accept(hit(parcel, patch, ruleIndex, area));
            }
        }
    }

    /**
     * As {@link #overlay} for a parcel of many vertices: the intersection with each patch is summed over the pieces
     * of the parcel under it. The pieces do not overlap and cover the parcel, so the areas are the same; the point
     * that decides which tile owns a pair across tile edges is taken from the first piece (in a fixed order) that
     * meets the patch, the same in every tile.
     */
    private void overlayLarge(TileKey tile, List<Indexed> candidates, Parcel parcel, Consumer<ParcelHit> hits) {
        Geometry pg = parcel.geometry();
        Envelope pe = pg.getEnvelopeInternal();
        STRtree index = piecesFor(parcel);
        for (Indexed entry : candidates) {
            ChangePatch patch = entry.patch;
            int ruleIndex = watchingRule(patch, parcel);
            if (ruleIndex < 0) {
                continue;
            }
            Envelope overlap = pe.intersection(entry.envelope);
            TileKey first = layout.keyAt(overlap.getMinX(), overlap.getMaxY());
            boolean oneTile = first.equals(layout.keyAt(overlap.getMaxX(), overlap.getMinY()));
            if (oneTile && !first.equals(tile)) {
                continue;
            }
            @SuppressWarnings("unchecked")
            List<Piece> under = index.query(entry.envelope);
            under.sort(java.util.Comparator.comparingInt(Piece::order));
            double area = 0;
            Coordinate inside = null;
            for (Piece piece : under) {
                if (!piece.geometry().getEnvelopeInternal().intersects(entry.envelope)) {
                    continue;
                }
                Geometry meet = OverlayNGRobust.overlay(piece.geometry(), patch.geometry(), OverlayNG.INTERSECTION);
                double a = meet.getArea();
                if (a > 0) {
                    area += a;
                    if (inside == null && !oneTile) {
                        inside = meet.getInteriorPoint().getCoordinate();
                    }
                }
            }
            if (!(area > 0)) {
                continue;
            }
            if (!oneTile && (inside == null || !layout.keyAt(inside.x, inside.y).equals(tile))) {
                continue;
            }
            hits.accept(hit(parcel, patch, ruleIndex, area));
        }
    }

    /** One piece of a large parcel and its place in the cut (for a fixed order across tiles). */
    private record Piece(int order, Geometry geometry) {}

    private STRtree piecesFor(Parcel parcel) {
        if (pieces != null && parcel.parcelId().equals(piecesOf) && parcel.geometry().equalsExact(piecesSource)) {
            return pieces;
        }
        long t0 = System.nanoTime();
        List<Geometry> cut = subdivide(parcel.geometry(), PIECE_VERTICES);
        STRtree tree = new STRtree();
        for (int i = 0; i < cut.size(); i++) {
            tree.insert(cut.get(i).getEnvelopeInternal(), new Piece(i, cut.get(i)));
        }
        tree.build();
        // A progress line: such a parcel is rare and slow enough that an operator should see where the time goes.
        System.err.printf(java.util.Locale.ROOT, "[farmwatch] overlay: parcel %s has %,d vertices: cut into %d pieces"
                + " of at most %d in %.1f s%n", org.farmwatch.util.Text.shown(parcel.parcelId(), 80),
                parcel.geometry().getNumPoints(), cut.size(), PIECE_VERTICES, (System.nanoTime() - t0) / 1e9);
        piecesOf = parcel.parcelId();
        piecesSource = parcel.geometry();
        pieces = tree;
        return tree;
    }

    /**
     * {@code g} cut into polygons of at most {@code maxVertices} vertices each (a few more where a cut cannot
     * help), by halving its box across the longer side again and again, as PostGIS's ST_Subdivide does. The pieces
     * cover {@code g} and do not overlap.
     */
    public static List<Geometry> subdivide(Geometry g, int maxVertices) {
        List<Geometry> out = new java.util.ArrayList<>();
        java.util.ArrayDeque<Geometry> work = new java.util.ArrayDeque<>();
        java.util.ArrayDeque<Integer> depth = new java.util.ArrayDeque<>();
        work.push(g);
        depth.push(0);
        org.locationtech.jts.geom.GeometryFactory gf = g.getFactory();
        while (!work.isEmpty()) {
            Geometry cur = work.pop();
            int d = depth.pop();
            Envelope e = cur.getEnvelopeInternal();
            if (cur.getNumPoints() <= maxVertices || d >= 48 || e.getWidth() == 0 || e.getHeight() == 0) {
                List<org.locationtech.jts.geom.Polygon> polys = new java.util.ArrayList<>();
                org.locationtech.jts.geom.util.PolygonExtracter.getPolygons(cur, polys);
                for (org.locationtech.jts.geom.Polygon p : polys) {
                    if (!p.isEmpty() && p.getArea() > 0) {
                        out.add(p);
                    }
                }
                continue;
            }
            boolean wide = e.getWidth() >= e.getHeight();
            double mid = wide ? (e.getMinX() + e.getMaxX()) / 2 : (e.getMinY() + e.getMaxY()) / 2;
            Envelope[] halves = wide
                    ? new Envelope[] {new Envelope(e.getMinX(), mid, e.getMinY(), e.getMaxY()),
                        new Envelope(mid, e.getMaxX(), e.getMinY(), e.getMaxY())}
                    : new Envelope[] {new Envelope(e.getMinX(), e.getMaxX(), e.getMinY(), mid),
                        new Envelope(e.getMinX(), e.getMaxX(), mid, e.getMaxY())};
            for (int h = halves.length - 1; h >= 0; h--) {
                Geometry part = OverlayNGRobust.overlay(cur, gf.toGeometry(halves[h]), OverlayNG.INTERSECTION);
                if (!part.isEmpty()) {
                    work.push(part);
                    depth.push(d + 1);
                }
            }
        }
        return out;
    }

    /** The index of the rule of {@code patch} when that rule watches {@code parcel}, else -1. */
    private int watchingRule(ChangePatch patch, Parcel parcel) {
        int r = ruleIndexOf(patch.rule());
        return r >= 0 && rules.get(r).watches(parcel) ? r : -1;
    }

    /** The hit of {@code patch} on {@code parcel}: {@code areaM2} of it, with the patch's classes, dates and confidence. */
    private static ParcelHit hit(Parcel parcel, ChangePatch patch, int ruleIndex, double areaM2) {
        return new ParcelHit(parcel, patch.patchId(), ruleIndex, patch.fromClass().key(), patch.toClass().key(), areaM2,
                patch.beforeDate(), patch.afterDate(), Math.max(0, Math.min(1, patch.confidence())));
    }

    private int ruleIndexOf(String name) {
        for (int i = 0; i < rules.size(); i++) {
            if (rules.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }
}

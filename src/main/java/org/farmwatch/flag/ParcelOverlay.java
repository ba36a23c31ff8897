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

    /** Emits one hit per (parcel, patch) pair that this tile owns and whose rule watches the parcel. */
    public void overlay(TileKey tile, STRtree patches, Parcel parcel, Consumer<ParcelHit> hits) {
        Geometry pg = parcel.geometry();
        Envelope pe = pg.getEnvelopeInternal();
        @SuppressWarnings("unchecked")
        List<Indexed> candidates = patches.query(pe);
        if (candidates.isEmpty()) {
            return;
        }
        // A convex parcel (the common case) is intersected by clipping; others by a prepared geometry and overlay.
        double[] convex = ConvexClip.convexRing(pg);
        PreparedGeometry prepared = null;
        for (Indexed entry : candidates) {
            ChangePatch patch = entry.patch;
            int ruleIndex = ruleIndexOf(patch.rule());
            if (ruleIndex < 0 || !rules.get(ruleIndex).watches(parcel)) {
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
                hits.accept(new ParcelHit(parcel, patch.patchId(), ruleIndex, patch.fromClass().key(),
                        patch.toClass().key(), area, patch.beforeDate(), patch.afterDate(),
                        Math.max(0, Math.min(1, patch.confidence()))));
            }
        }
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

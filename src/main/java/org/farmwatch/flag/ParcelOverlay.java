package org.farmwatch.flag;

import java.util.List;
import java.util.function.Consumer;
import org.farmwatch.change.ChangePatch;
import org.farmwatch.farmland.Parcel;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.TileKey;
import org.locationtech.jts.geom.Envelope;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.Point;
import org.locationtech.jts.geom.prep.PreparedGeometry;
import org.locationtech.jts.geom.prep.PreparedGeometryFactory;
import org.locationtech.jts.index.strtree.STRtree;

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
            tree.insert(p.geometry().getEnvelopeInternal(), p);
        }
        return tree;
    }

    /** Emits one hit per (parcel, patch) pair that this tile owns and whose rule watches the parcel. */
    public void overlay(TileKey tile, STRtree patches, Parcel parcel, Consumer<ParcelHit> hits) {
        Geometry pg = parcel.geometry();
        Envelope pe = pg.getEnvelopeInternal();
        @SuppressWarnings("unchecked")
        List<ChangePatch> candidates = patches.query(pe);
        if (candidates.isEmpty()) {
            return;
        }
        PreparedGeometry prepared = PreparedGeometryFactory.prepare(pg);
        for (ChangePatch patch : candidates) {
            int ruleIndex = ruleIndexOf(patch.rule());
            if (ruleIndex < 0 || !rules.get(ruleIndex).watches(parcel)) {
                continue;
            }
            Envelope overlap = pe.intersection(patch.geometry().getEnvelopeInternal());
            TileKey first = layout.keyAt(overlap.getMinX(), overlap.getMaxY());
            double area;
            if (first.equals(layout.keyAt(overlap.getMaxX(), overlap.getMinY()))) {
                // They can meet in one tile only.
                if (!first.equals(tile) || !prepared.intersects(patch.geometry())) {
                    continue;
                }
                area = prepared.covers(patch.geometry()) ? patch.geometry().getArea()
                        : pg.intersection(patch.geometry()).getArea();
            } else {
                // Their boxes overlap in several tiles, but the parcel itself need not reach them all, and a source
                // that filters by geometry (OGR does) leaves it out of those. The tile holding an interior point of
                // the intersection surely reads both; the intersection is the same in every tile, so exactly one
                // tile counts the pair.
                if (!prepared.intersects(patch.geometry())) {
                    continue;
                }
                Geometry meet = pg.intersection(patch.geometry());
                area = meet.getArea();
                if (!(area > 0)) {
                    continue;
                }
                Point inside = meet.getInteriorPoint();
                if (!layout.keyAt(inside.getX(), inside.getY()).equals(tile)) {
                    continue;
                }
            }
            if (area > 0) {
                hits.accept(new ParcelHit(parcel, patch.patchId(), ruleIndex, patch.fromClass().key(),
                        patch.toClass().key(), area, patch.beforeDate(), patch.afterDate()));
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

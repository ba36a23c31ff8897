package org.farmwatch.change;

import java.util.ArrayList;
import java.util.List;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.TileKey;
import org.locationtech.jts.coverage.CoverageSimplifier;
import org.locationtech.jts.coverage.CoverageValidator;
import org.locationtech.jts.geom.Coordinate;
import org.locationtech.jts.geom.CoordinateList;
import org.locationtech.jts.geom.Envelope;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.GeometryFactory;
import org.locationtech.jts.geom.LinearRing;
import org.locationtech.jts.geom.Polygon;
import org.locationtech.jts.index.strtree.STRtree;

/**
 * The outlines published for change patches: their cell-edge outlines (staircases along the cells) simplified
 * as a coverage with JTS's {@link CoverageSimplifier} (topology-preserving Visvalingam-Whyatt). Patches closer
 * than twice the tolerance are simplified together, so that an edge two patches share stays shared (no gap,
 * no overlap, no sliver) and nearby outlines cannot cross. Holes and islands are all kept; small patches keep their
 * shape ({@link #MAX_CORNER_SHARE}). Only the drawn
 * outline changes: a patch keeps its id, its {@code areaM2} (its cells) and, for the overlay, its cell-edge
 * geometry.
 */
public final class PatchOutlines {

    /**
     * The tolerance {@code auto} gives, in cells: three quarters of a cell, just above the 1/√2 at which a one-cell
     * stair step (a corner of area half a cell) goes, below the two-cell steps (a whole cell) that shape a patch.
     */
    public static final double AUTO_CELLS = 0.75;

    /**
     * A small patch's edges are simplified with a tolerance no larger than the square root of this share of its area,
     * so that no corner cut or filled exceeds it: a one-cell patch beside another stays a square (not a triangle),
     * a three-cell L an L. 0.12 of a cell's area stays clear of the half-cell stair steps on patches of up to 4 cells.
     */
    static final double MAX_CORNER_SHARE = 0.12;

    private PatchOutlines() {}

    /** The tolerance in metres: {@code setting} (0 = off) or, for NaN (auto), {@link #AUTO_CELLS} of a cell. */
    public static double tolerance(double setting, GridLayout layout) {
        return Double.isNaN(setting) ? AUTO_CELLS * layout.cellSizeMetres() : setting;
    }

    /** Patches whose outlines lie within this distance are simplified together: each moves about the tolerance. */
    public static double groupDistance(double tolerance) {
        return 2 * tolerance;
    }

    /** The box a patch is sent to tiles with: grown by half the group distance (and a hair, so that near patches' boxes overlap). */
    public static Envelope reach(ChangePatch p, double tolerance) {
        Envelope e = new Envelope(p.geometry().getEnvelopeInternal());
        e.expandBy(groupDistance(tolerance) / 2 + 1e-3);
        return e;
    }

    /**
     * Pairs of patch ids, among the patches sent to {@code tile} (every tile their {@link #reach} touches), whose
     * outlines lie within the group distance. A pair is reported by one tile only: the one holding the centre of
     * where their reaches overlap.
     */
    public static List<String[]> nearPairs(TileKey tile, List<ChangePatch> here, GridLayout layout, double tolerance) {
        double d = groupDistance(tolerance);
        STRtree index = new STRtree();
        List<Envelope> reaches = new ArrayList<>(here.size());
        for (int i = 0; i < here.size(); i++) {
            Envelope r = reach(here.get(i), tolerance);
            reaches.add(r);
            index.insert(r, i);
        }
        List<String[]> pairs = new ArrayList<>();
        for (int i = 0; i < here.size(); i++) {
            Envelope ri = reaches.get(i);
            for (Object o : index.query(ri)) {
                int j = (Integer) o;
                ChangePatch a = here.get(i);
                ChangePatch b = here.get(j);
                if (a.patchId().compareTo(b.patchId()) >= 0) {
                    continue;
                }
                Envelope meet = ri.intersection(reaches.get(j));
                if (meet.isNull() || !layout.keyAt(meet.centre().x, meet.centre().y).equals(tile)) {
                    continue;
                }
                if (a.geometry().isWithinDistance(b.geometry(), d)) {
                    pairs.add(new String[] {a.patchId(), b.patchId()});
                }
            }
        }
        return pairs;
    }

    /** What {@link #simplify} made of a group. */
    public record Result(List<ChangePatch> patches, long verticesBefore, long verticesAfter, boolean keptCellEdges) {}

    /**
     * Simplifies a group of near patches as one coverage; the patches come back in order, each with its outline
     * in place of its cell-edge geometry. Should the result not be a valid coverage of valid polygons (it is
     * whenever the input is), the group keeps its cell-edge outlines, which are one.
     */
    public static Result simplify(List<ChangePatch> group, GridLayout layout, double tolerance) {
        Geometry[] cells = new Geometry[group.size()];
        double[] tolerances = new double[group.size()];
        long before = 0;
        for (int i = 0; i < cells.length; i++) {
            // An edge two patches share takes the smaller of their tolerances, so it stays shared.
            tolerances[i] = Math.min(tolerance, Math.sqrt(MAX_CORNER_SHARE * group.get(i).areaM2()));
            before += group.get(i).geometry().getNumPoints();
            // A vertex at every cell corner, on the grid exactly: neighbours then share their edges vertex for vertex,
            // which is how CoverageSimplifier finds them.
            cells[i] = onCellCorners(group.get(i).geometry(), layout);
        }
        CoverageSimplifier simplifier = new CoverageSimplifier(cells);
        // No ring is dropped: a hole or island stays in the outline as it is in area_m2.
        simplifier.setRemovableRingSizeFactor(0);
        Geometry[] simple = simplifier.simplify(tolerances);
        boolean ok = simple.length == cells.length;
        for (int i = 0; ok && i < simple.length; i++) {
            ok = simple[i] != null && !simple[i].isEmpty() && simple[i].isValid();
        }
        if (ok && simple.length > 1) {
            ok = CoverageValidator.isValid(simple);
        }
        List<ChangePatch> out = new ArrayList<>(group.size());
        long after = 0;
        for (int i = 0; i < group.size(); i++) {
            ChangePatch p = group.get(i);
            Geometry g = ok ? simple[i] : p.geometry();
            after += g.getNumPoints();
            out.add(new ChangePatch(p.patchId(), p.changeType(), p.rule(), p.fromClass(), p.toClass(), p.areaM2(),
                    p.confidence(), p.beforeDate(), p.afterDate(), g, p.evidence()));
        }
        return new Result(out, before, after, !ok);
    }

    /** The same polygons with a vertex at every cell corner along their (axis-parallel) edges, snapped to the grid. */
    static Geometry onCellCorners(Geometry g, GridLayout layout) {
        GeometryFactory gf = g.getFactory();
        Polygon[] parts = new Polygon[g.getNumGeometries()];
        for (int k = 0; k < parts.length; k++) {
            Polygon p = (Polygon) g.getGeometryN(k);
            LinearRing[] holes = new LinearRing[p.getNumInteriorRing()];
            for (int h = 0; h < holes.length; h++) {
                holes[h] = ring(p.getInteriorRingN(h), layout, gf);
            }
            parts[k] = gf.createPolygon(ring(p.getExteriorRing(), layout, gf), holes);
        }
        return parts.length == 1 ? parts[0] : gf.createMultiPolygon(parts);
    }

    private static LinearRing ring(LinearRing r, GridLayout layout, GeometryFactory gf) {
        Coordinate[] in = r.getCoordinates();
        CoordinateList out = new CoordinateList();
        double c = layout.cellSizeMetres();
        for (int i = 0; i + 1 < in.length; i++) {
            Coordinate a = snap(in[i], layout);
            Coordinate b = snap(in[i + 1], layout);
            int steps = (int) Math.max(1, Math.round(a.distance(b) / c));
            for (int s = 0; s < steps; s++) {
                out.add(snap(new Coordinate(a.x + (b.x - a.x) * s / steps, a.y + (b.y - a.y) * s / steps), layout), false);
            }
        }
        out.closeRing();
        return gf.createLinearRing(out.toCoordinateArray());
    }

    private static Coordinate snap(Coordinate p, GridLayout layout) {
        double c = layout.cellSizeMetres();
        return new Coordinate(layout.originX() + Math.round((p.x - layout.originX()) / c) * c,
                layout.originY() - Math.round((layout.originY() - p.y) / c) * c);
    }
}

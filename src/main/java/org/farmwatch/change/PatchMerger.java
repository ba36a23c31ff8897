package org.farmwatch.change;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.farmwatch.classify.LandCover;
import org.farmwatch.flag.ChangeType;
import org.farmwatch.flag.ConversionRule;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.TileKey;
import org.locationtech.jts.geom.Envelope;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.operation.union.CascadedPolygonUnion;

/**
 * Joins fragments of one patch that tile edges cut apart. Fragments are grouped by the tile edge
 * they touch; two fragments on either side of an edge with the same transition code that meet
 * along it belong together. The pairs are then closed transitively (union-find) and each group is
 * dissolved into one {@link ChangePatch}.
 */
public final class PatchMerger {

    private PatchMerger() {}

    /** The keys of the tile edges a fragment touches: "V col row" for the west edge of (col,row), "H col row" for its north edge. */
    public static List<String> edgeKeys(PatchFragment f) {
        List<String> keys = new ArrayList<>(2);
        TileKey k = f.tile();
        if ((f.edges() & PatchFragment.WEST) != 0) {
            keys.add("V" + k.col() + "," + k.row());
        }
        if ((f.edges() & PatchFragment.EAST) != 0) {
            keys.add("V" + (k.col() + 1) + "," + k.row());
        }
        if ((f.edges() & PatchFragment.NORTH) != 0) {
            keys.add("H" + k.col() + "," + k.row());
        }
        if ((f.edges() & PatchFragment.SOUTH) != 0) {
            keys.add("H" + k.col() + "," + (k.row() + 1));
        }
        return keys;
    }

    /** Pairs of fragment ids, among fragments touching one edge, that continue each other across it. */
    public static List<String[]> joinsAcross(Iterable<PatchFragment> onOneEdge, double tolerance) {
        List<PatchFragment> all = new ArrayList<>();
        onOneEdge.forEach(all::add);
        List<String[]> pairs = new ArrayList<>();
        for (int a = 0; a < all.size(); a++) {
            for (int b = a + 1; b < all.size(); b++) {
                PatchFragment fa = all.get(a);
                PatchFragment fb = all.get(b);
                if (fa.code() != fb.code() || fa.tile().equals(fb.tile())) {
                    continue;
                }
                Envelope ea = new Envelope(fa.geometry().getEnvelopeInternal());
                ea.expandBy(tolerance);
                if (!ea.intersects(fb.geometry().getEnvelopeInternal())) {
                    continue;
                }
                // Sharing a corner point is not a 4-connected join; they must share a stretch of edge.
                Geometry shared = fa.geometry().buffer(tolerance).intersection(fb.geometry());
                if (shared.getArea() > tolerance * tolerance * 4) {
                    pairs.add(new String[] {fa.fragmentId(), fb.fragmentId()});
                }
            }
        }
        return pairs;
    }

    /** Union-find over join pairs: maps every joined fragment id to its group's smallest id. */
    public static Map<String, String> groups(Iterable<String[]> pairs) {
        Map<String, String> parent = new HashMap<>();
        for (String[] p : pairs) {
            String a = root(parent, p[0]);
            String b = root(parent, p[1]);
            if (!a.equals(b)) {
                if (a.compareTo(b) < 0) {
                    parent.put(b, a);
                } else {
                    parent.put(a, b);
                }
            }
        }
        Map<String, String> out = new HashMap<>();
        for (String k : new ArrayList<>(parent.keySet())) {
            out.put(k, root(parent, k));
        }
        return out;
    }

    private static String root(Map<String, String> parent, String x) {
        parent.putIfAbsent(x, x);
        String r = x;
        while (!parent.get(r).equals(r)) {
            r = parent.get(r);
        }
        parent.put(x, r);
        return r;
    }

    /** Dissolves a group of fragments (one patch) into a {@link ChangePatch}; null when below the mapping unit. */
    public static ChangePatch dissolve(List<PatchFragment> group, GridLayout layout, ChangeDetector detector,
                                       List<ConversionRule> rules, String beforeDate, String afterDate,
                                       double minAreaM2) {
        PatchFragment first = group.get(0);
        long cells = 0;
        double conf = 0;
        PatchEvidence evidence = PatchEvidence.NONE;
        List<Geometry> parts = new ArrayList<>(group.size());
        for (PatchFragment f : group) {
            cells += f.cells();
            conf += f.confidenceSum();
            evidence = evidence.plus(f.evidence());
            parts.add(f.geometry());
        }
        double area = cells * layout.cellAreaM2();
        if (area < minAreaM2) {
            return null;
        }
        Geometry g = parts.size() == 1 ? parts.get(0) : CascadedPolygonUnion.union(parts);
        int rule = detector.ruleOf(first.code());
        ChangeType type = rule > 0 && rule <= rules.size() ? rules.get(rule - 1).type() : ChangeType.OTHER;
        String ruleName = rule > 0 && rule <= rules.size() ? rules.get(rule - 1).name() : "";
        LandCover from = LandCover.ofId(first.fromId());
        LandCover to = LandCover.ofId(first.toId());
        return new ChangePatch(patchId(g, first.code(), beforeDate, afterDate), type, ruleName, from, to, area,
                conf / cells, beforeDate, afterDate, g, evidence.ofWholePatch(conf / cells, g));
    }

    /** Stable id: a hash of the transition, the dates and the patch's top-left cell corner, the same on every re-run. */
    static String patchId(Geometry g, int code, String beforeDate, String afterDate) {
        Envelope e = g.getEnvelopeInternal();
        String key = code + "|" + beforeDate + "|" + afterDate + "|" + Math.round(e.getMinX()) + "|" + Math.round(e.getMaxY())
                + "|" + Math.round(e.getMaxX()) + "|" + Math.round(e.getMinY());
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return "CP" + HexFormat.of().formatHex(h, 0, 8);
        } catch (NoSuchAlgorithmException e1) {
            throw new IllegalStateException(e1);
        }
    }
}

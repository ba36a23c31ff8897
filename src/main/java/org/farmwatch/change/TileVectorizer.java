package org.farmwatch.change;

import java.util.ArrayList;
import java.util.List;
import java.util.Vector;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.TileKey;
import org.farmwatch.ingest.TileBands;
import org.farmwatch.util.Gdal;
import org.gdal.gdal.Band;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.gdal;
import org.gdal.gdalconst.gdalconstConstants;
import org.gdal.ogr.DataSource;
import org.gdal.ogr.Feature;
import org.gdal.ogr.FieldDefn;
import org.gdal.ogr.Layer;
import org.gdal.ogr.ogr;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.io.ParseException;
import org.locationtech.jts.io.WKBReader;

/**
 * Cleans a tile's transition codes and turns them into {@link PatchFragment}s: GDAL's sieve removes
 * specks below the minimum mapping unit (on the window with its halo, so a patch cut by the tile
 * edge is judged whole), then 4-connected components of equal code in the tile core are labelled
 * and polygonized by GDAL.
 */
public final class TileVectorizer {

    private final GridLayout layout;
    private final int halo;
    private final int sieveCells;

    public TileVectorizer(GridLayout layout, int halo, double minAreaM2) {
        Gdal.init();
        this.layout = layout;
        this.halo = halo;
        this.sieveCells = (int) Math.max(1, Math.ceil(minAreaM2 / layout.cellAreaM2()));
    }

    /** Sieves {@code code} (the whole window, in place) and returns the fragments in the tile core. */
    public List<PatchFragment> vectorize(TileKey key, byte[] code, float[] confidence) {
        return vectorize(key, code, confidence, null, null);
    }

    /**
     * As {@link #vectorize(TileKey, byte[], float[])}, each fragment with its {@link PatchEvidence} measured on the
     * window's composites {@code before} and {@code after} (none when they are null).
     */
    public List<PatchFragment> vectorize(TileKey key, byte[] code, float[] confidence, TileBands before,
                                         TileBands after) {
        int win = layout.tileSize() + 2 * halo;
        sieve(code, win);
        int size = layout.tileSize();
        int[] label = new int[size * size];
        int[] parent = new int[size * size + 1];
        int next = 1;
        // Two-pass 4-connected labelling of equal non-zero codes in the core.
        for (int r = 0; r < size; r++) {
            for (int c = 0; c < size; c++) {
                int v = code[(r + halo) * win + c + halo];
                if (v == 0) {
                    continue;
                }
                int up = r > 0 && code[(r - 1 + halo) * win + c + halo] == v ? label[(r - 1) * size + c] : 0;
                int left = c > 0 && code[(r + halo) * win + c - 1 + halo] == v ? label[r * size + c - 1] : 0;
                int l;
                if (up == 0 && left == 0) {
                    l = next;
                    parent[next] = next;
                    next++;
                } else if (up == 0 || left == 0) {
                    l = Math.max(up, left);
                } else {
                    int ru = find(parent, up);
                    int rl = find(parent, left);
                    l = Math.min(ru, rl);
                    parent[Math.max(ru, rl)] = l;
                }
                label[r * size + c] = l;
            }
        }
        if (next == 1) {
            return List.of();
        }
        int[] compact = new int[next];
        int count = 0;
        for (int l = 1; l < next; l++) {
            int root = find(parent, l);
            if (root == l) {
                compact[l] = ++count;
            }
        }
        long[] cells = new long[count + 1];
        double[] conf = new double[count + 1];
        int[] edges = new int[count + 1];
        int[] codes = new int[count + 1];
        for (int r = 0; r < size; r++) {
            for (int c = 0; c < size; c++) {
                int i = r * size + c;
                if (label[i] == 0) {
                    continue;
                }
                int id = compact[find(parent, label[i])];
                label[i] = id;
                cells[id]++;
                int w = (r + halo) * win + c + halo;
                conf[id] += confidence[w];
                codes[id] = code[w] & 255;
                if (r == 0) {
                    edges[id] |= PatchFragment.NORTH;
                }
                if (r == size - 1) {
                    edges[id] |= PatchFragment.SOUTH;
                }
                if (c == 0) {
                    edges[id] |= PatchFragment.WEST;
                }
                if (c == size - 1) {
                    edges[id] |= PatchFragment.EAST;
                }
            }
        }
        Geometry[] geoms = polygonize(key, label, size, count);
        PatchEvidence[] evidence = before == null ? null
                : PatchEvidence.measure(label, count, size, halo, code, before, after);
        List<PatchFragment> out = new ArrayList<>(count);
        for (int id = 1; id <= count; id++) {
            if (geoms[id] == null) {
                continue;
            }
            out.add(new PatchFragment(key + ":" + id, key, codes[id], cells[id], conf[id], edges[id], geoms[id],
                    evidence == null ? PatchEvidence.NONE : evidence[id]));
        }
        return out;
    }

    private static int find(int[] parent, int x) {
        while (parent[x] != x) {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        return x;
    }

    private void sieve(byte[] code, int win) {
        Dataset mem = gdal.GetDriverByName("MEM").Create("", win, win, 1, gdalconstConstants.GDT_Byte);
        try {
            Band b = mem.GetRasterBand(1);
            b.WriteRaster(0, 0, win, win, code);
            // No mask: specks of change take the value of the larger area around them (often "no change"),
            // and pin-holes inside a patch are filled by the patch.
            gdal.SieveFilter(b, null, b, sieveCells, 4);
            b.ReadRaster(0, 0, win, win, code);
        } finally {
            mem.delete();
        }
    }

    private Geometry[] polygonize(TileKey key, int[] label, int size, int count) {
        Dataset mem = gdal.GetDriverByName("MEM").Create("", size, size, 1, gdalconstConstants.GDT_Int32);
        DataSource vds = ogr.GetDriverByName("Memory").CreateDataSource("fragments");
        Geometry[] out = new Geometry[count + 1];
        try {
            mem.SetGeoTransform(layout.geoTransformOf(key));
            Band b = mem.GetRasterBand(1);
            b.WriteRaster(0, 0, size, size, label);
            Layer lyr = vds.CreateLayer("f", null, ogr.wkbPolygon);
            FieldDefn fd = new FieldDefn("id", ogr.OFTInteger);
            lyr.CreateField(fd);
            gdal.Polygonize(b, b, lyr, 0, new Vector<>(), null);
            WKBReader reader = new WKBReader();
            Feature f;
            lyr.ResetReading();
            while ((f = lyr.GetNextFeature()) != null) {
                int id = f.GetFieldAsInteger(0);
                if (id > 0 && id <= count) {
                    Geometry g = reader.read(f.GetGeometryRef().ExportToWkb());
                    out[id] = out[id] == null ? g : out[id].union(g);
                }
                f.delete();
            }
        } catch (ParseException e) {
            throw new IllegalStateException("GDAL polygonize returned unreadable WKB", e);
        } finally {
            vds.delete();
            mem.delete();
        }
        return out;
    }
}

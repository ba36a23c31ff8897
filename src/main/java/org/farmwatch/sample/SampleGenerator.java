package org.farmwatch.sample;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Vector;
import org.farmwatch.flag.ChangeType;
import org.farmwatch.util.Gdal;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.Driver;
import org.gdal.gdal.gdal;
import org.gdal.gdalconst.gdalconstConstants;
import org.gdal.ogr.DataSource;
import org.gdal.ogr.Feature;
import org.gdal.ogr.FieldDefn;
import org.gdal.ogr.Layer;
import org.gdal.ogr.ogr;
import org.gdal.osr.CoordinateTransformation;
import org.gdal.osr.SpatialReference;
import org.gdal.osr.osr;
import org.locationtech.jts.geom.Coordinate;
import org.locationtech.jts.geom.Envelope;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.GeometryFactory;
import org.locationtech.jts.geom.Polygon;
import org.locationtech.jts.io.WKBWriter;

/**
 * Writes a deterministic synthetic study area: two Sentinel-2-like scenes (a spring baseline and a
 * late-summer current scene with haze and clouds) as tiled DEFLATE GeoTIFFs in CGCS2000 3-degree
 * Gauss–Krüger zone 39 (EPSG:4527), the farmland parcels as a GeoPackage in EPSG:4490 with
 * land-survey field names, and {@code truth.csv} listing every planted conversion.
 *
 * <p>The landscape is a jittered lattice of field cells; each cell's role (parcel, village,
 * forest, pond), crop state and planted conversion come from a hash of its (column, row), so the
 * scenes are painted in horizontal strips with bounded memory at any size, a Sentinel-2 tile included.
 */
public final class SampleGenerator {

    /** What to generate. {@code sizeCells} is the side of the square area in 10 m cells. */
    public record Options(long seed, int sizeCells, double cellWidthM, double cellHeightM, double conversionRate,
                          double originX, double originY) {
        public static Options sample() {
            return new Options(20250415L, 1000, 200, 250, 0.035, 39_480_000, 4_070_000);
        }

        public static Options bench(int sizeCells) {
            return new Options(7L, sizeCells, 220, 220, 0.012, 39_440_000, 4_110_000);
        }
    }

    static final String CRS = "EPSG:4527";
    static final double CELL = 10.0;
    static final LocalDate BEFORE = LocalDate.of(2025, 4, 15);
    static final LocalDate AFTER = LocalDate.of(2025, 9, 20);
    private static final String[] TOWNSHIPS = {"港沟街道", "彩石街道", "唐王街道", "郭店街道", "孙村街道", "巨野河街道",
        "遥墙街道", "临港街道", "董家街道", "高官寨街道", "仲宫街道", "柳埠街道", "西营街道", "章丘街道", "龙山街道", "埠村街道"};
    private static final Surface[] CONVERSIONS = {Surface.BUILT, Surface.CONSTRUCTION, Surface.EXCAVATION,
        Surface.WATER, Surface.ORCHARD, Surface.NURSERY, Surface.GREENHOUSE};

    private final Options o;
    private final GeometryFactory gf = new GeometryFactory();
    private final int nCols;
    private final int nRows;
    private final double sizeM;
    private final List<double[]> clouds = new ArrayList<>();

    public SampleGenerator(Options options) {
        this.o = options;
        this.sizeM = options.sizeCells() * CELL;
        this.nCols = (int) Math.round(sizeM / options.cellWidthM());
        this.nRows = (int) Math.round(sizeM / options.cellHeightM());
        // Clouds of the current scene: one per ~6 km block where the hash says so, radius 250-450 m.
        int blocks = Math.max(2, (int) Math.round(sizeM / 5000));
        for (int by = 0; by < blocks; by++) {
            for (int bx = 0; bx < blocks; bx++) {
                if (u(bx, by, 901) < 0.55) {
                    double cx = options.originX() + (bx + 0.2 + 0.6 * u(bx, by, 902)) * sizeM / blocks;
                    double cy = options.originY() - (by + 0.2 + 0.6 * u(bx, by, 903)) * sizeM / blocks;
                    clouds.add(new double[] {cx, cy, 250 + 200 * u(bx, by, 904)});
                }
            }
        }
    }

    /** Writes the whole study area under {@code out}; returns the number of parcels and planted conversions. */
    public int[] write(Path out) throws IOException {
        Gdal.init();
        gdal.SetConfigOption("OGR_CURRENT_DATE", "2025-01-01T00:00:00Z");
        Files.createDirectories(out);
        int[] counts = writeParcels(out.resolve("farmland.gpkg"), out.resolve("truth.csv"));
        writeScene(out.resolve("scenes/" + BEFORE.toString().replace("-", "")), false);
        writeScene(out.resolve("scenes/" + AFTER.toString().replace("-", "")), true);
        return counts;
    }

    // ---- the landscape, cell by cell --------------------------------------------------------

    /** Deterministic uniform number in [0, 1) for a lattice position and a purpose. */
    private double u(long i, long j, long salt) {
        long h = o.seed() * 0x9E3779B97F4A7C15L + i * 0xC2B2AE3D27D4EB4FL + j * 0x165667B19E3779F9L + salt * 0x27D4EB2F165667C5L;
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return (h >>> 11) * 0x1.0p-53;
    }

    private double gauss(long i, long j, long salt) {
        double a = Math.max(1e-12, u(i, j, salt));
        double b = u(i, j, salt + 7919);
        return Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * b);
    }

    /** Lattice point (i, j), jittered inside the area, fixed on its border. */
    private Coordinate point(int i, int j) {
        double x = o.originX() + i * sizeM / nCols;
        double y = o.originY() - j * sizeM / nRows;
        if (i > 0 && i < nCols) {
            x += (u(i, j, 11) - 0.5) * 0.3 * o.cellWidthM();
        }
        if (j > 0 && j < nRows) {
            y += (u(i, j, 12) - 0.5) * 0.3 * o.cellHeightM();
        }
        return new Coordinate(x, y);
    }

    private Polygon cellPolygon(int i, int j) {
        Coordinate a = point(i, j);
        return gf.createPolygon(new Coordinate[] {a, point(i + 1, j), point(i + 1, j + 1), point(i, j + 1), new Coordinate(a)});
    }

    enum Role { PARCEL, VILLAGE, FOREST, POND }

    Role role(int i, int j) {
        if (u(i / 3, j / 2, 21) < 0.035) {
            return Role.VILLAGE;
        }
        if (u(i / 2, j / 3, 22) < 0.012) {
            return Role.FOREST;
        }
        if (u(i, j, 23) < 0.004) {
            return Role.POND;
        }
        return Role.PARCEL;
    }

    String landClass(int i, int j) {
        double v = u(i, j, 31);
        return v < 0.05 ? "0101" : v < 0.45 ? "0102" : v < 0.97 ? "0103" : "0201";
    }

    String parcelId(int i, int j) {
        return String.format("3701%04d%04d", j, i);
    }

    String township(int i, int j) {
        int q = (int) Math.max(2, Math.min(4, Math.round(sizeM / 5000)));
        int ti = Math.min(q - 1, i * q / nCols);
        int tj = Math.min(q - 1, j * q / nRows);
        return TOWNSHIPS[(tj * q + ti) % TOWNSHIPS.length];
    }

    String adminCode(int i, int j) {
        int q = (int) Math.max(2, Math.min(4, Math.round(sizeM / 5000)));
        int t = Math.min(q - 1, j * q / nRows) * q + Math.min(q - 1, i * q / nCols);
        return String.format("370112%03d%03d", t + 1, (j / 4) % 1000);
    }

    private boolean underCloud(Envelope e) {
        for (double[] c : clouds) {
            double r = c[2] + 150;
            // The cloud and its shadow, cast 350 m east and 250 m south.
            if (e.distance(new Envelope(c[0] - r, c[0] + r, c[1] - r, c[1] + r)) == 0
                    || e.distance(new Envelope(c[0] + 350 - r, c[0] + 350 + r, c[1] - 250 - r, c[1] - 250 + r)) == 0) {
                return true;
            }
        }
        return false;
    }

    /** The surface planted on a parcel in the current scene, or null when the parcel is left alone. */
    Surface conversion(int i, int j) {
        if (role(i, j) != Role.PARCEL || landClass(i, j).equals("0201")) {
            return null;
        }
        double v = u(i, j, 41);
        if (v >= o.conversionRate()) {
            return null;
        }
        Polygon cell = cellPolygon(i, j);
        if (underCloud(cell.getEnvelopeInternal())) {
            return null;
        }
        return CONVERSIONS[(int) (u(i, j, 42) * CONVERSIONS.length)];
    }

    /** The converted part of a parcel: a share of 40-100 % cut from one side. */
    private Geometry conversionArea(Geometry parcel, int i, int j) {
        Envelope e = parcel.getEnvelopeInternal();
        double share = 0.4 + 0.6 * u(i, j, 43);
        Envelope cut = u(i, j, 44) < 0.5
                ? new Envelope(e.getMinX(), e.getMinX() + share * e.getWidth(), e.getMinY(), e.getMaxY())
                : new Envelope(e.getMinX(), e.getMaxX(), e.getMaxY() - share * e.getHeight(), e.getMaxY());
        return parcel.intersection(gf.toGeometry(cut));
    }

    private Geometry parcelGeometry(int i, int j) {
        // Field margins and ditches: 3 m on every side.
        return cellPolygon(i, j).buffer(-3);
    }

    Surface cropState(int i, int j, boolean after) {
        if (landClass(i, j).equals("0201")) {
            return Surface.ORCHARD;
        }
        if (after) {
            return u(i, j, 51) < 0.15 ? Surface.TILLED : Surface.MAIZE;
        }
        return u(i, j, 52) < 0.06 ? Surface.TILLED : Surface.WHEAT;
    }

    // ---- parcels ---------------------------------------------------------------------------

    private int[] writeParcels(Path gpkg, Path truthCsv) throws IOException {
        Files.deleteIfExists(gpkg);
        org.gdal.ogr.Driver ogrDrv = ogr.GetDriverByName("GPKG");
        DataSource ds = ogrDrv.CreateDataSource(gpkg.toString());
        SpatialReference cgcs = srs("EPSG:4490");
        SpatialReference gk = srs(CRS);
        CoordinateTransformation toGeo = CoordinateTransformation.CreateCoordinateTransformation(gk, cgcs);
        Vector<String> lopts = new Vector<>();
        lopts.add("GEOMETRY_NAME=geom");
        lopts.add("FID=fid");
        Layer layer = ds.CreateLayer("farmland", cgcs, ogr.wkbPolygon, lopts);
        for (String[] f : new String[][] {{"TBBH", "s"}, {"ZLDWDM", "s"}, {"ZLDWMC", "s"}, {"DLBM", "s"}, {"DLMC", "s"}, {"TBMJ", "r"}}) {
            FieldDefn fd = new FieldDefn(f[0], f[1].equals("s") ? ogr.OFTString : ogr.OFTReal);
            layer.CreateField(fd);
            fd.delete();
        }
        Map<String, String> truth = new TreeMap<>();
        int parcels = 0;
        WKBWriter wkb = new WKBWriter();
        layer.StartTransaction();
        for (int j = 0; j < nRows; j++) {
            for (int i = 0; i < nCols; i++) {
                if (role(i, j) != Role.PARCEL) {
                    continue;
                }
                Geometry g = parcelGeometry(i, j);
                String dlbm = landClass(i, j);
                Feature feat = new Feature(layer.GetLayerDefn());
                feat.SetField("TBBH", parcelId(i, j));
                feat.SetField("ZLDWDM", adminCode(i, j));
                feat.SetField("ZLDWMC", township(i, j));
                feat.SetField("DLBM", dlbm);
                feat.SetField("DLMC", dlbm.startsWith("01") ? (dlbm.equals("0101") ? "水田" : dlbm.equals("0102") ? "水浇地" : "旱地") : "果园");
                feat.SetField("TBMJ", Math.round(g.getArea() * 100) / 100.0);
                org.gdal.ogr.Geometry og = ogr.CreateGeometryFromWkb(wkb.write(g));
                og.Transform(toGeo);
                feat.SetGeometryDirectly(og);
                layer.CreateFeature(feat);
                feat.delete();
                parcels++;
                Surface conv = conversion(i, j);
                if (conv != null) {
                    truth.put(parcelId(i, j), changeTypeOf(conv).code);
                }
            }
        }
        layer.CommitTransaction();
        ds.delete();
        try (Writer w = Files.newBufferedWriter(truthCsv, StandardCharsets.UTF_8)) {
            w.write("parcel_id,change_type\n");
            for (Map.Entry<String, String> e : truth.entrySet()) {
                w.write(e.getKey() + "," + e.getValue() + "\n");
            }
        }
        return new int[] {parcels, truth.size()};
    }

    static ChangeType changeTypeOf(Surface s) {
        return switch (s) {
            case BUILT, CONSTRUCTION, EXCAVATION -> ChangeType.NON_AGRICULTURAL;
            default -> ChangeType.NON_GRAIN;
        };
    }

    private static SpatialReference srs(String code) {
        SpatialReference s = new SpatialReference();
        s.SetFromUserInput(code);
        s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER);
        return s;
    }

    // ---- scenes ----------------------------------------------------------------------------

    private static final String[] BAND_IDS = {"B02", "B03", "B04", "B08", "B11", "B12"};
    private static final int STRIP = 512;

    private void writeScene(Path dir, boolean after) throws IOException {
        Files.createDirectories(dir);
        LocalDate date = after ? AFTER : BEFORE;
        String stem = "SAMPLE_" + date.toString().replace("-", "") + "T030529_";
        int n = o.sizeCells();
        Driver tif = gdal.GetDriverByName("GTiff");
        Vector<String> co = new Vector<>(List.of("TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=DEFLATE",
                "PREDICTOR=2", "ZLEVEL=6"));
        Dataset[] out = new Dataset[7];
        String wkt = srs(CRS).ExportToWkt();
        for (int b = 0; b < 7; b++) {
            boolean coarse = b == 4 || b == 5 || b == 6; // B11, B12 and SCL are 20 m, as in Sentinel-2
            int size = coarse ? n / 2 : n;
            String name = stem + (b < 6 ? BAND_IDS[b] : "SCL") + ".tif";
            Dataset d = tif.Create(dir.resolve(name).toString(), size, size, 1,
                    b < 6 ? gdalconstConstants.GDT_UInt16 : gdalconstConstants.GDT_Byte, co);
            d.SetProjection(wkt);
            double res = coarse ? 2 * CELL : CELL;
            d.SetGeoTransform(new double[] {o.originX(), res, 0, o.originY(), 0, -res});
            d.GetRasterBand(1).SetNoDataValue(0);
            out[b] = d;
        }
        for (int row0 = 0; row0 < n; row0 += STRIP) {
            int rows = Math.min(STRIP, n - row0);
            paintStrip(out, row0, rows, n, after);
        }
        for (Dataset d : out) {
            d.FlushCache();
            d.delete();
        }
    }

    /** Paints one strip of rows of every band: rasterize the surfaces, then synthesize reflectance. */
    private void paintStrip(Dataset[] out, int row0, int rows, int n, boolean after) {
        double y0 = o.originY() - row0 * CELL;
        double y1 = y0 - rows * CELL;
        Driver mem = gdal.GetDriverByName("MEM");
        Dataset surf = mem.Create("", n, rows, 2, gdalconstConstants.GDT_Int32);
        surf.SetGeoTransform(new double[] {o.originX(), CELL, 0, y0, 0, -CELL});
        surf.SetProjection(srs(CRS).ExportToWkt());
        DataSource vds = ogr.GetDriverByName("Memory").CreateDataSource("strip");
        Layer lyr = vds.CreateLayer("s", srs(CRS), ogr.wkbUnknown);
        lyr.CreateField(new FieldDefn("surf", ogr.OFTInteger));
        lyr.CreateField(new FieldDefn("field", ogr.OFTInteger));
        WKBWriter wkb = new WKBWriter();
        int jFirst = Math.max(0, (int) Math.floor((o.originY() - y0) / o.cellHeightM()) - 1);
        int jLast = Math.min(nRows - 1, (int) Math.ceil((o.originY() - y1) / o.cellHeightM()) + 1);
        List<Object[]> later = new ArrayList<>();
        for (int j = jFirst; j <= jLast; j++) {
            for (int i = 0; i < nCols; i++) {
                int fieldId = j * nCols + i + 1;
                Role role = role(i, j);
                switch (role) {
                    case VILLAGE -> add(lyr, wkb, cellPolygon(i, j), Surface.BUILT, fieldId);
                    case FOREST -> {
                        add(lyr, wkb, cellPolygon(i, j), Surface.FOREST, fieldId);
                        // Some forest is cleared in the current scene: a change, but not on farmland.
                        if (after && u(i, j, 61) < 0.3) {
                            later.add(new Object[] {conversionArea(cellPolygon(i, j), i, j), Surface.EXCAVATION, fieldId});
                        }
                    }
                    case POND -> add(lyr, wkb, cellPolygon(i, j), Surface.WATER, fieldId);
                    case PARCEL -> {
                        Geometry parcel = parcelGeometry(i, j);
                        add(lyr, wkb, parcel, cropState(i, j, after), fieldId);
                        Surface conv = after ? conversion(i, j) : null;
                        if (conv != null) {
                            later.add(new Object[] {conversionArea(parcel, i, j), conv, fieldId + 7_000_000});
                        }
                    }
                }
            }
        }
        for (Object[] l : later) {
            add(lyr, wkb, (Geometry) l[0], (Surface) l[1], (Integer) l[2]);
        }
        // Roads along every 10th column line and every 8th row line, 10 m wide.
        for (int i = 0; i <= nCols; i += 10) {
            Coordinate[] line = new Coordinate[jLast - jFirst + 2];
            for (int j = jFirst; j <= jLast + 1; j++) {
                line[j - jFirst] = point(i, j);
            }
            add(lyr, wkb, gf.createLineString(line).buffer(5), Surface.ROAD, 0);
        }
        for (int j = (jFirst / 8) * 8; j <= jLast + 1; j += 8) {
            if (j > nRows) {
                break;
            }
            Coordinate[] line = new Coordinate[nCols + 1];
            for (int i = 0; i <= nCols; i++) {
                line[i] = point(i, j);
            }
            add(lyr, wkb, gf.createLineString(line).buffer(5), Surface.ROAD, 0);
        }
        if (after) {
            for (double[] c : clouds) {
                add(lyr, wkb, gf.createPoint(new Coordinate(c[0], c[1])).buffer(c[2], 16), Surface.CLOUD, -1);
            }
        }
        surf.GetRasterBand(1).Fill(Surface.MARGIN.code);
        Vector<String> ro = new Vector<>(List.of("ATTRIBUTE=surf"));
        gdal.RasterizeLayer(surf, new int[] {1}, lyr, null, ro);
        gdal.RasterizeLayer(surf, new int[] {2}, lyr, null, new Vector<>(List.of("ATTRIBUTE=field")));
        int[] surface = new int[n * rows];
        int[] field = new int[n * rows];
        surf.GetRasterBand(1).ReadRaster(0, 0, n, rows, surface);
        surf.GetRasterBand(2).ReadRaster(0, 0, n, rows, field);
        surf.delete();
        vds.delete();

        // Haze and gain differ between the dates: the classifier must not hinge on absolute scale.
        double[] haze = after ? new double[] {.015, .010, .006, .003, .001, 0} : new double[6];
        double gain = after ? 1.04 : 1.0;
        short[][] fine = new short[4][n * rows];
        double[][] coarseSum = new double[2][(n / 2) * ((rows + 1) / 2)];
        byte[] scl = new byte[(n / 2) * ((rows + 1) / 2)];
        long dateSalt = after ? 2 : 1;
        for (int r = 0; r < rows; r++) {
            int gr = row0 + r;
            double y = y0 - (r + 0.5) * CELL;
            for (int c = 0; c < n; c++) {
                int k = r * n + c;
                Surface s = Surface.ofCode(surface[k]);
                int fid = field[k];
                double x = o.originX() + (c + 0.5) * CELL;
                // Field-level vigour and row texture, then sensor noise.
                double vigour = 1 + 0.05 * gauss(fid, dateSalt, 71);
                double texture = 1 + 0.025 * Math.sin((x * 0.7 + y * 0.3) / 9.0 + fid);
                boolean shadow = after && s != Surface.CLOUD && inShadow(x, y);
                for (int b = 0; b < 6; b++) {
                    double v = s.reflectance[b] * vigour * texture * (1 + 0.02 * gauss(fid, b, 72 + dateSalt));
                    v += 0.004 * gauss(gr * (long) n + c, b, 73 + dateSalt);
                    if (shadow) {
                        v *= 0.35;
                    }
                    v = (v + haze[b]) * gain;
                    int dn = (int) Math.max(1, Math.min(65535, Math.round(v * 10000)));
                    if (b < 4) {
                        fine[b][k] = (short) dn;
                    } else {
                        coarseSum[b - 4][(r / 2) * (n / 2) + Math.min(n / 2 - 1, c / 2)] += dn / 4.0;
                    }
                }
                if ((r & 1) == 0 && (c & 1) == 0 && c / 2 < n / 2) {
                    scl[(r / 2) * (n / 2) + c / 2] = (byte) (shadow ? 3 : s.scl);
                }
            }
        }
        for (int b = 0; b < 4; b++) {
            out[b].GetRasterBand(1).WriteRaster(0, row0, n, rows, fine[b]);
        }
        int crows = (rows + 1) / 2;
        int crow0 = row0 / 2;
        crows = Math.min(crows, n / 2 - crow0);
        for (int b = 0; b < 2; b++) {
            short[] v = new short[(n / 2) * crows];
            for (int i = 0; i < v.length; i++) {
                v[i] = (short) Math.max(1, Math.min(65535, Math.round(coarseSum[b][i])));
            }
            out[4 + b].GetRasterBand(1).WriteRaster(0, crow0, n / 2, crows, v);
        }
        byte[] sclRows = java.util.Arrays.copyOf(scl, (n / 2) * crows);
        out[6].GetRasterBand(1).WriteRaster(0, crow0, n / 2, crows, sclRows);
    }

    private boolean inShadow(double x, double y) {
        for (double[] c : clouds) {
            double dx = x - (c[0] + 350);
            double dy = y - (c[1] - 250);
            if (dx * dx + dy * dy < c[2] * c[2]) {
                return true;
            }
        }
        return false;
    }

    private static void add(Layer lyr, WKBWriter wkb, Geometry g, Surface s, int field) {
        if (g.isEmpty()) {
            return;
        }
        Feature f = new Feature(lyr.GetLayerDefn());
        f.SetField("surf", s.code);
        f.SetField("field", field);
        f.SetGeometryDirectly(ogr.CreateGeometryFromWkb(wkb.write(g)));
        lyr.CreateFeature(f);
        f.delete();
    }
}

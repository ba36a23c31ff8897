package org.farmwatch.ingest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.farmwatch.util.FarmwatchException;
import org.farmwatch.util.Gdal;
import org.farmwatch.util.Json;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.gdal;
import org.gdal.gdalconst.gdalconstConstants;
import org.gdal.osr.CoordinateTransformation;
import org.gdal.osr.SpatialReference;
import org.gdal.osr.osr;
import org.locationtech.jts.geom.Envelope;

/**
 * Turns a SCENE argument into a {@link Scene}: either a STAC Item JSON file, whose assets carry
 * {@code eo:bands} common names, or a folder of single-band Sentinel-2 files ({@code *_B02} ...
 * {@code *_B12}, optional {@code *_SCL}). Runs on the driver and reads only metadata and an
 * approximate histogram per band, never full rasters.
 */
public final class SceneCatalog {

    private static final Pattern S2_BAND = Pattern.compile("(?i).*_(B0[2348]|B1[12]|SCL)(_\\d+m)?\\.(tif|tiff|jp2)$");
    private static final Pattern S2_DATE = Pattern.compile("_(\\d{8})T\\d{6}");

    private SceneCatalog() {}

    /** Reads the scene's description, checks every band opens and is georeferenced, and measures its statistics. */
    public static Scene open(String arg) {
        return open(arg, false);
    }

    /**
     * As {@link #open(String)}; {@code fromCatalogue} marks a scene the {@code --catalog} scan found, whose band
     * files are read only in the {@link #PLAIN_RASTER_DRIVERS plain raster formats}, as a STAC item's always are.
     */
    public static Scene open(String arg, boolean fromCatalogue) {
        Gdal.init();
        if (org.farmwatch.util.HadoopFs.isUri(arg)) {
            return HadoopScenes.open(arg);
        }
        Path p = Path.of(arg);
        if (!Files.exists(p)) {
            throw FarmwatchException.input("scene not found: " + arg);
        }
        boolean folder = Files.isDirectory(p);
        Scene scene = folder ? (isLandsatFolder(p) ? fromLandsatFolder(p) : fromSentinel2Folder(p)) : fromStacItem(p);
        // A STAC item reads only plain raster files that really lie in its folder; a catalogue's band folder only plain rasters.
        Trust trust = !folder ? Trust.item(p) : fromCatalogue ? Trust.PLAIN_FILES : Trust.ANY_LOCAL;
        for (Map.Entry<Band, BandRef> e : scene.bands().entrySet()) {
            checkBand(scene, e.getKey().commonName, e.getValue(), trust);
        }
        if (scene.scl() != null) {
            checkBand(scene, "SCL", scene.scl(), trust);
        }
        return scene.withStats(measure(scene));
    }

    /**
     * GDAL drivers of single files that name no other file: a STAC asset or a catalogue's band file must be one
     * of these. VRT and other XML or container formats (whose text can point GDAL at any file on the machine,
     * such as /etc/passwd read as raw bytes) are refused there.
     */
    static final java.util.Set<String> PLAIN_RASTER_DRIVERS = java.util.Set.of("GTiff", "COG", "JP2OpenJPEG",
            "JP2KAK", "JP2ECW", "JPEG2000", "JP2MrSID", "ENVI", "HFA", "PNG", "JPEG");

    /** What a scene's band files may be: any local file (a folder named on the command line) or less. */
    record Trust(boolean plainOnly, Path folder) {
        static final Trust ANY_LOCAL = new Trust(false, null);
        static final Trust PLAIN_FILES = new Trust(true, null);

        /** A STAC item's: plain raster files whose real paths (symbolic links followed) lie in the item's folder. */
        static Trust item(Path item) {
            return new Trust(true, realFolderOf(item));
        }
    }

    private static Path realFolderOf(Path item) {
        Path base = item.toAbsolutePath().getParent();
        try {
            return base.toRealPath();
        } catch (IOException e) {
            return base.normalize();
        }
    }

    private static final Pattern LANDSAT_SR = Pattern.compile("(?i)(L[CTEO]0\\d)_L2\\w*?_\\d{6}_(\\d{8})_.*_SR_B(\\d)\\.TIF$");
    private static final Pattern LANDSAT_QA = Pattern.compile("(?i).*_QA_PIXEL\\.TIF$");

    static boolean isLandsatFolder(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(f -> LANDSAT_SR.matcher(f.getFileName().toString()).matches());
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A Landsat Collection 2 Level-2 folder ({@code *_SR_B1..B7.TIF}, {@code *_QA_PIXEL.TIF}): surface
     * reflectance with the Collection 2 scale 0.0000275 and offset -0.2, masked by QA_PIXEL bits.
     */
    static Scene fromLandsatFolder(Path dir) {
        Map<Band, BandRef> bands = new EnumMap<>(Band.class);
        BandRef qa = null;
        LocalDate date = null;
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.sorted().toList();
        } catch (IOException e) {
            throw FarmwatchException.input("cannot list scene folder " + dir + ": " + e.getMessage(), e);
        }
        for (Path f : files) {
            String name = f.getFileName().toString();
            Matcher m = LANDSAT_SR.matcher(name);
            if (m.matches()) {
                // OLI (Landsat 8/9) numbers its bands one above TM and ETM+ (Landsat 4-7).
                boolean oli = m.group(1).toUpperCase().startsWith("LC") || m.group(1).toUpperCase().startsWith("LO");
                int n = Integer.parseInt(m.group(3));
                Band b = oli ? switch (n) { case 2 -> Band.BLUE; case 3 -> Band.GREEN; case 4 -> Band.RED; case 5 -> Band.NIR;
                    case 6 -> Band.SWIR16; case 7 -> Band.SWIR22; default -> null; }
                        : switch (n) { case 1 -> Band.BLUE; case 2 -> Band.GREEN; case 3 -> Band.RED; case 4 -> Band.NIR;
                    case 5 -> Band.SWIR16; case 7 -> Band.SWIR22; default -> null; };
                if (b != null) {
                    bands.put(b, new BandRef(f.toAbsolutePath().toString(), 1, 0.0000275, -0.2));
                }
                if (date == null) {
                    date = parseDate(m.group(2), name);
                }
            } else if (LANDSAT_QA.matcher(name).matches()) {
                qa = BandRef.of(f.toAbsolutePath().toString());
            }
        }
        for (Band b : Band.values()) {
            if (!bands.containsKey(b)) {
                throw FarmwatchException.input("Landsat folder " + dir + " lacks the surface-reflectance band for " + b.commonName);
            }
        }
        return new Scene(dir.getFileName().toString(), date, bands, qa, Scene.MaskKind.QA_PIXEL, null);
    }

    /**
     * The BOA offset of Sentinel-2 L2A products from processing baseline 04.00 on: read from the
     * product's MTD_MSIL2A.xml when the band folder sits inside a SAFE product, else none.
     */
    static double l2aOffset(Path dir) {
        Path cur = dir.toAbsolutePath();
        for (int up = 0; up < 5 && cur != null; up++, cur = cur.getParent()) {
            Path mtd = cur.resolve("MTD_MSIL2A.xml");
            if (Files.isRegularFile(mtd)) {
                try {
                    String xml = Files.readString(mtd);
                    Matcher m = Pattern.compile("<BOA_ADD_OFFSET[^>]*>\\s*(-?\\d+)\\s*<").matcher(xml);
                    if (m.find()) {
                        return Double.parseDouble(m.group(1));
                    }
                    Matcher pb = Pattern.compile("<PROCESSING_BASELINE>\\s*(\\d+)\\.(\\d+)").matcher(xml);
                    if (pb.find() && Integer.parseInt(pb.group(1)) >= 4) {
                        return -1000;
                    }
                } catch (IOException e) {
                    throw FarmwatchException.input("cannot read " + mtd + ": " + e.getMessage(), e);
                }
                return 0;
            }
        }
        return 0;
    }

    static Scene fromSentinel2Folder(Path dir) {
        Map<Band, BandRef> bands = new EnumMap<>(Band.class);
        BandRef scl = null;
        LocalDate date = null;
        double boaOffset = l2aOffset(dir);
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.sorted().toList();
        } catch (IOException e) {
            throw FarmwatchException.input("cannot list scene folder " + dir + ": " + e.getMessage(), e);
        }
        for (Path f : files) {
            String name = f.getFileName().toString();
            Matcher m = S2_BAND.matcher(name);
            if (!m.matches()) {
                continue;
            }
            String id = m.group(1).toUpperCase();
            BandRef ref = id.equals("SCL") ? BandRef.of(f.toAbsolutePath().toString())
                    : new BandRef(f.toAbsolutePath().toString(), 1, 1, boaOffset);
            if (id.equals("SCL")) {
                scl = ref;
            } else {
                for (Band b : Band.values()) {
                    if (b.sentinel2.equals(id)) {
                        bands.put(b, ref);
                    }
                }
            }
            Matcher d = S2_DATE.matcher(name);
            if (date == null && d.find()) {
                date = parseDate(d.group(1), f.toString());
            }
        }
        for (Band b : Band.values()) {
            if (!bands.containsKey(b)) {
                throw FarmwatchException.input("scene folder " + dir + " lacks band " + b.sentinel2
                        + " (expected a file named *_" + b.sentinel2 + ".tif or .jp2)");
            }
        }
        if (date == null) {
            throw FarmwatchException.input("scene folder " + dir + ": no _YYYYMMDDT date in the band file names");
        }
        return new Scene(dir.getFileName().toString(), date, bands, scl, null);
    }

    static Scene fromStacItem(Path item) {
        Map<String, Object> json;
        try {
            json = Json.parseObject(Files.readString(item));
        } catch (IOException | IllegalArgumentException e) {
            throw FarmwatchException.input("scene " + item + " is neither a folder nor a readable STAC Item JSON: "
                    + e.getMessage(), e);
        }
        if (!"Feature".equals(json.get("type"))) {
            throw FarmwatchException.input("STAC item " + item + ": \"type\" must be \"Feature\"");
        }
        String id = String.valueOf(json.getOrDefault("id", item.getFileName().toString()));
        Map<String, Object> props = Json.object(json.get("properties"));
        Object dt = props == null ? null : props.get("datetime");
        if (dt == null && props != null) {
            dt = props.get("start_datetime");
        }
        if (!(dt instanceof String dts)) {
            throw FarmwatchException.input("STAC item " + item + " has no properties.datetime");
        }
        LocalDate date;
        try {
            date = OffsetDateTime.parse(dts).toLocalDate();
        } catch (DateTimeParseException e) {
            date = parseDate(dts.length() >= 10 ? dts.substring(0, 10).replace("-", "") : dts, item.toString());
        }
        // An acquisition cannot lie ahead (a day of slack for time zones).
        if (date.isAfter(LocalDate.now(java.time.ZoneOffset.UTC).plusDays(1))) {
            throw FarmwatchException.input("STAC item " + item + ": properties.datetime " + dts
                    + " is in the future; refused");
        }
        Map<String, Object> assets = Json.object(json.get("assets"));
        if (assets == null || assets.isEmpty()) {
            throw FarmwatchException.input("STAC item " + item + " has no assets");
        }
        Path base = item.toAbsolutePath().getParent();
        Map<Band, BandRef> bands = new EnumMap<>(Band.class);
        BandRef scl = null;
        for (Map.Entry<String, Object> a : assets.entrySet()) {
            Map<String, Object> asset = Json.object(a.getValue());
            if (asset == null || !(asset.get("href") instanceof String href)) {
                continue;
            }
            String path = resolveHref(base, href, item);
            if (a.getKey().equalsIgnoreCase("scl")) {
                scl = BandRef.of(path);
                continue;
            }
            List<Object> eoBands = Json.array(asset.get("eo:bands"));
            List<Object> rasterBands = Json.array(asset.get("raster:bands"));
            if (eoBands == null) {
                continue;
            }
            for (int i = 0; i < eoBands.size(); i++) {
                Map<String, Object> eb = Json.object(eoBands.get(i));
                Object cn = eb == null ? null : eb.get("common_name");
                Band b = cn instanceof String s ? Band.ofCommonName(s) : null;
                if (b == null) {
                    continue;
                }
                double scale = 1;
                double offset = 0;
                if (rasterBands != null && i < rasterBands.size()) {
                    Map<String, Object> rb = Json.object(rasterBands.get(i));
                    if (rb != null && rb.get("scale") instanceof Number n) {
                        scale = n.doubleValue();
                    }
                    if (rb != null && rb.get("offset") instanceof Number n) {
                        offset = n.doubleValue();
                    }
                }
                try {
                    bands.put(b, new BandRef(path, i + 1, scale, offset));
                } catch (IllegalArgumentException e) {
                    throw FarmwatchException.input("STAC item " + item + " asset " + a.getKey() + ": " + e.getMessage());
                }
            }
        }
        for (Band b : Band.values()) {
            if (!bands.containsKey(b)) {
                throw FarmwatchException.input("STAC item " + item + " has no asset with eo:bands common_name \""
                        + b.commonName + "\"");
            }
        }
        return new Scene(id, date, bands, scl, null);
    }

    /** Asset hrefs are relative to the item; ones that leave its folder, or remote URLs, are refused. */
    static String resolveHref(Path base, String href, Path item) {
        if (href.matches("(?i)^[a-z][a-z0-9+.-]*://.*") && !href.startsWith("file://")) {
            throw FarmwatchException.input("STAC item " + item + ": remote asset " + href
                    + " refused (only local files are read)");
        }
        String local = href.startsWith("file://") ? href.substring(7) : href;
        Path resolved = base.resolve(local).normalize();
        if (!resolved.startsWith(base)) {
            throw FarmwatchException.input("STAC item " + item + ": asset " + href + " escapes the item's folder");
        }
        // The text stays inside; the file GDAL would open must too: a symbolic link (of the file or of a folder on
        // the way) is followed to where it really leads.
        if (Files.exists(resolved)) {
            Path real;
            try {
                real = resolved.toRealPath();
            } catch (IOException e) {
                throw FarmwatchException.input("STAC item " + item + ": asset " + href + " cannot be resolved: "
                        + e.getMessage(), e);
            }
            Path realBase = realFolderOf(item);
            if (!real.startsWith(realBase)) {
                throw FarmwatchException.input("STAC item " + item + ": asset " + href + " escapes the item's folder"
                        + " through a symbolic link (to " + real + ")");
            }
        }
        return resolved.toString();
    }

    private static LocalDate parseDate(String yyyymmdd, String where) {
        try {
            return LocalDate.of(Integer.parseInt(yyyymmdd.substring(0, 4)), Integer.parseInt(yyyymmdd.substring(4, 6)),
                    Integer.parseInt(yyyymmdd.substring(6, 8)));
        } catch (RuntimeException e) {
            throw FarmwatchException.input("bad date " + yyyymmdd + " in " + where);
        }
    }

    private static void checkBand(Scene scene, String band, BandRef ref, Trust trust) {
        if (trust.plainOnly()) {
            refuseContainer(scene, band, ref.path(), trust);
        }
        Dataset ds = openQuietly(ref.path());
        if (ds == null) {
            throw FarmwatchException.input("scene " + scene.id() + ": band " + band + " file " + ref.path()
                    + " cannot be opened: " + gdal.GetLastErrorMsg());
        }
        try {
            if (trust.folder() != null) {
                refuseFilesOutside(scene, band, ref.path(), ds, trust.folder());
            }
            refuseSizeBomb(scene, band, ref.path(), ds);
            if (ref.index() > ds.getRasterCount()) {
                throw FarmwatchException.input("scene " + scene.id() + ": band " + band + " wants band " + ref.index()
                        + " of " + ref.path() + ", which has " + ds.getRasterCount());
            }
            String wkt = ds.GetProjectionRef();
            double[] gt = ds.GetGeoTransform();
            if (wkt == null || wkt.isBlank() || (gt[1] == 1 && gt[5] == 1 && gt[0] == 0 && gt[3] == 0)) {
                throw FarmwatchException.input("scene " + scene.id() + ": band " + band + " file " + ref.path()
                        + " has no georeference");
            }
        } finally {
            ds.delete();
        }
    }

    /**
     * Refuses a band file in a format that can name other files (VRT, and every driver not in
     * {@link #PLAIN_RASTER_DRIVERS}), before GDAL opens it: only the driver is identified.
     */
    private static void refuseContainer(Scene scene, String band, String path, Trust trust) {
        org.gdal.gdal.Driver d;
        try {
            d = gdal.IdentifyDriver(path);
        } catch (RuntimeException e) {
            d = null;
        }
        if (d == null) {
            return; // not a raster GDAL knows: opening it fails with the usual message
        }
        String driver = d.getShortName();
        if (!PLAIN_RASTER_DRIVERS.contains(driver)) {
            throw FarmwatchException.input("scene " + scene.id() + ": band " + band + " file " + path + " is a " + driver
                    + " file, which can make GDAL read other files; " + (trust.folder() != null ? "a STAC asset"
                    : "a catalogue's band file") + " must be a plain raster (GeoTIFF, JPEG 2000, ENVI...): refused");
        }
    }

    /** Refuses a band whose dataset reads any file (sidecars included) that really lies outside {@code folder}. */
    private static void refuseFilesOutside(Scene scene, String band, String path, Dataset ds, Path folder) {
        java.util.Vector<?> files = ds.GetFileList();
        if (files == null) {
            return;
        }
        for (Object f : files) {
            String name = String.valueOf(f);
            Path real;
            try {
                real = name.startsWith("/vsi") ? null : Path.of(name).toRealPath();
            } catch (IOException | RuntimeException e) {
                continue; // a sidecar GDAL lists but that does not exist
            }
            if (real == null || !real.startsWith(folder)) {
                throw FarmwatchException.input("scene " + scene.id() + ": band " + band + " file " + path + " reads "
                        + name + ", outside the STAC item's folder " + folder + ": refused");
            }
        }
    }

    /**
     * The most cells a band file may declare: 10^10 (100,000 x 100,000), about 80 times a Sentinel-2 tile at
     * 10 m. A file declaring more (a few hundred bytes of VRT or sparse TIFF can) is refused before any pixel work.
     */
    public static final long MAX_BAND_CELLS = 10_000_000_000L;

    /** The finest cell a band may declare, in metres: finer than any Earth observation satellite delivers. */
    public static final double MIN_CELL_METRES = 0.25;

    /**
     * Refuses a band whose declared size is absurd: more than {@link #MAX_BAND_CELLS} cells, or cells finer than
     * {@link #MIN_CELL_METRES} (the working grid takes the finest native cell), before any pixel work.
     */
    private static void refuseSizeBomb(Scene scene, String band, String path, Dataset ds) {
        long w = ds.getRasterXSize();
        long h = ds.getRasterYSize();
        if (w * h > MAX_BAND_CELLS) {
            throw FarmwatchException.input("scene " + scene.id() + ": band " + band + " file " + path + " declares "
                    + w + " x " + h + " cells, more than the limit of " + MAX_BAND_CELLS + ": refused");
        }
        double[] gt = ds.GetGeoTransform();
        String wkt = ds.GetProjectionRef();
        if (gt == null || wkt == null || wkt.isBlank()) {
            return; // no georeference: refused below with its own message
        }
        double cellX = Math.hypot(gt[1], gt[4]);
        double cellY = Math.hypot(gt[2], gt[5]);
        double toMetres = 1;
        SpatialReference srs = new SpatialReference(wkt);
        try {
            if (srs.IsGeographic() == 1) {
                toMetres = 111_320.0 * Math.max(0.05, Math.cos(Math.toRadians(gt[3])));
            } else {
                toMetres = srs.GetLinearUnits();
            }
        } catch (RuntimeException e) {
            toMetres = 1;
        }
        double cellMetres = Math.min(cellX, cellY) * toMetres;
        if (!(cellMetres >= MIN_CELL_METRES)) {
            throw FarmwatchException.input(String.format(java.util.Locale.ROOT, "scene %s: band %s file %s declares"
                    + " %d x %d cells of %.3g m over its footprint, finer than %.2f m, which no satellite delivers:"
                    + " refused", scene.id(), band, path, w, h, cellMetres, MIN_CELL_METRES));
        }
    }

    static Dataset openQuietly(String path) {
        Dataset ds;
        // A band on a Hadoop file system is read from this JVM's local copy (GDAL cannot open hdfs://).
        String local = org.farmwatch.util.HadoopFs.localCopy(path);
        try {
            ds = gdal.Open(local, gdalconstConstants.GA_ReadOnly);
        } catch (RuntimeException e) {
            return null;
        }
        if (ds != null) {
            refuseRemote(ds, local);
        }
        return ds;
    }

    /**
     * A local file may still reach out: a VRT can name a /vsicurl/ or /vsis3/ source. Only local files
     * (and zips of them) are read, so such a file is refused before GDAL reads a pixel.
     */
    private static void refuseRemote(Dataset ds, String path) {
        String driver = ds.GetDriver().getShortName();
        java.util.Vector<?> files = ds.GetFileList();
        boolean remote = false;
        if (files != null) {
            for (Object f : files) {
                String name = String.valueOf(f);
                if (name.startsWith("/vsi") && !name.startsWith("/vsizip/") && !name.startsWith("/vsimem/")) {
                    remote = true;
                }
            }
        }
        if (driver.equals("VRT")) {
            try {
                String text = Files.readString(Path.of(path));
                remote |= text.contains("/vsicurl") || text.contains("/vsis3") || text.contains("/vsigs")
                        || text.contains("/vsiaz") || text.contains("/vsihttp") || text.contains("://");
            } catch (IOException | RuntimeException e) {
                remote = true;
            }
        }
        if (remote) {
            ds.delete();
            throw FarmwatchException.input("band file " + path + " refers to remote data; only local files are read");
        }
    }

    /** Per band {p2, p50, p90, p0.1} from GDAL's approximate histogram (overviews or a sample of blocks). */
    static Map<Band, double[]> measure(Scene scene) {
        Map<Band, double[]> out = new EnumMap<>(Band.class);
        for (Map.Entry<Band, BandRef> e : scene.bands().entrySet()) {
            BandRef ref = e.getValue();
            Dataset ds = openQuietly(ref.path());
            try {
                org.gdal.gdal.Band band = ds.GetRasterBand(ref.index());
                double[] minMax = new double[2];
                band.ComputeRasterMinMax(minMax, 1);
                double lo = minMax[0];
                double hi = minMax[1];
                Double[] nd = new Double[1];
                band.GetNoDataValue(nd);
                if (!Double.isFinite(lo) || !Double.isFinite(hi)) {
                    // NaN or +-Inf cells (a float band): no data, here as in SceneReader; percentiles of the rest.
                    out.put(e.getKey(), finitePercentiles(scene, e.getKey(), ref, band, nd[0]));
                    continue;
                }
                int buckets = 1024;
                int[] hist = new int[buckets];
                double start = lo;
                if (nd[0] != null && nd[0] == lo) {
                    start = lo + (hi - lo) / (buckets * 4.0); // leave the no-data value out of the percentiles
                }
                band.GetHistogram(start, hi + 1e-9, hist, false, true);
                out.put(e.getKey(), new double[] {
                    ref.offset() + ref.scale() * percentile(hist, start, hi, 0.02),
                    ref.offset() + ref.scale() * percentile(hist, start, hi, 0.50),
                    ref.offset() + ref.scale() * percentile(hist, start, hi, 0.90),
                    ref.offset() + ref.scale() * percentile(hist, start, hi, 0.001)});
            } catch (RuntimeException ex) {
                throw FarmwatchException.input("scene " + scene.id() + ": band " + e.getKey().commonName + " file "
                        + ref.path() + " cannot be read: " + ex.getMessage(), ex);
            } finally {
                ds.delete();
            }
        }
        return out;
    }

    /**
     * {p2, p50, p90, p0.1} of a band's finite values (NaN and +-Inf are no data), from the band read at most
     * 2048 cells a side; refuses a band with no finite value.
     */
    private static double[] finitePercentiles(Scene scene, Band b, BandRef ref, org.gdal.gdal.Band band, Double noData) {
        int w = band.getXSize();
        int h = band.getYSize();
        double f = Math.max(1, Math.max(w, h) / 2048.0);
        int bw = Math.max(1, (int) (w / f));
        int bh = Math.max(1, (int) (h / f));
        float[] v = new float[bw * bh];
        band.ReadRaster(0, 0, w, h, bw, bh, gdalconstConstants.GDT_Float32, v);
        int n = 0;
        for (float x : v) {
            if (Float.isFinite(x) && (noData == null || x != noData.floatValue())) {
                v[n++] = x;
            }
        }
        if (n == 0) {
            throw FarmwatchException.input("scene " + scene.id() + ": band " + b.commonName + " file " + ref.path()
                    + " holds no finite value (only NaN, infinity or no data)");
        }
        float[] finite = java.util.Arrays.copyOf(v, n);
        java.util.Arrays.sort(finite);
        double[] q = {0.02, 0.50, 0.90, 0.001};
        double[] r = new double[4];
        for (int i = 0; i < 4; i++) {
            int k = Math.min(n - 1, Math.max(0, (int) Math.ceil(q[i] * n) - 1));
            r[i] = ref.offset() + ref.scale() * finite[k];
        }
        return r;
    }

    private static double percentile(int[] hist, double lo, double hi, double q) {
        long total = 0;
        for (int h : hist) {
            total += h;
        }
        if (total == 0) {
            return lo;
        }
        long target = (long) Math.ceil(q * total);
        long acc = 0;
        double width = (hi - lo) / hist.length;
        for (int i = 0; i < hist.length; i++) {
            acc += hist[i];
            if (acc >= target) {
                return lo + (i + 0.5) * width;
            }
        }
        return hi;
    }

    /** The scene's footprint in {@code crs} (an authority code), from its first band's georeference. */
    public static Envelope footprint(Scene scene, String crs) {
        Gdal.init();
        BandRef ref = scene.bands().get(Band.RED);
        Dataset ds = openQuietly(ref.path());
        if (ds == null) {
            throw FarmwatchException.input("scene " + scene.id() + ": cannot open " + ref.path());
        }
        try {
            double[] gt = ds.GetGeoTransform();
            int w = ds.getRasterXSize();
            int h = ds.getRasterYSize();
            SpatialReference src = new SpatialReference(ds.GetProjectionRef());
            SpatialReference dst = srs(crs);
            src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER);
            CoordinateTransformation ct = CoordinateTransformation.CreateCoordinateTransformation(src, dst);
            Envelope env = new Envelope();
            // Densify the edges: a footprint in another projection is not a rectangle.
            int steps = 16;
            for (int i = 0; i <= steps; i++) {
                double f = (double) i / steps;
                double[][] px = {{f * w, 0}, {f * w, h}, {0, f * h}, {w, f * h}};
                for (double[] p : px) {
                    double x = gt[0] + p[0] * gt[1] + p[1] * gt[2];
                    double y = gt[3] + p[0] * gt[4] + p[1] * gt[5];
                    double[] t = ct.TransformPoint(x, y);
                    env.expandToInclude(t[0], t[1]);
                }
            }
            return env;
        } finally {
            ds.delete();
        }
    }

    /** A spatial reference for an authority code, with x = easting/longitude. */
    public static SpatialReference srs(String crs) {
        SpatialReference s = new SpatialReference();
        s.SetFromUserInput(crs);
        s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER);
        return s;
    }

    /** Native cell size of the scene's red band, in its own CRS units. */
    public static double nativeCellSize(Scene scene) {
        Dataset ds = openQuietly(scene.bands().get(Band.RED).path());
        try {
            return Math.abs(ds.GetGeoTransform()[1]);
        } finally {
            ds.delete();
        }
    }

    /** True when the scene's red band is in a geographic CRS (degrees). */
    public static boolean isGeographic(Scene scene) {
        Dataset ds = openQuietly(scene.bands().get(Band.RED).path());
        try {
            return new SpatialReference(ds.GetProjectionRef()).IsGeographic() == 1;
        } finally {
            ds.delete();
        }
    }
}

package org.farmwatch.pipeline;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FSError;
import org.apache.hadoop.fs.FileSystem;
import org.farmwatch.change.PatchFragment;
import org.farmwatch.classify.Classifiers;
import org.farmwatch.flag.ConversionRule;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.TileKey;
import org.farmwatch.ingest.Band;
import org.farmwatch.ingest.NativeResolution;
import org.farmwatch.ingest.BandRef;
import org.farmwatch.ingest.Period;
import org.farmwatch.ingest.Scene;
import org.farmwatch.ingest.SceneCatalog;
import org.farmwatch.util.FarmwatchException;
import org.farmwatch.util.Json;
import org.locationtech.jts.geom.Envelope;
import org.locationtech.jts.io.ParseException;
import org.locationtech.jts.io.WKBReader;
import org.locationtech.jts.io.WKBWriter;

/**
 * The detect step's finished tiles on a Hadoop file system ({@code file:}, {@code hdfs://}, {@code s3a://}):
 * per tile, its change fragments, its change-raster tile and its clear and changed cell counts, in one
 * file named by a digest of everything that determines it. A run restarted after a crash, or a run
 * whose inputs changed for some tiles only (a scene delivered again), reuses every tile whose digest
 * it finds and computes the rest; a new scene in a period changes that period's statistics and so
 * every tile. Each entry is written to a temporary name and renamed, so a reader sees whole entries only.
 *
 * <p>Each grid has its own folder under the store's root, named after the grid ({@code
 * EPSG-4527_10m_512px_0_10000000}), holding the grid's metadata once, {@code grid.json} (CRS code and WKT,
 * origin, cell size, tile size), beside the entries; a run on another grid (another zone, cell or tile size)
 * uses another folder, and a {@code grid.json} that disagrees with its folder's grid stops the run.
 *
 * <p>The digest covers: the store format, the build of farmwatch, the grid (its folder), the tile key, per period
 * the scenes whose footprint touches the tile window (ids, dates, band files with their size and
 * modification time, radiometry, dark-object levels, mask), both periods' statistics (classification
 * thresholds are relative to them), and the settings the detect step reads. Entries are never
 * updated in place; any of them may be deleted at any time (the store is a cache).
 *
 * <p>With {@code store.scenes = on} the store also keeps each scene's tile windows as read (masked, in
 * reflectance), keyed by the scene alone ({@code scenes/<2 hex>/<sha256>.scene}). A night that adds a
 * scene to a period then reads only that scene from its files: the other scenes' windows come from the
 * store, and compositing, classification and detection, which are cheap, run again on them.
 */
public final class TileStore implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Bump when the entry layout or the detection code changes what an entry holds. */
    static final int FORMAT = 2;
    private static final int MAGIC = 0x46575453; // "FWTS"

    private final String root;
    private final byte[] hadoopConf;
    private final String fixed;
    private final GridLayout layout;
    private final int halo;
    private final List<SceneMark> before;
    private final List<SceneMark> after;
    /** Scene id and date to what keys and bounds its stored windows, when scene windows are kept; else null. */
    private final Map<String, SceneWindows> scenes;
    private transient FileSystem fs;

    /** What of one scene enters the digest of a tile it touches, with its footprint grown by a safety margin. */
    private record SceneMark(String fingerprint, double minX, double minY, double maxX, double maxY) implements Serializable {
        boolean touches(Envelope e) {
            return minX <= e.getMaxX() && maxX >= e.getMinX() && minY <= e.getMaxY() && maxY >= e.getMinY();
        }
    }

    /** A scene's stored windows: the text their digests start from (its files and reading), and its footprint. */
    private record SceneWindows(String key, SceneMark footprint) implements Serializable {}

    /** What the detect step gave for one tile: its result and its rasters' files (empty when not written). */
    public record Entry(TileResult result, byte[] changeTile, byte[] beforeTrueColour, byte[] afterTrueColour) {}

    private TileStore(String root, byte[] hadoopConf, String fixed, GridLayout layout, int halo, List<SceneMark> before,
                      List<SceneMark> after) {
        this.root = root;
        this.hadoopConf = hadoopConf;
        this.fixed = fixed;
        this.layout = layout;
        this.halo = halo;
        this.before = before;
        this.after = after;
        this.scenes = null;
    }

    private TileStore(TileStore t, Map<String, SceneWindows> scenes) {
        this.root = t.root;
        this.hadoopConf = t.hadoopConf;
        this.fixed = t.fixed;
        this.layout = t.layout;
        this.halo = t.halo;
        this.before = t.before;
        this.after = t.after;
        this.scenes = scenes;
    }

    /** This store keeping the scenes' tile windows too ({@code store.scenes = on}). */
    public TileStore withScenes(Period before, Period after, DetectOptions o) {
        Map<String, SceneWindows> windows = new java.util.HashMap<>();
        for (Period p : List.of(before, after)) {
            List<SceneMark> marks = marks(p, layout);
            for (int i = 0; i < p.scenes().size(); i++) {
                Scene sc = p.scenes().get(i);
                // What SceneReader reads a window from: files, radiometry, dark levels, mask (and the scene's own
                // statistics for the spectral cloud test), and the window's grid, halo and cloud buffer.
                windows.put(sceneKey(sc), new SceneWindows("farmwatch scene tile " + SCENE_FORMAT + "\nbuild " + build()
                        + "\ngrid " + layout + "\nhalo " + o.haloCells() + " cloudBuffer " + o.cloudBufferMetres()
                        + "\nscene " + fingerprint(sc) + "\nstatistics " + stats(sc), marks.get(i)));
            }
        }
        return new TileStore(this, windows);
    }

    /** Whether a scene's footprint touches the window of {@code key}: only those windows are worth keeping. */
    public boolean touches(Scene sc, TileKey key) {
        SceneWindows w = scenes.get(sceneKey(sc));
        return w == null || w.footprint().touches(window(key));
    }

    public boolean keepsScenes() {
        return scenes != null;
    }

    private static String sceneKey(Scene sc) {
        return sc.id() + "@" + sc.date();
    }

    /** A scene's stored window of {@code key}, or null when there is none or it cannot be read. */
    public org.farmwatch.ingest.TileBands loadScene(Scene sc, TileKey key) {
        org.apache.hadoop.fs.Path p = scenePath(sc, key);
        try {
            FileSystem f = fs();
            if (!f.exists(p)) {
                return null;
            }
            try (FSDataInputStream in = f.open(p)) {
                return readScene(new DataInputStream(new java.io.BufferedInputStream(in, 1 << 16)));
            }
        } catch (IOException | RuntimeException | FSError ex) {
            System.err.printf("[farmwatch] tile store: scene window %s unreadable (%s); reading the scene again%n", p, ex);
            return null;
        }
    }

    /** Stores a scene's window of {@code key}; false (said on the console) when the store cannot be written. */
    public boolean saveScene(Scene sc, TileKey key, org.farmwatch.ingest.TileBands t) {
        org.apache.hadoop.fs.Path p = scenePath(sc, key);
        org.apache.hadoop.fs.Path tmp = new org.apache.hadoop.fs.Path(p.getParent(), "." + p.getName() + ".tmp-" + UUID.randomUUID());
        try {
            byte[] bytes = sceneBytes(t);
            FileSystem f = fs();
            if (f instanceof org.apache.hadoop.fs.LocalFileSystem local) {
                saveLocal(local.pathToFile(tmp).toPath(), local.pathToFile(p).toPath(), d -> d.write(bytes));
                return true;
            }
            try (FSDataOutputStream out = f.create(tmp, false)) {
                out.write(bytes);
            }
            if (!f.rename(tmp, p)) {
                f.delete(tmp, false);
            }
            return true;
        } catch (IOException | RuntimeException | FSError ex) {
            System.err.printf("[farmwatch] tile store: cannot store scene window %s (%s)%n", p, ex);
            return false;
        }
    }

    private org.apache.hadoop.fs.Path scenePath(Scene sc, TileKey key) {
        SceneWindows w = scenes.get(sceneKey(sc));
        if (w == null) {
            throw new IllegalArgumentException("scene " + sceneKey(sc) + " is not one of this run's");
        }
        String digest = sha256(w.key() + "\ntile " + key);
        return new org.apache.hadoop.fs.Path(root + "/scenes/" + digest.substring(0, 2) + "/" + digest + ".scene");
    }

    /** Bump when SceneReader's output or the layout of a scene entry changes. */
    static final int SCENE_FORMAT = 1;
    private static final int SCENE_MAGIC = 0x46575343; // "FWSC"

    /** Magic, format, size and band count, the ZSTD-compressed cells, their CRC32 as a trailer. */
    static byte[] sceneBytes(org.farmwatch.ingest.TileBands t) throws IOException {
        int n = t.width * t.height;
        java.nio.ByteBuffer raw = java.nio.ByteBuffer.allocate(t.bands.length * n * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float[] band : t.bands) {
            raw.asFloatBuffer().put(band);
            raw.position(raw.position() + n * 4);
        }
        byte[] packed = com.github.luben.zstd.Zstd.compress(raw.array(), 1);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(packed);
        ByteArrayOutputStream b = new ByteArrayOutputStream(packed.length + 32);
        try (DataOutputStream d = new DataOutputStream(b)) {
            d.writeInt(SCENE_MAGIC);
            d.writeInt(SCENE_FORMAT);
            d.writeInt(t.width);
            d.writeInt(t.height);
            d.writeInt(t.bands.length);
            d.writeInt(raw.capacity());
            d.writeInt(packed.length);
            d.write(packed);
            d.writeLong(crc.getValue());
        }
        return b.toByteArray();
    }

    static org.farmwatch.ingest.TileBands readScene(DataInputStream d) throws IOException {
        if (d.readInt() != SCENE_MAGIC || d.readInt() != SCENE_FORMAT) {
            throw new IOException("not a scene window of this format");
        }
        int w = d.readInt();
        int h = d.readInt();
        int bands = d.readInt();
        int rawLength = d.readInt();
        int packedLength = d.readInt();
        if (bands != org.farmwatch.ingest.Band.values().length || w <= 0 || h <= 0
                || rawLength != (long) bands * w * h * 4 || packedLength <= 0 || packedLength > rawLength + 1024) {
            throw new IOException("bad scene window header");
        }
        byte[] packed = new byte[packedLength];
        d.readFully(packed);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(packed);
        if (d.readLong() != crc.getValue()) {
            throw new IOException("scene window cut short or damaged");
        }
        byte[] raw = com.github.luben.zstd.Zstd.decompress(packed, rawLength);
        java.nio.FloatBuffer fb = java.nio.ByteBuffer.wrap(raw).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        org.farmwatch.ingest.TileBands t = new org.farmwatch.ingest.TileBands(w, h);
        for (float[] band : t.bands) {
            fb.get(band);
        }
        return t;
    }

    /**
     * Where a run's store is, for {@code storeDir} as configured ({@code store.dir}) and an output folder given
     * as a URI ({@code file:}, {@code hdfs://}...): {@code auto} means {@code .farmwatch/tile-store} beside the
     * output folder (shared by the runs writing there, as nightly runs do); null when it is {@code off}.
     */
    public static String location(String storeDir, String outUri) {
        String v = storeDir.trim();
        if (v.equals("off")) {
            return null;
        }
        if (v.equals("auto")) {
            String o = outUri.endsWith("/") ? outUri.substring(0, outUri.length() - 1) : outUri;
            return o.substring(0, o.lastIndexOf('/')) + "/.farmwatch/tile-store";
        }
        // A path without a scheme is local, relative to the working folder.
        return v.matches("[A-Za-z][A-Za-z0-9+.-]*:.*") ? v : Path.of(v).toAbsolutePath().toUri().toString();
    }

    /** Opens the store at {@code uri} for one run's grid, periods and settings; the driver reads scene footprints. */
    public static TileStore open(String uri, Configuration conf, GridLayout layout, Period before, Period after,
                                 DetectOptions o) {
        ByteArrayOutputStream confBytes = new ByteArrayOutputStream();
        try (DataOutputStream d = new DataOutputStream(confBytes)) {
            conf.write(d);
        } catch (IOException e) {
            throw new IllegalStateException("cannot copy the Hadoop configuration", e);
        }
        String base = uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri;
        TileStore store = new TileStore(base + "/" + gridFolder(layout), confBytes.toByteArray(),
                fixedPart(layout, before, after, o), layout, o.haloCells(), marks(before, layout), marks(after, layout));
        try {
            store.fs().mkdirs(new org.apache.hadoop.fs.Path(store.root));
        } catch (IOException | IllegalArgumentException e) {
            throw FarmwatchException.usage("store.dir " + uri + " cannot be created: " + e.getMessage());
        }
        store.writeOrCheckGrid();
        return store;
    }

    /** The folder of a grid's entries, named after everything that defines the grid. */
    static String gridFolder(GridLayout g) {
        return g.crs().replace(':', '-') + "_" + number(g.cellSizeMetres()) + "m_" + g.tileSize() + "px_"
                + number(g.originX()) + "_" + number(g.originY());
    }

    private static String number(double v) {
        return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }

    /** The grid's metadata as written to {@code grid.json}. */
    static Map<String, Object> gridMetadata(GridLayout g) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("crs", g.crs());
        String wkt = null;
        try {
            wkt = SceneCatalog.srs(g.crs()).ExportToWkt();
        } catch (RuntimeException e) {
            // The code is the grid's identity; the WKT is for readers without an EPSG database.
        }
        m.put("crs_wkt", wkt);
        m.put("origin_x", g.originX());
        m.put("origin_y", g.originY());
        m.put("cell_size_m", g.cellSizeMetres());
        m.put("tile_size", g.tileSize());
        m.put("tile_span_m", g.tileSpan());
        m.put("tile_key", "col = floor((x - origin_x) / tile_span_m), row = floor((origin_y - y) / tile_span_m); "
                + "tile (0, 0) has its top-left corner at the origin");
        m.put("entries", "v" + FORMAT + "/<2 hex>/<sha256>.tile, one per tile and inputs (farmwatch TileStore)");
        return m;
    }

    /**
     * Writes {@code grid.json} when the grid's folder has none (to a temporary name, then renamed), and
     * checks the one there against this run's grid: a file that disagrees is a usage error naming it.
     * A store that cannot be written is reported and the run goes on, as for entries.
     */
    private void writeOrCheckGrid() {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(root + "/grid.json");
        String text;
        try {
            FileSystem f = fs();
            // Without Hadoop's .crc side file on local disks: grid.json is for people and other tools to read.
            if (f instanceof org.apache.hadoop.fs.ChecksumFileSystem c) {
                f = c.getRawFileSystem();
            }
            if (!f.exists(p)) {
                org.apache.hadoop.fs.Path tmp = new org.apache.hadoop.fs.Path(root, ".grid.json.tmp-" + UUID.randomUUID());
                try {
                    try (FSDataOutputStream out = f.create(tmp, false)) {
                        out.write(Json.write(gridMetadata(layout)).getBytes(StandardCharsets.UTF_8));
                    }
                    if (!f.rename(tmp, p)) {
                        // Another run wrote it first: it is checked below like any other.
                        f.delete(tmp, false);
                    }
                } finally {
                    if (f.exists(tmp)) {
                        f.delete(tmp, false);
                    }
                }
            }
            try (FSDataInputStream in = f.open(p)) {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } catch (IOException | RuntimeException | FSError ex) {
            System.err.printf("[farmwatch] tile store: cannot write or read %s (%s)%n", p, ex);
            return;
        }
        Map<String, Object> found;
        try {
            found = Json.parseObject(text);
        } catch (IllegalArgumentException e) {
            throw FarmwatchException.usage("tile store " + p + " is not a grid description (" + e.getMessage()
                    + "); delete that folder");
        }
        Map<String, Object> want = gridMetadata(layout);
        for (String k : List.of("crs", "origin_x", "origin_y", "cell_size_m", "tile_size")) {
            Object a = found.get(k);
            Object b = want.get(k);
            boolean same = a instanceof Number n && b instanceof Number m ? n.doubleValue() == m.doubleValue()
                    : a != null && a.toString().equalsIgnoreCase(b.toString());
            if (!same) {
                throw FarmwatchException.usage("tile store " + p + " describes another grid (" + k + " " + a
                        + ", this run's grid has " + b + "); delete that folder");
            }
        }
    }

    public String describe() {
        return root;
    }

    /** The window a tile's detect reads: the tile with its halo. */
    private Envelope window(TileKey key) {
        Envelope win = new Envelope(layout.extentOf(key));
        win.expandBy(halo * layout.cellSizeMetres());
        return win;
    }

    /** The digest naming the entry of {@code key}. */
    public String digest(TileKey key) {
        Envelope win = window(key);
        StringBuilder b = new StringBuilder(fixed).append("\ntile ").append(key);
        for (SceneMark m : before) {
            if (m.touches(win)) {
                b.append("\nbefore ").append(m.fingerprint());
            }
        }
        for (SceneMark m : after) {
            if (m.touches(win)) {
                b.append("\nafter ").append(m.fingerprint());
            }
        }
        return sha256(b.toString());
    }

    /** The stored entry, or null when there is none or it cannot be read (then it is computed again). */
    public Entry load(String digest) {
        org.apache.hadoop.fs.Path p = path(digest);
        try {
            FileSystem f = fs();
            if (!f.exists(p)) {
                return null;
            }
            Entry e;
            try (FSDataInputStream in = f.open(p)) {
                e = read(new DataInputStream(in));
            }
            try {
                // Reading marks the entry used, so that operators can prune what no run has used for a while.
                f.setTimes(p, System.currentTimeMillis(), -1);
            } catch (IOException | RuntimeException unsupported) {
                // Object stores (S3A) keep no settable times: the entry is good all the same.
            }
            return e;
        } catch (IOException | ParseException | RuntimeException | FSError ex) {
            System.err.printf("[farmwatch] tile store: entry %s unreadable (%s); computing the tile again%n", p, ex);
            return null;
        }
    }

    /**
     * Stores an entry under a temporary name, then renames it into place. Returns false (after saying
     * why on the console) when the store cannot be written: the run goes on without it.
     */
    public boolean save(String digest, Entry e) {
        org.apache.hadoop.fs.Path p = path(digest);
        org.apache.hadoop.fs.Path tmp = new org.apache.hadoop.fs.Path(p.getParent(), "." + digest + ".tmp-" + UUID.randomUUID());
        try {
            FileSystem f = fs();
            if (f instanceof org.apache.hadoop.fs.LocalFileSystem local) {
                // Hadoop's local file system forks `chmod` for every file it creates (without the native
                // Hadoop library, as here): about 2 s of CPU per Sentinel-2 tile's worth of entries.
                saveLocal(local.pathToFile(tmp).toPath(), local.pathToFile(p).toPath(), d -> write(d, e));
                return true;
            }
            try (FSDataOutputStream out = f.create(tmp, false)) {
                write(new DataOutputStream(out), e);
            }
            if (!f.rename(tmp, p)) {
                // Another attempt of the same tile got there first: its entry is the same.
                f.delete(tmp, false);
            }
            return true;
        } catch (IOException | RuntimeException | FSError ex) {
            // Hadoop's local file system reports a full disk as FSError, an Error.
            System.err.printf("[farmwatch] tile store: cannot store %s (%s)%n", p, ex);
            try {
                fs().delete(tmp, false);
            } catch (IOException | RuntimeException | FSError ignored) {
                // Nothing more to do: a leftover temporary name is never read.
            }
            return false;
        }
    }

    /** What an entry's file holds, written to a stream. */
    private interface Body {
        void write(DataOutputStream d) throws IOException;
    }

    private static void saveLocal(Path tmp, Path p, Body body) throws IOException {
        try {
            Files.createDirectories(p.getParent());
            try (DataOutputStream d = new DataOutputStream(new java.io.BufferedOutputStream(
                    Files.newOutputStream(tmp, java.nio.file.StandardOpenOption.CREATE_NEW), 1 << 16))) {
                body.write(d);
            }
            // A rename within the folder: readers see the whole entry or none. A twin from another attempt
            // of the same tile is the same entry.
            Files.move(tmp, p, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private org.apache.hadoop.fs.Path path(String digest) {
        // Two hex digits of fan-out keep folders small on a province-sized grid.
        return new org.apache.hadoop.fs.Path(root + "/v" + FORMAT + "/" + digest.substring(0, 2) + "/" + digest + ".tile");
    }

    private FileSystem fs() throws IOException {
        if (fs == null) {
            Configuration conf = new Configuration(false);
            conf.readFields(new DataInputStream(new ByteArrayInputStream(hadoopConf)));
            fs = new org.apache.hadoop.fs.Path(root).getFileSystem(conf);
        }
        return fs;
    }

    private static void write(DataOutputStream d, Entry e) throws IOException {
        d.writeInt(MAGIC);
        d.writeInt(FORMAT);
        d.writeLong(e.result().clearCells());
        d.writeLong(e.result().changedCells());
        d.writeInt(e.result().fragments().size());
        WKBWriter wkb = new WKBWriter(2);
        for (PatchFragment f : e.result().fragments()) {
            d.writeUTF(f.fragmentId());
            d.writeInt(f.tile().col());
            d.writeInt(f.tile().row());
            d.writeInt(f.code());
            d.writeLong(f.cells());
            d.writeDouble(f.confidenceSum());
            d.writeInt(f.edges());
            byte[] g = wkb.write(f.geometry());
            d.writeInt(g.length);
            d.write(g);
        }
        for (byte[] file : List.of(e.changeTile(), e.beforeTrueColour(), e.afterTrueColour())) {
            d.writeInt(file.length);
            d.write(file);
        }
        // A trailer: an entry cut short by a crash or a full disk fails to read instead of passing.
        d.writeInt(MAGIC);
        d.flush();
    }

    private static Entry read(DataInputStream d) throws IOException, ParseException {
        if (d.readInt() != MAGIC || d.readInt() != FORMAT) {
            throw new IOException("not a farmwatch tile-store entry of format " + FORMAT);
        }
        long clear = d.readLong();
        long changed = d.readLong();
        int n = d.readInt();
        List<PatchFragment> fragments = new ArrayList<>(n);
        WKBReader wkb = new WKBReader();
        for (int i = 0; i < n; i++) {
            String id = d.readUTF();
            TileKey tile = new TileKey(d.readInt(), d.readInt());
            int code = d.readInt();
            long cells = d.readLong();
            double conf = d.readDouble();
            int edges = d.readInt();
            byte[] g = new byte[d.readInt()];
            d.readFully(g);
            fragments.add(new PatchFragment(id, tile, code, cells, conf, edges, wkb.read(g)));
        }
        byte[][] files = new byte[3][];
        for (int i = 0; i < files.length; i++) {
            files[i] = new byte[d.readInt()];
            d.readFully(files[i]);
        }
        if (d.readInt() != MAGIC) {
            throw new IOException("entry is truncated");
        }
        return new Entry(new TileResult(fragments, clear, changed), files[0], files[1], files[2]);
    }

    /** The part of every digest that does not depend on the tile. */
    private static String fixedPart(GridLayout layout, Period before, Period after, DetectOptions s) {
        StringBuilder b = new StringBuilder("farmwatch tile store ").append(FORMAT).append('\n');
        b.append("build ").append(build()).append('\n');
        // The grid's folder names it and its grid.json describes it.
        b.append("grid ").append(gridFolder(layout)).append('\n');
        // Exactly the options that detect reads (all of DetectOptions), in the text earlier builds wrote.
        b.append("settings halo=").append(s.haloCells()).append(" cloudBuffer=").append(s.cloudBufferMetres())
                .append(" composite=").append(s.compositeMethod()).append(" change=").append(s.changeThreshold())
                .append(" spectral=").append(s.spectralThreshold()).append(" vegetation=").append(s.vegetationThreshold())
                .append(" keepOther=").append(s.keepOther())
                .append(" minPatch=").append(s.minPatchAreaM2()).append(" thresholds=").append(s.thresholds())
                .append(" rules=").append(rules(s.rules()))
                .append(" classifier=").append(Classifiers.identity(s.classifier(), s.classifierModel()))
                .append(" persistence=").append(s.persistenceShare())
                .append(" trueColour=").append(s.trueColour())
                .append('\n');
        b.append("before statistics ").append(stats(before.statistics())).append('\n');
        b.append("after statistics ").append(stats(after.statistics()));
        return b.toString();
    }

    /** The rules in a stable text: their class sets iterate in an order that differs from JVM to JVM. */
    private static String rules(List<ConversionRule> rules) {
        StringBuilder b = new StringBuilder();
        for (ConversionRule r : rules) {
            b.append(r.name()).append(':').append(r.type()).append(':').append(new java.util.TreeSet<>(r.from()))
                    .append(':').append(new java.util.TreeSet<>(r.to())).append(':').append(r.minAreaM2()).append(':')
                    .append(r.minShare()).append(':').append(r.scope()).append(';');
        }
        return b.toString();
    }

    private static List<SceneMark> marks(Period p, GridLayout layout) {
        List<SceneMark> out = new ArrayList<>();
        for (Scene sc : p.scenes()) {
            Envelope e = SceneCatalog.footprint(sc, layout.crs());
            // Resampling reaches a source cell or two past the footprint's edge.
            e.expandBy(2 * Math.max(layout.cellSizeMetres(), NativeResolution.metres(sc)));
            out.add(new SceneMark(fingerprint(sc), e.getMinX(), e.getMinY(), e.getMaxX(), e.getMaxY()));
        }
        return out;
    }

    private static String fingerprint(Scene sc) {
        StringBuilder b = new StringBuilder(sc.id()).append(' ').append(sc.date()).append(' ').append(sc.maskKind());
        for (Band band : Band.values()) {
            b.append(' ').append(band).append('=').append(file(sc.bands().get(band))).append(" dark=").append(sc.dark(band));
        }
        b.append(" mask=").append(sc.scl() == null ? "spectral" : file(sc.scl()));
        return b.toString();
    }

    /** A band file by path, band, radiometry, and its size and modification time: a file replaced in place changes it. */
    private static String file(BandRef r) {
        String id = r.path() + "#" + r.index() + "*" + r.scale() + "+" + r.offset();
        try {
            if (org.farmwatch.util.HadoopFs.isUri(r.path())) {
                org.apache.hadoop.fs.FileStatus st = org.farmwatch.util.HadoopFs.status(r.path());
                return st == null ? id : id + "@" + st.getLen() + "/" + st.getModificationTime();
            }
            Path p = Path.of(r.path());
            if (Files.isRegularFile(p)) {
                id += "@" + Files.size(p) + "/" + Files.getLastModifiedTime(p).toMillis();
            }
        } catch (IOException | RuntimeException e) {
            // A path GDAL reads but Java cannot stat (a /vsi path): its name and radiometry stand for it.
        }
        return id;
    }

    private static String stats(Scene s) {
        StringBuilder b = new StringBuilder();
        for (Band band : Band.values()) {
            double[] v = s.stats().get(band);
            b.append(band).append(java.util.Arrays.toString(v)).append(' ');
        }
        return b.toString();
    }

    /**
     * The farmwatch jar's size and time, or for classes in a folder (tests, an IDE) their number and
     * latest time: a new build invalidates the store, so that changed detection code is never skipped.
     */
    private static String build() {
        try {
            Path p = Path.of(TileStore.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isRegularFile(p)) {
                return p.getFileName() + "@" + Files.size(p) + "/" + Files.getLastModifiedTime(p).toMillis();
            }
            if (Files.isDirectory(p)) {
                long[] nt = new long[2];
                try (java.util.stream.Stream<Path> s = Files.walk(p)) {
                    s.filter(Files::isRegularFile).forEach(f -> {
                        nt[0]++;
                        try {
                            nt[1] = Math.max(nt[1], Files.getLastModifiedTime(f).toMillis());
                        } catch (IOException e) {
                            nt[1] = Long.MAX_VALUE;
                        }
                    });
                }
                return "classes " + nt[0] + "/" + nt[1];
            }
        } catch (Exception e) {
            // No code source: the format number alone.
        }
        return "unknown";
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

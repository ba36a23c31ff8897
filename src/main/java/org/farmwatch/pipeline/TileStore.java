package org.farmwatch.pipeline;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FSError;
import org.apache.hadoop.fs.FileSystem;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.TileKey;
import org.farmwatch.ingest.Period;
import org.farmwatch.ingest.Scene;
import org.farmwatch.util.FarmwatchException;
import org.locationtech.jts.geom.Envelope;
import org.locationtech.jts.io.ParseException;

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
    static final int FORMAT = 3;

    private final String root;
    private final byte[] hadoopConf;
    private final String fixed;
    private final GridLayout layout;
    private final int halo;
    private final List<StoreDigests.SceneMark> before;
    private final List<StoreDigests.SceneMark> after;
    /** Scene id and date to what keys and bounds its stored windows, when scene windows are kept; else null. */
    private final Map<String, SceneWindows> scenes;
    private transient FileSystem fs;

    /** A scene's stored windows: the text their digests start from (its files and reading), and its footprint. */
    private record SceneWindows(String key, StoreDigests.SceneMark footprint) implements Serializable {}

    /** What the detect step gave for one tile: its result and its rasters' files (empty when not written). */
    public record Entry(TileResult result, byte[] changeTile, byte[] beforeTrueColour, byte[] afterTrueColour) {}

    private TileStore(String root, byte[] hadoopConf, String fixed, GridLayout layout, int halo, List<StoreDigests.SceneMark> before,
                      List<StoreDigests.SceneMark> after) {
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
            List<StoreDigests.SceneMark> marks = StoreDigests.marks(p, layout);
            for (int i = 0; i < p.scenes().size(); i++) {
                Scene sc = p.scenes().get(i);
                // What SceneReader reads a window from: files, radiometry, dark levels, mask (and the scene's own
                // statistics for the spectral cloud test), and the window's grid, halo and cloud buffer.
                windows.put(sceneKey(sc), new SceneWindows("farmwatch scene tile " + StoreCodec.SCENE_FORMAT + "\nbuild " + StoreDigests.build()
                        + "\ngrid " + layout + "\nhalo " + o.haloCells() + " cloudBuffer " + o.cloudBufferMetres()
                        + "\nscene " + StoreDigests.fingerprint(sc) + "\nstatistics " + StoreDigests.stats(sc),
                        marks.get(i)));
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
                return StoreCodec.readScene(new DataInputStream(new java.io.BufferedInputStream(in, 1 << 16)));
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
            byte[] bytes = StoreCodec.sceneBytes(t);
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
        String digest = StoreDigests.sha256(w.key() + "\ntile " + key);
        return new org.apache.hadoop.fs.Path(root + "/scenes/" + digest.substring(0, 2) + "/" + digest + ".scene");
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
        TileStore store = new TileStore(base + "/" + GridFolder.name(layout), confBytes.toByteArray(),
                StoreDigests.fixedPart(layout, before, after, o), layout, o.haloCells(),
                StoreDigests.marks(before, layout), StoreDigests.marks(after, layout));
        FileSystem fs;
        try {
            fs = store.fs();
            fs.mkdirs(new org.apache.hadoop.fs.Path(store.root));
        } catch (IOException | IllegalArgumentException e) {
            throw FarmwatchException.usage("store.dir " + uri + " cannot be created: " + e.getMessage());
        }
        GridFolder.writeOrCheck(fs, store.root, layout);
        return store;
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
        for (StoreDigests.SceneMark m : before) {
            if (m.touches(win)) {
                b.append("\nbefore ").append(m.fingerprint());
            }
        }
        for (StoreDigests.SceneMark m : after) {
            if (m.touches(win)) {
                b.append("\nafter ").append(m.fingerprint());
            }
        }
        return StoreDigests.sha256(b.toString());
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
                e = StoreCodec.read(new DataInputStream(in));
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
                saveLocal(local.pathToFile(tmp).toPath(), local.pathToFile(p).toPath(), d -> StoreCodec.write(d, e));
                return true;
            }
            try (FSDataOutputStream out = f.create(tmp, false)) {
                StoreCodec.write(new DataOutputStream(out), e);
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

}

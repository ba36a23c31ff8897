package org.farmwatch.pipeline;

import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.farmwatch.classify.Classifiers;
import org.farmwatch.flag.ConversionRule;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.ingest.Band;
import org.farmwatch.ingest.BandRef;
import org.farmwatch.ingest.NativeResolution;
import org.farmwatch.ingest.Period;
import org.farmwatch.ingest.Scene;
import org.farmwatch.ingest.SceneCatalog;
import org.locationtech.jts.geom.Envelope;

/**
 * What enters the digests that name the tile store's entries: the build, the grid, the detect options, the
 * periods' statistics and, per scene, its files and reading. Reads file sizes and times only.
 */
final class StoreDigests {
    private StoreDigests() {}

    /** What of one scene enters the digest of a tile it touches, with its footprint grown by a safety margin. */
    record SceneMark(String fingerprint, double minX, double minY, double maxX, double maxY) implements Serializable {
        boolean touches(Envelope e) {
            return minX <= e.getMaxX() && maxX >= e.getMinX() && minY <= e.getMaxY() && maxY >= e.getMinY();
        }
    }

    /** The part of every digest that does not depend on the tile. */
    static String fixedPart(GridLayout layout, Period before, Period after, DetectOptions s) {
        StringBuilder b = new StringBuilder("farmwatch tile store ").append(TileStore.FORMAT).append('\n');
        b.append("build ").append(build()).append('\n');
        // The grid's folder names it and its grid.json describes it.
        b.append("grid ").append(GridFolder.name(layout)).append('\n');
        // Exactly the options that detect reads (all of DetectOptions), in the text earlier builds wrote.
        b.append("settings halo=").append(s.haloCells()).append(" cloudBuffer=").append(s.cloudBufferMetres())
                .append(" composite=").append(s.compositeMethod()).append(" change=").append(s.changeThreshold())
                .append(" spectral=").append(s.spectralThreshold()).append(" vegetation=").append(s.vegetationThreshold())
                .append(" keepOther=").append(s.keepOther())
                .append(" minPatch=").append(s.minPatchAreaM2()).append(" thresholds=").append(s.thresholds())
                .append(" rules=").append(rules(s.rules()))
                .append(" classifier=").append(Classifiers.identity(s.classifier(), s.classifierModel()))
                .append(" persistence=").append(s.persistenceShare())
                .append(" construction=").append(s.constructionBrightness())
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

    static List<SceneMark> marks(Period p, GridLayout layout) {
        List<SceneMark> out = new ArrayList<>();
        for (Scene sc : p.scenes()) {
            Envelope e = SceneCatalog.footprint(sc, layout.crs());
            // Resampling reaches a source cell or two past the footprint's edge.
            e.expandBy(2 * Math.max(layout.cellSizeMetres(), NativeResolution.metres(sc)));
            out.add(new SceneMark(fingerprint(sc), e.getMinX(), e.getMinY(), e.getMaxX(), e.getMaxY()));
        }
        return out;
    }

    static String fingerprint(Scene sc) {
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

    static String stats(Scene s) {
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
    static String build() {
        try {
            Path p = Path.of(StoreDigests.class.getProtectionDomain().getCodeSource().getLocation().toURI());
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

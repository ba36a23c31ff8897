package org.farmwatch.ingest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.farmwatch.util.FarmwatchException;
import org.farmwatch.util.HadoopFs;

/**
 * Scene band folders and catalogues on a Hadoop file system ({@code hdfs://}, {@code s3a://}). The
 * driver lists them with the FileSystem API and opens a folder through a local mirror (links to the
 * fetch cache of {@link HadoopFs}, with the files' own names, so folder conventions hold); the scene it
 * returns names its bands by their URIs, which every JVM that reads pixels resolves into its own cache.
 * STAC items are read from local folders only.
 */
final class HadoopScenes {
    private static final String MTD = "MTD_MSIL2A.xml";

    private HadoopScenes() {}

    /** As {@link SceneCatalog#open(String)} for a band folder at {@code uri}. */
    static Scene open(String uri) {
        String root = strip(uri);
        FileStatus st;
        List<FileStatus> files;
        try {
            st = HadoopFs.status(root);
            if (st == null) {
                throw FarmwatchException.input("scene not found: " + uri);
            }
            if (!st.isDirectory()) {
                throw FarmwatchException.input("scene " + uri + ": on a Hadoop file system only band folders "
                        + "(Sentinel-2, Landsat C2 L2) are read; STAC items must be local");
            }
            files = HadoopFs.list(root);
        } catch (IOException e) {
            throw FarmwatchException.input("cannot list scene " + uri + ": " + e.getMessage(), e);
        }
        String dir = st.getPath().toString();
        Path mirror;
        try {
            mirror = Files.createTempDirectory("farmwatch-scene-").resolve(st.getPath().getName());
            Files.createDirectories(mirror);
            for (FileStatus f : files) {
                if (f.isFile() && !f.getPath().getName().startsWith(".")) {
                    Path local = Path.of(HadoopFs.localCopy(f.getPath().toString()));
                    Files.createSymbolicLink(mirror.resolve(f.getPath().getName()), local);
                }
            }
            // A band folder inside a SAFE product takes its BOA offset from the product's MTD_MSIL2A.xml above it.
            org.apache.hadoop.fs.Path up = st.getPath().getParent();
            for (int i = 1; i < 5 && up != null && !Files.exists(mirror.resolve(MTD)); i++, up = up.getParent()) {
                FileStatus mtd = HadoopFs.status(new org.apache.hadoop.fs.Path(up, MTD).toString());
                if (mtd != null && mtd.isFile()) {
                    Files.createSymbolicLink(mirror.getParent().resolve(MTD), Path.of(HadoopFs.localCopy(mtd.getPath().toString())));
                    break;
                }
            }
        } catch (IOException e) {
            throw FarmwatchException.input("cannot mirror scene " + uri + " locally: " + e.getMessage(), e);
        }
        try {
            Scene local = SceneCatalog.open(mirror.toString());
            String prefix = mirror.toString() + "/";
            Map<Band, BandRef> bands = new EnumMap<>(Band.class);
            local.bands().forEach((b, r) -> bands.put(b, remote(r, prefix, dir)));
            return new Scene(local.id(), local.date(), bands, local.scl() == null ? null : remote(local.scl(), prefix, dir),
                    local.maskKind(), local.stats());
        } finally {
            deleteQuietly(mirror.getParent());
        }
    }

    /** The band folders under catalogue {@code uri} (up to four levels deep), as URIs, in a stable order. */
    static List<String> scan(String uri) {
        String root = strip(uri);
        List<String> out = new ArrayList<>();
        try {
            FileStatus st = HadoopFs.status(root);
            if (st == null || !st.isDirectory()) {
                throw FarmwatchException.input("catalogue folder not found: " + uri);
            }
            walk(st.getPath().toString(), 0, out);
        } catch (IOException e) {
            throw FarmwatchException.input("cannot list catalogue " + uri + ": " + e.getMessage(), e);
        }
        return out;
    }

    private static void walk(String dir, int depth, List<String> out) throws IOException {
        List<FileStatus> entries = HadoopFs.list(dir);
        if (entries.stream().anyMatch(f -> f.isFile() && Catalogue.isBandFile(f.getPath().getName()))) {
            out.add(dir);
            return;
        }
        for (FileStatus f : entries) {
            if (f.isDirectory() && depth < 4) {
                walk(f.getPath().toString(), depth + 1, out);
            }
        }
    }

    private static BandRef remote(BandRef r, String localPrefix, String dir) {
        if (!r.path().startsWith(localPrefix)) {
            throw FarmwatchException.input("band file " + r.path() + " lies outside the scene folder " + dir);
        }
        return new BandRef(dir + "/" + r.path().substring(localPrefix.length()), r.index(), r.scale(), r.offset());
    }

    private static String strip(String uri) {
        return uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri;
    }

    private static void deleteQuietly(Path dir) {
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | RuntimeException ignored) {
            // Only links in a temporary folder: harmless if left.
        }
    }
}

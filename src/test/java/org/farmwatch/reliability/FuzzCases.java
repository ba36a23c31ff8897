package org.farmwatch.reliability;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.Vector;
import java.util.regex.Pattern;
import org.farmwatch.util.Gdal;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.TranslateOptions;
import org.gdal.gdal.gdal;

/**
 * The fuzz cases of {@link ReaderFuzzTest}, the same in the test JVM and in the child that runs them:
 * case {@code i < targets().size()} is target {@code i} unmutated (a control that must succeed), every
 * later case one seeded mutation of one target's file. Everything follows from the seed and the index.
 */
final class FuzzCases {
    private FuzzCases() {}

    /** How a target file is handed to the readers. */
    enum Kind {
        /** One band file of a Sentinel-2 folder; the folder's other files are linked beside it. */
        S2_BAND,
        /** A multi-band file behind a STAC item whose one asset carries the six eo:bands. */
        STAC_MULTIBAND,
        /** An ENVI raw file and its .HDR behind a STAC item; either of the two is mutated. */
        STAC_ENVI,
        /** A farmland vector file (GeoPackage, zipped Shapefile). */
        FARMLAND
    }

    /**
     * @param crs  the file's own CRS, used as the working CRS so that the window lies over the data
     * @param cell the working cell size in metres
     */
    record Target(String name, Kind kind, Path file, String crs, double cell) {}

    enum Mutation { BIT_FLIPS, TRUNCATION, RANGE_OVERWRITE, HEADER_ZEROING, HEADER_NUMBERS }

    /** A prepared case: where the readers look and what was done to the file. */
    record Prepared(String input, String description) {}

    static List<Target> targets() {
        List<Target> t = new ArrayList<>();
        Path after = Fixtures.SAMPLE_AFTER;
        t.add(new Target("sample-B04", Kind.S2_BAND, after.resolve("SAMPLE_20250920T030529_B04.tif"), "EPSG:4527", 10));
        t.add(new Target("sample-SCL", Kind.S2_BAND, after.resolve("SAMPLE_20250920T030529_SCL.tif"), "EPSG:4527", 10));
        t.add(new Target("sample-farmland", Kind.FARMLAND, Fixtures.SAMPLE_FARMLAND, "EPSG:4527", 0));
        Path real = Fixtures.REAL;
        if (Files.isDirectory(real)) {
            t.add(new Target("havelland-B04", Kind.S2_BAND,
                    real.resolve("havelland-s2/IMG_DATA/T33UUU_20170216T102101_B04.jp2"), "EPSG:32633", 10));
            t.add(new Target("rondonia-landsat8", Kind.STAC_MULTIBAND,
                    real.resolve("rondonia-landsat8/LC08_232066_20190727.tif"), "EPSG:32620", 30));
            t.add(new Target("taizhou-envi", Kind.STAC_ENVI, real.resolve("taizhou-landsat/2000TM"), "EPSG:32651", 30));
            t.add(new Target("brp-gpkg", Kind.FARMLAND, real.resolve("lpis-parcels/brpgewaspercelen_definitief_2023.gpkg"),
                    "EPSG:28992", 0));
            t.add(new Target("antrag-shp-zip", Kind.FARMLAND, real.resolve("lpis-parcels/antrag.zip"), "EPSG:25833", 0));
        }
        return t;
    }

    static Target targetOf(List<Target> targets, int index) {
        return targets.get(index % targets.size());
    }

    static Random random(long seed, int index) {
        return new Random(seed * 1_000_003L + index * 0x9E3779B97F4A7C15L);
    }

    /**
     * Writes case {@code index} under {@code dir}: the target's file, mutated unless the case is a
     * control, wrapped as the readers expect it.
     */
    static Prepared prepare(List<Target> targets, long seed, int index, Path dir) throws IOException {
        Gdal.init();
        Target t = targetOf(targets, index);
        boolean control = index < targets.size();
        Random rnd = random(seed, index);
        Files.createDirectories(dir);
        String fileName = t.file().getFileName().toString();
        String what;
        switch (t.kind()) {
            case S2_BAND -> {
                String date = fileName.replaceAll(".*_(\\d{8})T\\d{6}_.*", "$1");
                Path scene = dir.resolve("FUZZ_" + date);
                Files.createDirectories(scene);
                try (var s = Files.list(companions(t, dir.getParent()))) {
                    for (Path f : s.toList()) {
                        String n = f.getFileName().toString();
                        String band = n.replaceAll(".*_(B0[2348]|B1[12]|SCL)\\.(tif|jp2)$", "$1");
                        if (!band.equals(n) && !fileName.contains("_" + band + ".")) {
                            Files.createSymbolicLink(scene.resolve(n), f.toAbsolutePath());
                        }
                    }
                }
                Path copy = scene.resolve(fileName);
                what = control ? "unmutated" : mutate(t.file(), copy, rnd);
                if (control) {
                    Files.copy(t.file(), copy);
                }
                return new Prepared(scene.toString(), t.name() + " " + fileName + ": " + what);
            }
            case STAC_MULTIBAND, STAC_ENVI -> {
                Path copy = dir.resolve(fileName);
                if (t.kind() == Kind.STAC_ENVI) {
                    Path hdr = t.file().resolveSibling(fileName + ".HDR");
                    Path hdrCopy = dir.resolve(fileName + ".HDR");
                    if (control) {
                        Files.copy(t.file(), copy);
                        Files.copy(hdr, hdrCopy);
                        what = "unmutated";
                    } else if (rnd.nextBoolean()) {
                        Files.copy(t.file(), copy);
                        what = ".HDR " + mutate(hdr, hdrCopy, rnd);
                    } else {
                        Files.copy(hdr, hdrCopy);
                        what = "raw " + mutate(t.file(), copy, rnd);
                    }
                } else if (control) {
                    Files.copy(t.file(), copy);
                    what = "unmutated";
                } else {
                    what = mutate(t.file(), copy, rnd);
                }
                Path item = dir.resolve("item.json");
                Files.writeString(item, stacItem(fileName), StandardCharsets.UTF_8);
                return new Prepared(item.toString(), t.name() + " " + fileName + ": " + what);
            }
            case FARMLAND -> {
                Path copy = dir.resolve(fileName);
                what = control ? "unmutated" : mutate(t.file(), copy, rnd);
                if (control) {
                    Files.copy(t.file(), copy);
                }
                return new Prepared(copy.toString(), t.name() + " " + fileName + ": " + what);
            }
            default -> throw new IllegalStateException(t.kind().toString());
        }
    }

    /**
     * The folder whose other bands stand beside the mutated one. JPEG 2000 bands are decoded for every
     * case, so for them the other bands are GeoTIFFs at an eighth of the resolution, made once per work folder.
     */
    private static Path companions(Target t, Path work) throws IOException {
        Path folder = t.file().getParent();
        if (!t.file().toString().endsWith(".jp2")) {
            return folder;
        }
        Path cache = work.resolve("companions-" + t.name());
        if (Files.isDirectory(cache)) {
            return cache;
        }
        Path building = work.resolve("companions-" + t.name() + ".building");
        Files.createDirectories(building);
        try (var s = Files.list(folder)) {
            for (Path f : s.toList()) {
                String n = f.getFileName().toString();
                if (n.matches(".*_(B0[2348]|B1[12])\\.jp2")) {
                    Dataset src = gdal.Open(f.toString());
                    TranslateOptions o = new TranslateOptions(new Vector<>(List.of("-outsize", "12.5%", "12.5%", "-r", "average")));
                    gdal.Translate(building.resolve(n.replace(".jp2", ".tif")).toString(), src, o).delete();
                    o.delete();
                    src.delete();
                }
            }
        }
        Files.move(building, cache);
        return cache;
    }

    private static String stacItem(String href) {
        return "{\"type\": \"Feature\", \"stac_version\": \"1.0.0\", \"id\": \"fuzz\", \"geometry\": null,"
                + "\"properties\": {\"datetime\": \"2019-07-27T14:00:00Z\"},"
                + "\"assets\": {\"data\": {\"href\": \"" + href + "\", \"eo:bands\": ["
                + "{\"common_name\": \"blue\"}, {\"common_name\": \"green\"}, {\"common_name\": \"red\"},"
                + "{\"common_name\": \"nir\"}, {\"common_name\": \"swir16\"}, {\"common_name\": \"swir22\"}]}}}";
    }

    /** Writes a mutated copy of {@code from} to {@code to} and says what was done. */
    static String mutate(Path from, Path to, Random rnd) throws IOException {
        byte[] b = Files.readAllBytes(from);
        Mutation m = Mutation.values()[rnd.nextInt(Mutation.values().length)];
        if (m == Mutation.HEADER_NUMBERS && !isText(b)) {
            m = Mutation.HEADER_ZEROING;
        }
        String what;
        switch (m) {
            case BIT_FLIPS -> {
                int n = 1 + rnd.nextInt(16);
                List<Integer> at = new ArrayList<>();
                for (int k = 0; k < n; k++) {
                    // Half of the flips hit the first 4 KB, where headers and directories live.
                    int pos = rnd.nextBoolean() ? rnd.nextInt(Math.min(b.length, 4096)) : rnd.nextInt(b.length);
                    b[pos] ^= (byte) (1 << rnd.nextInt(8));
                    at.add(pos);
                }
                what = "bit flips at " + at;
            }
            case TRUNCATION -> {
                int len = rnd.nextBoolean() ? rnd.nextInt(Math.min(b.length, 4096)) : rnd.nextInt(b.length);
                b = Arrays.copyOf(b, len);
                what = "truncated to " + len + " of " + Files.size(from) + " bytes";
            }
            case RANGE_OVERWRITE -> {
                int len = 1 + rnd.nextInt(4096);
                int pos = rnd.nextInt(Math.max(1, b.length - len));
                int fill = rnd.nextInt(3);
                for (int k = pos; k < Math.min(b.length, pos + len); k++) {
                    b[k] = fill == 0 ? (byte) rnd.nextInt(256) : fill == 1 ? (byte) 0xFF : 0;
                }
                what = "bytes " + pos + ".." + (pos + len) + " overwritten with " + (fill == 0 ? "random" : fill == 1 ? "0xFF" : "0x00");
            }
            case HEADER_ZEROING -> {
                int pos = rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(Math.min(b.length, 8192));
                int len = 4 + rnd.nextInt(1020);
                Arrays.fill(b, pos, Math.min(b.length, pos + len), (byte) 0);
                what = "zeroed bytes " + pos + ".." + (pos + len);
            }
            case HEADER_NUMBERS -> {
                // Text headers (ENVI .HDR): one number replaced by zero, a negative or a huge one.
                String text = new String(b, StandardCharsets.ISO_8859_1);
                Matcher num = Pattern.compile("\\d+").matcher(text);
                List<int[]> spans = new ArrayList<>();
                while (num.find()) {
                    spans.add(new int[] {num.start(), num.end()});
                }
                int[] s = spans.get(rnd.nextInt(spans.size()));
                String[] values = {"0", "-1", "2147483647", "99999999999", "4294967296", "-2147483648"};
                String v = values[rnd.nextInt(values.length)];
                text = text.substring(0, s[0]) + v + text.substring(s[1]);
                b = text.getBytes(StandardCharsets.ISO_8859_1);
                what = "number at " + s[0] + " set to " + v;
            }
            default -> throw new IllegalStateException(m.toString());
        }
        Files.write(to, b);
        return m.name().toLowerCase() + ": " + what;
    }

    private static boolean isText(byte[] b) {
        for (int i = 0; i < Math.min(b.length, 512); i++) {
            if (b[i] == 0) {
                return false;
            }
        }
        return true;
    }
}

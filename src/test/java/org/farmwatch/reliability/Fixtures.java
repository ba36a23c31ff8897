package org.farmwatch.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Vector;
import java.util.stream.Stream;
import org.farmwatch.util.Gdal;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.TranslateOptions;
import org.gdal.gdal.gdal;
import org.junit.jupiter.api.Assumptions;

/** Test inputs built from the demo data and from ../shared/realdata, and the checks every failed run must pass. */
final class Fixtures {
    private Fixtures() {}

    static final Path SAMPLE_BEFORE = Path.of("sample-tiles/scenes/20250415");
    static final Path SAMPLE_AFTER = Path.of("sample-tiles/scenes/20250920");
    static final Path SAMPLE_FARMLAND = Path.of("sample-tiles/farmland.gpkg");
    static final Path REAL = Path.of("../shared/realdata");

    /** Real data is optional on a laptop and required on CI. */
    static void assumeRealData() {
        boolean present = Files.isDirectory(REAL);
        if (System.getenv("CI") != null) {
            assertTrue(present, "CI must have ../shared/realdata beside the checkout");
        }
        Assumptions.assumeTrue(present, "../shared/realdata is not beside the checkout");
    }

    /** Copies every file of a Sentinel-2 band folder. */
    static Path copyScene(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(from)) {
            for (Path f : s.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }

    /** The file of one band (B04, SCL, ...) in a Sentinel-2 band folder. */
    static Path band(Path scene, String band) throws IOException {
        try (Stream<Path> s = Files.list(scene)) {
            return s.filter(p -> p.getFileName().toString().matches(".*_" + band + "\\.(tif|jp2)")).findFirst()
                    .orElseThrow(() -> new IOException("no " + band + " in " + scene));
        }
    }

    /** gdal_translate of one file with the given options (for example -projwin, -a_ullr, -outsize). */
    static void translate(Path from, Path to, String... options) {
        Gdal.init();
        Dataset src = gdal.Open(from.toString());
        Vector<String> v = new Vector<>(List.of(options));
        v.addAll(List.of("-co", "COMPRESS=DEFLATE", "-co", "TILED=YES"));
        TranslateOptions o = new TranslateOptions(v);
        Dataset out = gdal.Translate(to.toString(), src, o);
        out.delete();
        o.delete();
        src.delete();
    }

    /**
     * A copy of a sample scene cut to a window (in its own CRS, EPSG:4527) that lies inside one
     * 512-cell tile of the working grid, so that a run over it does one tile of work.
     */
    static Path smallScene(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(from)) {
            for (Path f : s.toList()) {
                translate(f, to.resolve(f.getFileName()), "-projwin", fmt(SMALL[0]), fmt(SMALL[3]), fmt(SMALL[2]),
                        fmt(SMALL[1]));
            }
        }
        return to;
    }

    private static Path[] smallPair;

    /**
     * The sample's before and after scenes cut by {@link #smallScene}, once per test JVM rather than once per test
     * class: the tests only read them (a test that spoils a scene spoils a copy). Deleted when the JVM exits.
     */
    static synchronized Path[] smallPair() throws IOException {
        if (smallPair == null) {
            Path dir = Files.createTempDirectory("farmwatch-small-scenes");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try (Stream<Path> s = Files.walk(dir)) {
                    s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                } catch (IOException ignored) {
                    // A temporary folder: the system cleans it.
                }
            }));
            smallPair = new Path[] {smallScene(SAMPLE_BEFORE, dir.resolve("SMALL_20250415")),
                smallScene(SAMPLE_AFTER, dir.resolve("SMALL_20250920"))};
        }
        return smallPair.clone();
    }

    /** minX, minY, maxX, maxY of {@link #smallScene}: 4 km by 4 km inside the grid tile (7711, 1158). */
    static final double[] SMALL = {39_481_000, 4_066_000, 39_485_000, 4_070_000};

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    /** A stand-in for an earlier run's output in {@code dir}. */
    static Path earlierOutput(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("inspector"));
        Files.writeString(dir.resolve("onemap.gpkg"), "an earlier run's output", StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("run.json"), "{\"run_id\": \"earlier\"}", StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("inspector/flagged_parcels.csv"), "parcel_id\r\nearlier\r\n", StandardCharsets.UTF_8);
        return dir;
    }

    static void assertEarlierOutputUntouched(Path dir) throws IOException {
        assertEquals("an earlier run's output", Files.readString(dir.resolve("onemap.gpkg")));
        assertEquals("{\"run_id\": \"earlier\"}", Files.readString(dir.resolve("run.json")));
        assertEquals("parcel_id\r\nearlier\r\n", Files.readString(dir.resolve("inspector/flagged_parcels.csv")));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of("inspector", "onemap.gpkg", "run.json"),
                    s.map(p -> p.getFileName().toString()).sorted().toList(), "nothing added to the earlier output");
        }
    }

    /** No hidden staging (.DIR.partial-ID) or swap (.DIR.old-N) folder next to {@code dir}. */
    static void assertNoStaging(Path dir) throws IOException {
        Path parent = dir.toAbsolutePath().getParent();
        if (!Files.isDirectory(parent)) {
            return;
        }
        try (Stream<Path> s = Files.list(parent)) {
            List<String> left = s.map(p -> p.getFileName().toString())
                    .filter(n -> n.contains(".partial") || n.contains(".old-")).toList();
            assertTrue(left.isEmpty(), "staging left behind: " + left);
        }
    }

    /**
     * A failed run: the documented exit code, one error line naming every culprit, no stack trace and
     * no Java or Spark internals in it.
     */
    static String assertCleanFailure(FarmwatchRun r, int exit, String... culprits) {
        assertEquals(exit, r.exit(), r::toString);
        List<String> lines = r.errorLines();
        assertEquals(1, lines.size(), () -> "one error line: " + r);
        String line = lines.get(0);
        for (String c : culprits) {
            assertTrue(line.contains(c), () -> "the error names " + c + ": " + line);
        }
        assertFalse(r.err().contains("\tat "), () -> "no stack trace without --verbose: " + r);
        assertFalse(line.matches(".*\\b(java|scala|org\\.apache\\.spark)\\.[a-z]+\\.[A-Za-z.]*(Exception|Error)\\b.*"),
                () -> "the error speaks of the input, not of Java internals: " + line);
        return line;
    }
}

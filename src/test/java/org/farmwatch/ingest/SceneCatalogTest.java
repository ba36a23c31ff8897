package org.farmwatch.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import org.farmwatch.util.FarmwatchException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SceneCatalogTest {

    @TempDir
    Path dir;

    static final Path SAMPLE_AFTER = Path.of("sample-tiles/scenes/20250920");

    private static String item(String datetime, String href, boolean withRasterBands) {
        String rb = withRasterBands ? ", \"raster:bands\": [{\"scale\": 0.0000275, \"offset\": -0.2}, {}, {}, {}, {}, {}]" : "";
        return "{\"type\": \"Feature\", \"stac_version\": \"1.0.0\", \"id\": \"LC08_test\","
                + (datetime == null ? "\"properties\": {}," : "\"properties\": {\"datetime\": \"" + datetime + "\"},")
                + "\"assets\": {\"data\": {\"href\": \"" + href + "\", \"eo:bands\": ["
                + "{\"name\": \"B2\", \"common_name\": \"blue\"}, {\"name\": \"B3\", \"common_name\": \"green\"},"
                + "{\"name\": \"B4\", \"common_name\": \"red\"}, {\"name\": \"B5\", \"common_name\": \"nir\"},"
                + "{\"name\": \"B6\", \"common_name\": \"swir16\"}, {\"name\": \"B7\", \"common_name\": \"swir22\"}]" + rb + "}}}";
    }

    @Test
    void aSentinel2FolderGivesItsBandsDateAndMask() {
        Scene s = SceneCatalog.open(SAMPLE_AFTER.toString());
        assertEquals(LocalDate.of(2025, 9, 20), s.date());
        assertTrue(s.bands().get(Band.SWIR16).path().endsWith("_B11.tif"));
        assertNotNull(s.scl());
        // Statistics of reflectance x 10000: the NIR median of a green landscape is a few thousand.
        assertTrue(s.p50(Band.NIR) > 2000 && s.p50(Band.NIR) < 6000, "nir p50 " + s.p50(Band.NIR));
        assertTrue(s.p90(Band.NIR) >= s.p50(Band.NIR));
    }

    @Test
    void aStacItemMapsCommonNamesToBandsOfOneAssetWithScaleAndOffset() throws Exception {
        Files.writeString(dir.resolve("item.json"), item("2019-07-27T14:00:00Z", "scene.tif", true));
        Scene s = SceneCatalog.fromStacItem(dir.resolve("item.json"));
        assertEquals(LocalDate.of(2019, 7, 27), s.date());
        assertEquals(3, s.bands().get(Band.RED).index());
        assertEquals(6, s.bands().get(Band.SWIR22).index());
        assertEquals(0.0000275, s.bands().get(Band.BLUE).scale(), 1e-12);
        assertEquals(-0.2, s.bands().get(Band.BLUE).offset(), 1e-12);
        assertEquals(1.0, s.bands().get(Band.GREEN).scale());
        assertEquals(dir.resolve("scene.tif").toString(), s.bands().get(Band.NIR).path());
        assertNull(s.scl());
    }

    @Test
    void aStacItemWithoutDatetimeIsRefused() throws Exception {
        Files.writeString(dir.resolve("item.json"), item(null, "scene.tif", false));
        FarmwatchException e = assertThrows(FarmwatchException.class, () -> SceneCatalog.fromStacItem(dir.resolve("item.json")));
        assertEquals(3, e.kind().exitCode);
        assertTrue(e.getMessage().contains("datetime"), e.getMessage());
    }

    @Test
    void hrefsThatLeaveTheItemsFolderOrAreRemoteAreRefused() throws Exception {
        Files.writeString(dir.resolve("a.json"), item("2019-07-27T14:00:00Z", "../../etc/passwd", false));
        FarmwatchException e = assertThrows(FarmwatchException.class, () -> SceneCatalog.fromStacItem(dir.resolve("a.json")));
        assertTrue(e.getMessage().contains("escapes"), e.getMessage());
        Files.writeString(dir.resolve("b.json"), item("2019-07-27T14:00:00Z", "https://example.invalid/x.tif", false));
        e = assertThrows(FarmwatchException.class, () -> SceneCatalog.fromStacItem(dir.resolve("b.json")));
        assertTrue(e.getMessage().contains("remote"), e.getMessage());
    }

    @Test
    void aFolderMissingABandNamesTheBand() throws Exception {
        Path scene = dir.resolve("S2_20250920T030529");
        Files.createDirectories(scene);
        try (var files = Files.list(SAMPLE_AFTER)) {
            for (Path f : files.toList()) {
                if (!f.getFileName().toString().contains("_B11")) {
                    Files.createSymbolicLink(scene.resolve(f.getFileName()), f.toAbsolutePath());
                }
            }
        }
        FarmwatchException e = assertThrows(FarmwatchException.class, () -> SceneCatalog.open(scene.toString()));
        assertTrue(e.getMessage().contains("B11"), e.getMessage());
    }

    @Test
    void aTruncatedBandFileIsAnInputErrorNamingTheFile() throws Exception {
        Path scene = dir.resolve("cut_20250920T030529");
        Files.createDirectories(scene);
        try (var files = Files.list(SAMPLE_AFTER)) {
            for (Path f : files.toList()) {
                Path to = scene.resolve(f.getFileName());
                if (f.getFileName().toString().contains("_B04")) {
                    byte[] all = Files.readAllBytes(f);
                    Files.write(to, java.util.Arrays.copyOf(all, 300));
                } else {
                    Files.createSymbolicLink(to, f.toAbsolutePath());
                }
            }
        }
        FarmwatchException e = assertThrows(FarmwatchException.class, () -> SceneCatalog.open(scene.toString()));
        assertEquals(FarmwatchException.Kind.INPUT, e.kind());
        assertTrue(e.getMessage().contains("_B04"), e.getMessage());
    }
}

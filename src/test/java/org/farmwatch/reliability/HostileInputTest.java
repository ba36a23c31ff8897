package org.farmwatch.reliability;

import static org.farmwatch.reliability.Fixtures.SAMPLE_AFTER;
import static org.farmwatch.reliability.Fixtures.SAMPLE_BEFORE;
import static org.farmwatch.reliability.Fixtures.SAMPLE_FARMLAND;
import static org.farmwatch.reliability.Fixtures.assertCleanFailure;
import static org.farmwatch.reliability.Fixtures.assertNoStaging;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.farmwatch.util.Gdal;
import org.farmwatch.util.Json;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.gdal;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile and broken input found by an outside attack (issue 19): an --out folder that is not farmwatch's,
 * STAC assets that reach files outside their item's folder, size bombs, non-finite band values and dates in
 * the future. Every case ends in the documented exit code with one line naming the culprit, and touches
 * nothing it does not own.
 */
class HostileInputTest {

    static Path smallBefore;
    static Path smallAfter;

    @TempDir
    Path tmp;

    @BeforeAll
    static void smallScenes() throws IOException {
        Path[] pair = Fixtures.smallPair();
        smallBefore = pair[0];
        smallAfter = pair[1];
    }

    private static String[] run(Path before, Path after, Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("--before", before.toString(), "--after", after.toString(),
                "--farmland", SAMPLE_FARMLAND.toString(), "--out", out.toString()));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    /** Every file under {@code dir} with its content, to compare before and after a run. */
    private static Map<String, String> snapshot(Path dir) throws IOException {
        Map<String, String> m = new java.util.TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.toList()) {
                m.put(dir.relativize(p).toString(), Files.isDirectory(p) ? "/" : Files.readString(p));
            }
        }
        return m;
    }

    // ---- --out: only a folder farmwatch marked as its output is replaced ----

    @Test
    void aUserFolderWithARunJsonOfItsOwnIsNeverReplaced() throws Exception {
        Path out = tmp.resolve("thesis");
        Files.createDirectories(out.resolve("chapters"));
        Files.writeString(out.resolve("run.json"), "{\"runner\": \"my marathon training log\"}");
        Files.writeString(out.resolve("notes.txt"), "field notes");
        Files.writeString(out.resolve("chapters/1.md"), "# Chapter 1");
        Map<String, String> before = snapshot(out);
        FarmwatchRun r = FarmwatchRun.run(run(smallBefore, smallAfter, out));
        String line = assertCleanFailure(r, 2, "--out", out.getFileName().toString());
        assertTrue(line.contains("something other than a farmwatch output"), line);
        assertEquals(before, snapshot(out), "the user's folder is exactly as it was");
        assertNoStaging(out);
    }

    @Test
    void aFarmwatchOutputWithAForeignFileAddedIsNeverReplaced() throws Exception {
        Path out = Fixtures.earlierOutput(tmp.resolve("out"));
        Files.writeString(out.resolve("my-analysis.xlsx"), "the inspector's own work");
        Map<String, String> before = snapshot(out);
        FarmwatchRun r = FarmwatchRun.run(run(smallBefore, smallAfter, out));
        String line = assertCleanFailure(r, 2, "--out", "my-analysis.xlsx");
        assertEquals(before, snapshot(out), "nothing replaced: " + line);
    }

    @Test
    void aMarkedOutputWithAForeignFolderAddedIsNeverReplaced() throws Exception {
        Path out = Fixtures.earlierOutput(tmp.resolve("out"));
        Files.writeString(out.resolve(".farmwatch-output"), "earlier\n");
        Files.createDirectories(out.resolve("photos"));
        Files.writeString(out.resolve("photos/site-visit.jpg"), "a photo");
        Map<String, String> before = snapshot(out);
        FarmwatchRun r = FarmwatchRun.run(run(smallBefore, smallAfter, out));
        assertCleanFailure(r, 2, "--out", "photos");
        assertEquals(before, snapshot(out));
    }

    @Test
    void outAtTheRootOfTheFileSystemIsUsage() {
        FarmwatchRun r = FarmwatchRun.run(run(smallBefore, smallAfter, Path.of("/")));
        String line = assertCleanFailure(r, 2, "--out", "root");
        assertFalse(line.contains("NullPointer"), line);
    }

    @Test
    void anOutputFromBeforeTheMarkerAndAMarkedOutputAreReplacedAndMarkedWithTheRunId() throws Exception {
        Path out = Fixtures.earlierOutput(tmp.resolve("out"));
        FarmwatchRun first = FarmwatchRun.run(run(smallBefore, smallAfter, out, "--run-id", "first"));
        assertEquals(0, first.exit(), first::toString);
        assertEquals("first", Files.readString(out.resolve(".farmwatch-output")).strip());
        assertTrue(Files.size(out.resolve("onemap.gpkg")) > 1000, "the earlier output was replaced");
        FarmwatchRun second = FarmwatchRun.run(run(smallBefore, smallAfter, out, "--run-id", "second"));
        assertEquals(0, second.exit(), second::toString);
        assertEquals("second", Files.readString(out.resolve(".farmwatch-output")).strip());
        assertEquals("second", Json.parseObject(Files.readString(out.resolve("run.json"))).get("run_id"));
        assertNoStaging(out);
    }

    // ---- STAC items: every file GDAL would open must really lie in the item's folder ----

    private static final String[][] BANDS = {{"B02", "blue"}, {"B03", "green"}, {"B04", "red"}, {"B08", "nir"},
        {"B11", "swir16"}, {"B12", "swir22"}};

    /** A STAC item over copies of the small after scene's bands, in {@code dir}; the red asset's href as given. */
    private static Path stacItem(Path dir, String datetime, String redHref) throws IOException {
        Files.createDirectories(dir);
        StringBuilder assets = new StringBuilder();
        for (String[] b : BANDS) {
            Path copy = dir.resolve(b[0] + ".tif");
            if (!Files.exists(copy, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Files.copy(Fixtures.band(smallAfter, b[0]), copy);
            }
            String href = b[1].equals("red") ? redHref : b[0] + ".tif";
            assets.append(assets.length() > 0 ? "," : "").append('"').append(b[0]).append("\": {\"href\": ")
                    .append(Json.write(href)).append(", \"eo:bands\": [{\"name\": \"").append(b[0])
                    .append("\", \"common_name\": \"").append(b[1]).append("\"}]}");
        }
        Path item = dir.resolve("item.json");
        Files.writeString(item, "{\"type\": \"Feature\", \"stac_version\": \"1.0.0\", \"id\": \"S2_20250920\","
                + " \"geometry\": null, \"properties\": {\"datetime\": \"" + datetime + "\"}, \"assets\": {" + assets + "}}");
        return item;
    }

    private static final String DATED = "2025-09-20T03:05:29Z";

    /** A VRT of 400 x 400 cells over the small scene whose one band reads {@code source} (a raw or raster file). */
    private static String vrt(String sourceElement) {
        return "<VRTDataset rasterXSize=\"400\" rasterYSize=\"400\">\n  <SRS>EPSG:4527</SRS>\n"
                + "  <GeoTransform>39481000, 10, 0, 4070000, 0, -10</GeoTransform>\n" + sourceElement + "</VRTDataset>\n";
    }

    @Test
    void aStacAssetVrtReadingEtcPasswdAsRawBytesIsRefused() throws Exception {
        Path item = stacItem(tmp.resolve("stac"), DATED, "red.vrt");
        Files.writeString(item.resolveSibling("red.vrt"), vrt("  <VRTRasterBand dataType=\"Byte\" band=\"1\""
                + " subClass=\"VRTRawRasterBand\">\n    <SourceFilename relativeToVRT=\"0\">/etc/passwd</SourceFilename>\n"
                + "    <ImageOffset>0</ImageOffset><PixelOffset>1</PixelOffset><LineOffset>1</LineOffset>\n"
                + "  </VRTRasterBand>\n"));
        Path out = tmp.resolve("out");
        FarmwatchRun r = FarmwatchRun.run(run(smallBefore, item, out));
        String line = assertCleanFailure(r, 3, "red.vrt", "VRT");
        assertFalse(Files.exists(out), line);
    }

    @Test
    void aStacAssetVrtOfARasterOutsideTheItemsFolderIsRefused() throws Exception {
        Path item = stacItem(tmp.resolve("stac"), DATED, "red.vrt");
        String outside = Fixtures.band(smallAfter, "B04").toAbsolutePath().toString();
        Files.writeString(item.resolveSibling("red.vrt"), vrt("  <VRTRasterBand dataType=\"UInt16\" band=\"1\">\n"
                + "    <SimpleSource><SourceFilename relativeToVRT=\"0\">" + outside + "</SourceFilename>"
                + "<SourceBand>1</SourceBand></SimpleSource>\n  </VRTRasterBand>\n"));
        FarmwatchRun r = FarmwatchRun.run(run(smallBefore, item, tmp.resolve("out")));
        assertCleanFailure(r, 3, "red.vrt");
    }

    @Test
    void aStacAssetThatIsASymlinkToARasterOutsideTheItemsFolderIsRefused() throws Exception {
        Path dir = tmp.resolve("stac");
        Files.createDirectories(dir);
        Files.createSymbolicLink(dir.resolve("B04.tif"), Fixtures.band(smallAfter, "B04").toAbsolutePath());
        Path item = stacItem(dir, DATED, "B04.tif");
        FarmwatchRun r = FarmwatchRun.run(run(smallBefore, item, tmp.resolve("out")));
        String line = assertCleanFailure(r, 3, "item.json", "B04.tif");
        assertTrue(line.contains("symbolic link"), line);
    }

    @Test
    void aStacAssetInASymlinkedSubfolderLeadingOutsideIsRefused() throws Exception {
        Path dir = tmp.resolve("stac");
        Files.createDirectories(dir);
        Files.createSymbolicLink(dir.resolve("bands"), smallAfter.toAbsolutePath());
        String red = Fixtures.band(smallAfter, "B04").getFileName().toString();
        Path item = stacItem(dir, DATED, "bands/" + red);
        FarmwatchRun r = FarmwatchRun.run(run(smallBefore, item, tmp.resolve("out")));
        assertCleanFailure(r, 3, "item.json", red);
    }

    @Test
    void aCatalogueBandFileThatIsAVrtIsRejectedAndThePeriodLeftEmptyIsInput() throws Exception {
        Path catalogue = tmp.resolve("catalogue");
        Fixtures.copyScene(smallBefore, catalogue.resolve("SMALL_20250415"));
        Path after = Fixtures.copyScene(smallAfter, catalogue.resolve("SMALL_20250920"));
        Path b04 = Fixtures.band(after, "B04");
        // Still named *_B04.tif: GDAL recognises a VRT by its content.
        Files.writeString(b04, vrt("  <VRTRasterBand dataType=\"Byte\" band=\"1\" subClass=\"VRTRawRasterBand\">\n"
                + "    <SourceFilename relativeToVRT=\"0\">/etc/passwd</SourceFilename>\n  </VRTRasterBand>\n"));
        FarmwatchRun r = FarmwatchRun.of("run", "--catalog", catalogue.toString(), "--before-period",
                "2025-04-01/2025-04-30", "--after-period", "2025-09-01/2025-09-30", "--farmland",
                SAMPLE_FARMLAND.toString(), "--out", tmp.resolve("out").toString(), "--master", "local[2]");
        assertCleanFailure(r, 3, b04.getFileName().toString(), "VRT");
    }

    // ---- size bombs: refused before any pixel work ----

    /** A copy of the small after scene with its B04 replaced by {@code b04}'s text or made by {@code make}. */
    private Path sceneWithB04(String name, java.util.function.BiConsumer<Path, Path> make) throws IOException {
        Path after = Fixtures.copyScene(smallAfter, tmp.resolve(name));
        Path b04 = Fixtures.band(after, "B04");
        Path orig = tmp.resolve("orig-" + b04.getFileName());
        Files.move(b04, orig);
        make.accept(orig, b04);
        return after;
    }

    @Test
    void aBandDeclaringAMillionByAMillionCellsIsRefusedNamingTheBand() throws Exception {
        Path after = sceneWithB04("BOMB_20250920", (orig, b04) -> {
            try {
                Files.writeString(b04, "<VRTDataset rasterXSize=\"1000000\" rasterYSize=\"1000000\">\n"
                        + "  <SRS>EPSG:4527</SRS>\n  <GeoTransform>39000000, 1, 0, 4500000, 0, -1</GeoTransform>\n"
                        + "  <VRTRasterBand dataType=\"UInt16\" band=\"1\"/>\n</VRTDataset>\n");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        long t0 = System.nanoTime();
        FarmwatchRun r = FarmwatchRun.run(run(smallBefore, after, tmp.resolve("out")));
        String line = assertCleanFailure(r, 3, "B04", "1000000 x 1000000");
        assertTrue(line.contains("limit"), line);
        assertFalse(r.log().contains("tiles"), "refused before planning any tile: " + r.log());
        assertTrue(System.nanoTime() - t0 < 60e9, "refused at once");
    }

    @Test
    void aBandWhoseCellsAreAbsurdlyFineForItsFootprintIsRefusedNamingTheBand() throws Exception {
        // The 400 x 400 cells of the real band squeezed into 4 m x 4 m: 1 cm cells.
        Path after = sceneWithB04("FINE_20250920", (orig, b04) -> Fixtures.translate(orig, b04, "-a_ullr",
                "39481000", "4066004", "39481004", "4066000"));
        FarmwatchRun r = FarmwatchRun.run(run(smallBefore, after, tmp.resolve("out")));
        String line = assertCleanFailure(r, 3, "B04");
        assertTrue(line.contains("finer than"), line);
    }

    // ---- non-finite values: no data, never a stack trace ----

    @Test
    void aBandWithNaNAndInfinityCellsTreatsThemAsNoData() throws Exception {
        Path after = sceneWithB04("NAN_20250920", (orig, b04) -> {
            Fixtures.translate(orig, b04, "-ot", "Float32");
            Gdal.init();
            Dataset d = gdal.Open(b04.toString(), org.gdal.gdalconst.gdalconstConstants.GA_Update);
            int w = d.getRasterXSize();
            float[] row = new float[w];
            for (int y = 0; y < d.getRasterYSize(); y += 3) {
                d.GetRasterBand(1).ReadRaster(0, y, w, 1, row);
                for (int x = y % 7; x < w; x += 5) {
                    row[x] = x % 3 == 0 ? Float.NaN : x % 3 == 1 ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
                }
                d.GetRasterBand(1).WriteRaster(0, y, w, 1, row);
            }
            d.delete();
        });
        Path out = tmp.resolve("out");
        FarmwatchRun r = FarmwatchRun.run(run(smallBefore, after, out));
        assertEquals(0, r.exit(), r::toString);
        Map<String, Object> counts = Json.object(Json.parseObject(Files.readString(out.resolve("run.json"))).get("counts"));
        assertTrue(((Number) counts.get("patches")).longValue() > 0, counts.toString());
    }

    @Test
    void aBandOfOnlyNaNIsInputNamingTheScene() throws Exception {
        Path after = sceneWithB04("ALLNAN_20250920", (orig, b04) -> {
            Fixtures.translate(orig, b04, "-ot", "Float32");
            Gdal.init();
            Dataset d = gdal.Open(b04.toString(), org.gdal.gdalconst.gdalconstConstants.GA_Update);
            float[] all = new float[d.getRasterXSize() * d.getRasterYSize()];
            Arrays.fill(all, Float.NaN);
            d.GetRasterBand(1).WriteRaster(0, 0, d.getRasterXSize(), d.getRasterYSize(), all);
            d.delete();
        });
        FarmwatchRun r = FarmwatchRun.run(run(smallBefore, after, tmp.resolve("out")));
        // Every cell of the band is no data: nothing can be seen, which the run says as it says it for clouds.
        assertCleanFailure(r, 3, "ALLNAN_20250920", "no clear observation");
    }

    // ---- a scene too small to judge ----

    @Test
    void aSceneOfAFewCellsCannotBeJudgedAndSaysSo() throws Exception {
        Path after = tmp.resolve("ONEPIXEL_20250920");
        Files.createDirectories(after);
        try (Stream<Path> s = Files.list(smallAfter)) {
            for (Path f : s.toList()) {
                // 120 m x 120 m in the middle of the crop: 12 x 12 cells of the 10 m bands, 6 x 6 of the 20 m ones.
                boolean ten = f.getFileName().toString().matches(".*_B0[2348]\\.tif");
                String at = ten ? "200" : "100";
                String side = ten ? "12" : "6";
                Fixtures.translate(f, after.resolve(f.getFileName()), "-srcwin", at, at, side, side);
            }
        }
        Path out = Fixtures.earlierOutput(tmp.resolve("out"));
        FarmwatchRun r = FarmwatchRun.run(run(smallBefore, after, out));
        String line = assertCleanFailure(r, 3, "ONEPIXEL_20250920", "cannot judge");
        assertTrue(line.contains("clear cells"), line);
        Fixtures.assertEarlierOutputUntouched(out);
        assertNoStaging(out);
    }

    // ---- dates ----

    @Test
    void aStacItemDatedInTheFutureIsRefused() throws Exception {
        Path item = stacItem(tmp.resolve("stac"), "2099-09-20T03:05:29Z", "B04.tif");
        FarmwatchRun r = FarmwatchRun.run(run(smallBefore, item, tmp.resolve("out")));
        String line = assertCleanFailure(r, 3, "item.json", "2099");
        assertTrue(line.contains("future"), line);
    }

    static String utf8(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.UTF_8);
    }
}

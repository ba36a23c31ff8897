package org.farmwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.farmwatch.util.Json;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real scenes from ../shared/realdata run through `farmwatch run` and produce every output. */
class RealDataSmokeTest {

    static final Path REAL = Path.of("../shared/realdata");

    @TempDir
    Path tmp;

    static void assumeRealData() {
        boolean present = Files.isDirectory(REAL);
        if (System.getenv("CI") != null) {
            assertTrue(present, "CI must have ../shared/realdata beside the checkout");
        }
        Assumptions.assumeTrue(present, "../shared/realdata is not beside the checkout");
    }

    /** A STAC item for one Taizhou date: one ENVI asset with six bands, copied into the item's folder. */
    private Path taizhouItem(String name, String datetime) throws Exception {
        Path dir = tmp.resolve("stac-" + name);
        Files.createDirectories(dir);
        for (String f : List.of(name, name + ".HDR")) {
            // Copied, not linked: a STAC item reads only files that really lie in its folder.
            Files.copy(REAL.resolve("taizhou-landsat").resolve(f), dir.resolve(f));
        }
        String item = "{\"type\": \"Feature\", \"stac_version\": \"1.0.0\", \"id\": \"taizhou-" + name + "\","
                + "\"geometry\": null, \"properties\": {\"datetime\": \"" + datetime + "\"},"
                + "\"assets\": {\"tm\": {\"href\": \"" + name + "\", \"type\": \"application/x-envi\", \"eo:bands\": ["
                + "{\"name\": \"TM1\", \"common_name\": \"blue\"}, {\"name\": \"TM2\", \"common_name\": \"green\"},"
                + "{\"name\": \"TM3\", \"common_name\": \"red\"}, {\"name\": \"TM4\", \"common_name\": \"nir\"},"
                + "{\"name\": \"TM5\", \"common_name\": \"swir16\"}, {\"name\": \"TM7\", \"common_name\": \"swir22\"}]}}}";
        Path file = dir.resolve("item.json");
        Files.writeString(file, item);
        return file;
    }

    /** A farmland layer of 300 m square parcels over an area, in the given CRS. */
    private Path gridFarmland(String epsg, double minX, double minY, double maxX, double maxY, double step) {
        Path gpkg = tmp.resolve("farmland-" + epsg.replace(':', '_') + ".gpkg");
        RealDataSmokeTestAccess.gridFarmland(gpkg, epsg, minX, minY, maxX, maxY, step);
        return gpkg;
    }

    private static Map<String, Object> assertOutputs(Path out) throws Exception {
        for (String f : List.of("onemap.gpkg", "change.tif", "report.html", "run.json", "inspector/flagged_parcels.csv",
                "inspector/flagged_parcels.xlsx")) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        return Json.parseObject(Files.readString(out.resolve("run.json")));
    }

    @Test
    void taizhouLandsatThroughStacItems() throws Exception {
        assumeRealData();
        Path before = taizhouItem("2000TM", "2000-03-17T02:20:00Z");
        Path after = taizhouItem("2003TM", "2003-02-06T02:20:00Z");
        // The scene covers x 203325..215325, y 3592935..3604935 in UTM 51N.
        Path farmland = gridFarmland("EPSG:32651", 203_400, 3_593_000, 215_200, 3_604_800, 300);
        Path out = tmp.resolve("taizhou");
        Cli r = Cli.run("run", "--before", before.toString(), "--after", after.toString(), "--farmland", farmland.toString(),
                "--out", out.toString(), "--master", "local[2]", "--run-id", "taizhou-smoke");
        assertEquals(0, r.exit(), r.err());
        Map<String, Object> run = assertOutputs(out);
        Map<String, Object> grid = Json.object(run.get("grid"));
        // 120 deg E lies in CGCS2000 3-degree zone 40; Landsat's 30 m cells are kept.
        assertEquals("EPSG:4528", grid.get("crs"));
        assertEquals(30L, ((Number) grid.get("cell_size_m")).longValue());
        Map<String, Object> counts = Json.object(run.get("counts"));
        assertTrue(((Number) counts.get("patches")).longValue() > 0, "farmland turned urban between 2000 and 2003");
        // Real patches are staircases on 30 m cells: their published outlines, simplified as a coverage, have fewer
        // vertices, and every group of near patches came out a valid coverage.
        long cellEdges = ((Number) counts.get("outline_vertices_cell_edges")).longValue();
        long published = ((Number) counts.get("outline_vertices_published")).longValue();
        System.out.printf("taizhou outlines: %d patches, %d vertices on cell edges, %d published, %d groups joined, %s s%n",
                ((Number) counts.get("patches")).longValue(), cellEdges, published,
                ((Number) counts.get("outline_groups_joined")).longValue(), Json.object(run.get("seconds")).get("outline"));
        assertTrue(published < cellEdges, published + " of " + cellEdges);
        assertEquals(0L, ((Number) counts.get("outline_groups_kept_cell_edges")).longValue());
    }

    @Test
    void havellandSentinel2FromItsJp2Files() throws Exception {
        assumeRealData();
        // One real date: the same JP2 files as both periods must yield no change at all.
        Path img = REAL.resolve("havelland-s2/IMG_DATA").toAbsolutePath();
        Path a = tmp.resolve("T33UUU_20170216");
        Path b = tmp.resolve("T33UUU_20170217");
        Files.createDirectories(a);
        Files.createDirectories(b);
        try (var files = Files.list(img)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".jp2")).toList()) {
                String name = f.getFileName().toString();
                Files.createSymbolicLink(a.resolve(name), f);
                Files.createSymbolicLink(b.resolve(name.replace("20170216T", "20170217T")), f);
            }
        }
        Path out = tmp.resolve("havelland");
        Cli r = Cli.run("run", "--before", a.toString(), "--after", b.toString(), "--farmland",
                REAL.resolve("havelland-s2/gis_osm_landuse-water_a_free_1_area-10000-to-500000.gpkg").toString(),
                "--out", out.toString(), "--master", "local[2]", "--run-id", "havelland-smoke");
        assertEquals(0, r.exit(), r.err());
        Map<String, Object> run = assertOutputs(out);
        assertEquals("EPSG:32633", Json.object(run.get("grid")).get("crs"));
        Map<String, Object> counts = Json.object(run.get("counts"));
        assertEquals(0L, ((Number) counts.get("patches")).longValue(), "identical imagery shows no change");
        assertEquals(0L, ((Number) counts.get("flagged_parcels")).longValue());
    }
}

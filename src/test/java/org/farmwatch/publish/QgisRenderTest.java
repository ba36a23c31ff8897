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
import org.farmwatch.util.Json;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo's one map in real QGIS (Debian's qgis and python3-qgis, 3.22): runs the sample area once (published to
 * the test PostGIS too when {@code -Dfarmwatch.pgurl} names one, as jobs/test does), moves its output folder
 * elsewhere (the project must only use relative paths), then has {@code jobs/lib/qgis-check.py} load the GeoPackage
 * layers with their default styles, open the .qgz with every layer valid (the PostGIS current views among them),
 * and render the map, and one flagged parcel at 1:4,000 with its labels, to PNGs it checks. The PNGs are kept at
 * {@code target/qgis-check/qgis-render.png} and {@code qgis-render-zoom.png} for a human to look at.
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

    /** The PostGIS schema of this test's one map, dropped afterwards; null without a test PostGIS. */
    String schema;

    @org.junit.jupiter.api.AfterEach
    void dropSchema() throws Exception {
        if (schema != null) {
            try (java.sql.Connection c = PostgisOneMapTest.jdbc(PostgisOneMapTest.serverUrl());
                 java.sql.Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
                st.execute("DELETE FROM public.layer_styles WHERE f_table_schema = '" + schema + "'");
            }
        }
    }

    /** Skips (reported as skipped) without QGIS; otherwise runs the sample area; returns the moved output folder. */
    Path demoOutputs() throws Exception {
        assumeTrue(Files.isExecutable(QGIS), QGIS + " is not installed (apt-get install -y qgis python3-qgis)");
        assumeTrue(Files.isExecutable(PYTHON), PYTHON + " is not installed");
        Proc probe = run(List.of(PYTHON.toString(), "-c", "import qgis.core"), 60);
        assumeTrue(probe.exit == 0, "python3-qgis is not installed: " + probe.err);

        Path demo = tmp.resolve("demo");
        List<String> args = new ArrayList<>(List.of("run", "--before", SAMPLE.resolve("scenes/20250415").toString(),
                "--after", SAMPLE.resolve("scenes/20250920").toString(), "--farmland",
                SAMPLE.resolve("farmland.gpkg").toString(), "--out", demo.toString(), "--master", "local[2]",
                "--run-id", "render"));
        String url = System.getProperty("farmwatch.pgurl", "").trim();
        if (!url.isEmpty()) {
            schema = "fw_render_" + java.util.UUID.randomUUID().toString().replace("-", "").substring(0, 10);
            args.addAll(List.of("--onemap", url, "--onemap-schema", schema));
        }
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Farmwatch.execute(args.toArray(String[]::new), new PrintWriter(o, true), new PrintWriter(e, true));
        assertEquals(0, code, e.toString());
        assertTrue(Files.exists(demo.resolve(QgisProject.FILE_NAME)), "the run wrote " + QgisProject.FILE_NAME);
        // An analyst copies the folder somewhere else: everything must still resolve.
        Path out = tmp.resolve("moved-elsewhere/onemap run");
        Files.createDirectories(out.getParent());
        Files.move(demo, out);
        return out;
    }

    @Test
    void qgisShowsLabelsTheFarmlandAndTheCurrentViewsOverTheImagery() throws Exception {
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
        for (String name : List.of("change_patches", "flagged_parcels", "farmland")) {
            Map<String, Object> l = Json.object(gpkg.get(name));
            assertEquals(Boolean.TRUE, l.get("valid"), name);
            assertTrue(((Number) l.get("features")).longValue() > 0, name);
            assertEquals(name.equals("farmland") ? "singleSymbol" : "RuleRenderer", l.get("renderer"),
                    name + ": default style from layer_styles");
            assertEquals(Boolean.TRUE, Json.object(l.get("load_default_style")).get("ok"), name);
            Map<String, Object> labels = Json.object(l.get("labels"));
            assertEquals(Boolean.TRUE, labels.get("scale_visibility"), name + ": labels at large scales only");
            assertTrue(String.valueOf(labels.get("expression")).contains(name.equals("change_patches") ? "patch_id" : "parcel_id"),
                    name + " labels: " + labels);
        }
        // The farmland that did not trigger is there too, many more parcels than were flagged.
        assertTrue(((Number) Json.object(gpkg.get("farmland")).get("features")).longValue()
                > 10 * ((Number) Json.object(gpkg.get("flagged_parcels")).get("features")).longValue(), String.valueOf(gpkg));

        Map<String, Object> project = Json.object(r.get("project"));
        assertEquals(Boolean.TRUE, project.get("read"), where);
        assertEquals(Json.object(gpkg.get("flagged_parcels")).get("crs"), project.get("crs"), "project CRS = working CRS");
        List<String> sources = new ArrayList<>();
        for (Object o : Json.array(project.get("layers"))) {
            Map<String, Object> l = Json.object(o);
            assertEquals(Boolean.TRUE, l.get("valid"), String.valueOf(l));
            sources.add((String) l.get("source"));
        }
        List<String> files = List.of("onemap.gpkg|layername=flagged_parcels", "onemap.gpkg|layername=change_patches",
                "onemap.gpkg|layername=farmland", "change.tif", "after_truecolour.tif", "before_truecolour.tif");
        if (schema == null) {
            assertEquals(files, sources);
        } else {
            List<String> withViews = new ArrayList<>(List.of("postgis:current_flagged_parcels", "postgis:current_change_patches"));
            withViews.addAll(files);
            assertEquals(withViews, sources);
            for (Object o : Json.array(project.get("layers"))) {
                Map<String, Object> l = Json.object(o);
                if (String.valueOf(l.get("source")).startsWith("postgis:")) {
                    assertEquals("RuleRenderer", l.get("renderer"), String.valueOf(l));
                    assertEquals(Boolean.TRUE, l.get("visible"), String.valueOf(l));
                    assertTrue(((Number) l.get("features")).longValue() > 0, String.valueOf(l));
                }
            }
        }

        Map<String, Object> render = Json.object(r.get("render"));
        assertEquals(List.of(), render.get("errors"));
        assertTrue(((Number) render.get("distinct_colours")).intValue() >= 50, "not blank: " + render);
        Map<String, Object> pixels = Json.object(render.get("pixels"));
        assertTrue(((Number) pixels.get("non_agricultural")).intValue() >= 20, "red parcels drawn: " + render);
        assertTrue(((Number) pixels.get("non_grain")).intValue() >= 20, "orange parcels drawn: " + render);
        assertTrue(Files.size(PNG) > 10_000, "PNG written to " + PNG.toAbsolutePath());
        Map<String, Object> zoom = Json.object(r.get("zoom"));
        assertTrue(((Number) zoom.get("label_pixels")).intValue() >= 50, "labels drawn at 1:4,000: " + zoom);
        System.out.println("[QgisRenderTest] QGIS " + r.get("qgis_version") + " rendered the map to " + PNG.toAbsolutePath()
                + " and parcel " + zoom.get("parcel") + " at 1:4,000 to " + zoom.get("png"));
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

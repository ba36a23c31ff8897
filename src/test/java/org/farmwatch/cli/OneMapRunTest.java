package org.farmwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.UUID;
import org.farmwatch.util.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `farmwatch run --onemap` publishes the run to PostGIS; the same run id again replaces it without duplicates. */
class OneMapRunTest {

    @TempDir
    Path tmp;

    private static long count(Connection c, String sql) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void theRunIsPublishedAndARepublishReplacesIt() throws Exception {
        String url = PostgisFarmlandRunTest.pgUrl();
        String[] j = PostgisFarmlandRunTest.jdbc(url);
        String schema = "onemap_" + UUID.randomUUID().toString().substring(0, 8);
        try (Connection c = DriverManager.getConnection(j[0], j[1], System.getenv().getOrDefault("PGPASSWORD", ""))) {
            try {
                for (int attempt = 0; attempt < 2; attempt++) {
                    Path out = tmp.resolve("out" + attempt);
                    Cli r = Cli.run("run", "--before", ExitCodesTest.BEFORE, "--after", ExitCodesTest.AFTER, "--farmland",
                            ExitCodesTest.FARMLAND, "--out", out.toString(), "--master", "local[2]", "--run-id", "nightly-1",
                            "--onemap", url, "--onemap-schema", schema);
                    assertEquals(0, r.exit(), r.err());
                    long patches = DemoEndToEndTest.patchIds(out.resolve("onemap.gpkg")).size();
                    long flagged = DemoEndToEndTest.flagged(out.resolve("onemap.gpkg")).size();
                    assertEquals(1, count(c, "SELECT count(*) FROM " + schema + ".runs"));
                    assertEquals(patches, count(c, "SELECT count(*) FROM " + schema + ".change_patches"));
                    assertEquals(flagged, count(c, "SELECT count(*) FROM " + schema + ".flagged_parcels"));
                    assertEquals(flagged, count(c, "SELECT count(*) FROM " + schema + ".flagged_parcels WHERE "
                            + "ST_SRID(geom) = 4527 AND ST_IsValid(geom)"));
                    // The one map draws the same simplified outlines as the GeoPackage: valid, vertex for vertex.
                    long drawn = DemoEndToEndTest.outlines(out.resolve("onemap.gpkg")).values().stream()
                            .mapToLong(org.locationtech.jts.geom.Geometry::getNumPoints).sum();
                    assertEquals(drawn, count(c, "SELECT sum(ST_NPoints(geom)) FROM " + schema + ".change_patches"));
                    assertEquals(patches, count(c, "SELECT count(*) FROM " + schema + ".change_patches WHERE ST_IsValid(geom)"));
                    String runJson = Files.readString(out.resolve("run.json"));
                    Map<String, Object> counts = Json.object(Json.parseObject(runJson).get("counts"));
                    assertEquals(drawn, ((Number) counts.get("outline_vertices_published")).longValue());
                    assertTrue(runJson.contains("\"onemap\""), runJson);
                }
            } finally {
                try (Statement st = c.createStatement()) {
                    st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
                    st.execute("DELETE FROM public.layer_styles WHERE f_table_schema = '" + schema + "'");
                }
            }
        }
    }

    @Test
    void anUnreachableOneMapFailsBeforeAnyWorkWithExitFour() throws Exception {
        Path out = tmp.resolve("never");
        Cli r = Cli.run("run", "--before", ExitCodesTest.BEFORE, "--after", ExitCodesTest.AFTER, "--farmland",
                ExitCodesTest.FARMLAND, "--out", out.toString(), "--master", "local[2]",
                "--onemap", "postgresql://farmer:hunter2@127.0.0.1:1/gis");
        assertEquals(4, r.exit(), r.err());
        assertFalse(r.err().contains("hunter2"), r.err());
        assertFalse(Files.exists(out));
    }
}

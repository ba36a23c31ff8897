package org.farmwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.Map;
import java.util.UUID;
import org.farmwatch.util.Gdal;
import org.gdal.ogr.DataSource;
import org.gdal.ogr.Feature;
import org.gdal.ogr.Layer;
import org.gdal.ogr.ogr;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's farmland loaded into the real PostGIS server, read back by `farmwatch run --farmland postgresql://...`. */
class PostgisFarmlandRunTest {

    @TempDir
    Path tmp;

    static String pgUrl() {
        String url = System.getProperty("farmwatch.pgurl", "").trim();
        if (url.isEmpty()) {
            if (System.getenv("CI") != null) {
                fail("CI is set but -Dfarmwatch.pgurl is not; run the tests with jobs/test");
            }
            Assumptions.assumeTrue(false, "no PostGIS server (jobs/test starts one)");
        }
        return url;
    }

    /** postgresql://user@host:port/db to a JDBC URL and user. */
    static String[] jdbc(String url) {
        java.net.URI u = java.net.URI.create(url.replaceFirst("^postgres(ql)?://", "http://"));
        String user = u.getUserInfo() == null ? "postgres" : u.getUserInfo().split(":")[0];
        return new String[] {"jdbc:postgresql://" + u.getHost() + ":" + u.getPort() + u.getPath(), user};
    }

    @Test
    void theSameParcelsFromPostgisGiveTheSameFlags() throws Exception {
        String url = pgUrl();
        String[] j = jdbc(url);
        String schema = "fw_run_" + UUID.randomUUID().toString().substring(0, 8);
        try (Connection c = DriverManager.getConnection(j[0], j[1], System.getenv().getOrDefault("PGPASSWORD", ""))) {
            try (Statement st = c.createStatement()) {
                st.execute("CREATE SCHEMA " + schema);
                st.execute("CREATE TABLE " + schema + ".jbnt (gid serial PRIMARY KEY, \"TBBH\" text, \"ZLDWDM\" text,"
                        + " \"ZLDWMC\" text, \"DLBM\" text, geom geometry(Polygon, 4490))");
            }
            Gdal.init();
            DataSource ds = ogr.Open("sample-tiles/farmland.gpkg");
            c.setAutoCommit(false);
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO " + schema + ".jbnt (\"TBBH\", \"ZLDWDM\", \"ZLDWMC\","
                    + " \"DLBM\", geom) VALUES (?, ?, ?, ?, ST_SetSRID(ST_GeomFromWKB(?), 4490))")) {
                Layer l = ds.GetLayer(0);
                Feature f;
                while ((f = l.GetNextFeature()) != null) {
                    ins.setString(1, f.GetFieldAsString("TBBH"));
                    ins.setString(2, f.GetFieldAsString("ZLDWDM"));
                    ins.setString(3, f.GetFieldAsString("ZLDWMC"));
                    ins.setString(4, f.GetFieldAsString("DLBM"));
                    ins.setBytes(5, f.GetGeometryRef().ExportToWkb());
                    ins.addBatch();
                    f.delete();
                }
                ins.executeBatch();
            } finally {
                ds.delete();
            }
            try (Statement st = c.createStatement()) {
                st.execute("CREATE INDEX ON " + schema + ".jbnt USING gist (geom)");
            }
            c.commit();
            c.setAutoCommit(true);
            try {
                Path out = tmp.resolve("pg");
                Cli r = Cli.run("run", "--before", ExitCodesTest.BEFORE, "--after", ExitCodesTest.AFTER, "--farmland",
                        url + "?table=" + schema + ".jbnt", "--out", out.toString(), "--master", "local[2]", "--run-id", "pg");
                assertEquals(0, r.exit(), r.err());
                Map<String, String> fromPg = DemoEndToEndTest.flagged(out.resolve("onemap.gpkg"));
                Map<String, String> truth = DemoEndToEndTest.truth();
                long tp = fromPg.entrySet().stream().filter(e -> e.getValue().equals(truth.get(e.getKey()))).count();
                assertTrue(tp >= 0.95 * truth.size() && tp >= 0.95 * fromPg.size(),
                        "flags from PostGIS: " + tp + " right of " + fromPg.size() + ", truth " + truth.size());
                String runJson = Files.readString(out.resolve("run.json"));
                assertTrue(runJson.contains("postgresql://"), "run.json names the source");
                assertFalse(runJson.contains("PGPASSWORD"));
            } finally {
                try (Statement st = c.createStatement()) {
                    st.execute("DROP SCHEMA " + schema + " CASCADE");
                }
            }
        }
    }
}

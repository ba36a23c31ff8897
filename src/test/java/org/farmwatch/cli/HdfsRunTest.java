package org.farmwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.farmwatch.util.MiniHdfs;
import org.farmwatch.util.Gdal;
import org.farmwatch.util.Json;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.gdal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo pipeline with scenes, farmland and output on a real HDFS (an in-process MiniDFSCluster: a name
 * node and a data node speaking the HDFS protocol over 127.0.0.1), compared with the same run on local files.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HdfsRunTest {

    @TempDir
    static Path tmp;
    private MiniHdfs dfs;
    private FileSystem fs;
    private String hdfs;

    @BeforeAll
    void startHdfs() throws Exception {
        dfs = MiniHdfs.start(tmp.resolve("dfs"));
        fs = dfs.fs;
        hdfs = dfs.uri;
        assertTrue(hdfs.startsWith("hdfs://"), hdfs);
        dfs.putSample();
    }

    @AfterAll
    void stopHdfs() {
        if (dfs != null) {
            dfs.close();
        }
    }

    private Path fetch(String uri, String localName) throws Exception {
        Path dst = tmp.resolve(localName);
        fs.copyToLocalFile(false, new org.apache.hadoop.fs.Path(uri), new org.apache.hadoop.fs.Path(dst.toUri()), true);
        return dst;
    }

    private List<String> names(String uri) throws Exception {
        List<String> out = new ArrayList<>();
        for (FileStatus s : fs.listStatus(new org.apache.hadoop.fs.Path(uri))) {
            out.add(s.getPath().getName());
        }
        return out;
    }

    @Test
    void scenesFarmlandAndOutputOnHdfsGiveTheLocalRunsFlaggedParcels() throws Exception {
        Path local = tmp.resolve("local");
        Cli l = Cli.run("run", "--before", "sample-tiles/scenes/20250415", "--after", "sample-tiles/scenes/20250920",
                "--farmland", "sample-tiles/farmland.gpkg", "--out", local.toString(), "--master", "local[2]",
                "--run-id", "local");
        assertEquals(0, l.exit(), l.err());
        Map<String, String> expected = DemoEndToEndTest.flagged(local.resolve("onemap.gpkg"));
        assertTrue(expected.size() >= 40, "the sample flags its planted conversions: " + expected.size());

        String out = hdfs + "/results/region/run1";
        Cli h = Cli.run("run", "--before", hdfs + "/data/scenes/20250415", "--after", hdfs + "/data/scenes/20250920",
                "--farmland", hdfs + "/data/farmland.gpkg", "--out", out, "--master", "local[2]", "--run-id", "hdfs1");
        assertEquals(0, h.exit(), h.err());
        List<String> written = names(out);
        for (String f : List.of("onemap.gpkg", "change.tif", "change_detail.tif", "report.html", "run.json", "inspector")) {
            assertTrue(written.contains(f), out + " holds " + written);
        }
        assertFalse(written.contains(".change-tiles") || written.contains(".true-colour-tiles"), written.toString());
        // Nothing half-written beside it: the hidden .run1.tmp-hdfs1 folder was renamed onto run1.
        assertEquals(List.of(".farmwatch", "run1"), names(hdfs + "/results/region").stream().sorted().toList());

        Path gpkg = fetch(out + "/onemap.gpkg", "hdfs1.gpkg");
        assertEquals(expected, DemoEndToEndTest.flagged(gpkg));
        // The change COG assembled from the tiles the executors uploaded covers the run's grid.
        Gdal.init();
        Dataset cog = gdal.Open(fetch(out + "/change.tif", "hdfs1-change.tif").toString());
        Dataset localCog = gdal.Open(local.resolve("change.tif").toString());
        try {
            assertEquals(localCog.getRasterXSize(), cog.getRasterXSize());
            assertEquals(localCog.getRasterYSize(), cog.getRasterYSize());
        } finally {
            cog.delete();
            localCog.delete();
        }
        Map<String, Object> run = Json.parseObject(Files.readString(fetch(out + "/run.json", "hdfs1-run.json")));
        Map<String, Object> counts = Json.object(run.get("counts"));
        assertTrue(((Number) counts.get("bytes_read")).longValue() > 0, counts.toString());
        // The tile store went beside the output, on HDFS, and holds one entry per tile.
        long tiles = ((Number) counts.get("tiles")).longValue();
        long entries = 0;
        var it = fs.listFiles(new org.apache.hadoop.fs.Path(hdfs + "/results/region/.farmwatch/tile-store"), true);
        while (it.hasNext()) {
            entries += it.next().getPath().getName().endsWith(".tile") ? 1 : 0;
        }
        assertEquals(tiles, entries);

        // Again, through a catalogue listed on HDFS, into the same output: replaced whole, every tile reused.
        Cli again = Cli.run("run", "--catalog", hdfs + "/data/scenes", "--before-period", "2025-03-01/2025-05-31",
                "--after-period", "2025-08-01/2025-10-31", "--farmland", hdfs + "/data/farmland.gpkg", "--out", out,
                "--master", "local[2]", "--run-id", "hdfs2");
        assertEquals(0, again.exit(), again.err());
        Map<String, Object> run2 = Json.parseObject(Files.readString(fetch(out + "/run.json", "hdfs2-run.json")));
        assertEquals("hdfs2", run2.get("run_id"));
        assertEquals(tiles, ((Number) Json.object(run2.get("counts")).get("tiles_reused")).longValue());
        assertEquals(expected, DemoEndToEndTest.flagged(fetch(out + "/onemap.gpkg", "hdfs2.gpkg")));
        assertEquals(List.of(".farmwatch", "run1"), names(hdfs + "/results/region").stream().sorted().toList());
    }

    @Test
    void aNightlyRunReadsItsCatalogueFromHdfsWritesItsOutputThereAndThenWaits() throws Exception {
        String url = PostgisFarmlandRunTest.pgUrl();
        String[] j = PostgisFarmlandRunTest.jdbc(url);
        String schema = "hdfs_nightly_" + java.util.UUID.randomUUID().toString().substring(0, 8);
        Path conf = tmp.resolve("nightly-hdfs.conf");
        Files.writeString(conf, String.join("\n", "nightly.region = hdfs-region",
                "nightly.catalog = " + hdfs + "/data/scenes", "nightly.farmland = " + hdfs + "/data/farmland.gpkg",
                "nightly.onemap = " + url, "nightly.onemapSchema = " + schema, "nightly.out = " + hdfs + "/nightly",
                "nightly.beforePeriod = 2025-03-01/2025-05-31", "nightly.afterPeriod = 2025-08-01/2025-10-31", ""));
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(j[0], j[1],
                System.getenv().getOrDefault("PGPASSWORD", ""))) {
            try {
                Cli first = Cli.run("nightly", "--conf", conf.toString(), "--master", "local[2]");
                assertEquals(0, first.exit(), first.err());
                String out = hdfs + "/nightly/nightly-hdfs-region-20250920";
                assertTrue(names(out).contains("onemap.gpkg"), out + " holds " + names(out));
                Map<String, String> flagged = DemoEndToEndTest.flagged(fetch(out + "/onemap.gpkg", "nightly.gpkg"));
                try (java.sql.Statement st = c.createStatement();
                     java.sql.ResultSet rs = st.executeQuery("SELECT count(*), count(DISTINCT parcel_id) FROM " + schema
                             + ".flagged_parcels")) {
                    rs.next();
                    assertEquals(flagged.size(), rs.getLong(1), "the one map holds what the HDFS output holds");
                    assertEquals(rs.getLong(1), rs.getLong(2));
                }
                Cli second = Cli.run("nightly", "--conf", conf.toString(), "--master", "local[2]");
                assertEquals(0, second.exit(), second.err());
                assertTrue(second.err().contains("nothing new"), second.err());
            } finally {
                try (java.sql.Statement st = c.createStatement()) {
                    st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
                    st.execute("DELETE FROM public.layer_styles WHERE f_table_schema = '" + schema + "'");
                }
            }
        }
    }

    @Test
    void anHdfsFolderThatIsNoFarmwatchOutputIsRefusedAndLeftAsItWas() throws Exception {
        org.apache.hadoop.fs.Path other = new org.apache.hadoop.fs.Path(hdfs + "/elsewhere/keep");
        fs.mkdirs(other);
        fs.create(new org.apache.hadoop.fs.Path(other, "precious.txt")).close();
        Cli r = Cli.run("run", "--before", hdfs + "/data/scenes/20250415", "--after", hdfs + "/data/scenes/20250920",
                "--farmland", "sample-tiles/farmland.gpkg", "--out", other.toString(), "--master", "local[2]");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("holds something other than a farmwatch output"), r.err());
        assertEquals(List.of("precious.txt"), names(other.toString()));
        assertEquals(List.of("keep"), names(hdfs + "/elsewhere"));
    }

    @Test
    void aRunThatFailsAfterOpeningTheOutputLeavesNothingOnHdfs() throws Exception {
        // The farmland is first read inside the job, after the output's folders were prepared.
        String out = hdfs + "/failed/region/run";
        Cli r = Cli.run("run", "--before", hdfs + "/data/scenes/20250415", "--after", hdfs + "/data/scenes/20250920",
                "--farmland", hdfs + "/data/missing.gpkg", "--out", out, "--master", "local[2]", "--run-id", "bad");
        assertEquals(3, r.exit(), r.err());
        assertTrue(r.err().contains("missing.gpkg"), r.err());
        assertFalse(fs.exists(new org.apache.hadoop.fs.Path(hdfs + "/failed")), "the folders the run made are gone");
    }

    @Test
    void aBandFolderInsideASafeProductOnHdfsKeepsTheProductsBoaOffset() throws Exception {
        String mtd = "<n1:Level-2A_User_Product><BOA_ADD_OFFSET band_id=\"1\">-1000</BOA_ADD_OFFSET></n1:Level-2A_User_Product>";
        Path safe = tmp.resolve("S2B_MSIL2A_TEST.SAFE");
        Path bands = safe.resolve("GRANULE/L2A_T50/IMG_DATA/R10m");
        Files.createDirectories(bands);
        Files.writeString(safe.resolve("MTD_MSIL2A.xml"), mtd);
        try (var files = Files.list(Path.of("sample-tiles/scenes/20250920"))) {
            for (Path f : files.toList()) {
                Files.copy(f, bands.resolve(f.getFileName()));
            }
        }
        fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(safe.toUri()), new org.apache.hadoop.fs.Path(hdfs + "/safe"));
        org.farmwatch.ingest.Scene local = org.farmwatch.ingest.SceneCatalog.open(bands.toString());
        org.farmwatch.ingest.Scene remote = org.farmwatch.ingest.SceneCatalog.open(
                hdfs + "/safe/GRANULE/L2A_T50/IMG_DATA/R10m");
        org.farmwatch.ingest.BandRef red = remote.bands().get(org.farmwatch.ingest.Band.RED);
        assertTrue(red.path().startsWith(hdfs + "/safe/GRANULE/"), red.path());
        assertTrue(local.bands().get(org.farmwatch.ingest.Band.RED).offset() != 0, "the local SAFE has an offset");
        assertEquals(local.bands().get(org.farmwatch.ingest.Band.RED).offset(), red.offset());
        assertEquals(local.date(), remote.date());
        assertEquals(local.stats().get(org.farmwatch.ingest.Band.NIR)[1], remote.stats().get(org.farmwatch.ingest.Band.NIR)[1]);
    }

    @Test
    void anS3aOutputWithoutHadoopAwsIsUsageNamingTheScheme() {
        Cli r = Cli.run("run", "--before", "sample-tiles/scenes/20250415", "--after", "sample-tiles/scenes/20250920",
                "--farmland", "sample-tiles/farmland.gpkg", "--out", "s3a://farmwatch-bucket/out", "--master", "local[2]");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("no Hadoop FileSystem for scheme \"s3a\"") && r.err().contains("hadoop-aws"), r.err());
    }
}

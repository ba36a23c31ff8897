package org.farmwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code jobs/farmwatch db}, the local one map of the nightly quick start, run as the README says: start prints
 * the URL, the data survives stop and start, and conf/nightly.conf points at the default port.
 */
class OneMapDbTest {

    Path dir;
    int port;

    @BeforeEach
    void freePortAndFolder() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        // Not @TempDir: the server may run as the postgres user, who must reach the folder.
        dir = Files.createTempDirectory("fw-onemap-db");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void removeTheCluster() throws Exception {
        db("stop");
        ProcessBuilder rm = new ProcessBuilder("rm", "-rf", dir.toString());
        rm.start().waitFor(60, TimeUnit.SECONDS);
    }

    record Result(int exit, String out, String err) {}

    Result db(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("jobs/farmwatch", "db"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("FARMWATCH_SKIP_SETUP", "1");
        pb.environment().put("FARMWATCH_DB_PORT", Integer.toString(port));
        pb.environment().put("FARMWATCH_DB_DIR", dir.resolve("pg").toString());
        Path err = Files.createTempFile("fw-db", ".err");
        pb.redirectError(err.toFile());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "jobs/farmwatch db " + String.join(" ", args) + " did not finish");
        String e = Files.readString(err);
        Files.delete(err);
        return new Result(p.exitValue(), out, e);
    }

    String url() {
        return "postgresql://postgres@127.0.0.1:" + port + "/farmwatch";
    }

    @Test
    void startPrintsTheUrlAndTheDataSurvivesStopAndStart() throws Exception {
        Result start = db("start");
        assertEquals(0, start.exit(), start.err());
        assertEquals(url(), start.out().strip());

        String jdbc = "jdbc:postgresql://127.0.0.1:" + port + "/farmwatch";
        try (var c = DriverManager.getConnection(jdbc, "postgres", "");
                var st = c.createStatement()) {
            st.execute("CREATE TABLE kept (verdict text)");
            st.execute("INSERT INTO kept VALUES ('false_alarm')");
            var rs = st.executeQuery("SELECT PostGIS_Lib_Version(), current_setting('fsync')");
            assertTrue(rs.next());
            assertFalse(rs.getString(1).isBlank());
            assertEquals("on", rs.getString(2), "the one map is not a test cluster: fsync stays on");
        }

        Result stop = db("stop");
        assertEquals(0, stop.exit(), stop.err());
        assertTrue(Files.isDirectory(dir.resolve("pg")), "stop removed the one map's data");
        assertEquals(1, db("status").exit(), "status after stop");

        assertEquals(0, db("start").exit());
        assertEquals(url(), db("status").out().strip());
        try (var c = DriverManager.getConnection(jdbc, "postgres", "");
                var rs = c.createStatement().executeQuery("SELECT verdict FROM kept")) {
            assertTrue(rs.next());
            assertEquals("false_alarm", rs.getString(1));
        }
    }

    @Test
    void nightlyConfPointsAtTheDefaultPortNotTheTestClusters() throws Exception {
        String conf = Files.readString(Path.of("conf/nightly.conf"));
        String launcher = Files.readString(Path.of("jobs/farmwatch"));
        assertTrue(launcher.contains("FARMWATCH_DB_PORT:-54320"), "the documented default port moved");
        assertTrue(conf.lines().anyMatch(l -> l.equals("nightly.onemap = postgresql://postgres@127.0.0.1:54320/farmwatch")),
                conf);
        assertFalse(conf.contains("55432"), "conf/nightly.conf names the test cluster's port");
    }
}

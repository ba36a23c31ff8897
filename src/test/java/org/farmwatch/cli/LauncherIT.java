package org.farmwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher, jobs/farmwatch, as operators start it: the first demo writes the class-data-sharing archive,
 * and a later run with Java Flight Recorder on still completes. JDK 17 crashes (SIGSEGV) when JFR's class-load
 * hook meets classes mapped from the archive, so the launcher must leave the archive out for such a JVM.
 */
class LauncherIT {

    @TempDir
    Path tmp;

    private int launch(Path log, Map<String, String> env, String... args) throws Exception {
        Path root = Path.of("").toAbsolutePath();
        List<String> cmd = new java.util.ArrayList<>(List.of(root.resolve("jobs/farmwatch").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().put("FARMWATCH_SKIP_SETUP", "1");
        pb.environment().put("XDG_CACHE_HOME", tmp.resolve("cache").toString());
        pb.environment().remove("FARMWATCH_CDS");
        pb.environment().remove("FARMWATCH_JAVA_OPTS");
        pb.environment().putAll(env);
        Process p = pb.start();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the launcher hung: " + Files.readString(log));
        return p.exitValue();
    }

    @Test
    void aRunWithFlightRecorderOnSurvivesTheClassArchive() throws Exception {
        Path first = tmp.resolve("first.log");
        assertEquals(0, launch(first, Map.of(), "demo", "--out", tmp.resolve("d1").toString()), Files.readString(first));
        Path cds = tmp.resolve("cache/farmwatch/cds");
        try (Stream<Path> archives = Files.list(cds)) {
            assertTrue(archives.anyMatch(p -> p.toString().endsWith(".jsa")), "the first demo left no class archive");
        }
        Path jfr = tmp.resolve("run.jfr");
        Path second = tmp.resolve("second.log");
        int exit = launch(second, Map.of("FARMWATCH_JAVA_OPTS", "-XX:StartFlightRecording=filename=" + jfr),
                "demo", "--out", tmp.resolve("d2").toString());
        String text = Files.readString(second);
        assertEquals(0, exit, text);
        assertTrue(text.contains("run demo done"), text);
        assertTrue(Files.size(jfr) > 0, "no flight recording written");
    }
}

package org.farmwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * jobs/lib/setup.sh prints one line per step and keeps the tools' output in its log: run on a checkout whose
 * build fails (a copy of the scripts beside a broken pom.xml), it exits 1, prints a few lines with the log's
 * path, and the log holds Maven's output without ANSI escapes.
 */
class SetupLogTest {

    @TempDir
    Path tmp;

    @Test
    void aFailedBuildStepPrintsTheLogsPathAndKeepsMavensOutputThere() throws Exception {
        Path root = tmp.resolve("checkout");
        Files.createDirectories(root.resolve("jobs/lib"));
        Files.createDirectories(root.resolve("src/main"));
        for (String f : List.of("setup.sh", "gdal-jni.sh")) {
            Files.copy(Path.of("jobs/lib", f), root.resolve("jobs/lib").resolve(f));
        }
        Files.writeString(root.resolve("pom.xml"), "<project>not a POM");
        Path log = tmp.resolve("setup.log");

        ProcessBuilder pb = new ProcessBuilder("bash", root.resolve("jobs/lib/setup.sh").toString());
        pb.environment().put("FARMWATCH_SETUP_LOG", log.toString());
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Path err = tmp.resolve("stderr");
        pb.redirectError(err.toFile());
        Process p = pb.start();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "setup.sh did not finish");
        String printed = Files.readString(err, StandardCharsets.UTF_8);

        assertEquals(1, p.exitValue(), printed);
        List<String> lines = printed.lines().toList();
        assertTrue(lines.size() <= 8, "setup printed more than a step line and a few error lines:\n" + printed);
        assertTrue(lines.get(0).startsWith("[setup] building farmwatch"), printed);
        assertTrue(lines.get(lines.size() - 1).contains("failed") && lines.get(lines.size() - 1).contains(log.toString()),
                printed);
        String kept = Files.readString(log, StandardCharsets.UTF_8);
        assertTrue(kept.contains("[ERROR]"), kept);
        assertFalse(kept.contains("\u001b["), "ANSI escapes in the log");
        assertFalse(printed.contains("\u001b["), "ANSI escapes on stderr");
    }
}

package org.farmwatch.reliability;

import static org.farmwatch.reliability.Fixtures.SAMPLE_AFTER;
import static org.farmwatch.reliability.Fixtures.SAMPLE_BEFORE;
import static org.farmwatch.reliability.Fixtures.SAMPLE_FARMLAND;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A run stopped by a signal while it publishes its report and dossiers (outside Spark, whose own shutdown would
 * fail a Spark step and so run the run's cleanup): the hidden {@code .OUT.partial-RUNID} folder is gone afterwards, whichever of SIGTERM, SIGINT and
 * SIGHUP stopped it, and an earlier output is untouched.
 */
class SignalCleanupTest {

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

    @ParameterizedTest
    @ValueSource(strings = {"TERM", "INT", "HUP"})
    void aSignalWhilePublishingLeavesNoPartialFolder(String signal) throws Exception {
        Path out = Fixtures.earlierOutput(tmp.resolve("out"));
        Path staging = tmp.resolve(".out.partial-sig");
        List<String> cmd = new ArrayList<>(ChildJvm.command("org.farmwatch.cli.Farmwatch"));
        cmd.addAll(List.of("run", "--before", smallBefore.toString(), "--after", smallAfter.toString(), "--farmland",
                SAMPLE_FARMLAND.toString(), "--out", out.toString(), "--run-id", "sig", "--master", "local[2]"));
        Path log = tmp.resolve("child.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            // The inspector lists are written: the run is past the last Spark work (which a signal would fail, and
            // so clean up after) and writes the report and dossiers in plain Java.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
            while (!Files.exists(staging.resolve("inspector/flagged_parcels.csv"))) {
                if (!p.isAlive()) {
                    fail("the run ended before publishing: " + Files.readString(log, StandardCharsets.UTF_8));
                }
                if (System.nanoTime() > deadline) {
                    fail("no publishing within 240 s");
                }
                Thread.sleep(10);
            }
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start();
            assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + signal);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                fail("the run did not end within 60 s of SIGHUP/INT/TERM");
            }
        } finally {
            p.destroyForcibly();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        try (Stream<Path> s = Files.list(tmp)) {
            List<String> left = s.map(f -> f.getFileName().toString()).filter(n -> n.contains(".partial")).toList();
            assertTrue(left.isEmpty(), "SIG" + signal + " left " + left + "; the run said:\n" + output);
        }
        if (Files.exists(out.resolve(".farmwatch-output"))) {
            return; // the signal came just after the output was moved into place: a finished run, not a partial one
        }
        Fixtures.assertEarlierOutputUntouched(out);
        assertFalse(output.contains("done:"), output);
    }
}

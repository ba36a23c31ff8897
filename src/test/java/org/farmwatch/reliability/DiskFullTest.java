package org.farmwatch.reliability;

import static org.farmwatch.reliability.Fixtures.SAMPLE_AFTER;
import static org.farmwatch.reliability.Fixtures.SAMPLE_BEFORE;
import static org.farmwatch.reliability.Fixtures.SAMPLE_FARMLAND;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The output disk fills up during a run: a clean one-line error (exit 1), the earlier output intact
 * and no staging folder left to hold the space. The disk is a 2 MB tmpfs, mounted when this process
 * may mount (root with CAP_SYS_ADMIN), else the test is skipped; a filler file leaves 16, 64 or
 * 160 KB free, which runs out while creating the GeoPackage, while writing its features, and while
 * writing the report's quicklook.
 */
class DiskFullTest {

    static final int[] FREE_KB = {16, 64, 160};

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

    @Test
    void aFullOutputDiskIsACleanErrorAndKeepsTheEarlierOutput() throws Exception {
        for (int kb : FREE_KB) {
            onAFullDisk(kb, (r, out) -> {
                System.out.println("[matrix] aFullOutputDisk " + kb + " KB free | exit " + r.exit() + " | " + r.errorLines());
                Fixtures.assertCleanFailure(r, 1);
                Fixtures.assertEarlierOutputUntouched(out);
                Fixtures.assertNoStaging(out);
            });
        }
    }

    @Test
    void aFullDiskSharedWithTheTileStoreAndTheEventLogIsACleanErrorToo() throws Exception {
        // By default both live in .farmwatch/ beside the output, on the same disk: they fill it first.
        onAFullDisk(FREE_KB[FREE_KB.length - 1], true, (r, out) -> {
            System.out.println("[matrix] aFullDiskWithStore | exit " + r.exit() + " | " + r.errorLines());
            String line = Fixtures.assertCleanFailure(r, 1);
            assertTrue(line.toLowerCase(Locale.ROOT).contains("no space left"), line);
            Fixtures.assertEarlierOutputUntouched(out);
            Fixtures.assertNoStaging(out);
        });
    }

    @Test
    void aFullOutputDiskSaysNoSpaceLeft() throws Exception {
        for (int kb : FREE_KB) {
            onAFullDisk(kb, (r, out) -> {
                String line = Fixtures.assertCleanFailure(r, 1);
                assertTrue(line.toLowerCase(Locale.ROOT).contains("no space left"), kb + " KB free: " + line);
            });
        }
    }

    interface Check {
        void accept(FarmwatchRun r, Path out) throws Exception;
    }

    private void onAFullDisk(int freeKb, Check check) throws Exception {
        onAFullDisk(freeKb, false, check);
    }

    /**
     * Without {@code sideFiles}, the tile store and the Spark event log are off, so that the disk fills
     * up at the output's own files (the GeoPackage, its features, the quicklook) as {@link #FREE_KB} intends.
     */
    private void onAFullDisk(int freeKb, boolean sideFiles, Check check) throws Exception {
        Path disk = tmp.resolve("disk" + freeKb);
        Files.createDirectories(disk);
        int mounted = exec("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", disk.toString());
        Assumptions.assumeTrue(mounted == 0, "cannot mount a small tmpfs here (needs root and CAP_SYS_ADMIN)");
        try {
            Path out = Fixtures.earlierOutput(disk.resolve("out"));
            long free = Files.getFileStore(disk).getUsableSpace();
            try (OutputStream f = Files.newOutputStream(disk.resolve("filler"))) {
                f.write(new byte[(int) (free - freeKb * 1024L)]);
            }
            Path conf = tmp.resolve("disk" + freeKb + (sideFiles ? "-side" : "") + ".conf");
            Files.writeString(conf, sideFiles ? "" : "store.dir = off\n");
            if (!sideFiles) {
                System.setProperty("spark.eventLog.enabled", "false");
            }
            FarmwatchRun r;
            try {
                r = FarmwatchRun.run("--before", smallBefore.toString(), "--after", smallAfter.toString(),
                        "--farmland", SAMPLE_FARMLAND.toString(), "--out", out.toString(), "--conf", conf.toString());
            } finally {
                System.clearProperty("spark.eventLog.enabled");
            }
            check.accept(r, out);
        } finally {
            if (exec("umount", disk.toString()) != 0) {
                exec("umount", "-l", disk.toString());
            }
        }
    }

    private static int exec(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(cmd)).redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        if (p.exitValue() != 0) {
            System.out.println("[reliability] " + String.join(" ", cmd) + ": " + said.strip());
        }
        return p.exitValue();
    }
}

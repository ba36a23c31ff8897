package org.farmwatch.reliability;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.farmwatch.farmland.FieldMapping;
import org.farmwatch.farmland.OgrParcelSource;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.TileKey;
import org.farmwatch.ingest.Scene;
import org.farmwatch.ingest.SceneCatalog;
import org.farmwatch.ingest.SceneReader;
import org.farmwatch.util.FarmwatchException;
import org.farmwatch.util.Gdal;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.gdal;
import org.locationtech.jts.geom.Envelope;

/**
 * Runs fuzz cases {@code FROM} (inclusive) to {@code TO} (exclusive) of {@link FuzzCases} in this JVM
 * and reports on stdout, one line each: {@code CASE i} before the case is written, {@code DESC i text}
 * once it is, {@code DONE i millis OK|CLEAN kind message|UNCLEAN class: message at frame} when it ended.
 * A case that never reports DONE crashed or hung the JVM. Each case's files are deleted once it is done.
 *
 * <p>To replay one case by hand (from the project root, with the test class path):
 * {@code java -Djava.library.path=... -cp ... org.farmwatch.reliability.ReaderFuzzChild WORKDIR SEED i i+1}.
 */
public final class ReaderFuzzChild {
    private ReaderFuzzChild() {}

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        long seed = Long.parseLong(args[1]);
        int from = Integer.parseInt(args[2]);
        int to = Integer.parseInt(args[3]);
        PrintStream report = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        // stdout carries the protocol only; whatever else prints goes to stderr.
        System.setOut(System.err);
        Gdal.init();
        List<FuzzCases.Target> targets = FuzzCases.targets();
        Map<String, Object> originals = new HashMap<>();
        for (int i = from; i < to; i++) {
            FuzzCases.Target t = FuzzCases.targetOf(targets, i);
            Path dir = work.resolve("case-" + i);
            report.println("CASE " + i);
            FuzzCases.Prepared p = FuzzCases.prepare(targets, seed, i, dir);
            report.println("DESC " + i + " " + p.description().replace('\n', ' '));
            selfTest(i);
            long t0 = System.nanoTime();
            String outcome;
            try {
                run(t, p.input(), originals);
                outcome = "OK";
            } catch (FarmwatchException e) {
                outcome = "CLEAN " + e.kind() + " " + firstLine(e.getMessage());
            } catch (Throwable e) {
                outcome = "UNCLEAN " + e.getClass().getName() + ": " + firstLine(e.getMessage()) + " at " + where(e);
            }
            report.println("DONE " + i + " " + (System.nanoTime() - t0) / 1_000_000 + " " + outcome);
            deleteTree(dir);
        }
    }

    private static void run(FuzzCases.Target t, String input, Map<String, Object> originals) {
        if (t.kind() == FuzzCases.Kind.FARMLAND) {
            Envelope extent = (Envelope) originals.computeIfAbsent(t.name(),
                    k -> new OgrParcelSource(t.file().toString(), FieldMapping.DEFAULT).check(t.crs()).extent());
            OgrParcelSource src = new OgrParcelSource(input, FieldMapping.DEFAULT);
            src.check(t.crs());
            long[] n = new long[2];
            src.forEachIn(extent, t.crs(), parcel -> n[0]++, reason -> n[1]++);
            return;
        }
        double[] centre = (double[]) originals.computeIfAbsent(t.name(), k -> {
            Dataset d = gdal.Open(t.file().toString());
            double[] gt = d.GetGeoTransform();
            double[] c = {gt[0] + gt[1] * d.getRasterXSize() / 2.0, gt[3] + gt[5] * d.getRasterYSize() / 2.0};
            d.delete();
            return c;
        });
        Scene scene = SceneCatalog.open(input);
        GridLayout layout = new GridLayout(t.crs(), 0, 10_000_000, t.cell(), 256);
        TileKey key = layout.keyAt(centre[0], centre[1]);
        try (SceneReader reader = new SceneReader(layout, 8, 30)) {
            reader.read(scene, key);
        }
    }

    /**
     * {@code -Dfuzz.selftest=crash:N,hang:M} makes case N halt the JVM and case M hang, to check that the
     * test names both and carries on.
     */
    private static void selfTest(int i) throws InterruptedException {
        for (String s : System.getProperty("fuzz.selftest", "").split(",")) {
            if (s.equals("crash:" + i)) {
                Runtime.getRuntime().halt(134);
            }
            if (s.equals("hang:" + i)) {
                Thread.sleep(Long.MAX_VALUE);
            }
        }
    }

    private static String firstLine(String s) {
        return s == null ? "(no message)" : s.split("\n", 2)[0];
    }

    /** The innermost farmwatch frame, else the top frame. */
    private static String where(Throwable e) {
        for (StackTraceElement f : e.getStackTrace()) {
            if (f.getClassName().startsWith("org.farmwatch.") && !f.getClassName().startsWith("org.farmwatch.reliability.")) {
                return f.getClassName().replace("org.farmwatch.", "") + "." + f.getMethodName() + ":" + f.getLineNumber();
            }
        }
        return e.getStackTrace().length > 0 ? e.getStackTrace()[0].toString() : "?";
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }
}

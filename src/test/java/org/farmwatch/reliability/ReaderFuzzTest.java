package org.farmwatch.reliability;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Mutated real files handed to the scene reader ({@code SceneCatalog.open}, then {@code SceneReader.read}
 * of one tile) and the farmland reader ({@code OgrParcelSource.check}, then {@code forEachIn}): a few
 * hundred seeded bit flips, truncations, overwritten byte ranges, zeroed headers and absurd header
 * numbers. Every case must end in success or a FarmwatchException, within {@value #CASE_LIMIT_MS} ms.
 *
 * <p>GDAL's native code cannot be interrupted from Java and may crash the JVM, so the cases run in a
 * child JVM ({@link ReaderFuzzChild}); a child that dies or falls silent names the case it was in, which
 * is kept under {@code target/reliability-fuzz/} with the child's crash log, and a new child carries on
 * with the next case. The whole fuzz is bounded by {@value #TOTAL_LIMIT_MS} ms.
 */
class ReaderFuzzTest {

    static final long SEED = 20_250_920L;
    static final int MUTATIONS = 392;
    static final long CASE_LIMIT_MS = 10_000;
    static final long STARTUP_LIMIT_MS = 60_000;
    static final long TOTAL_LIMIT_MS = 90_000;
    /** Fewer cases than this within the time bound and the fuzz says too little. */
    static final int MINIMUM_CASES = 150;

    /** One finished case: OK, CLEAN (a FarmwatchException), UNCLEAN (any other exception), CRASH or HANG. */
    record Outcome(int index, String target, String description, String verdict, String detail, long millis) {
        @Override
        public String toString() {
            return "case " + index + " (" + description + "): " + verdict + " " + detail;
        }
    }

    record Fuzz(List<Outcome> outcomes, int planned, int controls, boolean outOfTime, double seconds) {
        List<Outcome> with(String verdict) {
            return outcomes.stream().filter(o -> o.verdict().equals(verdict)).toList();
        }
    }

    private static Fuzz fuzz;

    static synchronized Fuzz fuzz() throws Exception {
        if (fuzz == null) {
            fuzz = runAll();
            summarise(fuzz);
        }
        return fuzz;
    }

    @Test
    void theUnmutatedFilesReadCleanly() throws Exception {
        Fuzz f = fuzz();
        List<Outcome> controls = f.outcomes().stream().filter(o -> o.index() < f.controls()).toList();
        assertTrue(controls.size() == f.controls() && controls.stream().allMatch(o -> o.verdict().equals("OK")),
                "every target reads before it is mutated: " + controls);
    }

    @Test
    void noMutatedFileCrashesOrHangsTheReaders() throws Exception {
        Fuzz f = fuzz();
        List<Outcome> bad = new ArrayList<>(f.with("CRASH"));
        bad.addAll(f.with("HANG"));
        assertTrue(bad.isEmpty(), bad.size() + " cases crashed or hung the JVM (inputs kept in target/reliability-fuzz):\n"
                + bad.stream().map(Outcome::toString).collect(Collectors.joining("\n")));
        assertTrue(f.outcomes().size() >= Math.min(f.planned(), MINIMUM_CASES),
                "only " + f.outcomes().size() + " of " + f.planned() + " cases ran within " + TOTAL_LIMIT_MS + " ms");
    }

    @Test
    void everyMutatedFileEndsInSuccessOrAFarmwatchException() throws Exception {
        Fuzz f = fuzz();
        List<Outcome> unclean = f.with("UNCLEAN");
        assertTrue(unclean.isEmpty(), unclean.size() + " cases ended in an exception that is not a FarmwatchException:\n"
                + unclean.stream().map(Outcome::toString).collect(Collectors.joining("\n")));
    }

    // ---- the driver ----

    private static Fuzz runAll() throws Exception {
        boolean real = Files.isDirectory(Fixtures.REAL);
        if (System.getenv("CI") != null) {
            assertTrue(real, "CI must have ../shared/realdata beside the checkout");
        }
        if (!real) {
            System.out.println("[fuzz] ../shared/realdata is absent: fuzzing the demo files only");
        }
        int controls = FuzzCases.targets().size();
        int total = controls + MUTATIONS;
        Path work = Files.createTempDirectory("farmwatch-fuzz");
        Path keep = Path.of("target/reliability-fuzz");
        List<Outcome> outcomes = new ArrayList<>();
        long started = System.nanoTime();
        long deadline = started + TOTAL_LIMIT_MS * 1_000_000;
        boolean outOfTime = false;
        int next = 0;
        try {
            while (next < total) {
                if (System.nanoTime() > deadline) {
                    outOfTime = true;
                    break;
                }
                Path err = work.resolve("child-" + next + ".err");
                List<String> cmd = ChildJvm.command(ReaderFuzzChild.class.getName(),
                        "-XX:ErrorFile=" + work.resolve("hs_err_pid%p.log"), "-Xss4m",
                        "-Dfuzz.selftest=" + System.getProperty("fuzz.selftest", ""));
                cmd.addAll(List.of(work.toString(), Long.toString(SEED), Integer.toString(next), Integer.toString(total)));
                Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
                BlockingQueue<String> lines = new LinkedBlockingQueue<>();
                Thread pump = new Thread(() -> {
                    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                        String l;
                        while ((l = r.readLine()) != null) {
                            lines.add(l);
                        }
                    } catch (IOException ignored) {
                        // the child died; the EOF marker below says so
                    }
                    lines.add("EOF");
                }, "fuzz-child-stdout");
                pump.setDaemon(true);
                pump.start();

                int current = -1;
                String desc = "";
                boolean started1 = false;
                while (true) {
                    long wait = started1 ? CASE_LIMIT_MS : STARTUP_LIMIT_MS;
                    wait = Math.max(1, Math.min(wait, (deadline - System.nanoTime()) / 1_000_000 + CASE_LIMIT_MS));
                    String line = lines.poll(wait, TimeUnit.MILLISECONDS);
                    if (line == null) {
                        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                        if (current < 0) {
                            throw new AssertionError("the fuzz child said nothing for " + wait + " ms after case " + (next - 1)
                                    + "; its stderr:\n" + tail(err));
                        }
                        outcomes.add(new Outcome(current, targetName(current), desc, "HANG",
                                "no result within " + wait + " ms", wait));
                        keepCase(work, keep, current, err);
                        next = current + 1;
                        break;
                    }
                    if (line.equals("EOF")) {
                        p.waitFor(10, TimeUnit.SECONDS);
                        if (current >= 0) {
                            outcomes.add(new Outcome(current, targetName(current), desc, "CRASH",
                                    "the JVM exited with " + p.exitValue() + ": " + crashLine(work, err), 0));
                            keepCase(work, keep, current, err);
                            next = current + 1;
                        } else if (p.exitValue() != 0) {
                            throw new AssertionError("the fuzz child failed outside any case, exit " + p.exitValue()
                                    + "; its stderr:\n" + tail(err));
                        } else {
                            next = total;
                        }
                        break;
                    }
                    started1 = true;
                    String[] f = line.split(" ", 4);
                    switch (f[0]) {
                        case "CASE" -> {
                            current = Integer.parseInt(f[1]);
                            desc = "";
                            next = current;
                        }
                        case "DESC" -> desc = line.substring(line.indexOf(' ', 5) + 1);
                        case "DONE" -> {
                            String[] r = f[3].split(" ", 2);
                            outcomes.add(new Outcome(current, targetName(current), desc, r[0], r.length > 1 ? r[1] : "",
                                    Long.parseLong(f[2])));
                            next = current + 1;
                            current = -1;
                        }
                        default -> { }
                    }
                    if (System.nanoTime() > deadline && current < 0) {
                        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                        outOfTime = next < total;
                        break;
                    }
                }
                if (outOfTime) {
                    break;
                }
            }
        } finally {
            ReaderFuzzChild.deleteTree(work);
        }
        return new Fuzz(outcomes, total, controls, outOfTime, (System.nanoTime() - started) / 1e9);
    }

    private static String targetName(int index) {
        return FuzzCases.targetOf(FuzzCases.targets(), index).name();
    }

    /** Keeps the case's mutated files and the child's logs under target/reliability-fuzz/case-N. */
    private static void keepCase(Path work, Path keep, int index, Path err) throws IOException {
        Path dst = keep.resolve("case-" + index);
        Files.createDirectories(dst);
        Path src = work.resolve("case-" + index);
        if (Files.isDirectory(src)) {
            try (Stream<Path> s = Files.walk(src)) {
                // The mutated file and its wrapper; links to unmutated files are named in the case's description.
                for (Path f : s.filter(f -> Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)).toList()) {
                    Files.copy(f, dst.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        Files.copy(err, dst.resolve("child.err"), StandardCopyOption.REPLACE_EXISTING);
        try (Stream<Path> s = Files.list(work)) {
            for (Path f : s.filter(f -> f.getFileName().toString().startsWith("hs_err")).toList()) {
                Files.move(f, dst.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private static String crashLine(Path work, Path err) throws IOException {
        try (Stream<Path> s = Files.list(work)) {
            for (Path f : s.filter(f -> f.getFileName().toString().startsWith("hs_err")).toList()) {
                for (String l : Files.readAllLines(f, StandardCharsets.ISO_8859_1)) {
                    if (l.startsWith("# C  [") || l.startsWith("# Problematic frame") || l.contains("SIG")) {
                        return l.strip();
                    }
                }
            }
        }
        return tail(err);
    }

    private static String tail(Path f) throws IOException {
        if (!Files.exists(f)) {
            return "";
        }
        List<String> l = Files.readAllLines(f, StandardCharsets.ISO_8859_1);
        return String.join("\n", l.subList(Math.max(0, l.size() - 8), l.size()));
    }

    private static void summarise(Fuzz f) {
        Map<String, Map<String, Integer>> byTarget = new LinkedHashMap<>();
        Map<String, Long> millis = new LinkedHashMap<>();
        for (Outcome o : f.outcomes()) {
            if (o.index() >= f.controls()) {
                byTarget.computeIfAbsent(o.target(), k -> new TreeMap<>()).merge(o.verdict(), 1, Integer::sum);
                millis.merge(o.target(), o.millis(), Long::sum);
            }
        }
        long slowest = f.outcomes().stream().mapToLong(Outcome::millis).max().orElse(0);
        System.out.printf("[fuzz] %d of %d cases (%d controls) in %.1f s%s, slowest case %d ms%n", f.outcomes().size(),
                f.planned(), f.controls(), f.seconds(), f.outOfTime() ? " (stopped at the time bound)" : "", slowest);
        byTarget.forEach((t, v) -> System.out.println("[fuzz]   " + t + ": " + v + ", "
                + millis.get(t) / v.values().stream().mapToInt(Integer::intValue).sum() + " ms a case"));
        Map<String, List<Outcome>> kinds = new TreeMap<>();
        for (Outcome o : f.outcomes()) {
            if (!o.verdict().equals("OK") && !o.verdict().equals("CLEAN")) {
                kinds.computeIfAbsent(o.verdict() + " " + o.detail().replaceAll("\\d+", "N"), k -> new ArrayList<>()).add(o);
            }
        }
        kinds.forEach((k, v) -> System.out.println("[fuzz]   " + v.size() + " x " + k + "\n[fuzz]       e.g. " + v.get(0)));
        Map<String, Integer> clean = new TreeMap<>();
        for (Outcome o : f.with("CLEAN")) {
            clean.merge(o.target() + ": " + o.detail().replaceAll("/\\S+", "PATH").replaceAll("\\d+", "N"), 1, Integer::sum);
        }
        clean.forEach((k, v) -> System.out.println("[fuzz]   clean x" + v + " " + (k.length() > 160 ? k.substring(0, 160) : k)));
    }
}

package org.farmwatch.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.farmwatch.flag.ChangeType;
import org.farmwatch.flag.FlaggedParcel;
import org.farmwatch.publish.ReportPage.MapLayer;
import org.farmwatch.publish.ReportPage.ReportSummary;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opens the report in headless Chromium, as an inspector's offline laptop would. Skipped when
 * {@code /usr/bin/chromium} is absent, unless the environment variable {@code CI} is set, in which
 * case a missing browser fails the test (the CI script installs the Debian package chromium).
 */
class ReportPageBrowserTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final int WIDTH = 1200;
    private static final int HEIGHT = 900;
    private static final int RED = 0xe31a1c;
    private static final int ORANGE = 0xff7f00;
    private static final int MAGENTA = 0xff00ff;
    /** Background image bounds {west, south, east, north}; the parcels lie inside. */
    private static final double[] BOUNDS = {116.295, 39.895, 116.345, 39.925};

    @TempDir
    Path dir;

    @BeforeEach
    void needChromium() {
        boolean present = Files.isExecutable(CHROMIUM);
        if (System.getenv("CI") != null) {
            assertTrue(present, "CI is set, so " + CHROMIUM + " must be installed (apt-get install -y chromium)");
        } else {
            assumeTrue(present, CHROMIUM + " is not installed and CI is not set");
        }
    }

    @Test
    void rendersParcelsOverTheBackgroundWithoutConsoleMessages() throws Exception {
        Path report = writeReport();
        measure(report, "#map");
        Path screenshot = dir.resolve("screenshot.png");
        Run run = chromium(report, screenshot, WIDTH);

        assertNoConsoleMessages(run);
        assertTrue(run.dom.contains("data-ready=\"true\""), "the page script ran to its end");
        assertTrue(count(run.dom, "leaflet-interactive") >= 3, "one SVG path per parcel");
        assertTrue(run.dom.contains("leaflet-image-layer"), "the background image is on the map");

        assertTrue(Files.size(screenshot) > 0, "screenshot written");
        BufferedImage img = ImageIO.read(screenshot.toFile());
        assertEquals(WIDTH, img.getWidth());
        // The map as the page laid it out, less its bottom 100 pixels: its legend, whose swatches share
        // the parcels' colours, sits in the bottom-right corner, outside this box.
        int[] box = rect(run.dom);
        int x0 = box[0];
        int x1 = Math.min(WIDTH, box[2]);
        int y0 = box[1];
        int y1 = Math.min(HEIGHT, box[3]) - 100;
        Set<Integer> colours = new HashSet<>();
        int red = 0;
        int orange = 0;
        for (int y = y0; y < y1; y++) {
            for (int x = x0; x < x1; x++) {
                int rgb = img.getRGB(x, y) & 0xffffff;
                colours.add(rgb);
                red += near(rgb, RED) ? 1 : 0;
                orange += near(rgb, ORANGE) ? 1 : 0;
            }
        }
        String where = " (screenshot " + screenshot + ")";
        assertTrue(colours.size() > 200, "the map is not blank: " + colours.size() + " colours" + where);
        assertTrue(red > 50, "non-agricultural parcel drawn in #e31a1c: " + red + " pixels" + where);
        assertTrue(orange > 50, "non-grain parcel drawn in #ff7f00: " + orange + " pixels" + where);
    }

    @Test
    void sortsTheTableAndLinksRowsToTheMap() throws Exception {
        Path report = writeReport();
        // Drive the page as an inspector would, and leave the results in the DOM for --dump-dom.
        String driver = """
                <script>
                (function () {
                  var t = document.getElementById('parcels');
                  var ths = t.tHead.rows[0].cells;
                  function ids() {
                    return Array.prototype.map.call(t.tBodies[0].rows, function (r) {
                      return r.getAttribute('data-parcel');
                    }).join(',');
                  }
                  var out = document.body;
                  out.setAttribute('data-initial', ids());
                  // Column 0 holds the chips; the parcel id is column 1, the priority the last.
                  ths[1].click();
                  out.setAttribute('data-by-id', ids());
                  ths[1].click();
                  out.setAttribute('data-by-id-desc', ids());
                  ths[ths.length - 1].click();
                  out.setAttribute('data-by-priority-asc', ids());
                  t.tBodies[0].querySelector('tr[data-parcel="P-2"]').click();
                  out.setAttribute('data-row-selected', t.querySelector('tr.selected').getAttribute('data-parcel'));
                  var red = document.querySelector('path.leaflet-interactive[stroke="#e31a1c"]');
                  red.dispatchEvent(new MouseEvent('click', {bubbles: true, clientX: 1, clientY: 1}));
                  out.setAttribute('data-map-selected', t.querySelector('tr.selected').getAttribute('data-parcel'));
                })();
                </script>
                </body>""";
        String html = Files.readString(report, StandardCharsets.UTF_8);
        Files.writeString(report, html.replace("</body>", driver), StandardCharsets.UTF_8);

        Run run = chromium(report, null, WIDTH);

        assertNoConsoleMessages(run);
        assertEquals("P-1,P-2,P-3", attribute(run.dom, "data-initial"), "priority, highest first");
        assertEquals("P-1,P-2,P-3", attribute(run.dom, "data-by-id"));
        assertEquals("P-3,P-2,P-1", attribute(run.dom, "data-by-id-desc"));
        assertEquals("P-3,P-2,P-1", attribute(run.dom, "data-by-priority-asc"));
        assertEquals("P-2", attribute(run.dom, "data-row-selected"));
        assertEquals("P-1", attribute(run.dom, "data-map-selected"));
        // The parcel picked on the map is drawn with a heavier outline.
        assertTrue(Pattern.compile("<path[^>]*stroke=\"#e31a1c\"[^>]*stroke-width=\"4\"").matcher(run.dom).find(),
                "selected parcel highlighted");
    }

    @Test
    void chipsAreInTheFirstScreenAt1400Pixels() throws Exception {
        // Solid magenta chips, a colour neither the background nor the page uses, found in the screenshot.
        BufferedImage magenta = new BufferedImage(24, 24, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 24; y++) {
            for (int x = 0; x < 24; x++) {
                magenta.setRGB(x, y, MAGENTA);
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(magenta, "png", png);
        String chip = ReportPage.pngDataUri(png.toByteArray());
        Path report = writeReport(Map.of("P-1", new String[] {chip, chip}));
        measure(report, "img.chip");
        Path screenshot = Path.of(System.getProperty("farmwatch.shots", dir.toString())).resolve("report-first-screen.png");
        Files.createDirectories(screenshot.getParent());
        Run run = chromium(report, screenshot, 1400);
        assertNoConsoleMessages(run);

        int[] box = rect(run.dom);
        String where = " (chip at " + java.util.Arrays.toString(box) + ", screenshot " + screenshot + ")";
        assertTrue(box[2] > box[0] && box[3] > box[1], "the chip is laid out" + where);
        assertTrue(box[0] >= 0 && box[2] <= 1400 && box[1] >= 0 && box[3] <= HEIGHT,
                "the first chip lies wholly in the first 1400 x " + HEIGHT + " screen" + where);
        BufferedImage img = ImageIO.read(screenshot.toFile());
        int seen = 0;
        int area = 0;
        for (int y = box[1]; y < box[3]; y++) {
            for (int x = box[0]; x < box[2]; x++) {
                area++;
                seen += near(img.getRGB(x, y) & 0xffffff, MAGENTA) ? 1 : 0;
            }
        }
        // The border, the caption and the patch outline cover part of it; most of the chip shows.
        assertTrue(seen > area / 2, "the chip is visible in the screenshot: " + seen + " of " + area + " pixels" + where);
        int next = run.dom.indexOf("id=\"next-steps\"");
        assertTrue(next > 0 && next < run.dom.indexOf("img class=\"chip\""), "the next steps come before the chips");
    }

    /** Adds a script that records the page rectangle of the first element {@code selector} finds on the body. */
    private static void measure(Path report, String selector) throws IOException {
        String script = "<script>(function () { var r = document.querySelector('" + selector + "')"
                + ".getBoundingClientRect(); document.body.setAttribute('data-rect', [Math.round(r.left), "
                + "Math.round(r.top), Math.round(r.right), Math.round(r.bottom)].join(',')); })();</script>\n</body>";
        String html = Files.readString(report, StandardCharsets.UTF_8);
        Files.writeString(report, html.replace("</body>", script), StandardCharsets.UTF_8);
    }

    /** {left, top, right, bottom} as {@link #measure} recorded it. */
    private static int[] rect(String dom) {
        return java.util.Arrays.stream(attribute(dom, "data-rect").split(",")).mapToInt(Integer::parseInt).toArray();
    }

    // ---- the report under test ----

    private Path writeReport() throws IOException {
        String chip = ReportPage.pngDataUri(background(24, 24));
        return writeReport(Map.of("P-1", new String[] {chip, chip}));
    }

    private Path writeReport(Map<String, String[]> chips) throws IOException {
        List<FlaggedParcel> parcels = List.of(
                parcel("P-1", "海淀镇", ChangeType.NON_AGRICULTURAL, 0.9,
                        "POLYGON ((116.300 39.900, 116.312 39.900, 116.312 39.910, 116.300 39.910, 116.300 39.900))"),
                parcel("P-2", "海淀镇", ChangeType.NON_GRAIN, 0.6,
                        "POLYGON ((116.318 39.905, 116.332 39.905, 116.332 39.918, 116.318 39.918, 116.318 39.905))"),
                parcel("P-3", "<b>东升镇</b>", ChangeType.OTHER, 0.2,
                        "MULTIPOLYGON (((116.336 39.900, 116.340 39.900, 116.340 39.904, 116.336 39.900)),"
                                + " ((116.336 39.912, 116.340 39.912, 116.340 39.916, 116.336 39.912)))"));
        ReportSummary summary = new ReportSummary("browser-test", "2024-05-01", "2025-05-01",
                List.of("S2A_MSIL2A_20240501T030551", "S2B_MSIL2A_20250503T030549"), 120, 7,
                ReportSummary.countByChangeType(parcels));
        MapLayer map = MapLayer.overPng(ReportPage.featureCollection(parcels, Function.identity()),
                background(320, 240), BOUNDS);
        Path report = dir.resolve("report.html");
        ReportPage.write(report, summary, parcels, map, chips,
                Map.of("P-1", "M20.0 20.0 L60.0 20.0 L60.0 60.0 L20.0 60.0 Z"));
        return report;
    }

    private static FlaggedParcel parcel(String id, String township, ChangeType type, double priority, String wkt) {
        return ReportPageTest.parcel(id, township, type, priority, wkt);
    }

    /** A field-like true-colour image: strips of crops with a gentle gradient, no randomness. */
    private static byte[] background(int width, int height) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int[][] crops = {{0x4f, 0x86, 0x36}, {0x9c, 0xb2, 0x55}, {0x86, 0x69, 0x45}, {0x6b, 0x9a, 0x4a}};
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int[] c = crops[(x / 23 + y / 37) % crops.length];
                int shade = (x * 31 / width) - (y * 17 / height);
                img.setRGB(x, y, (clamp(c[0] + shade) << 16) | (clamp(c[1] + shade) << 8) | clamp(c[2] + shade / 2));
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(img, "png", png);
        return png.toByteArray();
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }

    // ---- running Chromium ----

    private record Run(String dom, List<String> stderr) {}

    /**
     * Runs headless Chromium once over the page, offline and with a fresh profile, dumping the DOM
     * after scripts ran and optionally taking a screenshot.
     */
    private Run chromium(Path page, Path screenshot, int width) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory(dir, "profile");
        Path home = Files.createTempDirectory(dir, "home");
        List<String> cmd = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox",
                "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
                "--force-device-scale-factor=1", "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0",
                "--window-size=" + width + "," + HEIGHT, "--virtual-time-budget=5000", "--dump-dom"));
        if (screenshot != null) {
            cmd.add("--screenshot=" + screenshot);
        }
        cmd.add(page.toUri().toString());
        Path out = dir.resolve("chromium.out");
        Path err = dir.resolve("chromium.err");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        // Keep Chromium's caches and settings out of the real home directory.
        pb.environment().put("HOME", home.toString());
        pb.environment().put("XDG_CONFIG_HOME", home.resolve(".config").toString());
        pb.environment().put("XDG_CACHE_HOME", home.resolve(".cache").toString());
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            fail("chromium did not finish within 60 s: " + String.join(" ", cmd));
        }
        List<String> stderr = Files.readAllLines(err, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "chromium failed:\n" + String.join("\n", stderr));
        if (screenshot != null) {
            assertTrue(Files.exists(screenshot), "no screenshot:\n" + String.join("\n", stderr));
        }
        return new Run(Files.readString(out, StandardCharsets.UTF_8), stderr);
    }

    /**
     * Chromium logs the page's console as {@code INFO:CONSOLE:<line>] "message", source: ...},
     * whatever the level. The page logs nothing itself, so any such line is an uncaught error, a
     * blocked fetch (the page's Content-Security-Policy forbids all) or a failed load.
     */
    private static void assertNoConsoleMessages(Run run) {
        List<String> console = run.stderr.stream()
                .filter(l -> l.contains("CONSOLE") || l.contains("Uncaught")).toList();
        assertTrue(console.isEmpty(), "console messages from the page:\n" + String.join("\n", console));
    }

    private static boolean near(int rgb, int target) {
        int d = Math.abs(((rgb >> 16) & 0xff) - ((target >> 16) & 0xff))
                + Math.abs(((rgb >> 8) & 0xff) - ((target >> 8) & 0xff))
                + Math.abs((rgb & 0xff) - (target & 0xff));
        return d <= 12;
    }

    private static int count(String s, String part) {
        return ReportPageTest.count(s, part);
    }

    private static String attribute(String dom, String name) {
        Matcher m = Pattern.compile("<body[^>]*\\s" + Pattern.quote(name) + "=\"([^\"]*)\"").matcher(dom);
        assertTrue(m.find(), name + " not set: the driver script stopped early");
        return m.group(1);
    }
}

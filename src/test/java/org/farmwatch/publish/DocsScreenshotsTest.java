package org.farmwatch.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.farmwatch.cli.Farmwatch;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jobs/lib/docs-screenshots.sh}, which makes the README's two pictures (docs/img/) from the demo's output:
 * given a demo output it writes the QGIS render and the report's screenshot at their sizes, small enough to commit,
 * and not blank (the QGIS one shows the non-agricultural red). Tagged {@code qgis} like QgisRenderTest: it runs with
 * {@code jobs/test -Pqgis}, and is skipped without QGIS or Chromium.
 */
@Tag("qgis")
class DocsScreenshotsTest {

    /** The largest picture worth committing to the repository. */
    static final long MAX_BYTES = 400_000;

    @TempDir
    Path tmp;

    @Test
    void theReadmePicturesAreMadeFromTheDemosOutput() throws Exception {
        assumeTrue(Files.isExecutable(QgisRenderTest.QGIS), "QGIS is not installed (apt-get install -y qgis python3-qgis)");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/chromium")), "chromium is not installed");
        Path demo = tmp.resolve("demo");
        StringWriter err = new StringWriter();
        int code = Farmwatch.execute(new String[] {"demo", "--out", demo.toString(), "--master", "local[2]"},
                new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
        assertEquals(0, code, err.toString());

        Path img = tmp.resolve("img");
        Path log = tmp.resolve("docs-screenshots.log");
        Process p = new ProcessBuilder("bash", "jobs/lib/docs-screenshots.sh", "--from", demo.toString(), "--to", img.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "docs-screenshots.sh did not finish");
        String text = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), text);

        BufferedImage qgis = check(img.resolve("qgis-project.png"), 1000, 750);
        BufferedImage report = check(img.resolve("report.png"), 1200, 1000);
        assertTrue(pixelsNear(qgis, 227, 26, 28) > 100, "no non-agricultural red in the QGIS picture");
        assertTrue(distinctColours(report) > 20, "the report's picture looks blank");
    }

    private static BufferedImage check(Path png, int width, int height) throws Exception {
        assertTrue(Files.isRegularFile(png), png + " written");
        assertTrue(Files.size(png) < MAX_BYTES, png + " is " + Files.size(png) + " bytes");
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(width, image.getWidth(), png + " width");
        assertEquals(height, image.getHeight(), png + " height");
        return image;
    }

    private static int distinctColours(BufferedImage image) {
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 2) {
            for (int x = 0; x < image.getWidth(); x += 2) {
                colours.add(image.getRGB(x, y) & 0xffffff);
            }
        }
        return colours.size();
    }

    /** Pixels within 40 per channel of (r, g, b): the palette of 256 colours moves the style's colours a little. */
    private static int pixelsNear(BufferedImage image, int r, int g, int b) {
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int c = image.getRGB(x, y);
                if (Math.abs((c >> 16 & 0xff) - r) <= 40 && Math.abs((c >> 8 & 0xff) - g) <= 40 && Math.abs((c & 0xff) - b) <= 40) {
                    n++;
                }
            }
        }
        return n;
    }
}

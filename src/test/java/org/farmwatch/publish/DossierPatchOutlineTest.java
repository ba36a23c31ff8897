package org.farmwatch.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.text.PDFTextStripper;
import org.farmwatch.change.ChangePatch;
import org.farmwatch.flag.FlaggedParcel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dossier page as poppler's {@code pdftoppm} draws it: the patch outlined in yellow on both chips, where the patch
 * lies; the parcel is not what is outlined. Skipped without pdftoppm unless CI is set (jobs/test installs
 * poppler-utils).
 */
class DossierPatchOutlineTest {

    private static final Path PDFTOPPM = Path.of("/usr/bin/pdftoppm");
    /** Rendered at 72 dpi, one pixel a point. */
    private static final int DPI = 72;

    @TempDir
    static Path tmp;
    static Path before;
    static Path after;

    @BeforeAll
    static void needPoppler() {
        boolean present = Files.isExecutable(PDFTOPPM);
        if (System.getenv("CI") != null) {
            assertTrue(present, "CI is set, so " + PDFTOPPM + " must be installed (apt-get install -y poppler-utils)");
        } else {
            assumeTrue(present, PDFTOPPM + " is not installed and CI is not set");
        }
        assumeTrue(PdfDossier.cjkFont().isPresent(), "no CJK font (fonts-wqy-microhei)");
        org.farmwatch.util.Gdal.init();
        before = PdfDossierTest.cog(tmp, "before.tif", 40, 140, 40);
        after = PdfDossierTest.cog(tmp, "after.tif", 150, 150, 150);
    }

    @Test
    void thePatchIsOutlinedInYellowOnBothChipsWhereItLies() throws Exception {
        // A 400 m parcel with a 40 m patch near its north-east corner: 1 % of the parcel.
        FlaggedParcel parcel = PdfDossierTest.parcel("P-9", "港沟街道", org.farmwatch.flag.ChangeType.NON_AGRICULTURAL,
                1, "0103");
        ChangePatch patch = PatchListTest.patch("cp-P-9", 501120, 4001120, 40, 0.9, "2025-05-01");
        Path dir = tmp.resolve("outline");
        List<Path> files = PdfDossier.write(List.of(parcel), List.of(patch), before, after, dir, PdfDossier.cjkFont().get(), "run-outline");
        Path png = render(files.get(0), Path.of(System.getProperty("farmwatch.shots", tmp.toString()))
                .resolve("dossier-patch-outline"));
        BufferedImage page = ImageIO.read(png.toFile());
        assertEquals(595, page.getWidth(), 1, "A4 at 72 dpi");

        // The chips found by their colours (before green, after grey), then the yellow inside each.
        int[] beforeChip = box(page, 0, 0, 298, 842, (r, g, b) -> near(r, g, b, 40, 140, 40));
        // Beside the before chip: the locator's grey parcels lie lower on the page.
        int[] afterChip = box(page, 298, beforeChip[1], 595, beforeChip[3], (r, g, b) -> near(r, g, b, 150, 150, 150));
        String where = " (page " + png + ", chips " + java.util.Arrays.toString(beforeChip) + " "
                + java.util.Arrays.toString(afterChip) + ")";
        float side = beforeChip[2] - beforeChip[0];
        assertEquals(side, afterChip[2] - afterChip[0], 2, "chips of one size" + where);
        assertEquals(side, beforeChip[3] - beforeChip[1], 2, "square chips" + where);
        Yellow yellow = (r, g, b) -> r > 220 && g > 220 && b < 60;
        int[] left = box(page, beforeChip[0], beforeChip[1], beforeChip[2], beforeChip[3], yellow);
        int[] right = box(page, afterChip[0], afterChip[1], afterChip[2], afterChip[3], yellow);
        assertTrue(left[4] > 60 && right[4] > 60, "yellow outline on both chips: " + left[4] + ", " + right[4] + where);

        // Where the patch lies in the chip's frame, in points from the chip's left edge, and its size.
        org.locationtech.jts.geom.Envelope frame = DossierPage.frame(parcel, List.of(patch));
        double scale = side / frame.getWidth();
        double expectedX = (patch.geometry().getCentroid().getX() - frame.getMinX()) * scale;
        double expectedSide = 40 * scale;
        double expectedY = (frame.getMaxY() - patch.geometry().getCentroid().getY()) * scale;
        for (int[] box : List.of(left, right)) {
            int[] chip = box == left ? beforeChip : afterChip;
            double cx = (box[0] + box[2]) / 2.0 - chip[0];
            double cy = (box[1] + box[3]) / 2.0 - chip[1];
            assertEquals(expectedY, cy, 4, "outline centred on the patch, down the chip" + where);
            assertEquals(expectedX, cx, 4, "outline centred on the patch, across the chip" + where);
            assertEquals(expectedSide, box[2] - box[0], 6, "outline as wide as the patch" + where);
            assertEquals(expectedSide, box[3] - box[1], 6, "outline as tall as the patch" + where);
        }
        assertEquals(left[1], right[1], 2, "the same place on both chips" + where);

        try (PDDocument doc = Loader.loadPDF(files.get(0).toFile())) {
            String text = new PDFTextStripper().getText(doc);
            assertTrue(text.contains("cp-P-9") && text.contains("0.90"), "the patch id in full, with its figures: " + text);
            assertTrue(text.contains("N北") && text.contains("locator") && text.contains(" m"),
                    "north arrow, locator and scale bar labelled: " + text);
        }
    }

    interface Yellow {
        boolean test(int r, int g, int b);
    }

    private static boolean near(int r, int g, int b, int er, int eg, int eb) {
        return Math.abs(r - er) < 14 && Math.abs(g - eg) < 14 && Math.abs(b - eb) < 14;
    }

    /** {minX, minY, maxX, maxY, count} of the pixels {@code test} accepts within [x0, x1) x [y0, y1). */
    private static int[] box(BufferedImage img, int x0, int y0, int x1, int y1, Yellow test) {
        int[] box = {Integer.MAX_VALUE, Integer.MAX_VALUE, -1, -1, 0};
        for (int y = Math.max(0, y0); y < Math.min(img.getHeight(), y1); y++) {
            for (int x = Math.max(0, x0); x < Math.min(img.getWidth(), x1); x++) {
                int rgb = img.getRGB(x, y);
                if (test.test((rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff)) {
                    box[0] = Math.min(box[0], x);
                    box[1] = Math.min(box[1], y);
                    box[2] = Math.max(box[2], x + 1);
                    box[3] = Math.max(box[3], y + 1);
                    box[4]++;
                }
            }
        }
        return box;
    }

    /** Page 1 of {@code pdf} as PNG by pdftoppm, at {@code prefix}.png. */
    private static Path render(Path pdf, Path prefix) throws Exception {
        Files.createDirectories(prefix.getParent());
        List<String> cmd = new ArrayList<>(List.of(PDFTOPPM.toString(), "-png", "-r", Integer.toString(DPI),
                "-f", "1", "-l", "1", "-singlefile", pdf.toString(), prefix.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("pdftoppm did not finish: " + cmd);
        }
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.exitValue(), "pdftoppm failed: " + out);
        return Path.of(prefix + ".png");
    }
}

package org.farmwatch.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Vector;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.rendering.PDFRenderer;
import org.apache.pdfbox.text.PDFTextStripper;
import org.farmwatch.flag.ChangeType;
import org.farmwatch.flag.FlaggedParcel;
import org.farmwatch.util.Gdal;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.TranslateOptions;
import org.gdal.gdal.gdal;
import org.gdal.gdalconst.gdalconst;
import org.gdal.osr.SpatialReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.io.WKTReader;

/** Dossiers from two small true-colour COGs: one file per township, one page per parcel, chips and text that read back. */
class PdfDossierTest {

    @TempDir
    static Path tmp;
    static Path before;
    static Path after;

    /** 200 x 200 cells of 10 m in EPSG:4527 from (500000, 4000000): before green, after grey. */
    @BeforeAll
    static void images() {
        Gdal.init();
        before = cog("before.tif", 40, 140, 40);
        after = cog("after.tif", 150, 150, 150);
    }

    static Path cog(String name, int r, int g, int b) {
        return cog(tmp, name, r, g, b);
    }

    static Path cog(Path dir, String name, int r, int g, int b) {
        Dataset mem = gdal.GetDriverByName("MEM").Create("", 200, 200, 3, gdalconst.GDT_Byte);
        mem.SetGeoTransform(new double[] {500000, 10, 0, 4002000, 0, -10});
        SpatialReference srs = new SpatialReference();
        srs.ImportFromEPSG(4527);
        mem.SetProjection(srs.ExportToWkt());
        int[] rgb = {r, g, b};
        for (int i = 0; i < 3; i++) {
            mem.GetRasterBand(i + 1).Fill(rgb[i]);
        }
        Path p = dir.resolve(name);
        Dataset out = gdal.Translate(p.toString(), mem, new TranslateOptions(new Vector<>(List.of("-of", "COG", "-q"))));
        out.delete();
        mem.delete();
        return p;
    }

    static FlaggedParcel parcel(String id, String township, ChangeType type, double priority, String landClass)
            throws Exception {
        Geometry g = new WKTReader().read("POLYGON ((500800 4001200, 501200 4001200, 501200 4000800, 500800 4000800, "
                + "500800 4001200))");
        return new FlaggedParcel(id, "370112001", township, landClass, type, "non_agricultural", 160000, 4000, 1,
                List.of("cp-" + id), "cropland", "built_up", "2024-05-01", "2025-05-01", priority, 117.1, 36.6, g);
    }

    @Test
    void oneFilePerTownshipAndOnePagePerParcelInPriorityOrder() throws Exception {
        assumeTrue(PdfDossier.cjkFont().isPresent(), "no CJK font (fonts-wqy-microhei)");
        List<FlaggedParcel> parcels = List.of(
                parcel("P-1", "港沟街道", ChangeType.NON_GRAIN, 0.2, "0103 旱地"),
                parcel("P-2", "港沟街道", ChangeType.NON_AGRICULTURAL, 0.9, "0101 水田"),
                parcel("P-3", "彩石街道", ChangeType.NON_AGRICULTURAL, 0.5, "0102 水浇地"));
        Path dir = tmp.resolve("two");
        List<Path> files = PdfDossier.write(parcels, before, after, dir, PdfDossier.cjkFont().get(), "run-1");
        assertEquals(2, files.size());
        Path gang = dir.resolve("dossier_港沟街道.pdf");
        assertTrue(files.contains(gang), files.toString());
        try (PDDocument doc = Loader.loadPDF(gang.toFile())) {
            assertEquals(2, doc.getNumberOfPages());
            PDFTextStripper strip = new PDFTextStripper();
            strip.setStartPage(1);
            strip.setEndPage(1);
            String first = strip.getText(doc);
            assertTrue(first.contains("P-2") && first.contains("非农化") && first.contains("0101 水田"), first);
            assertTrue(first.contains("核查结论") && first.contains("approval number"), first);
            strip.setStartPage(2);
            strip.setEndPage(2);
            assertTrue(strip.getText(doc).contains("P-1"), "the lower priority parcel comes second");

            // The chips show the images and the parcel outline in red.
            BufferedImage page = new PDFRenderer(doc).renderImageWithDPI(0, 50);
            assertTrue(count(page, rgb -> near(rgb, 40, 140, 40)) > 1000, "before chip not drawn");
            assertTrue(count(page, rgb -> near(rgb, 150, 150, 150)) > 1000, "after chip not drawn");
            assertTrue(count(page, rgb -> ((rgb >> 16) & 0xff) > 180 && ((rgb >> 8) & 0xff) < 80
                    && (rgb & 0xff) < 80) > 20, "the locator marks the parcel in red");
        }
        try (PDDocument doc = Loader.loadPDF(dir.resolve("dossier_彩石街道.pdf").toFile())) {
            assertEquals(1, doc.getNumberOfPages());
        }
        assertFalse(Files.list(dir).anyMatch(p -> p.getFileName().toString().endsWith(".tmp")), "temporary files left");
    }

    @Test
    void handTypedTextNeitherFailsNorEscapesTheFolder() throws Exception {
        assumeTrue(PdfDossier.cjkFont().isPresent(), "no CJK font (fonts-wqy-microhei)");
        // A township name with a path, control characters and an emoji the font lacks; a parcel off the images.
        FlaggedParcel hostile = parcel("=HYPERLINK(\"x\")\n\t🌾", "../../etc/passwd", ChangeType.NON_GRAIN, 1, "01\u0000");
        Geometry far = new WKTReader().read("POLYGON ((900000 100, 900100 100, 900100 0, 900000 0, 900000 100))");
        FlaggedParcel offImage = new FlaggedParcel("P-far", "", "", "0101", ChangeType.NON_GRAIN, "non_grain", 1, 1, 1,
                List.of(), "cropland", "orchard", "2024-05-01", "2025-05-01", 0.1, 120, 30, far);
        Path dir = tmp.resolve("hostile");
        List<Path> files = PdfDossier.write(List.of(hostile, offImage), before, after, dir, PdfDossier.cjkFont().get(),
                "run-2");
        assertEquals(2, files.size());
        Set<Path> parents = new HashSet<>();
        files.forEach(f -> parents.add(f.getParent()));
        assertEquals(Set.of(dir), parents, "every dossier stays in its folder");
        for (Path f : files) {
            try (PDDocument doc = Loader.loadPDF(f.toFile())) {
                assertEquals(1, doc.getNumberOfPages());
                String text = new PDFTextStripper().getText(doc);
                assertTrue(text.contains("HYPERLINK") || text.contains("P-far"), text);
            }
        }
    }

    @Test
    void townshipFileNamesAreSafeAndUnique() {
        Set<String> taken = new HashSet<>();
        assertEquals("港沟街道", PdfDossier.fileSafe("港沟街道", taken));
        assertEquals("港沟街道_2", PdfDossier.fileSafe("港沟街道", taken));
        // A name that had to change carries a hash of the township, so that it stays unique and stable.
        assertTrue(PdfDossier.fileSafe("../../etc/passwd", taken).matches("______etc_passwd-[0-9a-f]{8}"));
        assertTrue(PdfDossier.fileSafe("", taken).matches("_-[0-9a-f]{8}"));
        String slash = PdfDossier.fileSafe("Town/A", new java.util.HashSet<>());
        String space = PdfDossier.fileSafe("Town A", new java.util.HashSet<>());
        assertNotEquals(slash, space, "Town/A and Town A never share a file");
        Set<String> both = new java.util.HashSet<>();
        assertEquals(space, PdfDossier.fileSafe("Town A", both));
        assertEquals(slash, PdfDossier.fileSafe("Town/A", both), "the same file whatever other townships came first");
    }

    interface Pixel {
        boolean test(int rgb);
    }

    static int count(BufferedImage img, Pixel p) {
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                if (p.test(img.getRGB(x, y))) {
                    n++;
                }
            }
        }
        return n;
    }

    static boolean near(int rgb, int r, int g, int b) {
        return Math.abs(((rgb >> 16) & 0xff) - r) < 12 && Math.abs(((rgb >> 8) & 0xff) - g) < 12
                && Math.abs((rgb & 0xff) - b) < 12;
    }
}

package org.farmwatch.publish;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.fontbox.ttf.TrueTypeCollection;
import org.apache.fontbox.ttf.TrueTypeFont;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDDocumentInformation;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.font.PDType0Font;
import org.farmwatch.change.ChangePatch;
import org.farmwatch.flag.FlaggedParcel;
import org.farmwatch.util.FarmwatchException;
import org.farmwatch.util.Gdal;
import org.gdal.gdal.Band;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.gdal;
import org.gdal.gdalconst.gdalconst;
import org.locationtech.jts.geom.Envelope;

/**
 * Writes the inspectors' field dossiers: one PDF per township ({@code dossier_<township>.pdf}), one A4
 * page per flagged parcel in priority order (laid out by {@link DossierPage}): before and after image chips with the
 * change patches outlined and the parcel faint, a scale bar, north arrow and locator map, the parcel's attributes
 * as in the inspector list, every patch's number and id in full, and a box to tick the verdict in the field.
 *
 * <p>Chinese text needs a CJK TrueType font; {@link #cjkFont()} finds one of Debian's
 * ({@code fonts-wqy-microhei}). Characters the font lacks print as {@code ?}, never as an error.
 */
public final class PdfDossier {

    /** Debian's CJK fonts with TrueType outlines, which PDFBox can subset and embed. */
    static final List<Path> FONT_CANDIDATES = List.of(
            Path.of("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
            Path.of("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
            Path.of("/usr/share/fonts/truetype/arphic/uming.ttc"));

    /** The dossiers' folder inside the inspector folder. */
    public static final String DIR = "dossiers";
    static final String FILE_PREFIX = "dossier_";

    private static final PDRectangle PAGE = PDRectangle.A4;
    private static final float MARGIN = 40;
    /**
     * Chip side in pixels. A chip frames a few hundred metres, a few dozen 10 m cells: more pixels would
     * only enlarge the same cells and cost JPEG time on every page.
     */
    static final int CHIP_PIXELS = 160;

    private PdfDossier() {}

    /** The first CJK font of {@link #FONT_CANDIDATES} present on this machine. */
    public static Optional<Path> cjkFont() {
        return FONT_CANDIDATES.stream().filter(Files::isReadable).findFirst();
    }

    /**
     * Writes one dossier per township into {@code dir} (created if needed) and returns the files, in
     * township order. Each file is written whole to a temporary sibling before it is renamed into place.
     *
     * @param beforeCog, afterCog the true-colour COGs the chips are cut from, in the parcels' CRS
     * @throws FarmwatchException if the font or the images cannot be read, or a file cannot be written
     */
    public static List<Path> write(List<FlaggedParcel> parcels, Path beforeCog, Path afterCog, Path dir, Path font,
                                   String runId) {
        return write(parcels, List.of(), beforeCog, afterCog, dir, font, runId);
    }

    /**
     * As {@link #write(List, Path, Path, Path, Path, String)}, each page outlining the parcel's change patches (those
     * of {@code patches} it names) on both chips, with their patch numbers as the patch list gives them.
     */
    public static List<Path> write(List<FlaggedParcel> parcels, Collection<ChangePatch> patches, Path beforeCog,
                                   Path afterCog, Path dir, Path font, String runId) {
        Objects.requireNonNull(font, "font");
        Map<String, ChangePatch> patchById = new HashMap<>();
        patches.forEach(p -> patchById.putIfAbsent(p.patchId(), p));
        Map<String, String> numbers = PatchList.numbers(patches, parcels);
        Gdal.init();
        List<FlaggedParcel> sorted = new ArrayList<>(parcels);
        sorted.sort(InspectorLists.PRIORITY_ORDER);
        Map<String, List<FlaggedParcel>> byTownship = InspectorLists.byTownship(sorted);
        Map<String, Path> targets = new LinkedHashMap<>();
        fileNames(sorted).forEach((t, f) -> targets.put(t, dir.resolve(f)));
        // Townships in parallel; each task opens its own images and font, as GDAL datasets must not be shared.
        int threads = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), byTownship.size()));
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> tasks = new ArrayList<>();
            for (Map.Entry<String, List<FlaggedParcel>> e : byTownship.entrySet()) {
                tasks.add(pool.submit(() -> {
                    writeTownship(e.getKey(), e.getValue(), new DossierPage.Patches(patchById, numbers), beforeCog,
                            afterCog, targets.get(e.getKey()), font, runId);
                    return null;
                }));
            }
            for (Future<?> t : tasks) {
                t.get();
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new FarmwatchException(FarmwatchException.Kind.INTERNAL, "cannot write the PDF dossiers in " + dir
                    + ": " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FarmwatchException(FarmwatchException.Kind.INTERNAL, "interrupted writing the PDF dossiers", e);
        } finally {
            pool.shutdownNow();
        }
        return new ArrayList<>(targets.values());
    }

    private static void writeTownship(String township, List<FlaggedParcel> list, DossierPage.Patches patches,
                                      Path beforeCog, Path afterCog, Path target, Path font, String runId)
            throws IOException {
        try (Chips chips = new Chips(beforeCog, afterCog); TrueTypeCollection ttc = new TrueTypeCollection(font.toFile())) {
            TrueTypeFont[] first = new TrueTypeFont[1];
            ttc.processAllFonts(f -> {
                if (first[0] == null) {
                    first[0] = f;
                }
            });
            if (first[0] == null) {
                throw new IOException("no font in " + font);
            }
            InspectorLists.writeAtomically(target, out -> {
                try (PDDocument doc = new PDDocument()) {
                    DossierPage page = new DossierPage(doc, PDType0Font.load(doc, first[0], true),
                            first[0].getUnicodeCmapLookup(), list, patches);
                    PDDocumentInformation info = doc.getDocumentInformation();
                    info.setTitle("farmwatch " + runId + " " + org.farmwatch.util.Text.shown(township, 200));
                    info.setCreator("farmwatch");
                    for (int i = 0; i < list.size(); i++) {
                        page.write(list.get(i), township, i + 1, list.size(), runId, chips);
                    }
                    doc.save(out);
                }
            });
        }
    }

    /** The most characters of a text line a dossier page prints; longer attributes are cut (the lists keep them). */
    static final int MAX_LINE_CHARS = 400;

    /**
     * The dossier file of each township of {@code parcels} ({@code dossier_<township>.pdf}), in township order: as
     * {@link #write} names them, for run.json.
     */
    public static Map<String, String> fileNames(List<FlaggedParcel> parcels) {
        Map<String, String> out = new LinkedHashMap<>();
        Set<String> taken = new HashSet<>();
        InspectorLists.byTownship(parcels).keySet().forEach(t -> out.put(t, FILE_PREFIX + fileSafe(t, taken) + ".pdf"));
        return out;
    }

    /**
     * A file name part for a township: path and shell hazards replaced, at most 60 characters, unique and stable.
     * A name that had to change (a '/', a space, a cut) gets 8 hex digits of its township's SHA-256, so "Town/A" and
     * "Town A" never take each other's file, whatever other townships a run has.
     */
    static String fileSafe(String township, Set<String> taken) {
        StringBuilder b = new StringBuilder();
        township.codePoints().limit(60).forEach(cp -> b.appendCodePoint(
                Character.isLetterOrDigit(cp) || cp == '-' || cp == '_' ? cp : '_'));
        String base = b.isEmpty() ? "_" : b.toString();
        if (!base.equals(township)) {
            base = base + "-" + sha256Hex(township).substring(0, 8);
        }
        String name = base;
        for (int n = 2; !taken.add(name); n++) {
            name = base + "_" + n;
        }
        return name;
    }

    private static String sha256Hex(String s) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(d);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Cuts before/after chips from the two true-colour COGs; GDAL picks the overview level that fits. */
    static final class Chips implements AutoCloseable {
        private final Dataset[] sources = new Dataset[2];

        Chips(Path beforeCog, Path afterCog) throws IOException {
            sources[0] = gdal.Open(beforeCog.toString());
            sources[1] = gdal.Open(afterCog.toString());
            if (sources[0] == null || sources[1] == null) {
                close();
                throw new IOException("cannot open the true-colour images " + beforeCog + ", " + afterCog);
            }
        }

        /** Before and after chips; an entry is null where the frame misses the image. */
        BufferedImage[] of(Envelope f) {
            return new BufferedImage[] {read(sources[0], f), read(sources[1], f)};
        }

        private static BufferedImage read(Dataset ds, Envelope f) {
            double[] gt = ds.GetGeoTransform();
            // Pixel window of the frame, clipped to the image; the part outside stays black.
            double px0 = (f.getMinX() - gt[0]) / gt[1];
            double py0 = (f.getMaxY() - gt[3]) / gt[5];
            double px1 = (f.getMaxX() - gt[0]) / gt[1];
            double py1 = (f.getMinY() - gt[3]) / gt[5];
            int x0 = (int) Math.max(0, Math.floor(px0));
            int y0 = (int) Math.max(0, Math.floor(py0));
            int x1 = (int) Math.min(ds.getRasterXSize(), Math.ceil(px1));
            int y1 = (int) Math.min(ds.getRasterYSize(), Math.ceil(py1));
            if (x1 <= x0 || y1 <= y0 || ds.getRasterCount() < 3) {
                return null;
            }
            double sx = CHIP_PIXELS / (px1 - px0);
            double sy = CHIP_PIXELS / (py1 - py0);
            // floor() may start the window a fraction of a pixel before the frame: clamp into the chip.
            int ox = (int) Math.min(CHIP_PIXELS - 1, Math.max(0, Math.round((x0 - px0) * sx)));
            int oy = (int) Math.min(CHIP_PIXELS - 1, Math.max(0, Math.round((y0 - py0) * sy)));
            int w = Math.max(1, Math.min(CHIP_PIXELS - ox, (int) Math.round((x1 - x0) * sx)));
            int h = Math.max(1, Math.min(CHIP_PIXELS - oy, (int) Math.round((y1 - y0) * sy)));
            byte[][] rgb = new byte[3][w * h];
            for (int b = 0; b < 3; b++) {
                Band band = ds.GetRasterBand(b + 1);
                // GDAL reads from the overview whose resolution best matches the buffer.
                band.ReadRaster(x0, y0, x1 - x0, y1 - y0, w, h, gdalconst.GDT_Byte, rgb[b]);
            }
            // Straight into the image's BGR bytes: setRGB per pixel costs more than the read itself.
            BufferedImage img = new BufferedImage(CHIP_PIXELS, CHIP_PIXELS, BufferedImage.TYPE_3BYTE_BGR);
            byte[] bgr = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
            for (int r = 0; r < h; r++) {
                int o = ((oy + r) * CHIP_PIXELS + ox) * 3;
                for (int c = 0, i = r * w; c < w; c++, i++, o += 3) {
                    bgr[o] = rgb[2][i];
                    bgr[o + 1] = rgb[1][i];
                    bgr[o + 2] = rgb[0][i];
                }
            }
            return img;
        }

        @Override
        public void close() {
            for (Dataset d : sources) {
                if (d != null) {
                    d.delete();
                }
            }
        }
    }
}

package org.farmwatch.publish;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Vector;
import org.farmwatch.flag.FlaggedParcel;
import org.farmwatch.util.Gdal;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.TranslateOptions;
import org.gdal.gdal.gdal;
import org.locationtech.jts.geom.Envelope;

/**
 * Before and after picture chips of each flagged parcel, cut from the two true-colour COGs, for
 * inspectors who read the report without GIS. Chips are small PNGs inlined as data URIs; only the
 * highest-priority parcels get them, so the page stays light for a province.
 */
public final class ImageChips {
    private ImageChips() {}

    /** Chips for at most {@code max} parcels (the list is in priority order), {@code side} pixels square. */
    public static Map<String, String[]> of(List<FlaggedParcel> parcels, Path beforeCog, Path afterCog, Path work, int max,
                                           int side) throws IOException {
        Gdal.init();
        Files.createDirectories(work);
        Map<String, String[]> chips = new LinkedHashMap<>();
        Dataset before = gdal.Open(beforeCog.toString());
        Dataset after = gdal.Open(afterCog.toString());
        if (before == null || after == null) {
            throw new IOException("cannot open the true-colour images " + beforeCog + ", " + afterCog);
        }
        try {
            Path png = work.resolve("chip.png");
            for (FlaggedParcel p : parcels.subList(0, Math.min(max, parcels.size()))) {
                Envelope f = frame(p);
                double half = f.getWidth() / 2;
                double cx = f.centre().x;
                double cy = f.centre().y;
                String[] pair = new String[2];
                Dataset[] sources = {before, after};
                for (int i = 0; i < 2; i++) {
                    Dataset out = gdal.Translate(png.toString(), sources[i], new TranslateOptions(new Vector<>(List.of(
                            "-of", "PNG", "-projwin", d(cx - half), d(cy + half), d(cx + half), d(cy - half),
                            "-outsize", Integer.toString(side), Integer.toString(side), "-r", "bilinear", "-q"))));
                    if (out == null) {
                        continue;
                    }
                    out.delete();
                    pair[i] = ReportPage.pngDataUri(Files.readAllBytes(png));
                }
                chips.put(p.parcelId(), pair);
            }
            Files.deleteIfExists(png);
        } finally {
            before.delete();
            after.delete();
        }
        return chips;
    }

    /** A parcel's chip frame in map units: square so that chips line up, with some surroundings. */
    static Envelope frame(FlaggedParcel p) {
        Envelope e = p.geometry().getEnvelopeInternal();
        double half = Math.max(e.getWidth(), e.getHeight()) * 0.75 + 30;
        return new Envelope(e.centre().x - half, e.centre().x + half, e.centre().y - half, e.centre().y + half);
    }

    private static String d(double v) {
        return Double.toString(v);
    }
}

package org.farmwatch.flag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.farmwatch.change.ChangePatch;
import org.farmwatch.classify.LandCover;
import org.farmwatch.config.Settings;
import org.farmwatch.farmland.Parcel;
import org.farmwatch.farmland.ParcelSource;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.TileKey;
import org.junit.jupiter.api.Test;
import org.locationtech.jts.geom.Envelope;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.io.WKTReader;

/** The overlay step of one tile on WKT parcels and patches in a 100 m tile grid, without Spark. */
class TileOverlayTest {

    private final GridLayout layout = new GridLayout("EPSG:4527", 0, 1000, 1, 100);
    private final List<ConversionRule> rules = Settings.defaults().rules();
    private final WKTReader wkt = new WKTReader();

    private Geometry g(String text) throws Exception {
        return wkt.read(text);
    }

    private ChangePatch builtUp(String id, String text) throws Exception {
        Geometry geom = g(text);
        return new ChangePatch(id, ChangeType.NON_AGRICULTURAL, "non_agricultural", LandCover.CROPLAND, LandCover.BUILT_UP,
                geom.getArea(), 0.9, "2025-04-15", "2025-09-20", geom);
    }

    /** The parcels whose box meets {@code extent}, as a farmland source gives them. */
    private static ParcelSource.Reader source(List<Parcel> parcels) {
        return new ParcelSource.Reader() {
            @Override
            public void forEachIn(Envelope extent, Consumer<Parcel> sink, Consumer<String> rejects) {
                parcels.stream().filter(p -> p.geometry().getEnvelopeInternal().intersects(extent)).forEach(sink);
            }

            @Override
            public void close() {}
        };
    }

    /** What one tile's overlay handed on. */
    private static final class Collected implements TileOverlay.Sink {
        final List<FlaggedParcel> flagged = new ArrayList<>();
        final List<ParcelHit> acrossEdges = new ArrayList<>();

        @Override
        public void flagged(FlaggedParcel parcel) {
            flagged.add(parcel);
        }

        @Override
        public void acrossEdges(List<ParcelHit> hitsOnOneParcel) {
            acrossEdges.addAll(hitsOnOneParcel);
        }
    }

    private TileOverlay overlay(PastVerdicts past) {
        return new TileOverlay(layout, rules, past, parcel -> new double[] {117, 36});
    }

    @Test
    void aParcelInsideItsTileIsFlaggedThere() throws Exception {
        Parcel a = new Parcel("A", "370112001001", "港沟街道", "0103", g("POLYGON((10 910, 60 910, 60 960, 10 960, 10 910))"));
        ChangePatch q = builtUp("Q", "POLYGON((20 920, 50 920, 50 950, 20 950, 20 920))");
        TileKey tile = layout.keyAt(30, 930);
        Collected out = new Collected();
        long read = overlay(PastVerdicts.none()).overlay(tile, List.of(q), source(List.of(a)), out, r -> { }, () -> { });
        assertEquals(1, read);
        assertEquals(1, out.flagged.size());
        assertEquals("A", out.flagged.get(0).parcelId());
        assertTrue(out.acrossEdges.isEmpty());
    }

    @Test
    void aParcelAcrossATileEdgeIsHandedOnAndFlaggedWithAllItsHits() throws Exception {
        // Crosses the tile edge at x = 100; the patch covers 30 x 30 m on each side.
        Parcel b = new Parcel("B", "370112001001", "港沟街道", "0103", g("POLYGON((50 910, 150 910, 150 960, 50 960, 50 910))"));
        ChangePatch q = builtUp("Q", "POLYGON((70 920, 130 920, 130 950, 70 950, 70 920))");
        TileOverlay overlay = overlay(PastVerdicts.none());
        List<ParcelHit> hits = new ArrayList<>();
        for (TileKey tile : layout.keysCovering(q.geometry().getEnvelopeInternal())) {
            Collected out = new Collected();
            overlay.overlay(tile, List.of(q), source(List.of(b)), out, r -> { }, () -> { });
            assertTrue(out.flagged.isEmpty(), "not flagged in one tile alone");
            hits.addAll(out.acrossEdges);
        }
        // The parcel-patch pair is counted in one of the tiles both meet (ParcelOverlay), with its whole area.
        assertEquals(1, hits.size(), "one hit, handed on to meet the parcel's other tiles");
        FlaggedParcel f = overlay.flag(hits);
        assertNotNull(f);
        assertEquals(60 * 30, f.changedAreaM2(), 1e-9);
    }

    @Test
    void aPatchJudgedAFalseAlarmBeforeIsSuppressed() throws Exception {
        Parcel a = new Parcel("A", "370112001001", "港沟街道", "0103", g("POLYGON((10 910, 60 910, 60 960, 10 960, 10 910))"));
        ChangePatch q = builtUp("Q", "POLYGON((20 920, 50 920, 50 950, 20 950, 20 920))");
        Map<String, List<PastVerdicts.Judged>> judged = new HashMap<>();
        PastVerdicts.add(judged, "A", new PastVerdicts.Judged("CPold", "false_alarm", q.areaM2(), q.geometry()));
        int[] suppressed = {0};
        Collected out = new Collected();
        overlay(PastVerdicts.of("EPSG:4527", 1.5, judged)).overlay(layout.keyAt(30, 930), List.of(q),
                source(List.of(a)), out, r -> { }, () -> suppressed[0]++);
        assertEquals(1, suppressed[0]);
        assertTrue(out.flagged.isEmpty() && out.acrossEdges.isEmpty());
    }
}

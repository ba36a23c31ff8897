package org.farmwatch.flag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.farmwatch.change.ChangePatch;
import org.farmwatch.classify.LandCover;
import org.farmwatch.config.Settings;
import org.farmwatch.farmland.Parcel;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.TileKey;
import org.junit.jupiter.api.Test;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.index.strtree.STRtree;
import org.locationtech.jts.io.WKTReader;

/** Overlay and flagging on WKT parcels and patches in a 100 m tile grid. */
class ParcelOverlayTest {

    private final GridLayout layout = new GridLayout("EPSG:4527", 0, 1000, 1, 100);
    private final List<ConversionRule> rules = Settings.defaults().rules();
    private final WKTReader wkt = new WKTReader();

    private Geometry g(String text) throws Exception {
        return wkt.read(text);
    }

    private ChangePatch patch(String id, String text, LandCover to, String rule) throws Exception {
        Geometry geom = g(text);
        ChangeType t = rule.equals("non_agricultural") ? ChangeType.NON_AGRICULTURAL : ChangeType.NON_GRAIN;
        return new ChangePatch(id, t, rule, LandCover.CROPLAND, to, geom.getArea(), 0.9, "2025-04-15", "2025-09-20", geom);
    }

    /** Runs the overlay in every tile of the grid, as the Spark job does, and returns all hits. */
    private List<ParcelHit> overlayEverywhere(List<Parcel> parcels, List<ChangePatch> patches) {
        List<ParcelHit> hits = new ArrayList<>();
        ParcelOverlay overlay = new ParcelOverlay(layout, rules);
        for (int row = 0; row < 10; row++) {
            for (int col = 0; col < 10; col++) {
                TileKey k = new TileKey(col, row);
                List<ChangePatch> here = patches.stream()
                        .filter(p -> layout.keysCovering(p.geometry().getEnvelopeInternal()).contains(k)).toList();
                STRtree index = ParcelOverlay.index(here);
                for (Parcel p : parcels) {
                    if (p.geometry().getEnvelopeInternal().intersects(layout.extentOf(k))) {
                        overlay.overlay(k, index, p, hits::add);
                    }
                }
            }
        }
        return hits;
    }

    @Test
    void aPatchAcrossTwoParcelsAndFourTilesIsSplitAndCountedOnce() throws Exception {
        // Two parcels side by side, each crossing the tile edges at x = 100 and y = 900.
        Parcel a = new Parcel("A", "370112001001", "港沟街道", "0103", g("POLYGON((50 850, 100 850, 100 950, 50 950, 50 850))"));
        Parcel b = new Parcel("B", "370112001001", "港沟街道", "0102", g("POLYGON((100 850, 150 850, 150 950, 100 950, 100 850))"));
        ChangePatch q = patch("Q", "POLYGON((80 880, 130 880, 130 920, 80 920, 80 880))", LandCover.BUILT_UP, "non_agricultural");
        List<ParcelHit> hits = overlayEverywhere(List.of(a, b), List.of(q));
        assertEquals(2, hits.size(), "one hit per parcel, although both meet the patch in four tiles");
        double onA = hits.stream().filter(h -> h.parcel().parcelId().equals("A")).mapToDouble(ParcelHit::areaM2).sum();
        double onB = hits.stream().filter(h -> h.parcel().parcelId().equals("B")).mapToDouble(ParcelHit::areaM2).sum();
        assertEquals(20 * 40, onA, 1e-9);
        assertEquals(30 * 40, onB, 1e-9);
        assertEquals(q.areaM2(), onA + onB, 1e-9);
    }

    @Test
    void theRulesFireOnAreaAndShareAndWatchTheirScope() throws Exception {
        Parcel crop = new Parcel("C", "x", "t", "0103", g("POLYGON((10 10, 110 10, 110 110, 10 110, 10 10))"));
        Parcel orchard = new Parcel("O", "x", "t", "0201", g("POLYGON((200 10, 300 10, 300 110, 200 110, 200 10))"));
        // 30 x 30 = 900 m² of nursery on the crop parcel (9 % of 10000 m²), and the same on the orchard parcel.
        ChangePatch n1 = patch("N1", "POLYGON((20 20, 50 20, 50 50, 20 50, 20 20))", LandCover.NURSERY, "non_grain");
        ChangePatch n2 = patch("N2", "POLYGON((220 20, 250 20, 250 50, 220 50, 220 20))", LandCover.NURSERY, "non_grain");
        // 10 x 10 = 100 m² of roofs: below the 400 m² minimum.
        ChangePatch r1 = patch("R1", "POLYGON((80 80, 90 80, 90 90, 80 90, 80 80))", LandCover.BUILT_UP, "non_agricultural");
        List<ParcelHit> hits = overlayEverywhere(List.of(crop, orchard), List.of(n1, n2, r1));
        assertTrue(hits.stream().noneMatch(h -> h.parcel().parcelId().equals("O")), "non_grain watches cropland only");
        ParcelFlagger flagger = new ParcelFlagger(rules);
        FlaggedParcel f = flagger.flag(hits, new double[] {117.0, 36.6});
        assertNotNull(f);
        assertEquals(ChangeType.NON_GRAIN, f.changeType());
        assertEquals(900, f.changedAreaM2(), 1e-9);
        assertEquals(0.09, f.changedShare(), 1e-9);
        assertEquals(900 / FlaggedParcel.M2_PER_MU, f.changedAreaMu(), 1e-9);
        assertEquals(List.of("N1"), f.patchIds());

        // The 100 m² of roofs alone flags nothing.
        List<ParcelHit> small = hits.stream().filter(h -> h.patchId().equals("R1")).toList();
        assertEquals(1, small.size());
        assertNull(flagger.flag(small, new double[] {0, 0}));
    }
}

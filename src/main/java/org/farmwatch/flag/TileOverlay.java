package org.farmwatch.flag;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import org.farmwatch.change.ChangePatch;
import org.farmwatch.farmland.Parcel;
import org.farmwatch.farmland.ParcelSource;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.TileKey;
import org.locationtech.jts.geom.Envelope;
import org.locationtech.jts.index.strtree.STRtree;

/**
 * The overlay and flag step for one tile at a time, in plain Java: the tile's patches under a rule are indexed, the
 * parcels near them read from the farmland source and intersected ({@link ParcelOverlay}), hits that a past verdict
 * suppresses dropped; a parcel whose box lies in the tile has all its hits here and is flagged at once
 * ({@link ParcelFlagger}), the hits on a parcel across tile edges go on to meet its other tiles' hits
 * ({@link #flag}). Not thread-safe: one per task.
 */
public final class TileOverlay {

    /** Where one tile's results go. */
    public interface Sink {
        /** A parcel flagged in its tile. */
        void flagged(FlaggedParcel parcel);

        /** The hits on one parcel across tile edges; the list is reused after the call. */
        void acrossEdges(List<ParcelHit> hitsOnOneParcel);
    }

    private final GridLayout layout;
    private final ParcelOverlay overlay;
    private final ParcelFlagger flagger;
    private final PastVerdicts past;
    private final Function<Parcel, double[]> lonLat;
    private final List<ParcelHit> onParcel = new ArrayList<>();

    /**
     * @param past   the inspectors' verdicts (none: {@link PastVerdicts#none()})
     * @param lonLat a parcel's point in CGCS2000 longitude and latitude, for inspectors
     */
    public TileOverlay(GridLayout layout, List<ConversionRule> rules, PastVerdicts past,
                       Function<Parcel, double[]> lonLat) {
        this.layout = layout;
        this.overlay = new ParcelOverlay(layout, rules);
        this.flagger = new ParcelFlagger(rules);
        this.past = past;
        this.lonLat = lonLat;
    }

    /**
     * Overlays {@code patches}, those of {@code tile}, on the parcels near them in {@code parcels}.
     *
     * @param rejected   told of each parcel the source leaves out, with the reason
     * @param suppressed told of each hit a past verdict suppresses
     * @return the parcels read
     */
    public long overlay(TileKey tile, List<ChangePatch> patches, ParcelSource.Reader parcels, Sink out,
                        Consumer<String> rejected, Runnable suppressed) {
        STRtree index = ParcelOverlay.index(patches);
        Consumer<ParcelHit> sink = onParcel::add;
        if (!past.isEmpty()) {
            // A patch judged false alarm or approved on this parcel before, and not grown since, is no new finding.
            Map<String, ChangePatch> byId = new HashMap<>();
            patches.forEach(p -> byId.put(p.patchId(), p));
            sink = hit -> {
                if (past.suppressing(hit.parcel().parcelId(), byId.get(hit.patchId())) == null) {
                    onParcel.add(hit);
                } else {
                    suppressed.run();
                }
            };
        }
        Consumer<ParcelHit> hits = sink;
        // Only parcels whose box meets a patch's can be hit: the source may skip the others unread.
        List<Envelope> near = new ArrayList<>(patches.size());
        patches.forEach(p -> near.add(p.geometry().getEnvelopeInternal()));
        return parcels.forEachNear(layout.extentOf(tile), near, parcel -> {
            onParcel.clear();
            overlay.overlay(tile, index, parcel, hits);
            if (onParcel.isEmpty()) {
                return;
            }
            Envelope pe = parcel.geometry().getEnvelopeInternal();
            if (layout.keyAt(pe.getMinX(), pe.getMaxY()).equals(tile)
                    && layout.keyAt(pe.getMaxX(), pe.getMinY()).equals(tile)) {
                // Its box lies in this tile, so every pair on it is counted here (ParcelOverlay): flag it now.
                FlaggedParcel f = flag(onParcel);
                if (f != null) {
                    out.flagged(f);
                }
            } else {
                out.acrossEdges(onParcel);
            }
        }, rejected);
    }

    /** All hits on one parcel, flagged or not (null). */
    public FlaggedParcel flag(List<ParcelHit> hitsOnOneParcel) {
        return flagger.flag(hitsOnOneParcel, lonLat);
    }
}

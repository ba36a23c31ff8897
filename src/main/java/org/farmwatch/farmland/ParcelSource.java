package org.farmwatch.farmland;

import java.io.Serializable;
import java.util.List;
import java.util.function.Consumer;
import org.locationtech.jts.geom.Envelope;

/**
 * Where the farmland parcels live (a GeoPackage, Shapefile, FlatGeobuf or PostGIS table). It is
 * serialized to the executors, which each open their own connection and fetch only the parcels
 * of their own tiles, so no parcel passes through the driver.
 */
public interface ParcelSource extends Serializable {

    /** Human-readable description for logs and run.json; never holds a password. */
    String describe();

    /** Checks that the source can be opened and read; throws a FarmwatchException naming it if not. */
    SourceSummary check(String workingCrs);

    /**
     * The features of the whole source that no run can use, counted by reason; known after {@link #check} (which
     * refuses a source without any usable parcel). By default none is known.
     */
    default RejectTally rejectTally() {
        return RejectTally.NONE;
    }

    /**
     * Streams every parcel whose bounding box intersects {@code extent}, reprojected to {@code workingCrs}.
     * Parcels with unusable geometry, and features that repeat a kept parcel id, are passed to {@code rejects}
     * with the reason instead.
     */
    void forEachIn(Envelope extent, String workingCrs, Consumer<Parcel> sink, Consumer<String> rejects);

    /**
     * For many {@link #forEachIn} calls in one task (the tiles of a partition): a source that opens its file
     * or connection per call may keep it open until {@link Reader#close}. By default each call opens afresh.
     */
    default Reader reader(String workingCrs) {
        return new Reader() {
            @Override
            public void forEachIn(Envelope extent, Consumer<Parcel> sink, Consumer<String> rejects) {
                ParcelSource.this.forEachIn(extent, workingCrs, sink, rejects);
            }

            @Override
            public void close() {}
        };
    }

    /** {@link ParcelSource#forEachIn} for one working CRS, over a source held open; not thread-safe. */
    interface Reader extends AutoCloseable {
        void forEachIn(Envelope extent, Consumer<Parcel> sink, Consumer<String> rejects);

        /**
         * As {@link #forEachIn}, for a caller that needs only the parcels whose box meets one of {@code near} (boxes in
         * the working CRS): the source may leave out, unread and unchecked, the parcels whose box meets none of them.
         * Returns how many parcels of {@code extent} it came across, left out or not.
         */
        default long forEachNear(Envelope extent, List<Envelope> near, Consumer<Parcel> sink, Consumer<String> rejects) {
            long[] n = {0};
            forEachIn(extent, p -> {
                n[0]++;
                sink.accept(p);
            }, rejects);
            return n[0];
        }

        @Override
        void close();
    }

    /**
     * What {@link #check} found. {@code extent} is in the working CRS; {@code duplicates} are the parcel ids that
     * several features carry, of which {@link #forEachIn} passes on only the one kept.
     */
    record SourceSummary(long featureCount, Envelope extent, String sourceCrs, List<DuplicateParcelId> duplicates)
            implements Serializable {
        public SourceSummary {
            duplicates = List.copyOf(duplicates);
        }

        /** A source whose parcel ids are unique (a table keyed by parcel_id). */
        public SourceSummary(long featureCount, Envelope extent, String sourceCrs) {
            this(featureCount, extent, sourceCrs, List.of());
        }
    }
}

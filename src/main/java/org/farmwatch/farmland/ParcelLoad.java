package org.farmwatch.farmland;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.farmwatch.util.FarmwatchException;
import org.gdal.osr.CoordinateTransformation;
import org.locationtech.jts.geom.GeometryFactory;
import org.locationtech.jts.geom.PrecisionModel;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.PGCopyOutputStream;

/**
 * The load phase of an import ({@link #copy}): the file's features read on a thread of their own
 * ({@link ParcelPrefetch}), prepared on a few worker threads ({@link ParcelPreparer}), taken back in file order for
 * the duplicate check, the kept parcels streamed by binary COPY ({@link CopyBinaryWriter}) and the rejected features
 * spooled in the rejects table's COPY format; and its counts.
 */
final class ParcelLoad {
    /** A progress line every this many features. */
    static final int PROGRESS_EVERY = 50_000;
    private static final int PARCEL_FIELDS = 6;
    private static final int REJECT_FIELDS = 7;

    long read;
    long repaired;
    long rejected;
    final Map<RejectReason, Long> rejectedBy = new EnumMap<>(RejectReason.class);

    void reject(RejectReason reason) {
        rejected++;
        rejectedBy.merge(reason, 1L, Long::sum);
    }
    /**
     * Reads, repairs and transforms every feature; streams the kept ones by COPY into the table or the staging
     * table, and spools the rejected ones, in the rejects table's COPY format, to {@code spool}. Parsing, repair,
     * transform and WKB writing run on a pool of worker threads, a batch at a time; the duplicate check and the
     * COPY take the batches back in file order, so the first feature of an id is the one kept, as in one thread.
     *
     * @param transforms makes one transformation to the storage CRS per worker (GDAL's are not thread-safe);
     *                   null when the file is in the storage CRS already
     */
    static ParcelLoad copy(Connection c, ParcelFileReader reader,
            java.util.function.Supplier<CoordinateTransformation> transforms, int srid, String storageCrs, String into,
            String source, Path spool, PrintWriter log) throws SQLException, IOException {
        GeometryFactory storageFactory = new GeometryFactory(new PrecisionModel(), srid);
        Set<String> seen = new HashSet<>();
        ParcelLoad load = new ParcelLoad();
        long start = System.nanoTime();
        String noIdDetail = "field " + reader.idField() + " is empty";
        int threads = ParcelPreparer.workerThreads();
        java.util.concurrent.BlockingQueue<ParcelPreparer> idle = new java.util.concurrent.LinkedBlockingQueue<>();
        for (int i = 0; i < threads; i++) {
            idle.add(new ParcelPreparer(storageFactory, transforms == null ? null : transforms.get(), storageCrs));
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "farmwatch-import-worker");
            t.setDaemon(true);
            return t;
        });
        java.util.ArrayDeque<java.util.concurrent.Future<List<ParcelPreparer.Prepared>>> inFlight = new java.util.ArrayDeque<>();

        CopyIn copyIn = c.unwrap(PGConnection.class).getCopyAPI()
                .copyIn("COPY " + into + " (" + FarmlandTable.PARCEL_COLUMNS + ") FROM STDIN (FORMAT binary)");
        try (OutputStream spoolOut = Files.newOutputStream(spool); ParcelPrefetch features = new ParcelPrefetch(reader)) {
            CopyBinaryWriter rows = new CopyBinaryWriter(new PGCopyOutputStream(copyIn, 1 << 16));
            CopyBinaryWriter rejects = new CopyBinaryWriter(spoolOut);
            boolean more = true;
            while (true) {
                while (more && inFlight.size() < 2 * threads) {
                    List<ParcelFileReader.SourceFeature> batch = features.nextBatch();
                    if (batch == null) {
                        more = false;
                    } else {
                        inFlight.add(pool.submit(() -> {
                            ParcelPreparer w = idle.take();
                            try {
                                List<ParcelPreparer.Prepared> out = new ArrayList<>(batch.size());
                                for (ParcelFileReader.SourceFeature f : batch) {
                                    out.add(w.prepare(f, noIdDetail));
                                }
                                return out;
                            } finally {
                                idle.add(w);
                            }
                        }));
                    }
                }
                if (inFlight.isEmpty()) {
                    break;
                }
                for (ParcelPreparer.Prepared p : ParcelPreparer.take(inFlight.poll())) {
                    ParcelFileReader.SourceFeature f = p.feature();
                    load.read++;
                    RejectReason reason = p.reason();
                    String detail = p.detail();
                    if (reason == null && !seen.add(f.parcelId())) {
                        reason = RejectReason.DUPLICATE_PARCEL_ID;
                        detail = "an earlier feature has this parcel_id; the first is kept";
                    }
                    if (reason == null) {
                        if (p.repaired()) {
                            load.repaired++;
                        }
                        rows.startRow(PARCEL_FIELDS);
                        rows.text(f.parcelId());
                        rows.text(f.adminCode());
                        rows.text(f.township());
                        rows.text(f.landClass());
                        rows.bytes(p.ewkb());
                        rows.text(source);
                    } else {
                        load.reject(reason);
                        rejects.startRow(REJECT_FIELDS);
                        rejects.text(source);
                        rejects.int8(f.fid());
                        rejects.text(f.parcelId());
                        rejects.text(reason.text());
                        rejects.text(detail == null || detail.isEmpty() ? null : detail);
                        rejects.bytes(f.rawWkb());
                        rejects.text(reader.crsName());
                    }
                    if (load.read % PROGRESS_EVERY == 0) {
                        double s = (System.nanoTime() - start) / 1e9;
                        log.printf(Locale.ROOT, "[farmwatch] import-farmland: %,d features read, %,d rejected, %.1f s, "
                                + "%,.0f features/s%n", load.read, load.rejected, s, load.read / s);
                        log.flush();
                    }
                }
            }
            if (load.read == 0) {
                throw FarmwatchException.input("farmland file " + reader.describe() + " has no features");
            }
            rejects.finish();
            rows.finish();
            long copied = copyIn.endCopy();
            if (copied != load.read - load.rejected) {
                throw new FarmwatchException(FarmwatchException.Kind.INTERNAL,
                        "COPY stored " + copied + " rows for " + (load.read - load.rejected) + " parcels");
            }
            return load;
        } catch (IOException e) {
            cancel(copyIn);
            if (e.getCause() instanceof SQLException sql) {
                throw sql;
            }
            throw e;
        } catch (RuntimeException | SQLException e) {
            cancel(copyIn);
            if (e instanceof RuntimeException re && !(re instanceof FarmwatchException)) {
                throw FarmwatchException.input("reading " + reader.describe() + " failed after " + load.read
                        + " features: " + re.getMessage() + "; the table is unchanged", re);
            }
            throw e;
        } finally {
            pool.shutdownNow();
        }
    }

    private static void cancel(CopyIn copyIn) {
        try {
            if (copyIn.isActive()) {
                copyIn.cancelCopy();
            }
        } catch (SQLException e) {
            // the rollback that follows cleans up
        }
    }
}

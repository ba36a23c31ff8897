package org.farmwatch.farmland;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.farmwatch.util.FarmwatchException;
import org.farmwatch.util.Gdal;
import org.farmwatch.util.Json;
import org.gdal.osr.CoordinateTransformation;
import org.gdal.osr.SpatialReference;
import org.gdal.osr.osr;
import org.locationtech.jts.geom.MultiPolygon;

/**
 * Loads a farmland parcel file into a PostGIS table ({@code farmwatch import-farmland}), in one transaction: a
 * failure leaves the table and its rejects table as they were.
 * <ol>
 *   <li>The file is read with GDAL's OGR ({@link ParcelFileReader}) on a thread of its own; the
 *       {@link FieldMapping} picks the fields.</li>
 *   <li>Each geometry is checked in the source CRS and repaired where that is safe ({@link ParcelRepair}),
 *       transformed to the storage CRS by GDAL (PROJ) unless the CRSs are the same, checked again, and stored
 *       as a MultiPolygon; this runs on a few worker threads, a batch of features at a time, taken back in file
 *       order.</li>
 *   <li>The first feature with a parcel id is kept; later ones are rejected as {@code duplicate parcel_id}.</li>
 *   <li>The kept parcels are streamed by binary COPY: straight into the table when it is new or empty (a new
 *       table gets its primary key and GiST index after the load), else into a temporary staging table from
 *       which they are upserted by {@code parcel_id}: new ids are inserted, rows whose attributes or geometry
 *       differ are updated, identical rows are left alone, so importing the same file twice changes nothing.
 *       Parcels of the table that the file lacks stay as they are.</li>
 *   <li>The rejected features, spooled to a temporary file meanwhile, replace the rejects of the previous import
 *       of the same source in {@code <table>_rejects}, with the reason, the details, the source fid and the
 *       geometry as read (ISO WKB, source CRS).</li>
 * </ol>
 * The table is created when missing: {@code parcel_id text PRIMARY KEY, admin_code, township, land_class text,
 * geom geometry(MultiPolygon, srid), source text, imported_at timestamptz}, with a GiST index on {@code geom}.
 * {@code source} (the file's absolute path and layer) and {@code imported_at} name the import that last inserted
 * or changed the row; they take no part in deciding whether a row changed. Imports into one table wait for each
 * other; other writers wait for the import's commit, readers do not.
 *
 * <p>Memory: the parcel ids seen so far (for the duplicate check), about 100 bytes each; everything else streams.
 */
public final class FarmlandImport {

    /** The storage CRS unless told otherwise: CGCS2000 geographic, as Chinese land-survey data uses. */
    public static final String DEFAULT_CRS = "EPSG:4490";
    private static final Pattern EPSG = Pattern.compile("(?i)EPSG:(\\d{1,9})");

    /**
     * What to import where.
     *
     * @param from       the file, or {@code path#layer}
     * @param storageCrs {@code EPSG:<code>}; null means {@value #DEFAULT_CRS}
     * @param sourceCrs  null: the file's own CRS; else a CRS that replaces it (for a Shapefile without .prj)
     */
    public record Options(String from, PostgisTarget to, FieldMapping mapping, String storageCrs, String sourceCrs) {
        public Options {
            if (from == null || from.isBlank()) {
                throw FarmwatchException.usage("--from needs a farmland file");
            }
            Objects.requireNonNull(to, "to");
            Objects.requireNonNull(mapping, "mapping");
            storageCrs = storageCrs == null ? DEFAULT_CRS : storageCrs.trim().toUpperCase(Locale.ROOT);
            if (!EPSG.matcher(storageCrs).matches()) {
                throw FarmwatchException.usage("--crs must be EPSG:<code>, such as EPSG:4490, got: " + storageCrs);
            }
            if (sourceCrs != null && sourceCrs.isBlank()) {
                sourceCrs = null;
            }
        }

        /** The SRID of {@link #storageCrs}. */
        public int storageSrid() {
            Matcher m = EPSG.matcher(storageCrs);
            m.matches();
            return Integer.parseInt(m.group(1));
        }
    }

    /**
     * What an import did. {@code read = inserted + updated + unchanged + rejected}; {@code repaired} counts kept
     * parcels whose geometry was repaired, {@code duplicates} the rejections for a repeated parcel id.
     *
     * @param rejectedBy  rejection counts by {@link RejectReason#text()}, in the enum's order, without zeros
     * @param loadSeconds reading, repairing, transforming and COPY into the staging table
     * @param seconds     the whole import, commit included
     */
    public record Summary(String source, String sourceCrs, String target, String rejectsTable, String storageCrs,
                          String fields, long read, long inserted, long updated, long unchanged, long repaired,
                          long rejected, long duplicates, Map<String, Long> rejectedBy, double loadSeconds,
                          double seconds) {
        public Summary {
            rejectedBy = Map.copyOf(rejectedBy);
        }

        /** Parcels in the table from this file: inserted, updated or unchanged. */
        public long imported() {
            return inserted + updated + unchanged;
        }

        /** Features read per second over the whole import. */
        public double parcelsPerSecond() {
            return seconds > 0 ? read / seconds : 0;
        }

        /** The summary as an ordered map, for JSON. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("source", source);
            m.put("sourceCrs", sourceCrs);
            m.put("target", target);
            m.put("rejectsTable", rejectsTable);
            m.put("storageCrs", storageCrs);
            m.put("fields", fields);
            m.put("read", read);
            m.put("imported", imported());
            m.put("inserted", inserted);
            m.put("updated", updated);
            m.put("unchanged", unchanged);
            m.put("repaired", repaired);
            m.put("rejected", rejected);
            m.put("duplicates", duplicates);
            Map<String, Object> by = new LinkedHashMap<>();
            for (RejectReason r : RejectReason.values()) {
                Long n = rejectedBy.get(r.text());
                if (n != null) {
                    by.put(r.text(), n);
                }
            }
            m.put("rejectedBy", by);
            m.put("loadSeconds", Math.round(loadSeconds * 1000) / 1000.0);
            m.put("seconds", Math.round(seconds * 1000) / 1000.0);
            m.put("parcelsPerSecond", Math.round(parcelsPerSecond()));
            return m;
        }

        public String toJson() {
            return Json.write(toMap());
        }

        /** One line for the log. */
        public String line() {
            StringBuilder reasons = new StringBuilder();
            for (RejectReason r : RejectReason.values()) {
                Long n = rejectedBy.get(r.text());
                if (n != null) {
                    reasons.append(reasons.length() == 0 ? " (" : ", ").append(n).append(' ').append(r.text());
                }
            }
            if (reasons.length() > 0) {
                reasons.append(')');
            }
            return String.format(Locale.ROOT, "read %d, imported %d (%d inserted, %d updated, %d unchanged), repaired %d, "
                    + "rejected %d%s in %.1f s (%,.0f parcels/s) -> %s", read, imported(), inserted, updated, unchanged,
                    repaired, rejected, reasons, seconds, parcelsPerSecond(), target);
        }
    }

    private final Options options;
    private final PrintWriter log;

    private FarmlandImport(Options options, PrintWriter log) {
        this.options = options;
        this.log = log;
    }

    /**
     * Imports {@code options.from()} into {@code options.to()}, printing progress to {@code log}.
     *
     * @throws FarmwatchException USAGE for a bad CRS, layer, mapping or target table; INPUT for an unreadable file
     *                            or one without a parcel id field; SERVICE when PostGIS is unreachable
     */
    public static Summary run(Options options, PrintWriter log) {
        return new FarmlandImport(options, log).run();
    }

    // ---- the import -------------------------------------------------------------------------------------------

    private Summary run() {
        long t0 = System.nanoTime();
        Gdal.init();
        SpatialReference storage = new SpatialReference();
        try {
            storage.SetFromUserInput(options.storageCrs());
        } catch (RuntimeException e) {
            throw FarmwatchException.usage("--crs " + options.storageCrs() + " is not a CRS GDAL knows");
        }
        storage.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER);
        PostgisTarget target = options.to();
        try (ParcelFileReader reader = ParcelFileReader.open(options.from(), options.mapping(), options.sourceCrs())) {
            CoordinateTransformation ct = null;
            if (reader.crs().IsSame(storage) != 1) {
                try {
                    ct = CoordinateTransformation.CreateCoordinateTransformation(reader.crs(), storage);
                } catch (RuntimeException e) {
                    ct = null;
                }
                if (ct == null) {
                    throw FarmwatchException.usage("no transformation from " + reader.crsName() + " to " + options.storageCrs());
                }
            }
            String source = sourceName(reader);
            log.println("[farmwatch] import-farmland: " + reader.describe() + " (" + reader.crsName() + "; "
                    + reader.mappedFields() + ") -> " + target.describe() + " (" + options.storageCrs() + ")");
            log.flush();

            Path spool = null;
            Connection c = target.connect();
            try {
                spool = Files.createTempFile("farmwatch-rejects-", ".copy");
                c.setAutoCommit(false);
                FarmlandTable table = new FarmlandTable(target, options.storageSrid(), options.storageCrs(), log);
                FarmlandTable.Mode mode = table.prepare(c);
                ParcelLoad load = ParcelLoad.copy(c, reader, ct == null ? null
                        : () -> CoordinateTransformation.CreateCoordinateTransformation(reader.crs(), storage),
                        options.storageSrid(), options.storageCrs(), table.copyTarget(mode), source, spool, log);
                double loadSeconds = (System.nanoTime() - t0) / 1e9;
                long kept = load.read - load.rejected;
                long[] upserted = mode == FarmlandTable.Mode.UPSERT ? table.upsert(c) : new long[] {kept, 0};
                table.writeRejects(c, source, spool);
                table.finish(c, mode);
                c.commit();
                if (upserted[0] + upserted[1] > 0) {
                    table.analyze(c);
                }
                Map<String, Long> by = new LinkedHashMap<>();
                load.rejectedBy.forEach((r, n) -> by.put(r.text(), n));
                return new Summary(source, reader.crsName(), target.describe(),
                        target.schema() + "." + target.rejectsTable(), options.storageCrs(), reader.mappedFields(),
                        load.read, upserted[0], upserted[1], kept - upserted[0] - upserted[1], load.repaired,
                        load.rejected, load.rejectedBy.getOrDefault(RejectReason.DUPLICATE_PARCEL_ID, 0L), by,
                        loadSeconds, (System.nanoTime() - t0) / 1e9);
            } catch (SQLException e) {
                rollback(c);
                throw failure(e);
            } catch (IOException e) {
                rollback(c);
                throw new FarmwatchException(FarmwatchException.Kind.INTERNAL,
                        "cannot spool the rejected features to a temporary file: " + e.getMessage(), e);
            } catch (RuntimeException e) {
                rollback(c);
                throw e;
            } finally {
                try {
                    c.close();
                } catch (SQLException e) {
                    // closing a connection that failed already
                }
                if (spool != null) {
                    try {
                        Files.deleteIfExists(spool);
                    } catch (IOException e) {
                        // a temporary file
                    }
                }
            }
        }
    }

    /** The source as recorded in the table: the file's absolute path and the layer. */
    private String sourceName(ParcelFileReader reader) {
        String d = reader.describe();
        if (d.startsWith("/vsi")) {
            return d;
        }
        int hash = d.lastIndexOf('#');
        return Path.of(d.substring(0, hash)).toAbsolutePath().normalize() + d.substring(hash);
    }

    private static void rollback(Connection c) {
        try {
            if (!c.isClosed() && !c.getAutoCommit()) {
                c.rollback();
            }
        } catch (SQLException e) {
            // the server ends the transaction when the connection goes
        }
    }

    /** A lost connection is a SERVICE failure, a refused privilege a USAGE one, anything else INTERNAL. */
    private FarmwatchException failure(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String message = (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()).replace('\n', ' ').trim();
        String where = options.to().describe();
        if (state.startsWith("08") || state.startsWith("57P") || state.startsWith("53")) {
            return FarmwatchException.service("PostGIS unavailable at " + where + ": " + message + "; the table is unchanged", e);
        }
        if (state.equals("42501")) {
            return new FarmwatchException(FarmwatchException.Kind.USAGE,
                    "not allowed to import into " + where + ": " + message, e);
        }
        return new FarmwatchException(FarmwatchException.Kind.INTERNAL,
                "import into " + where + " failed: " + message + "; the table is unchanged", e);
    }
}

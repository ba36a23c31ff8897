package org.farmwatch.farmland;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.farmwatch.util.FarmwatchException;
import org.farmwatch.util.Gdal;
import org.farmwatch.util.Json;
import org.gdal.osr.CoordinateTransformation;
import org.gdal.osr.SpatialReference;
import org.gdal.osr.osr;
import org.locationtech.jts.geom.CoordinateSequence;
import org.locationtech.jts.geom.CoordinateSequenceFactory;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.GeometryFactory;
import org.locationtech.jts.geom.LinearRing;
import org.locationtech.jts.geom.MultiPolygon;
import org.locationtech.jts.geom.Polygon;
import org.locationtech.jts.geom.PrecisionModel;
import org.locationtech.jts.io.ByteOrderValues;
import org.locationtech.jts.io.ParseException;
import org.locationtech.jts.io.WKBReader;
import org.locationtech.jts.io.WKBWriter;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.PGCopyOutputStream;

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
    /** A progress line every this many features. */
    static final int PROGRESS_EVERY = 50_000;
    private static final Pattern EPSG = Pattern.compile("(?i)EPSG:(\\d{1,9})");
    private static final String STAGING_NAME = "fw_import_staging";
    private static final String STAGING = "pg_temp." + STAGING_NAME;
    /** The columns a COPY of kept parcels fills, in the table or the staging table. */
    private static final String PARCEL_COLUMNS = "parcel_id, admin_code, township, land_class, geom, source";
    private static final int PARCEL_FIELDS = 6;
    private static final String REJECT_COLUMNS = "source, source_fid, parcel_id, reason, detail, raw_geom, source_crs";
    private static final int REJECT_FIELDS = 7;
    private static final List<String> TABLE_COLUMNS =
            List.of("parcel_id", "admin_code", "township", "land_class", "geom", "source", "imported_at");

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

    /** Counts of the load phase. */
    private static final class Load {
        long read;
        long repaired;
        long rejected;
        final Map<RejectReason, Long> rejectedBy = new EnumMap<>(RejectReason.class);

        void reject(RejectReason reason) {
            rejected++;
            rejectedBy.merge(reason, 1L, Long::sum);
        }
    }

    /** How the parcels reach the table. */
    private enum Mode {
        /** The table is new: COPY straight into it, then add the primary key and the GiST index. */
        CREATE,
        /** The table exists and is empty: COPY straight into it. */
        APPEND,
        /** The table has parcels: COPY into a staging table, then upsert from there. */
        UPSERT
    }

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
                Mode mode = prepare(c);
                Load load = copy(c, reader, ct == null ? null
                        : () -> CoordinateTransformation.CreateCoordinateTransformation(reader.crs(), storage),
                        mode, source, spool);
                double loadSeconds = (System.nanoTime() - t0) / 1e9;
                long kept = load.read - load.rejected;
                long[] upserted = mode == Mode.UPSERT ? upsert(c) : new long[] {kept, 0};
                writeRejects(c, source, spool);
                finishTable(c, mode);
                c.commit();
                if (upserted[0] + upserted[1] > 0) {
                    analyze(c);
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

    /**
     * Serializes imports into the table, creates the schema, table (without its indexes, which follow the load)
     * and rejects table when missing, checks and locks an existing table against other writers, and creates the
     * staging table when the parcels will be upserted.
     */
    private Mode prepare(Connection c) throws SQLException {
        PostgisTarget t = options.to();
        int srid = options.storageSrid();
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
            ps.setString(1, "farmwatch import-farmland " + t.schema() + "." + t.table());
            ps.execute();
        }
        if (!exists(c, "SELECT 1 FROM spatial_ref_sys WHERE srid = " + srid)) {
            throw FarmwatchException.usage("--crs " + options.storageCrs() + " is not in spatial_ref_sys at " + t.describe());
        }
        if (!exists(c, "SELECT 1 FROM pg_namespace WHERE nspname = ?", t.schema())) {
            try (Statement st = c.createStatement()) {
                st.execute("CREATE SCHEMA " + PostgisTarget.quote(t.schema()));
            }
        }
        Mode mode;
        try (Statement st = c.createStatement()) {
            if (!exists(c, "SELECT 1 FROM pg_class k JOIN pg_namespace n ON n.oid = k.relnamespace "
                    + "WHERE n.nspname = ? AND k.relname = ?", t.schema(), t.table())) {
                st.execute("CREATE TABLE " + t.qualified() + " (parcel_id text NOT NULL, admin_code text, "
                        + "township text, land_class text, geom geometry(MultiPolygon, " + srid + ") NOT NULL, "
                        + "source text NOT NULL, imported_at timestamptz NOT NULL DEFAULT now())");
                st.execute("COMMENT ON TABLE " + t.qualified() + " IS 'Farmland parcels loaded by farmwatch import-farmland'");
                mode = Mode.CREATE;
            } else {
                checkTable(c, srid);
                // Readers go on; other writers wait for the commit.
                st.execute("LOCK TABLE " + t.qualified() + " IN SHARE ROW EXCLUSIVE MODE");
                mode = exists(c, "SELECT 1 FROM " + t.qualified() + " LIMIT 1") ? Mode.UPSERT : Mode.APPEND;
            }
            st.execute("CREATE TABLE IF NOT EXISTS " + t.qualifiedRejects() + " (source text NOT NULL, source_fid bigint, "
                    + "parcel_id text, reason text NOT NULL, detail text, raw_geom bytea, source_crs text, "
                    + "imported_at timestamptz NOT NULL DEFAULT now())");
            if (mode == Mode.UPSERT) {
                // Before the session's first temporary table: keeps a large staging table in memory.
                st.execute("SET LOCAL temp_buffers = '256MB'");
                st.execute("CREATE TEMPORARY TABLE " + STAGING_NAME + " (parcel_id text, admin_code text, township text, "
                        + "land_class text, geom geometry, source text) ON COMMIT DROP");
            }
        }
        return mode;
    }

    /** An existing table must have farmwatch's columns, a MultiPolygon column in the storage SRID and a unique parcel_id. */
    private void checkTable(Connection c, int srid) throws SQLException {
        PostgisTarget t = options.to();
        List<String> columns = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT column_name FROM information_schema.columns "
                + "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position")) {
            ps.setString(1, t.schema());
            ps.setString(2, t.table());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.add(rs.getString(1));
                }
            }
        }
        List<String> missing = new ArrayList<>(TABLE_COLUMNS);
        missing.removeAll(columns);
        if (!missing.isEmpty()) {
            throw FarmwatchException.usage("PostGIS table " + t.schema() + "." + t.table() + " exists but is not a farmwatch "
                    + "parcel table: it lacks " + String.join(", ", missing) + " (it has "
                    + (columns.isEmpty() ? "no columns" : String.join(", ", columns)) + ") at " + t.describe());
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT type, srid FROM geometry_columns "
                + "WHERE f_table_schema = ? AND f_table_name = ? AND f_geometry_column = 'geom'")) {
            ps.setString(1, t.schema());
            ps.setString(2, t.table());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw FarmwatchException.usage("PostGIS table " + t.schema() + "." + t.table()
                            + " has a column geom that is not a geometry, at " + t.describe());
                }
                String type = rs.getString(1);
                int tableSrid = rs.getInt(2);
                if (tableSrid != 0 && tableSrid != srid) {
                    throw FarmwatchException.usage("PostGIS table " + t.schema() + "." + t.table() + " stores SRID "
                            + tableSrid + " but --crs is " + options.storageCrs() + "; pass --crs EPSG:" + tableSrid);
                }
                if (!"MULTIPOLYGON".equalsIgnoreCase(type) && !"GEOMETRY".equalsIgnoreCase(type)) {
                    throw FarmwatchException.usage("PostGIS table " + t.schema() + "." + t.table() + " column geom holds "
                            + type + "; an import writes MultiPolygons");
                }
            }
        }
        String unique = "SELECT 1 FROM pg_index i JOIN pg_class k ON k.oid = i.indrelid "
                + "JOIN pg_namespace n ON n.oid = k.relnamespace JOIN pg_attribute a ON a.attrelid = k.oid "
                + "AND a.attnum = i.indkey[0] WHERE n.nspname = ? AND k.relname = ? AND i.indisunique "
                + "AND i.indnkeyatts = 1 AND i.indpred IS NULL AND a.attname = 'parcel_id'";
        if (!exists(c, unique, t.schema(), t.table())) {
            throw FarmwatchException.usage("PostGIS table " + t.schema() + "." + t.table()
                    + " has no primary key or unique index on parcel_id, which the upsert needs, at " + t.describe());
        }
    }

    private static boolean exists(Connection c, String sql, String... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setString(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
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
    private Load copy(Connection c, ParcelFileReader reader, java.util.function.Supplier<CoordinateTransformation> transforms,
            Mode mode, String source, Path spool) throws SQLException, IOException {
        int srid = options.storageSrid();
        GeometryFactory storageFactory = new GeometryFactory(new PrecisionModel(), srid);
        Set<String> seen = new HashSet<>();
        Load load = new Load();
        long start = System.nanoTime();
        String into = mode == Mode.UPSERT ? STAGING : options.to().qualified();
        String noIdDetail = "field " + reader.idField() + " is empty";
        int threads = workerThreads();
        java.util.concurrent.BlockingQueue<Worker> idle = new java.util.concurrent.LinkedBlockingQueue<>();
        for (int i = 0; i < threads; i++) {
            idle.add(new Worker(storageFactory, transforms == null ? null : transforms.get()));
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "farmwatch-import-worker");
            t.setDaemon(true);
            return t;
        });
        java.util.ArrayDeque<java.util.concurrent.Future<List<Prepared>>> inFlight = new java.util.ArrayDeque<>();

        CopyIn copyIn = c.unwrap(PGConnection.class).getCopyAPI()
                .copyIn("COPY " + into + " (" + PARCEL_COLUMNS + ") FROM STDIN (FORMAT binary)");
        try (OutputStream spoolOut = Files.newOutputStream(spool); Prefetch features = new Prefetch(reader)) {
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
                            Worker w = idle.take();
                            try {
                                List<Prepared> out = new ArrayList<>(batch.size());
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
                for (Prepared p : take(inFlight.poll())) {
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

    /** Worker threads for the per-feature work: the cores, at most 4 (the reader and the COPY need some too). */
    static int workerThreads() {
        return Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    }

    /** A batch's outcome, rethrowing a worker's failure as it was. */
    private static List<Prepared> take(java.util.concurrent.Future<List<Prepared>> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while importing", e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** One feature after the per-feature work: kept (with its EWKB) or rejected (with the reason). */
    private record Prepared(ParcelFileReader.SourceFeature feature, RejectReason reason, String detail, boolean repaired,
                            byte[] ewkb) {}

    /** What one worker thread owns: a WKB reader and writer and, when needed, its own GDAL transformation. */
    private final class Worker {
        private final WKBReader wkbReader;
        private final WKBWriter ewkb = new WKBWriter(2, ByteOrderValues.LITTLE_ENDIAN, true);
        private final CoordinateTransformation ct;
        private final GeometryFactory storageFactory;

        Worker(GeometryFactory storageFactory, CoordinateTransformation ct) {
            // Source geometries carry the storage SRID, which they keep when no transform is needed.
            this.wkbReader = new WKBReader(storageFactory);
            this.storageFactory = storageFactory;
            this.ct = ct;
        }

        /** Parses, repairs, transforms and checks one feature; the duplicate check is the caller's. */
        Prepared prepare(ParcelFileReader.SourceFeature f, String noIdDetail) {
            if (f.parcelId() == null) {
                return new Prepared(f, RejectReason.NO_PARCEL_ID, noIdDetail, false, null);
            }
            Geometry g = null;
            if (f.wkb() != null) {
                try {
                    g = wkbReader.read(f.wkb());
                } catch (ParseException | RuntimeException e) {
                    return new Prepared(f, RejectReason.UNREADABLE_GEOMETRY, String.valueOf(e.getMessage()), false, null);
                }
            }
            ParcelRepair.Outcome outcome = ParcelRepair.repair(g);
            if (!outcome.accepted()) {
                return new Prepared(f, outcome.reason(), outcome.detail(), false, null);
            }
            boolean repaired = outcome.status() == ParcelRepair.Status.REPAIRED;
            MultiPolygon stored = outcome.geometry();
            if (ct != null) {
                try {
                    stored = transform(stored, ct, storageFactory);
                } catch (RuntimeException e) {
                    return new Prepared(f, RejectReason.TRANSFORM_FAILED, String.valueOf(e.getMessage()), false, null);
                }
                if (!stored.isValid()) {
                    // Rare: a transform that makes a nearly degenerate ring cross itself.
                    MultiPolygon fixed = ParcelRepair.fix(stored);
                    if (fixed == null) {
                        return new Prepared(f, RejectReason.UNREPAIRABLE, "invalid after the transform to "
                                + options.storageCrs(), false, null);
                    }
                    repaired = true;
                    stored = fixed;
                }
            }
            return new Prepared(f, null, null, repaired, ewkb.write(stored));
        }
    }

    /**
     * Reads the file on a thread of its own, a batch ahead, so that GDAL's decoding overlaps the repair, the
     * transform and the COPY. Only that thread touches the reader until {@link #close()} has joined it.
     */
    private static final class Prefetch implements AutoCloseable {
        private static final int BATCH = 512;
        private static final List<ParcelFileReader.SourceFeature> END = List.of();

        private final BlockingQueue<List<ParcelFileReader.SourceFeature>> queue = new ArrayBlockingQueue<>(16);
        private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
        private final Thread thread;
        private List<ParcelFileReader.SourceFeature> batch = new ArrayList<>();
        private int next;
        private boolean ended;

        Prefetch(ParcelFileReader reader) {
            thread = new Thread(() -> {
                try {
                    List<ParcelFileReader.SourceFeature> b = new ArrayList<>(BATCH);
                    ParcelFileReader.SourceFeature f;
                    while ((f = reader.next()) != null) {
                        b.add(f);
                        if (b.size() == BATCH) {
                            queue.put(b);
                            b = new ArrayList<>(BATCH);
                        }
                    }
                    if (!b.isEmpty()) {
                        queue.put(b);
                    }
                    queue.put(END);
                } catch (InterruptedException e) {
                    // the consumer has stopped
                } catch (RuntimeException e) {
                    failure.set(e);
                    try {
                        queue.put(END);
                    } catch (InterruptedException ignored) {
                        // the consumer has stopped
                    }
                }
            }, "farmwatch-import-reader");
            thread.setDaemon(true);
            thread.start();
        }

        /** The next batch in file order (what is left of the current one first), or null at the end. */
        List<ParcelFileReader.SourceFeature> nextBatch() {
            if (next < batch.size()) {
                List<ParcelFileReader.SourceFeature> rest = batch.subList(next, batch.size());
                next = batch.size();
                return rest;
            }
            if (next() == null) {
                return null;
            }
            next--; // next() took the first feature of a fresh batch: hand over the whole batch
            return nextBatch();
        }

        /** The next feature in file order, or null at the end; rethrows the reader's failure. */
        ParcelFileReader.SourceFeature next() {
            while (next == batch.size()) {
                if (ended) {
                    return null;
                }
                try {
                    batch = queue.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while reading the farmland file", e);
                }
                next = 0;
                if (batch == END) {
                    ended = true;
                    if (failure.get() != null) {
                        throw failure.get();
                    }
                }
            }
            return batch.get(next++);
        }

        /** Stops and joins the reading thread; the reader may be closed after this. */
        @Override
        public void close() {
            thread.interrupt();
            boolean interrupted = false;
            while (thread.isAlive()) {
                try {
                    thread.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
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

    /**
     * {@code g} (source CRS) transformed by {@code ct} into {@code factory}'s CRS, ring by ring, in one call to PROJ.
     *
     * @throws IllegalArgumentException when a coordinate has no finite image
     */
    static MultiPolygon transform(MultiPolygon g, CoordinateTransformation ct, GeometryFactory factory) {
        double[][] points = new double[g.getNumPoints()][];
        int k = 0;
        for (int p = 0; p < g.getNumGeometries(); p++) {
            Polygon poly = (Polygon) g.getGeometryN(p);
            for (int r = -1; r < poly.getNumInteriorRing(); r++) {
                CoordinateSequence seq = (r < 0 ? poly.getExteriorRing() : poly.getInteriorRingN(r)).getCoordinateSequence();
                for (int i = 0; i < seq.size(); i++) {
                    points[k++] = new double[] {seq.getX(i), seq.getY(i)};
                }
            }
        }
        ct.TransformPoints(points);
        CoordinateSequenceFactory csf = factory.getCoordinateSequenceFactory();
        Polygon[] polygons = new Polygon[g.getNumGeometries()];
        k = 0;
        for (int p = 0; p < g.getNumGeometries(); p++) {
            Polygon poly = (Polygon) g.getGeometryN(p);
            LinearRing shell = null;
            LinearRing[] holes = new LinearRing[poly.getNumInteriorRing()];
            for (int r = -1; r < poly.getNumInteriorRing(); r++) {
                int n = (r < 0 ? poly.getExteriorRing() : poly.getInteriorRingN(r)).getNumPoints();
                CoordinateSequence seq = csf.create(n, 2);
                for (int i = 0; i < n; i++, k++) {
                    double x = points[k][0];
                    double y = points[k][1];
                    if (!Double.isFinite(x) || !Double.isFinite(y)) {
                        throw new IllegalArgumentException("no image for a vertex in " + g.getEnvelopeInternal());
                    }
                    seq.setOrdinate(i, 0, x);
                    seq.setOrdinate(i, 1, y);
                }
                LinearRing ring = factory.createLinearRing(seq);
                if (r < 0) {
                    shell = ring;
                } else {
                    holes[r] = ring;
                }
            }
            polygons[p] = factory.createPolygon(shell, holes);
        }
        return factory.createMultiPolygon(polygons);
    }

    /**
     * Upserts the staging rows into the table.
     *
     * @return {inserted, updated}
     */
    private long[] upsert(Connection c) throws SQLException {
        String sql = "WITH up AS (INSERT INTO " + options.to().qualified() + " AS t (" + PARCEL_COLUMNS + ", imported_at) "
                + "SELECT " + PARCEL_COLUMNS + ", now() FROM " + STAGING + " "
                + "ON CONFLICT (parcel_id) DO UPDATE SET admin_code = EXCLUDED.admin_code, township = EXCLUDED.township, "
                + "land_class = EXCLUDED.land_class, geom = EXCLUDED.geom, source = EXCLUDED.source, "
                + "imported_at = EXCLUDED.imported_at "
                // Geometry '=' is exact: the same coordinates in the same order.
                + "WHERE (t.admin_code, t.township, t.land_class, t.geom) "
                + "IS DISTINCT FROM (EXCLUDED.admin_code, EXCLUDED.township, EXCLUDED.land_class, EXCLUDED.geom) "
                + "RETURNING (xmax = 0) AS inserted) "
                + "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up";
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return new long[] {rs.getLong(1), rs.getLong(2)};
        }
    }

    /** Replaces the rejects of the previous import of {@code source} with this import's, from the spool file. */
    private void writeRejects(Connection c, String source, Path spool) throws SQLException, IOException {
        String r = options.to().qualifiedRejects();
        try (PreparedStatement del = c.prepareStatement("DELETE FROM " + r + " WHERE source = ?")) {
            del.setString(1, source);
            del.executeUpdate();
        }
        try (InputStream in = Files.newInputStream(spool)) {
            c.unwrap(PGConnection.class).getCopyAPI()
                    .copyIn("COPY " + r + " (" + REJECT_COLUMNS + ") FROM STDIN (FORMAT binary)", in);
        }
    }

    /** Gives a new table its primary key and GiST index after the load; adds the GiST index to an old table without one. */
    private void finishTable(Connection c, Mode mode) throws SQLException {
        PostgisTarget t = options.to();
        try (Statement st = c.createStatement()) {
            if (mode == Mode.CREATE) {
                st.execute("ALTER TABLE " + t.qualified() + " ADD PRIMARY KEY (parcel_id)");
            }
            boolean indexed = mode != Mode.CREATE && exists(c, "SELECT 1 FROM pg_index i JOIN pg_class k ON k.oid = i.indrelid "
                    + "JOIN pg_namespace n ON n.oid = k.relnamespace JOIN pg_class x ON x.oid = i.indexrelid "
                    + "JOIN pg_am am ON am.oid = x.relam JOIN pg_attribute a ON a.attrelid = k.oid AND a.attnum = ANY(i.indkey) "
                    + "WHERE n.nspname = ? AND k.relname = ? AND a.attname = 'geom' AND am.amname = 'gist'", t.schema(), t.table());
            if (!indexed) {
                st.execute("CREATE INDEX ON " + t.qualified() + " USING gist (geom)");
            }
        }
    }

    /** Refreshes the planner's statistics after the commit; a failure here only warns. */
    private void analyze(Connection c) {
        try (Statement st = c.createStatement()) {
            c.setAutoCommit(true);
            st.execute("ANALYZE " + options.to().qualified());
        } catch (SQLException e) {
            log.println("[farmwatch] import-farmland: warning: ANALYZE failed: " + e.getMessage());
        }
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

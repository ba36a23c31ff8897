package org.farmwatch.farmland;

import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.farmwatch.util.FarmwatchException;
import org.farmwatch.util.PgUrlText;
import org.locationtech.jts.geom.Envelope;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.GeometryFactory;
import org.locationtech.jts.geom.Polygon;
import org.locationtech.jts.geom.Polygonal;
import org.locationtech.jts.geom.PrecisionModel;
import org.locationtech.jts.geom.util.GeometryFixer;
import org.locationtech.jts.geom.util.PolygonExtracter;
import org.locationtech.jts.io.ParseException;
import org.locationtech.jts.io.WKBReader;
import org.locationtech.jts.operation.valid.IsValidOp;
import org.locationtech.jts.operation.valid.TopologyValidationError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Parcels in a PostGIS table, named by a URL:
 * <pre>
 * postgresql://user[:password]@host[:port]/database?table=[schema.]table[&amp;geom=column][&amp;sslmode=mode]
 * </pre>
 * {@code postgres://} is accepted too; the port defaults to 5432, the schema to {@code public}, the user to
 * {@code $PGUSER} or the OS user. Without a password in the URL it comes from {@code $PGPASSWORD}, else from
 * the first matching line of {@code $PGPASSFILE} or {@code ~/.pgpass} (as libpq reads it), else none. The
 * password is resolved once, where the source is parsed (the driver), and travels with the serialized source
 * to the executors; {@link #describe()} and {@link #toString()} never show it.
 *
 * <p>Fields are matched with {@link FieldMapping#pick} against the table's columns. The geometry column is the
 * {@code geom} parameter, else the table's only entry in {@code geometry_columns}. Every call opens its own
 * connection (5 s connect and login timeouts) and closes it before returning, so one source serves all
 * executors; {@link #reader} keeps one connection for all the tiles of a task. Table metadata is read again by
 * each call and each reader: nothing learnt by {@link #check} is cached.
 *
 * <p>Immutable and serializable: it holds only strings, an int and the {@link FieldMapping}.
 */
public final class PostgisParcelSource implements ParcelSource {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(PostgisParcelSource.class);

    /** Schema, table and column names the source accepts; they are double-quoted in SQL as well. */
    private static final Pattern IDENTIFIER = PgUrlText.IDENTIFIER;
    private static final Pattern EPSG = Pattern.compile("(?i)EPSG:(\\d{1,9})");
    private static final int TIMEOUT_SECONDS = 5;
    private static final int FETCH_SIZE = 2000;
    /** The query window is densified to this many segments a side before it is transformed to the source CRS. */
    private static final int WINDOW_SEGMENTS = 16;

    private final String user;
    /** Null when there is none. Never logged, never in {@link #describe()}. */
    private final String password;
    private final String host;
    private final int port;
    private final String database;
    private final String schema;
    private final String table;
    /** Null: the table's only geometry column. */
    private final String geomColumn;
    /** Null: the driver's default. */
    private final String sslMode;
    private final FieldMapping mapping;

    private PostgisParcelSource(String user, String password, String host, int port, String database,
            String schema, String table, String geomColumn, String sslMode, FieldMapping mapping) {
        this.user = user;
        this.password = password;
        this.host = host;
        this.port = port;
        this.database = database;
        this.schema = schema;
        this.table = table;
        this.geomColumn = geomColumn;
        this.sslMode = sslMode;
        this.mapping = mapping;
    }

    /**
     * Parses a PostGIS URL (see the class comment), resolving the password from the environment and
     * {@code ~/.pgpass} when the URL has none.
     *
     * @throws FarmwatchException of kind USAGE naming what is wrong with the URL
     */
    public static PostgisParcelSource parse(String url, FieldMapping mapping) {
        return parse(url, mapping, System.getenv(), Path.of(System.getProperty("user.home", "/")));
    }

    /** {@link #parse(String, FieldMapping)} with the environment and home directory given, for tests. */
    static PostgisParcelSource parse(String url, FieldMapping mapping, Map<String, String> env, Path home) {
        Objects.requireNonNull(mapping, "mapping");
        PgUrlText.Address address = PgUrlText.Address.parse(url, "PostGIS URL",
                "postgresql://user@host:port/db?table=schema.table", "PostGIS URL");
        String tableParam = null;
        String geom = null;
        String sslMode = null;
        for (String[] pair : address.params()) {
            String key = pair[0];
            String value = pair[1];
            switch (key) {
                case "table" -> tableParam = value;
                case "geom" -> geom = identifier("geom", value);
                case "sslmode" -> sslMode = PgUrlText.sslMode(value, "PostGIS URL");
                default -> throw FarmwatchException.usage(
                        "PostGIS URL has an unknown parameter '" + key + "' (known: table, geom, sslmode)");
            }
        }
        PgUrlText.Table named = PgUrlText.Table.parse(tableParam, url, "PostGIS URL");
        String schema = named.schema();
        String table = named.table();

        address = address.withCredentials(env, home);
        String user = address.user();
        String password = address.password();
        String host = address.host();
        int port = address.port();
        String database = address.database();
        return new PostgisParcelSource(user, password, host, port, database, schema, table, geom, sslMode, mapping);
    }

    /** {@code postgresql://user@host:port/db?table=schema.table}, with {@code geom} and {@code sslmode} when given. */
    @Override
    public String describe() {
        StringBuilder s = new StringBuilder("postgresql://")
                .append(user).append('@').append(host).append(':').append(port).append('/').append(database)
                .append("?table=").append(schema).append('.').append(table);
        if (geomColumn != null) {
            s.append("&geom=").append(geomColumn);
        }
        if (sslMode != null) {
            s.append("&sslmode=").append(sslMode);
        }
        return s.toString();
    }

    @Override
    public String toString() {
        return describe();
    }

    /** The table's schema, as given (default {@code public}). */
    public String schema() {
        return schema;
    }

    /** The table's name, as given. */
    public String table() {
        return table;
    }

    @Override
    public SourceSummary check(String workingCrs) {
        int workingSrid = srid(workingCrs);
        try (Connection c = connect()) {
            Layout layout = layout(c);
            if (!sridKnown(c, workingSrid)) {
                throw FarmwatchException.usage("working CRS " + workingCrs + " is not in spatial_ref_sys at " + describe());
            }
            long count;
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + layout.from());
                    ResultSet rs = ps.executeQuery()) {
                rs.next();
                count = rs.getLong(1);
            }
            refuseRepeatedIds(c, layout);
            // The box of the source extent, densified so that its transformed outline follows the curved edges.
            String g = quote(layout.geom());
            String sql = "WITH e AS (SELECT ST_SetSRID(ST_Extent(" + g + ")::geometry, ?) AS box FROM " + layout.from() + "), "
                    + "w AS (SELECT ST_Transform(CASE WHEN ST_XMax(box) > ST_XMin(box) AND ST_YMax(box) > ST_YMin(box) "
                    + "THEN ST_Segmentize(box, greatest(ST_XMax(box) - ST_XMin(box), ST_YMax(box) - ST_YMin(box)) / "
                    + WINDOW_SEGMENTS + ") ELSE box END, ?) AS box FROM e) "
                    + "SELECT ST_XMin(box), ST_YMin(box), ST_XMax(box), ST_YMax(box) FROM w WHERE box IS NOT NULL";
            Envelope extent = new Envelope();
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setInt(1, layout.srid());
                ps.setInt(2, workingSrid);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        extent = new Envelope(rs.getDouble(1), rs.getDouble(3), rs.getDouble(2), rs.getDouble(4));
                    }
                }
            }
            warnWithoutIndex(c, layout);
            return new SourceSummary(count, extent, crsName(c, layout.srid()));
        } catch (SQLException e) {
            throw failure("reading", e);
        }
    }

    @Override
    public void forEachIn(Envelope extent, String workingCrs, Consumer<Parcel> sink, Consumer<String> rejects) {
        if (extent == null || extent.isNull()) {
            srid(workingCrs);
            return;
        }
        try (Reader r = reader(workingCrs)) {
            r.forEachIn(extent, sink, rejects);
        }
    }

    /**
     * One connection, one look at the table and one prepared query for all the tiles of a task, in one read-only
     * transaction; each tile binds its window and runs the query again.
     */
    @Override
    public Reader reader(String workingCrs) {
        int workingSrid = srid(workingCrs);
        Connection c = connect();
        try {
            c.setAutoCommit(false);
            c.setReadOnly(true);
            Layout layout = layout(c);
            String g = quote(layout.geom());
            // The window is densified (segments of a sixteenth of its longer side) before it goes to the source CRS.
            String window = "ST_Segmentize(ST_MakeEnvelope(?, ?, ?, ?, ?), ?)";
            // ST_Transform to the column's own SRID returns the geometry as it is.
            String sql = "SELECT " + text(layout.parcelId()) + ", " + text(layout.adminCode()) + ", "
                    + text(layout.township()) + ", " + text(layout.landClass()) + ", "
                    + "ST_AsBinary(ST_Force2D(ST_Transform(" + g + ", ?))) FROM " + layout.from()
                    + " WHERE " + g + " && ST_Transform(" + window + ", ?)";
            PreparedStatement ps = c.prepareStatement(sql);
            ps.setFetchSize(FETCH_SIZE);
            WKBReader reader = new WKBReader(new GeometryFactory(new PrecisionModel(), workingSrid));
            return new Reader() {
                @Override
                public void forEachIn(Envelope extent, Consumer<Parcel> sink, Consumer<String> rejects) {
                    if (extent == null || extent.isNull()) {
                        return;
                    }
                    try {
                        read(ps, layout, workingSrid, extent, reader, sink, rejects);
                    } catch (SQLException e) {
                        throw failure("reading", e);
                    }
                }

                @Override
                public void close() {
                    try (c) {
                        ps.close();
                        c.rollback();
                    } catch (SQLException e) {
                        LOG.debug("closing the parcel reader of {}: {}", describe(), e.getMessage());
                    }
                }
            };
        } catch (SQLException | RuntimeException e) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // the first failure is the one to report
            }
            throw e instanceof SQLException se ? failure("reading", se) : (RuntimeException) e;
        }
    }

    /** One window's parcels through the prepared query of {@link #reader}. */
    private void read(PreparedStatement ps, Layout layout, int workingSrid, Envelope extent, WKBReader reader,
                      Consumer<Parcel> sink, Consumer<String> rejects) throws SQLException {
        double segment = Math.max(extent.getWidth(), extent.getHeight()) / WINDOW_SEGMENTS;
        int i = 1;
        ps.setInt(i++, workingSrid);
        ps.setDouble(i++, extent.getMinX());
        ps.setDouble(i++, extent.getMinY());
        ps.setDouble(i++, extent.getMaxX());
        ps.setDouble(i++, extent.getMaxY());
        ps.setInt(i++, workingSrid);
        // A degenerate window (a point or a line) is not segmentized: a length of 0 would be refused.
        ps.setDouble(i++, segment > 0 ? segment : Double.MAX_VALUE);
        ps.setInt(i, layout.srid());
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                String id = rs.getString(1);
                byte[] wkb = rs.getBytes(5);
                Geometry geometry;
                try {
                    geometry = reader.read(wkb);
                } catch (ParseException | RuntimeException e) {
                    rejects.accept(label(id) + ": unreadable geometry (" + e.getMessage() + ")");
                    continue;
                }
                // The index works on the source CRS; keep exactly the parcels whose box meets the extent here.
                if (!geometry.getEnvelopeInternal().intersects(extent)) {
                    continue;
                }
                if (id == null || id.isBlank()) {
                    rejects.accept(label(id) + ": no parcel id in column " + layout.parcelId()
                            + " of " + schema + "." + table);
                    continue;
                }
                Geometry usable = usable(id, geometry, rejects);
                if (usable != null) {
                    sink.accept(new Parcel(id, rs.getString(2), rs.getString(3), rs.getString(4), usable));
                }
            }
        }
    }

    /** The polygonal part of {@code geometry}, repaired if invalid; null (after telling {@code rejects}) if none. */
    private static Geometry usable(String id, Geometry geometry, Consumer<String> rejects) {
        Geometry polygons = polygonal(geometry);
        if (polygons == null || polygons.isEmpty()) {
            rejects.accept(label(id) + ": " + (geometry.isEmpty() ? "empty geometry"
                    : "not a polygon but a " + geometry.getGeometryType()));
            return null;
        }
        IsValidOp validity = new IsValidOp(polygons);
        if (validity.isValid()) {
            return polygons;
        }
        TopologyValidationError error = validity.getValidationError();
        Geometry fixed = polygonal(GeometryFixer.fix(polygons));
        if (fixed == null || fixed.isEmpty() || !fixed.isValid()) {
            rejects.accept(label(id) + ": invalid geometry that could not be repaired (" + error + ")");
            return null;
        }
        LOG.debug("repaired parcel {}: {}", id, error);
        return fixed;
    }

    /** The polygons of a geometry: itself when polygonal, those of a collection, else null. */
    private static Geometry polygonal(Geometry geometry) {
        if (geometry instanceof Polygonal) {
            return geometry;
        }
        @SuppressWarnings("unchecked")
        List<Polygon> polygons = PolygonExtracter.getPolygons(geometry);
        polygons.removeIf(Geometry::isEmpty);
        if (polygons.isEmpty()) {
            return null;
        }
        GeometryFactory factory = geometry.getFactory();
        return polygons.size() == 1 ? polygons.get(0)
                : factory.createMultiPolygon(polygons.toArray(new Polygon[0]));
    }

    private static String label(String id) {
        return id == null || id.isBlank() ? "parcel (without id)" : "parcel " + id;
    }

    /**
     * Refuses a table in which several rows carry one parcel id: the flag step gathers findings by parcel id, so
     * they would be merged, and a table has no row order that would make one of them the first to keep (as
     * import-farmland keeps the first feature of a file). Skipped when a unique index covers the column alone.
     */
    private void refuseRepeatedIds(Connection c, Layout layout) throws SQLException {
        String unique = "SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
                + "WHERE i.indrelid = to_regclass(?) AND i.indisunique AND i.indnkeyatts = 1 AND i.indpred IS NULL "
                + "AND a.attname = ?";
        try (PreparedStatement ps = c.prepareStatement(unique)) {
            ps.setString(1, layout.from());
            ps.setString(2, layout.parcelId());
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    return;
                }
            }
        }
        String id = quote(layout.parcelId());
        List<String> repeated = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT " + id + "::text FROM " + layout.from() + " WHERE " + id
                + " IS NOT NULL GROUP BY " + id + " HAVING count(*) > 1 ORDER BY 1 LIMIT 6");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                repeated.add(rs.getString(1));
            }
        }
        if (!repeated.isEmpty()) {
            throw FarmwatchException.input("farmland table " + describe() + " has parcel ids that several rows carry in column "
                    + layout.parcelId() + " (" + String.join(", ", repeated.subList(0, Math.min(5, repeated.size())))
                    + (repeated.size() > 5 ? ", ..." : "") + "); make them unique, or load the file with farmwatch "
                    + "import-farmland, which keeps the first feature of each id");
        }
    }

    // ---- table metadata ---------------------------------------------------------------------------------------

    /** What one connection learns about the table: real names, mapped fields, the geometry column and its SRID. */
    private record Layout(String schema, String table, String parcelId, String adminCode, String township,
            String landClass, String geom, int srid) {
        String from() {
            return quote(schema) + "." + quote(table);
        }
    }

    private Layout layout(Connection c) throws SQLException {
        // Identifiers are case-sensitive once quoted; accept a case-insensitive match when there is no exact one.
        String realSchema = null;
        String realTable = null;
        int matches = 0;
        try (PreparedStatement ps = c.prepareStatement("SELECT table_schema, table_name FROM information_schema.tables "
                + "WHERE lower(table_schema) = lower(?) AND lower(table_name) = lower(?)")) {
            ps.setString(1, schema);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    matches++;
                    if (realSchema == null || (rs.getString(1).equals(schema) && rs.getString(2).equals(table))) {
                        realSchema = rs.getString(1);
                        realTable = rs.getString(2);
                    }
                }
            }
        }
        if (realSchema == null) {
            throw FarmwatchException.input("PostGIS table " + schema + "." + table + " not found (or not readable) at " + describe());
        }
        if (matches > 1 && !(realSchema.equals(schema) && realTable.equals(table))) {
            throw FarmwatchException.usage("PostGIS table " + schema + "." + table
                    + " matches several tables differing only in case at " + describe() + "; spell it exactly");
        }
        String where = realSchema + "." + realTable;

        List<String> columns = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT column_name FROM information_schema.columns "
                + "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position")) {
            ps.setString(1, realSchema);
            ps.setString(2, realTable);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.add(rs.getString(1));
                }
            }
        }

        List<String> geometries = new ArrayList<>();
        List<Integer> srids = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT f_geometry_column, srid FROM geometry_columns "
                + "WHERE f_table_schema = ? AND f_table_name = ? ORDER BY f_geometry_column")) {
            ps.setString(1, realSchema);
            ps.setString(2, realTable);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    geometries.add(rs.getString(1));
                    srids.add(rs.getInt(2));
                }
            }
        }
        int index;
        if (geomColumn != null) {
            index = -1;
            for (int i = 0; i < geometries.size(); i++) {
                if (geometries.get(i).equalsIgnoreCase(geomColumn) && (index < 0 || geometries.get(i).equals(geomColumn))) {
                    index = i;
                }
            }
            if (index < 0) {
                throw FarmwatchException.input("PostGIS table " + where + " has no geometry column " + geomColumn
                        + " (geometry columns: " + listOrNone(geometries) + ") at " + describe());
            }
        } else if (geometries.size() == 1) {
            index = 0;
        } else if (geometries.isEmpty()) {
            throw FarmwatchException.input("PostGIS table " + where + " has no geometry column at " + describe());
        } else {
            throw FarmwatchException.usage("PostGIS table " + where + " has several geometry columns ("
                    + String.join(", ", geometries) + "); pick one with &geom= in " + describe());
        }
        String geom = geometries.get(index);
        int srid = srids.get(index);

        List<String> attributes = new ArrayList<>(columns);
        attributes.removeAll(geometries);
        String parcelId = FieldMapping.pick(mapping.parcelId(), attributes);
        if (parcelId == null) {
            throw FarmwatchException.input("PostGIS table " + where + " has no parcel id column (looked for "
                    + String.join(", ", mapping.parcelId()) + "; it has " + listOrNone(attributes) + ") at " + describe());
        }

        if (srid <= 0) {
            // An unconstrained column: take the SRID of its first geometry.
            try (PreparedStatement ps = c.prepareStatement("SELECT ST_SRID(" + quote(geom) + ") FROM "
                    + quote(realSchema) + "." + quote(realTable) + " WHERE " + quote(geom) + " IS NOT NULL LIMIT 1");
                    ResultSet rs = ps.executeQuery()) {
                srid = rs.next() ? rs.getInt(1) : 0;
            }
            if (srid <= 0) {
                throw FarmwatchException.input("PostGIS table " + where + " column " + geom
                        + " has no SRID; set one with UpdateGeometrySRID, at " + describe());
            }
        }
        return new Layout(realSchema, realTable, parcelId, FieldMapping.pick(mapping.adminCode(), attributes),
                FieldMapping.pick(mapping.township(), attributes), FieldMapping.pick(mapping.landClass(), attributes),
                geom, srid);
    }

    private static boolean sridKnown(Connection c, int srid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM spatial_ref_sys WHERE srid = ?")) {
            ps.setInt(1, srid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** {@code EPSG:4490} when spatial_ref_sys says so, else {@code SRID:n}. */
    private static String crsName(Connection c, int srid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT auth_name, auth_srid FROM spatial_ref_sys WHERE srid = ?")) {
            ps.setInt(1, srid);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next() && rs.getString(1) != null) {
                    return rs.getString(1).toUpperCase(Locale.ROOT) + ":" + rs.getInt(2);
                }
            }
        }
        return "SRID:" + srid;
    }

    private void warnWithoutIndex(Connection c, Layout layout) throws SQLException {
        String sql = "SELECT 1 FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
                + "JOIN pg_namespace n ON n.oid = t.relnamespace JOIN pg_class x ON x.oid = i.indexrelid "
                + "JOIN pg_am am ON am.oid = x.relam JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(i.indkey) "
                + "WHERE n.nspname = ? AND t.relname = ? AND a.attname = ? AND am.amname IN ('gist', 'spgist', 'brin')";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, layout.schema());
            ps.setString(2, layout.table());
            ps.setString(3, layout.geom());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    LOG.warn("PostGIS table {}.{} has no spatial index on {}; every tile will scan the whole table "
                            + "(CREATE INDEX ON {}.{} USING gist ({}))", layout.schema(), layout.table(), layout.geom(),
                            quote(layout.schema()), quote(layout.table()), quote(layout.geom()));
                }
            }
        }
    }

    // ---- connections and errors --------------------------------------------------------------------------------

    private Connection connect() {
        return PgUrlText.connect(host, port, database, user, password, sslMode, "farmwatch", TIMEOUT_SECONDS,
                "PostGIS", describe());
    }

    /** A lost connection is a SERVICE failure; any other SQL error means the table cannot be read: INPUT. */
    private FarmwatchException failure(String doing, SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (state.startsWith("08") || state.startsWith("57P") || state.startsWith("53")) {
            return FarmwatchException.service("PostGIS unavailable at " + describe() + ": " + reason(e), e);
        }
        return FarmwatchException.input("PostGIS table " + schema + "." + table + " at " + describe()
                + ": " + doing + " failed: " + reason(e), e);
    }

    private static String reason(SQLException e) {
        return PgUrlText.reason(e);
    }

    private static int srid(String workingCrs) {
        var m = workingCrs == null ? null : EPSG.matcher(workingCrs.trim());
        if (m == null || !m.matches()) {
            throw FarmwatchException.usage("working CRS must be EPSG:<code>, got: " + workingCrs);
        }
        return Integer.parseInt(m.group(1));
    }

    private static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    private static String text(String column) {
        return column == null ? "NULL::text" : quote(column) + "::text";
    }

    private static String listOrNone(List<String> names) {
        return names.isEmpty() ? "none" : String.join(", ", names);
    }

    private static String identifier(String what, String value) {
        if (!IDENTIFIER.matcher(value).matches()) {
            throw FarmwatchException.usage("PostGIS URL " + what + " must match " + IDENTIFIER.pattern() + ", got: " + value);
        }
        return value;
    }

    // ---- URL text ----------------------------------------------------------------------------------------------

    /** The URL with any password replaced by ***, for error messages. */
    static String redact(String url) {
        return org.farmwatch.util.PgUrlText.redact(url);
    }

    /** The password of the first matching line of a libpq password file, or null (see {@link org.farmwatch.util.PgUrlText}). */
    static String pgpassPassword(Path file, String host, int port, String database, String user) {
        return org.farmwatch.util.PgUrlText.pgpassPassword(file, host, port, database, user);
    }

    // ---- serialization -----------------------------------------------------------------------------------------

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        if (user == null || host == null || database == null || schema == null || table == null || mapping == null
                || !IDENTIFIER.matcher(schema).matches() || !IDENTIFIER.matcher(table).matches()
                || (geomColumn != null && !IDENTIFIER.matcher(geomColumn).matches())) {
            throw new InvalidObjectException("corrupt PostgisParcelSource");
        }
    }
}

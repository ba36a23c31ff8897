package org.farmwatch.farmland;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.gdal.osr.CoordinateTransformation;
import org.locationtech.jts.geom.CoordinateSequence;
import org.locationtech.jts.geom.CoordinateSequenceFilter;
import org.locationtech.jts.geom.Envelope;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.index.strtree.STRtree;
import org.locationtech.jts.io.ParseException;
import org.locationtech.jts.io.WKBReader;
import org.sqlite.SQLiteConfig;

/**
 * A GeoPackage layer's parcels read straight from its SQLite tables, for {@link OgrParcelSource}: the rows of a
 * window come through the layer's R*Tree index, each geometry is decoded by JTS from its GeoPackage blob (a
 * header, then standard WKB), and a window's parcels are reprojected in one call to PROJ. OGR would instead make
 * several JNI calls and a reprojection per feature, which cost more than the whole overlay.
 *
 * <p>With {@link #forEachNear}, a row whose index box meets none of the boxes asked for is not decoded at all:
 * only its blob's header is looked at, so that a geometry that is not a polygon is still rejected. Values are
 * what OGR gives: text and integer fields as text, the fid for a source without an id field.
 */
public final class GpkgParcelReader implements ParcelSource.Reader {

    /** Box of the GeoPackage envelope types 0..4 in bytes (none, xy, xyz, xym, xyzm). */
    private static final int[] ENVELOPE_BYTES = {0, 32, 48, 48, 64};
    /** Extra margin, in source units per unit of box size, around the boxes asked for once in the source CRS. */
    private static final double MARGIN = 0.01;

    private final String file;
    private final Connection db;
    private final PreparedStatement query;
    private final boolean hasId;
    private final CoordinateTransformation toWork;
    private final CoordinateTransformation toSrc;
    private final Map<String, DuplicateParcelId> repeated;
    private final WKBReader wkb = new WKBReader();

    private GpkgParcelReader(String file, Connection db, PreparedStatement query, boolean hasId, CoordinateTransformation toWork,
                             CoordinateTransformation toSrc, Map<String, DuplicateParcelId> repeated) {
        this.file = file;
        this.db = db;
        this.query = query;
        this.hasId = hasId;
        this.toWork = toWork;
        this.toSrc = toSrc;
        this.repeated = repeated;
    }

    /**
     * A reader of {@code table} in the GeoPackage {@code file}, or null when the layer has no R*Tree index (OGR
     * then reads it). {@code fields} are the columns of parcel id (null: the fid), admin code, township and land
     * class, each null when absent; the transformations are null when the source CRS is the working CRS.
     */
    static GpkgParcelReader open(String file, String table, String fid, String geom, String[] fields,
                                 CoordinateTransformation toWork, CoordinateTransformation toSrc,
                                 Map<String, DuplicateParcelId> repeated) throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.setReadOnly(true);
        Connection db = config.createConnection("jdbc:sqlite:" + file);
        try {
            String rtree = "rtree_" + table + "_" + geom;
            try (PreparedStatement ps = db.prepareStatement(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")) {
                ps.setString(1, rtree);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        db.close();
                        return null;
                    }
                }
            }
            StringBuilder sql = new StringBuilder("SELECT r.id, r.minx, r.maxx, r.miny, r.maxy, t.").append(quote(geom));
            for (String f : fields) {
                sql.append(", ").append(f == null ? "NULL" : "t." + quote(f));
            }
            // CROSS JOIN keeps SQLite on the index first, then each row by its fid.
            sql.append(" FROM ").append(quote(rtree)).append(" r CROSS JOIN ").append(quote(table)).append(" t WHERE t.")
                    .append(quote(fid)).append(" = r.id AND r.maxx >= ? AND r.minx <= ? AND r.maxy >= ? AND r.miny <= ?");
            return new GpkgParcelReader(file, db, db.prepareStatement(sql.toString()), fields[0] != null, toWork, toSrc,
                    repeated);
        } catch (SQLException | RuntimeException e) {
            db.close();
            throw e;
        }
    }

    @Override
    public void forEachIn(Envelope extent, Consumer<Parcel> sink, Consumer<String> rejects) {
        forEachNear(extent, null, sink, rejects);
    }

    @Override
    public long forEachNear(Envelope extent, List<Envelope> near, Consumer<Parcel> sink, Consumer<String> rejects) {
        Envelope window = toSource(extent);
        STRtree targets = null;
        if (near != null) {
            targets = new STRtree();
            for (Envelope s : nearInSource(near)) {
                targets.insert(s, s);
            }
        }
        List<Row> rows = new ArrayList<>();
        long seen = 0;
        try {
            query.setDouble(1, window.getMinX());
            query.setDouble(2, window.getMaxX());
            query.setDouble(3, window.getMinY());
            query.setDouble(4, window.getMaxY());
            try (ResultSet rs = query.executeQuery()) {
                while (rs.next()) {
                    seen++;
                    long fid = rs.getLong(1);
                    byte[] blob = rs.getBytes(6);
                    if (targets != null && polygonType(blob)
                            && targets.query(new Envelope(rs.getDouble(2), rs.getDouble(3), rs.getDouble(4),
                                    rs.getDouble(5))).isEmpty()) {
                        // Far from every patch: nothing to intersect, so nothing to decode or repair.
                        continue;
                    }
                    rows.add(new Row(fid, hasId ? rs.getString(7) : Long.toString(fid), rs.getString(8),
                            rs.getString(9), rs.getString(10), blob));
                }
            }
        } catch (SQLException e) {
            // A damaged file is bad input (exit 3, naming it), as on OGR's path.
            throw org.farmwatch.util.FarmwatchException.input("farmland source " + file + " cannot be read as a GeoPackage: "
                    + e.getMessage(), e);
        }
        decodeAndReproject(rows, rejects);
        for (Row r : rows) {
            if (r.geometry == null || !r.geometry.getEnvelopeInternal().intersects(extent)) {
                continue;
            }
            Parcel p = parcel(r, rejects);
            DuplicateParcelId dup = p == null ? null : repeated.get(p.parcelId());
            if (dup != null && dup.keptFid() != r.fid) {
                rejects.accept("parcel " + p.parcelId() + " (fid " + r.fid + "): "
                        + RejectReason.DUPLICATE_PARCEL_ID.text() + ", " + dup.detail());
            } else if (p != null) {
                sink.accept(p);
            }
        }
        return seen;
    }

    /** One row of a window: its values as OGR gives them, and its geometry once decoded (null if unusable). */
    private static final class Row {
        final long fid;
        final String id;
        final String admin;
        final String township;
        final String landClass;
        final byte[] blob;
        Geometry geometry;

        Row(long fid, String id, String admin, String township, String landClass, byte[] blob) {
            this.fid = fid;
            this.id = id == null ? "" : id;
            this.admin = admin;
            this.township = township;
            this.landClass = landClass;
            this.blob = blob;
        }
    }

    /** Decodes the rows' geometries, then moves all their coordinates to the working CRS in one PROJ call. */
    private void decodeAndReproject(List<Row> rows, Consumer<String> rejects) {
        List<double[]> points = new ArrayList<>();
        int[] start = new int[rows.size() + 1];
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            start[i] = points.size();
            int at = wkbOffset(r.blob);
            if (at < 0) {
                rejects.accept("parcel " + r.id + ": " + (r.blob == null || at == -2 ? "no geometry"
                        : "not a GeoPackage geometry blob"));
                continue;
            }
            try {
                r.geometry = wkb.read(Arrays.copyOfRange(r.blob, at, r.blob.length));
            } catch (ParseException | RuntimeException e) {
                rejects.accept("parcel fid " + r.fid + ": " + e.getMessage());
                continue;
            }
            if (r.geometry.isEmpty()) {
                rejects.accept("parcel " + r.id + ": no geometry");
                r.geometry = null;
                continue;
            }
            if (toWork != null) {
                r.geometry.apply(new Points(points, null));
            }
        }
        start[rows.size()] = points.size();
        if (toWork == null || points.isEmpty()) {
            return;
        }
        double[][] all = points.toArray(new double[0][]);
        int[] errors = toWork.TransformPointsWithErrorCodes(all);
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            if (r.geometry == null) {
                continue;
            }
            boolean failed = false;
            for (int k = start[i]; k < start[i + 1] && !failed; k++) {
                failed = errors != null && errors[k] != 0;
            }
            if (failed) {
                rejects.accept("parcel fid " + r.fid + ": cannot be transformed to the working CRS");
                r.geometry = null;
                continue;
            }
            r.geometry.apply(new Points(null, Arrays.asList(all).subList(start[i], start[i + 1])));
            r.geometry.geometryChanged();
        }
    }

    /** Collects a geometry's coordinates ({@code into}), or writes them back ({@code from}), in visiting order. */
    private static final class Points implements CoordinateSequenceFilter {
        private final List<double[]> into;
        private final List<double[]> from;
        private int next;

        Points(List<double[]> into, List<double[]> from) {
            this.into = into;
            this.from = from;
        }

        @Override
        public void filter(CoordinateSequence seq, int i) {
            boolean z = seq.hasZ() && !Double.isNaN(seq.getZ(i));
            if (into != null) {
                into.add(z ? new double[] {seq.getX(i), seq.getY(i), seq.getZ(i)} : new double[] {seq.getX(i), seq.getY(i)});
                return;
            }
            double[] p = from.get(next++);
            seq.setOrdinate(i, CoordinateSequence.X, p[0]);
            seq.setOrdinate(i, CoordinateSequence.Y, p[1]);
            if (z) {
                seq.setOrdinate(i, CoordinateSequence.Z, p[2]);
            }
        }

        @Override
        public boolean isDone() {
            return false;
        }

        @Override
        public boolean isGeometryChanged() {
            return from != null;
        }
    }

    /** The row as a parcel, its geometry repaired where safe (as OGR's path does); null, told to rejects, if unusable. */
    private static Parcel parcel(Row r, Consumer<String> rejects) {
        if (r.id.isBlank()) {
            rejects.accept("parcel fid " + r.fid + ": " + RejectReason.NO_PARCEL_ID.text());
            return null;
        }
        try {
            Geometry g = ParcelGeometry.polygonal(r.geometry);
            if (g == null) {
                rejects.accept("parcel " + r.id + ": geometry is not a polygon and cannot be repaired");
                return null;
            }
            return new Parcel(r.id, trim(r.admin), trim(r.township), trim(r.landClass), g);
        } catch (RuntimeException e) {
            rejects.accept("parcel fid " + r.fid + ": " + e.getMessage());
            return null;
        }
    }

    private static String trim(String s) {
        return s == null ? "" : s.trim();
    }

    /** The window in the source CRS, its edges densified so that the box holds their curved images. */
    private Envelope toSource(Envelope e) {
        if (toSrc == null) {
            return new Envelope(e);
        }
        double[] b = new double[4];
        toSrc.TransformBounds(b, e.getMinX(), e.getMinY(), e.getMaxX(), e.getMaxY(), 21);
        return new Envelope(b[0], b[2], b[1], b[3]);
    }

    /**
     * The boxes in the source CRS, all in one PROJ call: the box of each one's corners and edge midpoints, grown by
     * {@link #MARGIN} of its size and a hair. Over a patch's few hundred metres a map projection bends a straight
     * edge by far less than a millimetre, so no parcel box that meets the patch box is missed.
     */
    private List<Envelope> nearInSource(List<Envelope> near) {
        List<Envelope> out = new ArrayList<>(near.size());
        if (toSrc == null) {
            near.forEach(e -> out.add(new Envelope(e)));
            return out;
        }
        double[][] pts = new double[near.size() * 8][];
        int k = 0;
        for (Envelope e : near) {
            double mx = (e.getMinX() + e.getMaxX()) / 2;
            double my = (e.getMinY() + e.getMaxY()) / 2;
            for (double[] p : new double[][] {{e.getMinX(), e.getMinY()}, {mx, e.getMinY()}, {e.getMaxX(), e.getMinY()},
                    {e.getMaxX(), my}, {e.getMaxX(), e.getMaxY()}, {mx, e.getMaxY()}, {e.getMinX(), e.getMaxY()},
                    {e.getMinX(), my}}) {
                pts[k++] = p;
            }
        }
        toSrc.TransformPoints(pts);
        for (int i = 0; i < near.size(); i++) {
            Envelope s = new Envelope();
            for (int j = 0; j < 8; j++) {
                s.expandToInclude(pts[8 * i + j][0], pts[8 * i + j][1]);
            }
            s.expandBy(Math.max(s.getWidth(), s.getHeight()) * MARGIN + 1e-7 * Math.max(1, Math.abs(s.getMaxX())));
            out.add(s);
        }
        return out;
    }

    /**
     * Where the WKB starts in a GeoPackage blob: -1 if it is no such blob, -2 if the header marks it empty. The
     * extended form (flag bit 5) is a GeoPackage extension farmwatch does not read.
     */
    public static int wkbOffset(byte[] b) {
        if (b == null || b.length < 8 || b[0] != 'G' || b[1] != 'P') {
            return -1;
        }
        int flags = b[3];
        int envelope = (flags >> 1) & 7;
        if (envelope >= ENVELOPE_BYTES.length || (flags & 0x20) != 0) {
            return -1;
        }
        if ((flags & 0x10) != 0) {
            return -2;
        }
        int at = 8 + ENVELOPE_BYTES[envelope];
        return at + 5 <= b.length ? at : -1;
    }

    /** True when the blob holds a non-empty polygon or multipolygon (ISO WKB, any dimensions). */
    static boolean polygonType(byte[] b) {
        int at = wkbOffset(b);
        if (at < 0) {
            return false;
        }
        boolean little = b[at] == 1;
        int type = little
                ? (b[at + 1] & 0xff) | (b[at + 2] & 0xff) << 8 | (b[at + 3] & 0xff) << 16 | (b[at + 4] & 0xff) << 24
                : (b[at + 4] & 0xff) | (b[at + 3] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 1] & 0xff) << 24;
        int base = (type & 0x0fffffff) % 1000;
        return base == 3 || base == 6;
    }

    private static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    @Override
    public void close() {
        try {
            query.close();
            db.close();
        } catch (SQLException e) {
            // Read-only: nothing is lost.
        }
    }
}

package org.farmwatch.publish;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.List;
import org.farmwatch.change.ChangePatch;
import org.farmwatch.flag.FlaggedParcel;
import org.farmwatch.util.FarmwatchException;
import org.locationtech.jts.io.WKBWriter;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;

/**
 * The staging COPY of a publish ({@link PostgisOneMap}): a run's patches and flagged parcels streamed into the
 * temporary staging tables in COPY's text format, their values rounded as {@link OneMapFields} says (as the
 * GeoPackage rounds them), bad values refused as INPUT naming the patch or parcel.
 */
final class OneMapCopy {

    private static final int COPY_BUFFER_BYTES = 1 << 16;

    private OneMapCopy() {}

    static long patches(CopyManager copy, OneMapSql sql, Iterator<ChangePatch> patches) throws SQLException {
        CopyIn in = copy.copyIn(sql.copyPatches());
        try {
            CopyRows rows = new CopyRows(in);
            WKBWriter wkb = new WKBWriter(2);
            while (patches.hasNext()) {
                ChangePatch p = patches.next();
                String what = "change patch " + (p == null ? "null" : p.patchId());
                if (p == null || p.patchId() == null || p.patchId().isEmpty() || p.changeType() == null) {
                    throw FarmwatchException.input(what + " has no id or change type");
                }
                rows.text(p.patchId()).text(p.changeType().code)
                        .text(p.fromClass() == null ? null : p.fromClass().key())
                        .text(p.toClass() == null ? null : p.toClass().key())
                        .number(patch("area_m2", p.areaM2())).number(patch("area_mu", p.areaM2() / FlaggedParcel.M2_PER_MU))
                        .date(p.beforeDate(), what).date(p.afterDate(), what)
                        .number(patch("confidence", p.confidence())).text(p.rule())
                        .bytes(wkb.write(PostgisOneMap.multiPolygon(p.geometry(), what))).end();
            }
            rows.flush();
            return in.endCopy();
        } finally {
            if (in.isActive()) {
                in.cancelCopy();
            }
        }
    }

    static long parcels(CopyManager copy, OneMapSql sql, List<FlaggedParcel> flagged) throws SQLException {
        CopyIn in = copy.copyIn(sql.copyParcels());
        try {
            CopyRows rows = new CopyRows(in);
            WKBWriter wkb = new WKBWriter(2);
            for (FlaggedParcel p : flagged) {
                String what = "flagged parcel " + (p == null ? "null" : p.parcelId());
                if (p == null || p.parcelId() == null || p.parcelId().isEmpty() || p.changeType() == null) {
                    throw FarmwatchException.input(what + " has no parcel id or change type");
                }
                rows.text(p.parcelId()).text(p.adminCode()).text(p.township()).text(p.landClass())
                        .text(p.changeType().code).text(p.rule()).number(parcel("parcel_area_m2", p.parcelAreaM2()))
                        .number(parcel("changed_area_m2", p.changedAreaM2()))
                        .number(parcel("changed_area_mu", p.changedAreaMu()))
                        .number(round(p.changedShare(), 4)).number(p.patchCount()).textArray(p.patchIds())
                        .text(p.fromClasses()).text(p.toClasses())
                        .date(p.beforeDate(), what).date(p.afterDate(), what)
                        .number(parcel("priority", p.priority())).number(parcel("centroid_lon", p.centroidLon()))
                        .number(parcel("centroid_lat", p.centroidLat()))
                        .number(parcel("parcel_area_mu", p.parcelAreaM2() / FlaggedParcel.M2_PER_MU))
                        .number(parcel("changed_share_pct", 100 * p.changedShare()))
                        .bytes(wkb.write(PostgisOneMap.multiPolygon(p.geometry(), what))).end();
            }
            rows.flush();
            return in.endCopy();
        } finally {
            if (in.isActive()) {
                in.cancelCopy();
            }
        }
    }

    /**
     * Rows in COPY's text format: tab-separated, {@code \N} for null, backslash escapes, bytea as escaped hex,
     * arrays as array literals. Written to the server in 64 KiB pieces.
     */
    private static final class CopyRows {
        private final CopyIn in;
        private final StringBuilder line = new StringBuilder();
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(COPY_BUFFER_BYTES + 4096);
        private boolean first = true;

        CopyRows(CopyIn in) {
            this.in = in;
        }

        private StringBuilder field() {
            if (!first) {
                line.append('\t');
            }
            first = false;
            return line;
        }

        CopyRows text(String v) {
            if (v == null) {
                field().append("\\N");
            } else {
                escape(field(), v);
            }
            return this;
        }

        CopyRows number(double v) {
            field().append(Double.isNaN(v) ? "NaN" : Double.isInfinite(v) ? (v > 0 ? "Infinity" : "-Infinity")
                    : Double.toString(v));
            return this;
        }

        CopyRows number(long v) {
            field().append(v);
            return this;
        }

        /** An ISO date, or null when blank. */
        CopyRows date(String v, String what) {
            if (v == null || v.isBlank()) {
                return text(null);
            }
            try {
                return text(LocalDate.parse(v.trim()).toString());
            } catch (DateTimeParseException e) {
                throw FarmwatchException.input(what + " has a date that is not YYYY-MM-DD: " + v);
            }
        }

        CopyRows textArray(List<String> values) {
            if (values == null) {
                return text(null);
            }
            StringBuilder a = new StringBuilder("{");
            for (int i = 0; i < values.size(); i++) {
                if (i > 0) {
                    a.append(',');
                }
                String v = values.get(i);
                if (v == null) {
                    a.append("NULL");
                } else {
                    a.append('"').append(v.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
                }
            }
            return text(a.append('}').toString());
        }

        CopyRows bytes(byte[] v) {
            // bytea hex input is \x...; COPY's text format wants the backslash doubled.
            field().append("\\\\x").append(WKBWriter.toHex(v));
            return this;
        }

        void end() throws SQLException {
            line.append('\n');
            buffer.writeBytes(line.toString().getBytes(StandardCharsets.UTF_8));
            line.setLength(0);
            first = true;
            if (buffer.size() >= COPY_BUFFER_BYTES) {
                flush();
            }
        }

        void flush() throws SQLException {
            if (buffer.size() > 0) {
                byte[] b = buffer.toByteArray();
                in.writeToCopy(b, 0, b.length);
                buffer.reset();
            }
        }

        private static void escape(StringBuilder b, String v) {
            for (int i = 0; i < v.length(); i++) {
                char ch = v.charAt(i);
                switch (ch) {
                    case '\\' -> b.append("\\\\");
                    case '\t' -> b.append("\\t");
                    case '\n' -> b.append("\\n");
                    case '\r' -> b.append("\\r");
                    case '\0' -> { } // PostgreSQL text cannot hold NUL
                    default -> b.append(ch);
                }
            }
        }
    }

    /** A patch value rounded as the one map's field says (the GeoPackage rounds it alike). */
    private static double patch(String field, double v) {
        return OneMapFields.field(OneMapFields.PATCHES, field).round(v);
    }

    /** A parcel value rounded as the one map's field says. */
    private static double parcel(String field, double v) {
        return OneMapFields.field(OneMapFields.PARCELS, field).round(v);
    }

    private static double round(double v, int digits) {
        if (!Double.isFinite(v)) {
            return v;
        }
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

}

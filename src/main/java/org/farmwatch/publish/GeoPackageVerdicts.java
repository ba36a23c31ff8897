package org.farmwatch.publish;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.Vector;
import org.farmwatch.flag.PastVerdicts;
import org.farmwatch.util.FarmwatchException;
import org.farmwatch.util.Gdal;
import org.gdal.ogr.DataSource;
import org.gdal.ogr.Feature;
import org.gdal.ogr.FieldDefn;
import org.gdal.ogr.Layer;
import org.gdal.ogr.ogr;
import org.gdal.osr.SpatialReference;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.io.ParseException;
import org.locationtech.jts.io.WKBReader;
import org.locationtech.jts.io.WKBWriter;

/**
 * The verdicts of a run without PostGIS, kept in the run's own {@code onemap.gpkg}: {@link #importFile} stores an
 * inspectors' filled-in list in its {@code verdicts} table (checked against its flagged parcels, all or nothing), and
 * {@link #judged} reads back the patches judged false alarm or approved, with their geometry and area, for a later run
 * given that GeoPackage with {@code --verdicts}. That later run copies what it applied into the {@code judged_patches}
 * layer of its own GeoPackage ({@link #carry}), so that next month's run needs only this month's GeoPackage.
 */
public final class GeoPackageVerdicts {

    static final String VERDICTS = "verdicts";
    static final String JUDGED = "judged_patches";
    private static final String[] VERDICT_FIELDS = {"parcel_id", "patch_id", "verdict", "approval_number", "decided_on"};

    private GeoPackageVerdicts() {}

    /** Whether {@code target} names a GeoPackage rather than a PostGIS URL. */
    public static boolean isGeoPackage(String target) {
        return target != null && target.toLowerCase(java.util.Locale.ROOT).endsWith(".gpkg");
    }

    /**
     * Imports the verdicts read from a list into {@code gpkg}, in one transaction.
     *
     * @throws FarmwatchException USAGE when the file is not a farmwatch onemap.gpkg; INPUT naming the first row whose
     *                            parcel or patch that GeoPackage never flagged (nothing imported)
     */
    public static OneMapVerdicts.Summary importFile(Path gpkg, String file, VerdictFile.Contents contents) {
        Gdal.init();
        DataSource ds = open(gpkg, true);
        try {
            Map<String, Set<String>> flagged = flaggedPatches(ds, gpkg);
            List<VerdictFile.Verdict> verdicts = contents.verdicts();
            for (VerdictFile.Verdict v : verdicts) {
                Set<String> patches = flagged.get(v.parcelId());
                String what = patches == null ? "地块 " + v.parcelId() + " 不在标记地块中 / parcel " + v.parcelId()
                        + " is not among the flagged parcels of " + gpkg
                        : !patches.contains(v.patchId()) ? "图斑 " + v.patchId() + " 从未在地块 " + v.parcelId()
                        + " 上标记 / patch " + v.patchId() + " was never flagged on parcel " + v.parcelId() + " in " + gpkg
                        : null;
                if (what != null) {
                    throw FarmwatchException.input(file + " " + VerdictFile.placeZh(v.place()) + " " + v.place() + ": "
                            + what + "; " + VerdictFile.NOTHING_IMPORTED);
                }
            }
            Layer l = ds.GetLayerByName(VERDICTS);
            if (l == null) {
                l = ds.CreateLayer(VERDICTS, null, ogr.wkbNone, new Vector<>(List.of("FID=fid")));
                for (String f : VERDICT_FIELDS) {
                    FieldDefn fd = new FieldDefn(f, ogr.OFTString);
                    l.CreateField(fd);
                    fd.delete();
                }
            }
            // Existing verdicts by (parcel, patch): a changed verdict replaces the old one, the same one is left alone.
            Map<String, Long> fids = new HashMap<>();
            Map<String, List<String>> values = new HashMap<>();
            l.ResetReading();
            for (Feature f = l.GetNextFeature(); f != null; f = l.GetNextFeature()) {
                String key = f.GetFieldAsString("parcel_id") + "\u0000" + f.GetFieldAsString("patch_id");
                fids.put(key, f.GetFID());
                values.put(key, row(f.GetFieldAsString("verdict"), f.GetFieldAsString("approval_number"),
                        f.GetFieldAsString("decided_on")));
                f.delete();
            }
            int inserted = 0;
            int updated = 0;
            if (ds.StartTransaction() != 0) {
                throw new IllegalStateException("cannot start a transaction on " + gpkg);
            }
            try {
                for (VerdictFile.Verdict v : verdicts) {
                    String key = v.parcelId() + "\u0000" + v.patchId();
                    List<String> now = row(v.verdict(), v.approvalNumber(),
                            v.decidedOn() == null ? "" : v.decidedOn().toString());
                    Long fid = fids.get(key);
                    if (fid != null && now.equals(values.get(key))) {
                        continue;
                    }
                    Feature f = fid != null ? l.GetFeature(fid) : new Feature(l.GetLayerDefn());
                    f.SetField("parcel_id", v.parcelId());
                    f.SetField("patch_id", v.patchId());
                    f.SetField("verdict", now.get(0));
                    f.SetField("approval_number", now.get(1));
                    f.SetField("decided_on", now.get(2));
                    check(fid != null ? l.SetFeature(f) : l.CreateFeature(f), gpkg);
                    f.delete();
                    if (fid != null) {
                        updated++;
                    } else {
                        inserted++;
                        fids.put(key, -1L);
                        values.put(key, now);
                    }
                }
                statuses(ds);
                check(ds.CommitTransaction(), gpkg);
            } catch (RuntimeException e) {
                ds.RollbackTransaction();
                throw e;
            }
            return new OneMapVerdicts.Summary(contents.rows(), contents.blankRows(), verdicts.size(), inserted, updated,
                    verdicts.size() - inserted - updated, 0);
        } finally {
            ds.delete();
        }
    }

    /**
     * Sets the {@code status} of the judged parcels and patches from all verdicts on them, as the PostGIS one map does:
     * confirmed when any verdict confirms, else approved when any approves, else false_alarm. GeoPackages written
     * before the status field are left as they are.
     */
    private static void statuses(DataSource ds) {
        String status = "CASE WHEN max(v.verdict = 'confirmed') THEN 'confirmed' WHEN max(v.verdict = 'approved') "
                + "THEN 'approved' ELSE 'false_alarm' END";
        for (String[] t : new String[][] {{"flagged_parcels", "parcel_id"}, {"change_patches", "patch_id"}}) {
            Layer l = ds.GetLayerByName(t[0]);
            if (l == null || l.GetLayerDefn().GetFieldIndex("status") < 0) {
                continue;
            }
            ds.ExecuteSQL("UPDATE " + t[0] + " SET status = (SELECT " + status + " FROM " + VERDICTS + " v WHERE v."
                    + t[1] + " = " + t[0] + "." + t[1] + ") WHERE " + t[1] + " IN (SELECT " + t[1] + " FROM " + VERDICTS
                    + " WHERE " + t[1] + " IS NOT NULL AND " + t[1] + " <> '')");
        }
    }

    /**
     * The patches judged false alarm or approved in {@code gpkg}, per parcel, added to {@code byParcel}: those of its
     * {@code verdicts} table, with geometry and area from its {@code change_patches}, and those it carried from earlier
     * runs. Returns the CRS of their geometries (such as EPSG:4527).
     *
     * @throws FarmwatchException USAGE when the file is missing or not a farmwatch onemap.gpkg
     */
    public static String judged(Path gpkg, Map<String, List<PastVerdicts.Judged>> byParcel) {
        Gdal.init();
        DataSource ds = open(gpkg, false);
        try {
            Layer patches = ds.GetLayerByName("change_patches");
            if (patches == null || ds.GetLayerByName("flagged_parcels") == null) {
                throw notOneMap(gpkg);
            }
            String crs = crsOf(patches, gpkg);
            Map<String, String[]> wanted = new LinkedHashMap<>();   // patch id -> {parcel id, verdict}, judged here
            Layer v = ds.GetLayerByName(VERDICTS);
            if (v != null) {
                v.ResetReading();
                for (Feature f = v.GetNextFeature(); f != null; f = v.GetNextFeature()) {
                    String verdict = f.GetFieldAsString("verdict");
                    if (verdict.equals("false_alarm") || verdict.equals("approved")) {
                        wanted.put(f.GetFieldAsString("patch_id"), new String[] {f.GetFieldAsString("parcel_id"), verdict});
                    }
                    f.delete();
                }
            }
            WKBReader wkb = new WKBReader();
            Set<String> seen = new HashSet<>();
            if (!wanted.isEmpty()) {
                patches.ResetReading();
                for (Feature f = patches.GetNextFeature(); f != null; f = patches.GetNextFeature()) {
                    String[] pv = wanted.get(f.GetFieldAsString("patch_id"));
                    if (pv != null) {
                        add(byParcel, seen, pv[0], new PastVerdicts.Judged(f.GetFieldAsString("patch_id"), pv[1],
                                f.GetFieldAsDouble("area_m2"), read(wkb, f, gpkg)));
                    }
                    f.delete();
                }
            }
            Layer carried = ds.GetLayerByName(JUDGED);
            if (carried != null) {
                carried.ResetReading();
                for (Feature f = carried.GetNextFeature(); f != null; f = carried.GetNextFeature()) {
                    add(byParcel, seen, f.GetFieldAsString("parcel_id"), new PastVerdicts.Judged(f.GetFieldAsString("patch_id"),
                            f.GetFieldAsString("verdict"), f.GetFieldAsDouble("area_m2"), read(wkb, f, gpkg)));
                    f.delete();
                }
            }
            return crs;
        } finally {
            ds.delete();
        }
    }

    /** Writes the judged patches a run applied into its own GeoPackage, as the {@code judged_patches} layer. */
    public static void carry(Path gpkg, String crs, PastVerdicts verdicts) {
        if (verdicts.isEmpty()) {
            return;
        }
        Gdal.init();
        DataSource ds = open(gpkg, true);
        try {
            SpatialReference srs = org.farmwatch.ingest.SceneCatalog.srs(crs);
            Layer l = ds.CreateLayer(JUDGED, srs, ogr.wkbMultiPolygon, new Vector<>(List.of("GEOMETRY_NAME=geom", "FID=fid")));
            for (String name : List.of("parcel_id", "patch_id", "verdict", "area_m2")) {
                FieldDefn fd = new FieldDefn(name, name.equals("area_m2") ? ogr.OFTReal : ogr.OFTString);
                l.CreateField(fd);
                fd.delete();
            }
            WKBWriter wkb = new WKBWriter();
            check(l.StartTransaction(), gpkg);
            verdicts.forEach((parcel, j) -> {
                Feature f = new Feature(l.GetLayerDefn());
                f.SetField("parcel_id", parcel);
                f.SetField("patch_id", j.patchId());
                f.SetField("verdict", j.verdict());
                f.SetField("area_m2", j.areaM2());
                f.SetGeometryDirectly(ogr.CreateGeometryFromWkb(wkb.write(j.geometry())));
                check(l.CreateFeature(f), gpkg);
                f.delete();
            });
            check(l.CommitTransaction(), gpkg);
        } finally {
            ds.delete();
        }
    }

    private static void add(Map<String, List<PastVerdicts.Judged>> byParcel, Set<String> seen, String parcel,
                            PastVerdicts.Judged j) {
        // The same judged patch may come from a verdicts table and a carried layer, or from two GeoPackages.
        if (seen.add(parcel + "\u0000" + j.patchId())) {
            PastVerdicts.add(byParcel, parcel, j);
        }
    }

    private static Map<String, Set<String>> flaggedPatches(DataSource ds, Path gpkg) {
        Layer l = ds.GetLayerByName("flagged_parcels");
        if (l == null || ds.GetLayerByName("change_patches") == null) {
            throw notOneMap(gpkg);
        }
        Map<String, Set<String>> out = new HashMap<>();
        l.ResetReading();
        for (Feature f = l.GetNextFeature(); f != null; f = l.GetNextFeature()) {
            Set<String> ids = out.computeIfAbsent(f.GetFieldAsString("parcel_id"), k -> new HashSet<>());
            for (String id : f.GetFieldAsString("patch_ids").split(";")) {
                if (!id.isBlank()) {
                    ids.add(id.strip());
                }
            }
            f.delete();
        }
        return out;
    }

    private static DataSource open(Path gpkg, boolean update) {
        if (!Files.isRegularFile(gpkg)) {
            throw FarmwatchException.usage(gpkg + ": no such GeoPackage (give a run's onemap.gpkg)");
        }
        DataSource ds;
        try {
            ds = ogr.Open(gpkg.toString(), update ? 1 : 0);
        } catch (RuntimeException e) {
            ds = null;
        }
        if (ds == null || !"GPKG".equals(ds.GetDriver().GetName())) {
            if (ds != null) {
                ds.delete();
            }
            throw notOneMap(gpkg);
        }
        return ds;
    }

    private static FarmwatchException notOneMap(Path gpkg) {
        return FarmwatchException.usage(gpkg + " is not a farmwatch onemap.gpkg (no change_patches and flagged_parcels layers)");
    }

    private static String crsOf(Layer l, Path gpkg) {
        SpatialReference srs = l.GetSpatialRef();
        String code = srs == null ? null : srs.GetAuthorityCode(null);
        String auth = srs == null ? null : srs.GetAuthorityName(null);
        if (code == null || auth == null) {
            throw FarmwatchException.usage(gpkg + ": change_patches has no EPSG code");
        }
        return auth + ":" + code;
    }

    private static Geometry read(WKBReader wkb, Feature f, Path gpkg) {
        try {
            return wkb.read(f.GetGeometryRef().ExportToWkb());
        } catch (ParseException | RuntimeException e) {
            throw FarmwatchException.input(gpkg + ": unreadable patch geometry (fid " + f.GetFID() + "): " + e.getMessage());
        }
    }

    private static List<String> row(String verdict, String number, String decided) {
        return List.of(Objects.toString(verdict, ""), Objects.toString(number, ""), Objects.toString(decided, ""));
    }

    private static void check(int err, Path gpkg) {
        if (err != 0) {
            throw new IllegalStateException("cannot write the verdicts of " + gpkg + ": " + org.gdal.gdal.gdal.GetLastErrorMsg());
        }
    }

    /** Merges judged patches of several sources; their CRSs must agree. */
    public static String mergeCrs(String a, String b, String what) {
        if (a == null) {
            return b;
        }
        if (b != null && !a.equalsIgnoreCase(b)) {
            throw FarmwatchException.usage("judged patches in " + a + " and in " + b + " (" + what
                    + "): verdicts of one grid only");
        }
        return a;
    }
}

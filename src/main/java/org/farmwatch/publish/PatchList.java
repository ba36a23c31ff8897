package org.farmwatch.publish;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.farmwatch.change.ChangePatch;
import org.farmwatch.classify.LandCover;
import org.farmwatch.flag.ChangeType;
import org.farmwatch.flag.FlaggedParcel;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.Point;

/**
 * The patch list: one row per change patch that flagged a parcel, in the form of the satellite law-enforcement
 * (卫片执法) lists county inspectors already work from. Beside the parcel list, as {@value #CSV_FILE} and as a
 * sheet of the workbook.
 *
 * <p>Each patch gets a readable 图斑编号 (patch number): its county's 6-digit code, the year of the after image and
 * a 4-digit sequence, numbered north to south then west to east within the county and year. The same findings get
 * the same numbers on every re-run; a run with other findings numbers afresh, and the patch id (a hash of place,
 * classes and dates) stays the key that {@code import-verdicts} and the one map use.
 */
public final class PatchList {

    public static final String CSV_FILE = "flagged_patches.csv";
    static final String SHEET = "图斑清单 Patches";

    /**
     * One patch as the list shows it. Immutable. Areas in square metres of the working CRS; the centre is the
     * patch's interior point, in the CGCS2000 3-degree Gauss–Krüger zone it falls in ({@code centreCrs}, x east with
     * the zone prefix, y north; NaN outside that zone system) and as CGCS2000 longitude and latitude.
     *
     * @param farmlandAreaM2 the part of the patch on the parcels it flagged
     * @param parcelIds      the flagged parcels the patch lies on, largest overlap first
     */
    public record Row(String patchNo, String patchId, String adminCode, String county, String township, String village,
                      List<String> parcelIds, String landClass, ChangeType changeType, LandCover fromClass,
                      LandCover toClass, double areaM2, double farmlandAreaM2, String beforeDate, String afterDate,
                      String centreCrs, double centreX, double centreY, double lon, double lat, double confidence) {

        public Row {
            if (patchNo == null || !patchNo.matches("\\d{14,}")) {
                throw new IllegalArgumentException("patch number must be 6 + 4 + 4 digits, got: " + patchNo);
            }
            Objects.requireNonNull(patchId, "patchId");
            parcelIds = List.copyOf(parcelIds);
            if (!(areaM2 >= 0)) {
                throw new IllegalArgumentException("patch " + patchId + " area must be >= 0, got: " + areaM2);
            }
            if (!(farmlandAreaM2 >= 0 && farmlandAreaM2 <= areaM2 * (1 + 1e-9) + 1e-6)) {
                throw new IllegalArgumentException("patch " + patchId + " farmland area must be within 0.."
                        + areaM2 + ", got: " + farmlandAreaM2);
            }
            if (!(confidence >= 0 && confidence <= 1)) {
                throw new IllegalArgumentException("patch " + patchId + " confidence must be within 0..1, got: "
                        + confidence);
            }
        }

        public double areaMu() {
            return areaM2 / FlaggedParcel.M2_PER_MU;
        }

        public double farmlandAreaMu() {
            return farmlandAreaM2 / FlaggedParcel.M2_PER_MU;
        }
    }

    /** Where a point of the working CRS lies, for the list's centre columns. */
    public interface Locator {
        /** {lon, lat, x, y}: CGCS2000 degrees, then metres in the 3-degree zone {@link #zoneCrs} names (NaN if none). */
        double[] locate(double x, double y);

        /** The CGCS2000 3-degree zone CRS (such as "EPSG:4527") for a longitude, or "" outside zones 25..45. */
        String zoneCrs(double lon);
    }

    private PatchList() {}

    /**
     * Passes {@code patches} through, keeping in {@code kept} those whose id is in {@code wanted}: the patches a run
     * streams to its GeoPackage yield the patch list's few on the way.
     */
    public static Iterator<ChangePatch> keeping(Iterator<ChangePatch> patches, Set<String> wanted,
                                                Consumer<ChangePatch> kept) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return patches.hasNext();
            }

            @Override
            public ChangePatch next() {
                ChangePatch p = patches.next();
                if (wanted.contains(p.patchId())) {
                    kept.accept(p);
                }
                return p;
            }
        };
    }

    /** The ids of the patches that flagged parcels: the patches the list shows. */
    public static Set<String> flaggingPatchIds(List<FlaggedParcel> flagged) {
        Set<String> ids = new java.util.HashSet<>();
        flagged.forEach(f -> {
            if (f.patchIds() != null) {
                ids.addAll(f.patchIds());
            }
        });
        return ids;
    }

    /**
     * The list's rows: each of {@code patches} that a parcel of {@code flagged} names, numbered as the class says,
     * in patch-number order. Patches no flagged parcel names are left out.
     */
    public static List<Row> rows(Collection<ChangePatch> patches, List<FlaggedParcel> flagged, AdminNames names,
                                 Locator locator) {
        Map<String, List<FlaggedParcel>> parcelsOf = new HashMap<>();
        for (FlaggedParcel f : flagged) {
            if (f.patchIds() != null) {
                f.patchIds().forEach(id -> parcelsOf.computeIfAbsent(id, k -> new ArrayList<>()).add(f));
            }
        }
        Map<String, ChangePatch> unique = new TreeMap<>();
        patches.forEach(p -> {
            if (parcelsOf.containsKey(p.patchId())) {
                unique.putIfAbsent(p.patchId(), p);
            }
        });
        // Numbered per county and year, north to south then west to east, the patch id breaking ties.
        Map<String, List<Placed>> groups = new TreeMap<>();
        for (ChangePatch p : unique.values()) {
            Placed placed = Placed.of(p, parcelsOf.get(p.patchId()));
            groups.computeIfAbsent(placed.countyCode + year(p.afterDate()), k -> new ArrayList<>()).add(placed);
        }
        List<Row> rows = new ArrayList<>();
        for (Map.Entry<String, List<Placed>> g : groups.entrySet()) {
            List<Placed> list = g.getValue();
            list.sort(Comparator.comparingDouble((Placed q) -> -q.centre.getY())
                    .thenComparingDouble(q -> q.centre.getX()).thenComparing(q -> q.patch.patchId()));
            for (int i = 0; i < list.size(); i++) {
                rows.add(list.get(i).row(g.getKey() + String.format("%04d", i + 1), names, locator));
            }
        }
        return rows;
    }

    /** A patch with the parcels it lies on, largest overlap first, and its centre in the working CRS. */
    private record Placed(ChangePatch patch, List<FlaggedParcel> parcels, double farmlandM2, Point centre,
                          String countyCode) {

        static Placed of(ChangePatch patch, List<FlaggedParcel> onParcels) {
            Map<FlaggedParcel, Double> overlap = new LinkedHashMap<>();
            double farmland = 0;
            for (FlaggedParcel f : onParcels) {
                double a = overlap(patch.geometry(), f.geometry());
                overlap.put(f, a);
                farmland += a;
            }
            List<FlaggedParcel> ordered = new ArrayList<>(overlap.keySet());
            ordered.sort(Comparator.comparingDouble((FlaggedParcel f) -> -overlap.get(f))
                    .thenComparing(f -> Objects.toString(f.parcelId(), "")));
            Point centre = patch.geometry().getInteriorPoint();
            String county = AdminNames.countyCode(ordered.get(0).adminCode());
            return new Placed(patch, ordered, Math.min(farmland, patch.areaM2()), centre, county);
        }

        Row row(String patchNo, AdminNames names, Locator locator) {
            FlaggedParcel main = parcels.get(0);
            double[] lonLat = locator.locate(centre.getX(), centre.getY());
            String admin = Objects.toString(main.adminCode(), "");
            return new Row(patchNo, patch.patchId(), admin, names.county(admin),
                    names.township(admin, main.township()), names.village(admin),
                    parcels.stream().map(f -> Objects.toString(f.parcelId(), "")).toList(), main.landClass(),
                    patch.changeType(), patch.fromClass(), patch.toClass(), patch.areaM2(), farmlandM2,
                    patch.beforeDate(), patch.afterDate(), locator.zoneCrs(lonLat[0]), lonLat[2], lonLat[3],
                    lonLat[0], lonLat[1], Math.max(0, Math.min(1, patch.confidence())));
        }
    }

    /** Each listed patch's number by its id, as {@link #rows} gives them (numbers need no names or CRS). */
    public static Map<String, String> numbers(Collection<ChangePatch> patches, List<FlaggedParcel> flagged) {
        Locator none = new Locator() {
            @Override
            public double[] locate(double x, double y) {
                return new double[] {Double.NaN, Double.NaN, Double.NaN, Double.NaN};
            }

            @Override
            public String zoneCrs(double lon) {
                return "";
            }
        };
        Map<String, String> out = new HashMap<>();
        rows(patches, flagged, AdminNames.none(), none).forEach(r -> out.put(r.patchId(), r.patchNo()));
        return out;
    }

    /** Area of the overlap; a geometry JTS cannot intersect counts by its buffer(0) repair. */
    static double overlap(Geometry a, Geometry b) {
        if (a == null || b == null || !a.getEnvelopeInternal().intersects(b.getEnvelopeInternal())) {
            return 0;
        }
        try {
            return a.intersection(b).getArea();
        } catch (RuntimeException e) {
            return a.buffer(0).intersection(b.buffer(0)).getArea();
        }
    }

    private static String year(String date) {
        return date != null && date.length() >= 4 && date.substring(0, 4).chars().allMatch(Character::isDigit)
                ? date.substring(0, 4) : "0000";
    }

    // ---- the columns ----

    /** "耕地 → 建设用地" for a patch's classes. */
    static String fromToChinese(LandCover from, LandCover to) {
        return (from == null ? "?" : from.chinese) + " → " + (to == null ? "?" : to.chinese);
    }

    static String fromToEnglish(LandCover from, LandCover to) {
        return (from == null ? "?" : from.english) + " → " + (to == null ? "?" : to.english);
    }

    /**
     * The confidence in one phrase. Published patches lie between about 0.5 and 1 (the mean per-cell confidence);
     * the bands follow the priority's weighting, where a patch at 0.7 counts a quarter of one at 1.
     */
    static String confidencePhrase(double confidence) {
        String c = String.format(java.util.Locale.ROOT, "%.2f", confidence);
        if (confidence >= 0.85) {
            return "高 " + c + " 变化明显 high: clear on both images";
        }
        if (confidence >= 0.7) {
            return "中 " + c + " 较可能 medium: likely, check on site";
        }
        return "低 " + c + " 或为季节、云影 low: may be season or cloud";
    }

    static String changeTypeText(ChangeType t) {
        return t == null ? "" : t.chinese + " " + t.code;
    }

    /** The list's columns, in the 卫片执法 order: where, how large, when, what, how sure; codes last. */
    static final List<ListColumn<Row>> COLUMNS = List.of(
            ListColumn.text("图斑编号 patch_no", 16, Row::patchNo),
            ListColumn.text("县(区) county", 10, Row::county),
            ListColumn.text("乡镇 township", 10, Row::township),
            ListColumn.text("村 village", 8, Row::village),
            ListColumn.number("监测面积(亩) monitored_area_mu", 2, 9, Row::areaMu),
            ListColumn.number("其中耕地面积(亩) farmland_area_mu", 2, 9, Row::farmlandAreaMu),
            ListColumn.text("前时相 before_date", 10, Row::beforeDate),
            ListColumn.text("后时相 after_date", 10, Row::afterDate),
            ListColumn.text("变化 from_to_zh", 11, r -> fromToChinese(r.fromClass(), r.toClass())),
            ListColumn.text("change from_to_en", 15, r -> fromToEnglish(r.fromClass(), r.toClass())),
            ListColumn.text("变化类型 change_type", 10, r -> changeTypeText(r.changeType())),
            ListColumn.text("地类 land_class", 10, r -> LandClasses.named(r.landClass())),
            ListColumn.text("置信度 confidence", 16, r -> confidencePhrase(r.confidence())),
            ListColumn.number("中心点X(东) centre_x_east", 2, 13, Row::centreX),
            ListColumn.number("中心点Y(北) centre_y_north", 2, 13, Row::centreY),
            ListColumn.text("坐标系 centre_crs", 10, r -> r.centreCrs().isEmpty() ? ""
                    : "CGCS2000 3° " + r.centreCrs()),
            ListColumn.number("经度 lon", 6, 11, Row::lon),
            ListColumn.number("纬度 lat", 6, 10, Row::lat),
            ListColumn.text("关联地块 parcel_ids", 14, r -> String.join(";", r.parcelIds())),
            ListColumn.text("行政区划代码 admin_code", 14, Row::adminCode),
            ListColumn.text("图斑标识 patch_id", 19, Row::patchId));

    /**
     * Empty columns after {@link #COLUMNS} for the inspectors; {@code import-verdicts} reads the first three (by their
     * English key) for every parcel of {@code parcel_ids}. The evidence column is for their own photo or file names.
     */
    static final List<String> VERDICT_HEADERS = List.of("核查结论 verdict (confirmed / false_alarm / approved)",
            "批准文号 approval_number", "核查日期 decided_on", "举证材料 evidence");
}

package org.farmwatch.publish;

import java.nio.file.Path;
import java.text.Collator;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.farmwatch.flag.ChangeType;
import org.farmwatch.flag.FlaggedParcel;
import org.farmwatch.util.FarmwatchException;

/**
 * Writes the lists that county inspectors work from: {@code flagged_parcels.csv} with every township's parcels,
 * {@code flagged_patches.csv} with the patch list ({@link PatchList}), and {@code flagged_parcels.xlsx} with a summary
 * sheet, the patch list sheet and one sheet per township ({@link ListWorkbook}). Parcels are listed by priority,
 * highest first, then by parcel id; patches by their patch number.
 *
 * <p>Conventions: areas in square metres and mu (亩), rounded as printed, and the same rounded
 * values are stored as numbers in the workbook; the changed share is a percentage; centroids are
 * CGCS2000 (EPSG:4490) longitude and latitude in degrees. Text that a spreadsheet would run as a
 * formula (starting with {@code = + - @}, tab or CR) is prefixed with {@code '}.
 */
public final class InspectorLists {

    public static final String CSV_FILE = "flagged_parcels.csv";
    public static final String XLSX_FILE = "flagged_parcels.xlsx";
    static final String SUMMARY_SHEET = "汇总 Summary";
    static final String UNKNOWN_TOWNSHIP = "未知乡镇 unknown";

    /** Excel's limit on sheet name length, in UTF-16 units. */
    private static final int MAX_SHEET_NAME = 31;

    /** The list's columns, shared with the HTML report's table. */
    static final List<ListColumn<FlaggedParcel>> COLUMNS = List.of(
            ListColumn.<FlaggedParcel>text("地块编号 parcel_id", 18, FlaggedParcel::parcelId),
            ListColumn.<FlaggedParcel>text("乡镇 township", 14, FlaggedParcel::township),
            ListColumn.<FlaggedParcel>text("行政区划代码 admin_code", 14, FlaggedParcel::adminCode),
            ListColumn.<FlaggedParcel>text("地类 land_class", 14, p -> LandClasses.named(p.landClass())),
            ListColumn.<FlaggedParcel>text("变化类型 change_type_zh", 10, p -> p.changeType() == null ? null : p.changeType().chinese),
            ListColumn.<FlaggedParcel>text("变化类型代码 change_type", 16, p -> p.changeType() == null ? null : p.changeType().code),
            ListColumn.<FlaggedParcel>text("变化 from_to", 30, InspectorLists::fromTo),
            ListColumn.<FlaggedParcel>number("变化面积(平方米) changed_area_m2", 1, 14, FlaggedParcel::changedAreaM2),
            ListColumn.<FlaggedParcel>number("变化面积(亩) changed_area_mu", 2, 12, FlaggedParcel::changedAreaMu),
            ListColumn.<FlaggedParcel>number("变化占比(%) changed_share_pct", 1, 12, p -> 100.0 * p.changedShare()),
            ListColumn.<FlaggedParcel>number("图斑数 patch_count", 0, 8, FlaggedParcel::patchCount),
            ListColumn.<FlaggedParcel>text("前时相日期 before_date", 12, FlaggedParcel::beforeDate),
            ListColumn.<FlaggedParcel>text("后时相日期 after_date", 12, FlaggedParcel::afterDate),
            ListColumn.<FlaggedParcel>number("中心点经度(CGCS2000) centroid_lon", 6, 13, FlaggedParcel::centroidLon),
            ListColumn.<FlaggedParcel>number("中心点纬度(CGCS2000) centroid_lat", 6, 13, FlaggedParcel::centroidLat),
            // Confidence-weighted changed mu times (0.5 + share), cropland x1.2 (ParcelFlagger): a rank, not a measure.
            ListColumn.<FlaggedParcel>number("优先级(越大越先查) priority", 2, 10, FlaggedParcel::priority),
            ListColumn.<FlaggedParcel>text("判定规则 rule", 18, FlaggedParcel::rule),
            ListColumn.<FlaggedParcel>text("图斑标识 patch_ids", 24, InspectorLists::joinedPatchIds));

    /**
     * Empty columns after {@link #COLUMNS} in the CSV and the township sheets, for the inspectors to fill in and
     * send back through {@code import-verdicts} ({@link VerdictFile} finds them by the English key in the header).
     */
    static final List<String> VERDICT_HEADERS = List.of("核查结论 verdict (confirmed / false_alarm / approved)",
            "批准文号 approval_number", "核查日期 decided_on");

    /** Highest priority first (not-a-number last), then parcel id, so that reruns list parcels identically. */
    static final Comparator<FlaggedParcel> PRIORITY_ORDER = Comparator
            .comparingDouble((FlaggedParcel p) -> Double.isNaN(p.priority()) ? Double.NEGATIVE_INFINITY : p.priority())
            .reversed()
            .thenComparing(p -> Objects.toString(p.parcelId(), ""));

    private InspectorLists() {}

    /** As {@link #write(List, List, Map, Path)} without a patch list or dossier links. */
    public static void write(List<FlaggedParcel> parcels, Path dir) {
        write(parcels, List.of(), Map.of(), dir);
    }

    /**
     * Writes {@code dir/flagged_parcels.csv}, {@code dir/flagged_patches.csv} (when there are patch rows) and
     * {@code dir/flagged_parcels.xlsx}, creating {@code dir} if needed and replacing earlier lists. All files are
     * written in full to temporary files in {@code dir} before any is moved into place.
     *
     * @param patches      the patch list's rows ({@link PatchList#rows}), in their order
     * @param dossierFiles each township's dossier, relative to {@code dir} ("dossiers/dossier_x.pdf"), for links;
     *                     empty when no dossiers are written
     * @throws FarmwatchException if a file cannot be written
     */
    public static void write(List<FlaggedParcel> parcels, List<PatchList.Row> patches, Map<String, String> dossierFiles,
                             Path dir) {
        Objects.requireNonNull(parcels, "parcels");
        Objects.requireNonNull(patches, "patches");
        Objects.requireNonNull(dossierFiles, "dossierFiles");
        Objects.requireNonNull(dir, "dir");
        List<FlaggedParcel> sorted = new ArrayList<>(parcels);
        sorted.sort(PRIORITY_ORDER);
        Map<Path, ListFiles.Body> bodies = new LinkedHashMap<>();
        bodies.put(dir.resolve(CSV_FILE), out -> ListFiles.writeCsv(COLUMNS, VERDICT_HEADERS, sorted, out));
        if (!patches.isEmpty()) {
            bodies.put(dir.resolve(PatchList.CSV_FILE),
                    out -> ListFiles.writeCsv(PatchList.COLUMNS, PatchList.VERDICT_HEADERS, patches, out));
        }
        bodies.put(dir.resolve(XLSX_FILE), out -> ListWorkbook.write(sorted, patches, dossierFiles, out));
        Map<Path, Path> temps = new LinkedHashMap<>();
        try {
            bodies.forEach((target, body) -> temps.put(target, ListFiles.writeTemp(target, body)));
        } catch (RuntimeException e) {
            temps.values().forEach(ListFiles::deleteQuietly);
            throw e;
        }
        temps.forEach((target, tmp) -> ListFiles.moveIntoPlace(tmp, target));
    }

    /** A cell as the lists print it: numbers plainly, text neutralised against formula injection. */
    static String printed(Object cell) {
        return ListFiles.printed(cell);
    }

    /** Writes {@code target} through a temporary sibling and a rename, so readers never see half a file. */
    static void writeAtomically(Path target, ListFiles.Body body) {
        ListFiles.writeAtomically(target, body);
    }

    /** "耕地 → 建设用地 cropland → built-up and transport" from a parcel's class keys ("cropland,orchard"). */
    static String fromTo(FlaggedParcel p) {
        if ((p.fromClasses() == null || p.fromClasses().isBlank()) && (p.toClasses() == null || p.toClasses().isBlank())) {
            return "";
        }
        return names(p.fromClasses(), true) + " → " + names(p.toClasses(), true) + "  "
                + names(p.fromClasses(), false) + " → " + names(p.toClasses(), false);
    }

    private static String names(String keys, boolean chinese) {
        if (keys == null || keys.isBlank()) {
            return "?";
        }
        List<String> out = new ArrayList<>();
        for (String k : keys.split(",")) {
            try {
                org.farmwatch.classify.LandCover c = org.farmwatch.classify.LandCover.ofKey(k);
                out.add(chinese ? c.chinese : c.english);
            } catch (IllegalArgumentException e) {
                out.add(k.strip()); // a class this build does not know: shown as stored
            }
        }
        return String.join(chinese ? "、" : ", ", out);
    }

    /**
     * A sheet name Excel accepts, unique among {@code taken} (lower-cased names, updated here):
     * at most 31 characters, none of {@code [ ] : * ? / \}, not blank, not "History". Apostrophes
     * become ’ because fastexcel quotes sheet names in the autofilter's defined name without
     * doubling them, which Excel reports as a corrupt file.
     */
    static String sheetName(String township, Set<String> taken) {
        StringBuilder b = new StringBuilder();
        township.codePoints().forEach(cp -> {
            if ("[]:*?/\\".indexOf(cp) >= 0) {
                b.append('_');
            } else if (cp == '\'') {
                b.append('’');
            } else if (!Character.isISOControl(cp)) {
                b.appendCodePoint(cp);
            }
        });
        String base = b.toString().strip();
        if (base.isEmpty() || base.equalsIgnoreCase("History")) {
            base = base.isEmpty() ? "乡镇" : base + "_";
        }
        String name = truncate(base, MAX_SHEET_NAME);
        for (int n = 2; !taken.add(name.toLowerCase(Locale.ROOT)); n++) {
            String suffix = "~" + n;
            name = truncate(base, MAX_SHEET_NAME - suffix.length()) + suffix;
        }
        return name;
    }

    /** At most {@code max} UTF-16 units, never splitting a surrogate pair. */
    private static String truncate(String s, int max) {
        if (s.length() <= max) {
            return s;
        }
        int end = Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
        return s.substring(0, end);
    }

    // ---- grouping, shared with the report ----

    /** The parcel's township, or a placeholder when the parcel layer has none. */
    static String townshipOf(FlaggedParcel p) {
        String t = p.township();
        return t == null || t.isBlank() ? UNKNOWN_TOWNSHIP : t.strip();
    }

    /** Parcels grouped by township in Chinese collation order (pinyin for common characters); lists keep their order. */
    static Map<String, List<FlaggedParcel>> byTownship(List<FlaggedParcel> parcels) {
        Collator zh = Collator.getInstance(Locale.CHINA);
        Comparator<String> order = ((Comparator<String>) zh::compare).thenComparing(Comparator.naturalOrder());
        return parcels.stream().collect(Collectors.groupingBy(InspectorLists::townshipOf, () -> new TreeMap<>(order),
                Collectors.toList()));
    }

    static Map<ChangeType, Integer> countByType(List<FlaggedParcel> parcels) {
        Map<ChangeType, Integer> counts = new EnumMap<>(ChangeType.class);
        for (FlaggedParcel p : parcels) {
            counts.merge(p.changeType() == null ? ChangeType.OTHER : p.changeType(), 1, Integer::sum);
        }
        return counts;
    }

    static double sumMu(List<FlaggedParcel> parcels) {
        double mu = 0;
        for (FlaggedParcel p : parcels) {
            if (Double.isFinite(p.changedAreaM2())) {
                mu += p.changedAreaMu();
            }
        }
        return mu;
    }

    private static String joinedPatchIds(FlaggedParcel p) {
        if (p.patchIds() == null) {
            return null;
        }
        return p.patchIds().stream().map(id -> Objects.toString(id, "")).collect(Collectors.joining(";"));
    }

}

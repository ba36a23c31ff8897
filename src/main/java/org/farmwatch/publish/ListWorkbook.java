package org.farmwatch.publish;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.dhatim.fastexcel.HyperLink;
import org.dhatim.fastexcel.Workbook;
import org.dhatim.fastexcel.Worksheet;
import org.farmwatch.flag.ChangeType;
import org.farmwatch.flag.FlaggedParcel;

/**
 * The inspectors' workbook {@code flagged_parcels.xlsx}: a summary sheet (counts and mu per township, with a link to
 * each township's dossier), the patch list sheet, and one sheet of parcels per township. Every list sheet has a
 * verdict drop-down and prints landscape, one page wide, its header on every page.
 */
final class ListWorkbook {

    private static final List<Double> PARCEL_VERDICT_WIDTHS = List.of(18.0, 14.0, 11.0);
    private static final List<Double> PATCH_VERDICT_WIDTHS = List.of(18.0, 14.0, 11.0, 14.0, 16.0);
    static final String DOSSIER_HEADER = "核查单 dossier";

    private ListWorkbook() {}

    /** Writes the workbook of {@code sorted} (priority order) and {@code patches}; see {@link InspectorLists#write}. */
    static void write(List<FlaggedParcel> sorted, List<PatchList.Row> patches, Map<String, String> dossierFiles,
                      OutputStream out) throws IOException {
        Map<String, List<FlaggedParcel>> byTownship = InspectorLists.byTownship(sorted);
        Set<String> taken = new HashSet<>();
        taken.add(InspectorLists.SUMMARY_SHEET.toLowerCase(Locale.ROOT));
        taken.add(PatchList.SHEET.toLowerCase(Locale.ROOT));
        Map<String, String> sheetOf = new LinkedHashMap<>();
        for (String township : byTownship.keySet()) {
            sheetOf.put(township, InspectorLists.sheetName(township, taken));
        }

        Workbook wb = new Workbook(out, "farmwatch", "0.1");
        wb.properties().setTitle("耕地变化核查清单 Flagged farmland parcels");
        Worksheet summary = wb.newWorksheet(InspectorLists.SUMMARY_SHEET);
        writeSummarySheet(summary, byTownship, sheetOf, dossierFiles);
        summary.finish();
        if (!patches.isEmpty()) {
            Worksheet ws = wb.newWorksheet(PatchList.SHEET);
            writePatchSheet(ws, patches, sorted, dossierFiles);
            ws.finish();
        }
        for (Map.Entry<String, List<FlaggedParcel>> e : byTownship.entrySet()) {
            Worksheet ws = wb.newWorksheet(sheetOf.get(e.getKey()));
            ListFiles.writeSheet(ws, InspectorLists.COLUMNS, InspectorLists.VERDICT_HEADERS, PARCEL_VERDICT_WIDTHS,
                    e.getValue(), null);
            ws.finish();
        }
        wb.finish();
    }

    /** The patch sheet, with a last column linking each patch to its township's dossier. */
    private static void writePatchSheet(Worksheet ws, List<PatchList.Row> patches, List<FlaggedParcel> sorted,
                                        Map<String, String> dossierFiles) {
        List<String> extra = new ArrayList<>(PatchList.VERDICT_HEADERS);
        if (!dossierFiles.isEmpty()) {
            extra.add(DOSSIER_HEADER);
        }
        ListFiles.writeSheet(ws, PatchList.COLUMNS, extra, PATCH_VERDICT_WIDTHS.subList(0, extra.size()), patches,
                null);
        if (dossierFiles.isEmpty()) {
            return;
        }
        // A patch's dossier is its main parcel's township's: the dossiers are per township of flagged parcels.
        Map<String, String> townshipOfParcel = new LinkedHashMap<>();
        sorted.forEach(p -> townshipOfParcel.putIfAbsent(String.valueOf(p.parcelId()), InspectorLists.townshipOf(p)));
        int col = PatchList.COLUMNS.size() + extra.size() - 1;
        for (int r = 0; r < patches.size(); r++) {
            List<String> ids = patches.get(r).parcelIds();
            String file = ids.isEmpty() ? null : dossierFiles.get(townshipOfParcel.get(ids.get(0)));
            if (file != null) {
                ws.hyperlink(r + 1, col, new HyperLink(file, shortName(file)));
                ws.style(r + 1, col).verticalAlignment("top").set();
            }
        }
    }

    private static void writeSummarySheet(Worksheet ws, Map<String, List<FlaggedParcel>> byTownship,
                                          Map<String, String> sheetOf, Map<String, String> dossierFiles) {
        List<ChangeType> types = ChangeType.FLAGGING;
        List<String> header = new ArrayList<>(List.of("乡镇 township", "工作表 sheet"));
        for (ChangeType t : types) {
            header.add(t.chinese + " " + t.code);
        }
        header.add("合计 total");
        header.add("变化面积(亩) changed_area_mu");
        if (!dossierFiles.isEmpty()) {
            header.add(DOSSIER_HEADER);
        }
        for (int c = 0; c < header.size(); c++) {
            ws.value(0, c, header.get(c));
            ws.width(c, c == 1 ? 20 : 14);
        }
        ws.width(0, 20);
        ws.width(header.size() - 1, dossierFiles.isEmpty() ? 14 : 30);
        Map<ChangeType, Integer> totals = new EnumMap<>(ChangeType.class);
        double totalMu = 0;
        int r = 1;
        for (Map.Entry<String, List<FlaggedParcel>> e : byTownship.entrySet()) {
            ws.value(r, 0, ListFiles.cellText(ListFiles.xmlSafe(ListFiles.neutralised(e.getKey()))));
            ws.value(r, 1, ListFiles.xmlSafe(ListFiles.neutralised(sheetOf.get(e.getKey()))));
            Map<ChangeType, Integer> counts = InspectorLists.countByType(e.getValue());
            int c = 2;
            for (ChangeType t : types) {
                int n = counts.getOrDefault(t, 0);
                ws.value(r, c++, n);
                totals.merge(t, n, Integer::sum);
            }
            ws.value(r, c++, e.getValue().size());
            double mu = InspectorLists.sumMu(e.getValue());
            totalMu += mu;
            ws.value(r, c, roundedMu(mu));
            ws.style(r, c).format("0.00").set();
            String file = dossierFiles.get(e.getKey());
            if (file != null) {
                ws.hyperlink(r, c + 1, new HyperLink(file, shortName(file)));
            }
            r++;
        }
        ws.value(r, 0, "合计 total");
        int c = 2;
        int all = 0;
        for (ChangeType t : types) {
            int n = totals.getOrDefault(t, 0);
            all += n;
            ws.value(r, c++, n);
        }
        ws.value(r, c++, all);
        ws.value(r, c, roundedMu(totalMu));
        ws.style(r, c).format("0.00").set();
        ws.range(r, 0, r, c).style().bold().set();
        ListFiles.styleHeader(ws, header.size());
        ws.rowHeight(0, 30); // the bilingual headers wrap onto two lines
        ws.freezePane(0, 1);
        ListFiles.printSetup(ws);
    }

    /** A link's shown text: the file name without its folder. */
    private static String shortName(String file) {
        return ListFiles.xmlSafe(file.substring(file.lastIndexOf('/') + 1));
    }

    private static BigDecimal roundedMu(double mu) {
        return Double.isFinite(mu) ? BigDecimal.valueOf(mu).setScale(2, RoundingMode.HALF_UP) : BigDecimal.ZERO;
    }
}

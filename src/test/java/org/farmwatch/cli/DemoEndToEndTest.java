package org.farmwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.farmwatch.util.Gdal;
import org.farmwatch.util.Json;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.gdal;
import org.gdal.ogr.DataSource;
import org.gdal.ogr.Feature;
import org.gdal.ogr.Layer;
import org.gdal.ogr.ogr;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The whole pipeline on sample-tiles/, as the README's demo command runs it, checked against truth.csv. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DemoEndToEndTest {

    @TempDir
    static Path tmp;
    Path out;

    @BeforeAll
    void runDemo() {
        out = tmp.resolve("demo");
        Cli r = Cli.run("demo", "--out", out.toString(), "--master", "local[2]");
        assertEquals(0, r.exit(), r.err());
    }

    static Map<String, String> truth() throws Exception {
        Map<String, String> t = new HashMap<>();
        List<String> lines = Files.readAllLines(Path.of("sample-tiles/truth.csv"));
        assertEquals("parcel_id,change_type", lines.get(0));
        for (String l : lines.subList(1, lines.size())) {
            String[] p = l.split(",");
            t.put(p[0], p[1]);
        }
        return t;
    }

    static Map<String, String> flagged(Path gpkg) {
        Gdal.init();
        DataSource ds = ogr.Open(gpkg.toString());
        try {
            Map<String, String> f = new HashMap<>();
            Layer l = ds.GetLayerByName("flagged_parcels");
            Feature feat;
            while ((feat = l.GetNextFeature()) != null) {
                f.put(feat.GetFieldAsString("parcel_id"), feat.GetFieldAsString("change_type"));
                feat.delete();
            }
            return f;
        } finally {
            ds.delete();
        }
    }

    @Test
    void flaggedParcelsMatchThePlantedConversions() throws Exception {
        Map<String, String> truth = truth();
        Map<String, String> flagged = flagged(out.resolve("onemap.gpkg"));
        long tp = flagged.entrySet().stream().filter(e -> e.getValue().equals(truth.get(e.getKey()))).count();
        double precision = (double) tp / flagged.size();
        double recall = (double) tp / truth.size();
        assertTrue(truth.size() >= 40, "the sample plants conversions");
        assertTrue(precision >= 0.95, "precision " + precision + " (" + tp + " of " + flagged.size() + ")");
        assertTrue(recall >= 0.95, "recall " + recall + " (" + tp + " of " + truth.size() + ")");
        assertTrue(flagged.containsValue("non_agricultural") && flagged.containsValue("non_grain"));
    }

    @Test
    void theGeoPackageHasBothLayersWithTheirFieldsAndDefaultStyles() {
        Gdal.init();
        DataSource ds = ogr.Open(out.resolve("onemap.gpkg").toString());
        try {
            Layer patches = ds.GetLayerByName("change_patches");
            Layer parcels = ds.GetLayerByName("flagged_parcels");
            assertTrue(patches.GetFeatureCount() > 0);
            for (String f : List.of("patch_id", "change_type", "from_class", "to_class", "area_m2", "area_mu",
                    "before_date", "after_date", "confidence")) {
                assertTrue(patches.GetLayerDefn().GetFieldIndex(f) >= 0, "change_patches." + f);
            }
            for (String f : List.of("parcel_id", "admin_code", "township", "land_class", "change_type", "changed_area_m2",
                    "changed_area_mu", "changed_share_pct", "patch_count", "parcel_area_m2", "centroid_lon", "status")) {
                assertTrue(parcels.GetLayerDefn().GetFieldIndex(f) >= 0, "flagged_parcels." + f);
            }
            assertEquals("EPSG", patches.GetSpatialRef().GetAuthorityName(null));
            // area_mu is area_m2 in mu, and patch ids are unique.
            Set<String> ids = new HashSet<>();
            double cells = 0;
            double drawn = 0;
            Feature f;
            while ((f = patches.GetNextFeature()) != null) {
                // To 2 decimals, as in the lists and the PostGIS current views.
                assertEquals(f.GetFieldAsDouble("area_m2") / (10000.0 / 15), f.GetFieldAsDouble("area_mu"), 0.0051);
                assertTrue(f.GetFieldAsDouble("area_m2") >= 400);
                // area_m2 is the patch's cells; the outline drawn is simplified (patch.simplifyMetres = auto, 7.5 m
                // here): cutting or filling a stair step moves half a cell, so on patches of 5 to 10 cells (smaller
                // ones keep their shape) one or two steps are up to a fifth of the area. The re-run below bounds each
                // patch against its cell edges.
                assertEquals(f.GetFieldAsDouble("area_m2"), f.GetGeometryRef().GetArea(), 0.2 * f.GetFieldAsDouble("area_m2"),
                        f.GetFieldAsString("patch_id"));
                assertTrue(f.GetGeometryRef().IsValid(), f.GetFieldAsString("patch_id"));
                cells += f.GetFieldAsDouble("area_m2");
                drawn += f.GetGeometryRef().GetArea();
                assertTrue(ids.add(f.GetFieldAsString("patch_id")));
                f.delete();
            }
            assertEquals(cells, drawn, 0.01 * cells, "the outlines' areas add up to the cells' within 1 %");
            Layer styles = ds.GetLayerByName("layer_styles");
            Set<String> styled = new HashSet<>();
            while ((f = styles.GetNextFeature()) != null) {
                assertEquals(1, f.GetFieldAsInteger("useAsDefault"));
                String table = f.GetFieldAsString("f_table_name");
                // Findings by verdict status and change type; the farmland one faint outline.
                assertTrue(f.GetFieldAsString("styleQML").contains(table.equals("farmland") ? "singleSymbol" : "RuleRenderer"));
                assertTrue(f.GetFieldAsString("styleQML").contains(table.equals("farmland") ? "旱地" : "非农化"));
                assertTrue(f.GetFieldAsString("styleSLD").contains("StyledLayerDescriptor"));
                styled.add(table);
                f.delete();
            }
            assertEquals(Set.of("change_patches", "flagged_parcels", "farmland"), styled);
        } finally {
            ds.delete();
        }
    }

    @Test
    void theChangeRastersAreCloudOptimizedGeoTiffs() {
        Gdal.init();
        Dataset d = gdal.Open(out.resolve("change.tif").toString());
        try {
            assertEquals("COG", d.GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE"));
            assertEquals(1, d.getRasterCount());
            assertTrue(d.GetRasterBand(1).GetOverviewCount() >= 1);
            assertEquals(4, d.GetRasterBand(1).GetColorTable().GetCount() >= 4 ? 4 : -1, "a palette for the change types");
            double[] minMax = new double[2];
            d.GetRasterBand(1).ComputeRasterMinMax(minMax, 0);
            assertEquals(0, minMax[0]);
            assertTrue(minMax[1] >= 2, "both conversion types appear in the raster");
        } finally {
            d.delete();
        }
        Dataset detail = gdal.Open(out.resolve("change_detail.tif").toString());
        try {
            assertEquals("COG", detail.GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE"));
            assertEquals(4, detail.getRasterCount());
        } finally {
            detail.delete();
        }
        for (String f : List.of("before_truecolour.tif", "after_truecolour.tif", "onemap.qgz")) {
            assertTrue(java.nio.file.Files.exists(out.resolve(f)), f);
        }
    }

    @Test
    void theOutputHasNoEmptyFolder() throws Exception {
        try (var s = Files.walk(out)) {
            List<Path> empty = s.filter(Files::isDirectory).filter(d -> {
                try (var in = Files.list(d)) {
                    return in.findAny().isEmpty();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
            assertEquals(List.of(), empty);
        }
    }

    @Test
    void theSparkEventLogIsNamedByTheRunId() throws Exception {
        String runId = Json.parseObject(Files.readString(out.resolve("run.json"))).get("run_id").toString();
        try (var s = Files.list(tmp.resolve(".farmwatch/spark-events"))) {
            List<String> logs = s.map(p -> p.getFileName().toString()).toList();
            assertTrue(logs.stream().anyMatch(n -> n.startsWith(runId + "_local-")), runId + " not in " + logs);
            assertTrue(logs.stream().noneMatch(n -> n.startsWith("local-")), "a log left with Spark's name: " + logs);
        }
    }

    @Test
    void inspectorListsReportAndRunJsonAreWritten() throws Exception {
        Path csv = out.resolve("inspector/flagged_parcels.csv");
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        assertEquals(flagged(out.resolve("onemap.gpkg")).size() + 1, lines.size());
        assertTrue(Files.size(out.resolve("inspector/flagged_parcels.xlsx")) > 1000);
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("leaflet") && html.contains("data:image/png;base64,"));
        // The map background plus a before and an after chip per flagged parcel.
        int images = html.split("data:image/png;base64,", -1).length - 1;
        assertTrue(images >= 1 + 2 * (lines.size() - 1), images + " images for " + (lines.size() - 1) + " parcels");
        Map<String, Object> run = Json.parseObject(Files.readString(out.resolve("run.json")));
        assertEquals("succeeded", run.get("status"));
        Map<String, Object> counts = Json.object(run.get("counts"));
        assertEquals(((Number) counts.get("flagged_parcels")).longValue(), lines.size() - 1L);
        assertTrue(Json.object(run.get("seconds")).containsKey("detect"));
        assertTrue(Json.object(run.get("versions")).get("gdal").toString().startsWith("3."));
        try (var s = Files.list(out.getParent())) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().contains(".partial")), "no staging folder left");
        }
    }

    @Test
    void theDossiersHaveOnePagePerFlaggedParcelOfTheirTownship() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(org.farmwatch.publish.PdfDossier.cjkFont().isPresent(),
                "no CJK font (fonts-wqy-microhei)");
        Map<String, Integer> perTownship = new HashMap<>();
        List<String> rows = Files.readAllLines(out.resolve("inspector/flagged_parcels.csv"), StandardCharsets.UTF_8);
        for (String row : rows.subList(1, rows.size())) {
            perTownship.merge(row.split(",")[1], 1, Integer::sum);
        }
        Path dir = out.resolve("inspector/dossiers");
        int pages = 0;
        for (Map.Entry<String, Integer> t : perTownship.entrySet()) {
            Path pdf = dir.resolve("dossier_" + t.getKey() + ".pdf");
            try (var doc = org.apache.pdfbox.Loader.loadPDF(pdf.toFile())) {
                assertEquals(t.getValue(), doc.getNumberOfPages(), pdf.toString());
                String text = new org.apache.pdfbox.text.PDFTextStripper().getText(doc);
                assertTrue(text.contains(t.getKey()), "township name printed in Chinese");
                pages += doc.getNumberOfPages();
            }
        }
        assertEquals(rows.size() - 1, pages);
        try (var s = Files.list(dir)) {
            assertEquals(perTownship.size(), s.count(), "one file per township and nothing else");
        }
    }

    /**
     * A re-run with the cell-edge outlines (patch.simplifyMetres = 0): the same patch ids, and the same flagged
     * parcels with the same areas, since the overlay uses the cell edges either way. Against those cell edges each
     * simplified outline is valid, has fewer vertices in all, stays within a cell, and differs in area by at most
     * what the simplifier may remove: a corner of at most tolerance² per vertex removed.
     */
    @Test
    void aRerunWithCellEdgeOutlinesGivesTheSamePatchIdsAndFlaggedParcels() throws Exception {
        Path again = tmp.resolve("again");
        Path conf = tmp.resolve("cell-edges.conf");
        Files.writeString(conf, "patch.simplifyMetres = 0\n");
        Cli r = Cli.run("demo", "--out", again.toString(), "--master", "local[2]", "--conf", conf.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals(patchIds(out.resolve("onemap.gpkg")), patchIds(again.resolve("onemap.gpkg")));
        Map<String, String> flaggedOn = flaggedRows(out.resolve("onemap.gpkg"));
        assertTrue(flaggedOn.size() >= 40);
        assertEquals(flaggedOn, flaggedRows(again.resolve("onemap.gpkg")));

        Map<String, org.locationtech.jts.geom.Geometry> simple = outlines(out.resolve("onemap.gpkg"));
        Map<String, org.locationtech.jts.geom.Geometry> cellEdges = outlines(again.resolve("onemap.gpkg"));
        double tolerance = 7.5;
        double cell = 10;
        long verticesSimple = 0;
        long verticesCells = 0;
        for (Map.Entry<String, org.locationtech.jts.geom.Geometry> e : cellEdges.entrySet()) {
            org.locationtech.jts.geom.Geometry c = e.getValue();
            org.locationtech.jts.geom.Geometry s = simple.get(e.getKey());
            assertTrue(s.isValid(), e.getKey());
            verticesSimple += s.getNumPoints();
            verticesCells += c.getNumPoints();
            assertTrue(org.locationtech.jts.algorithm.distance.DiscreteHausdorffDistance.distance(c, s) <= cell, e.getKey());
            // On cell corners the outline has length / cell vertices (plus each ring's closing one); each removed
            // vertex cuts or fills a corner of at most tolerance².
            long removed = Math.round(c.getLength() / cell) + rings(c) - s.getNumPoints();
            assertEquals(c.getArea(), s.getArea(), removed * tolerance * tolerance + 1e-6, e.getKey());
        }
        assertTrue(verticesSimple < verticesCells, verticesSimple + " vertices drawn, " + verticesCells + " on cell edges");
        // The outlines overlap nowhere (their union's area is their sum) and open no gap where patches met (the
        // union has the holes the cells' union has, no more).
        org.locationtech.jts.geom.Geometry unionSimple = org.locationtech.jts.operation.union.UnaryUnionOp.union(
                new ArrayList<>(simple.values()));
        double sum = simple.values().stream().mapToDouble(org.locationtech.jts.geom.Geometry::getArea).sum();
        assertEquals(sum, unionSimple.getArea(), 1e-6 * sum);
        org.locationtech.jts.geom.Geometry unionCells = org.locationtech.jts.operation.union.UnaryUnionOp.union(
                new ArrayList<>(cellEdges.values()));
        assertEquals(rings(unionCells), rings(unionSimple));
        Map<String, Object> counts = Json.object(Json.parseObject(Files.readString(out.resolve("run.json"))).get("counts"));
        assertEquals(0L, ((Number) counts.get("outline_groups_kept_cell_edges")).longValue());
        assertTrue(Json.object(Json.parseObject(Files.readString(again.resolve("run.json"))).get("counts"))
                .get("outline_vertices_published") == null, "no outline step when off");
    }

    /** Every flagged parcel as the fields the overlay and flagging decide, keyed by parcel id. */
    static Map<String, String> flaggedRows(Path gpkg) {
        Gdal.init();
        DataSource ds = ogr.Open(gpkg.toString());
        try {
            Map<String, String> rows = new HashMap<>();
            Layer l = ds.GetLayerByName("flagged_parcels");
            Feature f;
            while ((f = l.GetNextFeature()) != null) {
                rows.put(f.GetFieldAsString("parcel_id"), f.GetFieldAsString("change_type") + " "
                        + f.GetFieldAsDouble("changed_area_m2") + " " + f.GetFieldAsDouble("changed_share_pct") + " "
                        + f.GetFieldAsString("patch_ids") + " " + f.GetFieldAsDouble("priority"));
                f.delete();
            }
            return rows;
        } finally {
            ds.delete();
        }
    }

    static Map<String, org.locationtech.jts.geom.Geometry> outlines(Path gpkg) throws Exception {
        Gdal.init();
        DataSource ds = ogr.Open(gpkg.toString());
        try {
            org.locationtech.jts.io.WKBReader wkb = new org.locationtech.jts.io.WKBReader();
            Map<String, org.locationtech.jts.geom.Geometry> out = new HashMap<>();
            Layer l = ds.GetLayerByName("change_patches");
            Feature f;
            while ((f = l.GetNextFeature()) != null) {
                out.put(f.GetFieldAsString("patch_id"), wkb.read(f.GetGeometryRef().ExportToWkb()));
                f.delete();
            }
            return out;
        } finally {
            ds.delete();
        }
    }

    private static int rings(org.locationtech.jts.geom.Geometry g) {
        int n = 0;
        for (int i = 0; i < g.getNumGeometries(); i++) {
            n += 1 + ((org.locationtech.jts.geom.Polygon) g.getGeometryN(i)).getNumInteriorRing();
        }
        return n;
    }

    static Set<String> patchIds(Path gpkg) {
        Gdal.init();
        DataSource ds = ogr.Open(gpkg.toString());
        try {
            Set<String> ids = new HashSet<>();
            Layer l = ds.GetLayerByName("change_patches");
            Feature f;
            while ((f = l.GetNextFeature()) != null) {
                ids.add(f.GetFieldAsString("patch_id"));
                f.delete();
            }
            return ids;
        } finally {
            ds.delete();
        }
    }
}

package org.farmwatch.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Vector;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.farmwatch.change.ChangePatch;
import org.farmwatch.classify.LandCover;
import org.farmwatch.farmland.Parcel;
import org.farmwatch.flag.ChangeType;
import org.farmwatch.flag.FlaggedParcel;
import org.farmwatch.ingest.Scene;
import org.farmwatch.ingest.SceneCatalog;
import org.farmwatch.util.Gdal;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.gdal;
import org.gdal.gdalconst.gdalconstConstants;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.locationtech.jts.geom.Envelope;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.GeometryFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The QGIS project and the true-colour COGs, without QGIS: the .qgz is a zip holding a .qgs that
 * parses, names the five one-map layers by relative paths and embeds the styles; the composites are
 * Cloud-Optimized three-band Byte GeoTIFFs on the working grid. {@link QgisRenderTest} loads the
 * same kind of output in real QGIS.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QgisProjectTest {

    static final String CRS = "EPSG:4527";
    static final Path BEFORE = Path.of("sample-tiles/scenes/20250415");
    static final Path AFTER = Path.of("sample-tiles/scenes/20250920");

    @TempDir
    static Path tmp;
    Path dir;
    Envelope area;

    @BeforeAll
    void writeOutputs() throws Exception {
        Gdal.init();
        dir = tmp.resolve("out");
        Files.createDirectories(dir);
        Scene before = SceneCatalog.open(BEFORE.toString());
        Scene after = SceneCatalog.open(AFTER.toString());
        // A part of the scenes, not aligned to the 10 m grid, to see the composite snap to it.
        Envelope fp = SceneCatalog.footprint(after, CRS).intersection(SceneCatalog.footprint(before, CRS));
        area = new Envelope(fp.getMinX() + 1003, fp.getMinX() + 5997, fp.getMinY() + 2004, fp.getMinY() + 6996);
        TrueColourCog.write(before, area, CRS, 10, dir.resolve(QgisProject.BEFORE_TRUE_COLOUR));
        TrueColourCog.write(after, before, area, CRS, 10, dir.resolve(QgisProject.AFTER_TRUE_COLOUR));
        writeGeoPackage(dir.resolve(QgisProject.GPKG), area);
        writeChangeRaster(dir.resolve(QgisProject.CHANGE_COG), area);
        QgisProject.write(dir, CRS, before.date().toString(), after.date().toString(),
                new QgisProject.Extras(true, null, null, null));
    }

    static void writeGeoPackage(Path gpkg, Envelope area) {
        GeometryFactory gf = new GeometryFactory();
        double x = area.getMinX() + 500;
        double y = area.getMinY() + 500;
        Geometry a = gf.toGeometry(new Envelope(x, x + 300, y, y + 200));
        Geometry b = gf.toGeometry(new Envelope(x + 1000, x + 1400, y + 800, y + 1100));
        List<ChangePatch> patches = List.of(
                new ChangePatch("cp-1", ChangeType.NON_AGRICULTURAL, "non_agri_building", LandCover.CROPLAND,
                        LandCover.BUILT_UP, 60000, 0.9, "2025-04-15", "2025-09-20", a),
                new ChangePatch("cp-2", ChangeType.NON_GRAIN, "non_grain_orchard", LandCover.CROPLAND, LandCover.ORCHARD,
                        120000, 0.8, "2025-04-15", "2025-09-20", b));
        List<FlaggedParcel> parcels = List.of(
                new FlaggedParcel("P-1", "371402001", "城关镇", "0101 水田", ChangeType.NON_AGRICULTURAL,
                        "non_agri_building", 60000, 60000, 1, List.of("cp-1"), "cropland", "built_up", "2025-04-15",
                        "2025-09-20", 0.9, 116.8, 36.7, a),
                new FlaggedParcel("P-2", "371402001", "城关镇", "0103 旱地", ChangeType.NON_GRAIN, "non_grain_orchard",
                        120000, 120000, 1, List.of("cp-2"), "cropland", "orchard", "2025-04-15", "2025-09-20", 0.5, 116.8,
                        36.7, b));
        Iterator<ChangePatch> pi = patches.iterator();
        Iterator<FlaggedParcel> fi = parcels.iterator();
        OneMapGeoPackage.write(gpkg, CRS, pi, fi);
        // The farmland: the two flagged parcels and one that did not trigger.
        Geometry quiet = gf.toGeometry(new Envelope(x + 2000, x + 2300, y, y + 300));
        OneMapGeoPackage.writeFarmland(gpkg, CRS, sink -> {
            sink.accept(new Parcel("P-1", "371402001", "城关镇", "0101", a));
            sink.accept(new Parcel("P-2", "371402001", "城关镇", "0103", b));
            sink.accept(new Parcel("P-3", "371402001", "城关镇", "0102", quiet));
        });
    }

    /** A small three-band change raster like ChangeRaster's: band 1 type codes 0..3. */
    static void writeChangeRaster(Path tif, Envelope area) {
        int w = (int) (area.getWidth() / 10);
        int h = (int) (area.getHeight() / 10);
        Dataset ds = gdal.GetDriverByName("GTiff").Create(tif.toString(), w, h, 3, gdalconstConstants.GDT_Byte,
                new Vector<>(List.of("COMPRESS=DEFLATE", "TILED=YES")));
        try {
            ds.SetGeoTransform(new double[] {area.getMinX(), 10, 0, area.getMaxY(), 0, -10});
            ds.SetProjection(SceneCatalog.srs(CRS).ExportToWkt());
            byte[] row = new byte[w];
            for (int r = 0; r < h; r++) {
                for (int c = 0; c < w; c++) {
                    row[c] = (byte) ((r / 50 + c / 50) % 4);
                }
                ds.GetRasterBand(1).WriteRaster(0, r, w, 1, row);
            }
        } finally {
            ds.delete();
        }
    }

    Document qgs() throws Exception {
        byte[] xml = null;
        List<String> names = new ArrayList<>();
        try (InputStream in = Files.newInputStream(dir.resolve(QgisProject.FILE_NAME));
             ZipInputStream zip = new ZipInputStream(in)) {
            ZipEntry e;
            while ((e = zip.getNextEntry()) != null) {
                names.add(e.getName());
                if (e.getName().equals(QgisProject.QGS_NAME)) {
                    xml = zip.readAllBytes();
                }
            }
        }
        assertEquals(List.of(QgisProject.QGS_NAME), names, "the .qgz holds the project file");
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(xml));
    }

    static List<Element> children(Element parent, String name) {
        List<Element> out = new ArrayList<>();
        NodeList nl = parent.getElementsByTagName(name);
        for (int i = 0; i < nl.getLength(); i++) {
            out.add((Element) nl.item(i));
        }
        return out;
    }

    static String child(Element e, String name) {
        NodeList nl = e.getElementsByTagName(name);
        return nl.getLength() == 0 ? null : nl.item(0).getTextContent();
    }

    @Test
    void projectNamesAllSixLayersByRelativePaths() throws Exception {
        Document doc = qgs();
        Element root = doc.getDocumentElement();
        assertEquals("qgis", root.getTagName());
        assertTrue(root.getAttribute("version").startsWith("3."), root.getAttribute("version"));
        Map<String, String> sources = new HashMap<>();
        for (Element m : children(root, "maplayer")) {
            sources.put(child(m, "datasource"), m.getAttribute("type"));
        }
        assertEquals(Map.of(
                "./onemap.gpkg|layername=flagged_parcels", "vector",
                "./onemap.gpkg|layername=change_patches", "vector",
                "./onemap.gpkg|layername=farmland", "vector",
                "./change.tif", "raster",
                "./after_truecolour.tif", "raster",
                "./before_truecolour.tif", "raster"), sources);
        String all = new String(Files.readAllBytes(dir.resolve(QgisProject.FILE_NAME)), java.nio.charset.StandardCharsets.ISO_8859_1);
        assertFalse(all.contains(dir.toAbsolutePath().toString()), "no absolute path in the archive");
        for (Element l : children(root, "layer-tree-layer")) {
            assertTrue(l.getAttribute("source").startsWith("./"), l.getAttribute("source"));
        }
        assertEquals(6, children(root, "layer-tree-layer").size());
        assertEquals(6, children((Element) root.getElementsByTagName("layerorder").item(0), "layer").size());
        Element paths = (Element) root.getElementsByTagName("Paths").item(0);
        assertEquals("false", child(paths, "Absolute"), "relative paths");
        // Each referenced file exists beside the project.
        for (String s : sources.keySet()) {
            assertTrue(Files.isRegularFile(dir.resolve(s.replaceFirst("\\|.*", ""))), s);
        }
    }

    @Test
    void projectCrsIsTheWorkingCrsAndTheMapOpensOnTheParcels() throws Exception {
        Element root = qgs().getDocumentElement();
        Element crs = (Element) root.getElementsByTagName("projectCrs").item(0);
        assertEquals(CRS, child(crs, "authid"));
        assertTrue(child(crs, "wkt").contains("4527"));
        for (Element m : children(root, "maplayer")) {
            assertEquals(CRS, child((Element) m.getElementsByTagName("srs").item(0), "authid"), child(m, "datasource"));
        }
        Element canvas = (Element) root.getElementsByTagName("mapcanvas").item(0);
        double xmin = Double.parseDouble(child(canvas, "xmin"));
        double xmax = Double.parseDouble(child(canvas, "xmax"));
        assertTrue(xmin < area.getMinX() + 500 && xmax > area.getMinX() + 1400 && xmax < area.getMaxX(),
                "extent around the flagged parcels: " + xmin + ".." + xmax);
    }

    @Test
    void vectorLayersCarryTheirStyleAndRastersTheirRenderers() throws Exception {
        Element root = qgs().getDocumentElement();
        int vectors = 0;
        for (Element m : children(root, "maplayer")) {
            String src = child(m, "datasource");
            if (m.getAttribute("type").equals("vector")) {
                vectors++;
                Element r = (Element) m.getElementsByTagName("renderer-v2").item(0);
                assertEquals("1", m.getAttribute("labelsEnabled"), src);
                Element rendering = (Element) m.getElementsByTagName("rendering").item(0);
                assertEquals("1", rendering.getAttribute("scaleVisibility"), "labels at large scales only: " + src);
                assertTrue(Integer.parseInt(rendering.getAttribute("scaleMax")) <= 10_000, src);
                // Every field, the fid too, has an alias.
                for (Element a : children(m, "alias")) {
                    assertFalse(a.getAttribute("name").isBlank(), src + ": no alias for " + a.getAttribute("field"));
                }
                assertEquals("ogr", child(m, "provider"));
                if (src.endsWith("farmland")) {
                    assertEquals("singleSymbol", r.getAttribute("type"));
                    assertFalse(xml(r).contains("\"style\" v=\"solid\""), "farmland unfilled");
                    assertTrue(xml(r).contains("255,255,170,150"), "farmland a faint outline: " + xml(r));
                    continue;
                }
                assertEquals("RuleRenderer", r.getAttribute("type"), src);
                List<String> filters = new ArrayList<>();
                List<String> labels = new ArrayList<>();
                for (Element rule : children(r, "rule")) {
                    filters.add(rule.getAttribute("filter"));
                    labels.add(rule.getAttribute("label"));
                }
                // Open findings by change type, the low-priority ones too; judged ones by their verdict.
                assertEquals(8, filters.size(), filters.toString());
                assertTrue(filters.get(0).contains("'open'") && filters.get(0).contains("'non_agricultural'"), filters.get(0));
                assertTrue(labels.get(0).contains("非农化") && labels.get(0).contains("待核查"), labels.get(0));
                assertEquals(List.of("属实 confirmed", "误报 false alarm", "已批准 approved"), labels.subList(5, 8));
                // Outlines and hatches, never a fill: the imagery shows through.
                assertFalse(xml(r).contains("\"style\" v=\"solid\""), src + " has a solid fill");
                assertTrue(xml(r).contains("LinePatternFill") == src.endsWith("flagged_parcels"), "parcels hatched: " + src);
                boolean alias = children(m, "alias").stream()
                        .anyMatch(a -> a.getAttribute("field").equals("change_type") && a.getAttribute("name").contains("变化类型"));
                assertTrue(alias, "bilingual field aliases in " + src);
                String widgets = xml((Element) m.getElementsByTagName("fieldConfiguration").item(0));
                assertTrue(widgets.contains("ValueMap") && widgets.contains("\"非农化 non-agricultural\"") && widgets.contains("value=\"non_agricultural\"")
                        && widgets.contains("value=\"open\"") && widgets.contains("待核查"), "Chinese value maps: " + src);
            } else {
                Element r = (Element) m.getElementsByTagName("rasterrenderer").item(0);
                assertEquals("gdal", child(m, "provider"));
                if (src.equals("./change.tif")) {
                    assertEquals("paletted", r.getAttribute("type"));
                    assertEquals("1", r.getAttribute("band"));
                    Map<String, String> palette = new HashMap<>();
                    for (Element e : children(r, "paletteEntry")) {
                        palette.put(e.getAttribute("value"), e.getAttribute("color"));
                    }
                    assertEquals(Map.of("1", "#e31a1c", "2", "#ff7f00", "3", "#969696", "4", "#c9a66b"), palette);
                } else {
                    assertEquals("multibandcolor", r.getAttribute("type"), src);
                }
            }
        }
        assertEquals(3, vectors);
        // The after composite is visible and the before composite hidden beneath it; the change raster's fills
        // would hide the imagery, so it is off until wanted.
        for (Element l : children(root, "layer-tree-layer")) {
            boolean off = l.getAttribute("source").equals("./before_truecolour.tif")
                    || l.getAttribute("source").equals("./change.tif");
            assertEquals(off ? "Qt::Unchecked" : "Qt::Checked", l.getAttribute("checked"), l.getAttribute("source"));
        }
    }

    @Test
    void withThePostgisOneMapItsCurrentViewsAreShownAndTheRunsOwnLayersUnchecked() throws Exception {
        String patches = "dbname='farmwatch' host=db.example port=5432 user='analyst' key='patch_id' "
                + "checkPrimaryKeyUnicity='0' srid=4527 type=MultiPolygon table=\"onemap\".\"current_change_patches\" (geom)";
        String parcels = patches.replace("patch_id", "parcel_id").replace("current_change_patches", "current_flagged_parcels");
        byte[] xml = QgisProject.qgs(dir, CRS, QgisProject.standardLayers("2025-04-15", "2025-09-20",
                new QgisProject.Extras(true, patches, parcels, null)));
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        Element root = f.newDocumentBuilder().parse(new ByteArrayInputStream(xml)).getDocumentElement();
        List<Element> tree = children(root, "layer-tree-layer");
        assertEquals(parcels, tree.get(0).getAttribute("source"));
        assertEquals(patches, tree.get(1).getAttribute("source"));
        assertEquals("postgres", tree.get(0).getAttribute("providerKey"));
        assertEquals("Qt::Checked", tree.get(0).getAttribute("checked"));
        assertEquals("Qt::Unchecked", tree.get(2).getAttribute("checked"), "the run's own flagged parcels");
        Element view = children(root, "maplayer").get(0);
        assertEquals("RuleRenderer", ((Element) view.getElementsByTagName("renderer-v2").item(0)).getAttribute("type"));
        assertEquals(CRS, child((Element) view.getElementsByTagName("srs").item(0), "authid"));
        assertFalse(new String(xml, java.nio.charset.StandardCharsets.UTF_8).contains("password"));
    }

    @Test
    void anXyzBasemapIsAddedUnderEverythingOnlyWhenItsUrlIsSet() throws Exception {
        String url = "https://tiles.example.cn/{z}/{x}/{y}.png";
        byte[] xml = QgisProject.qgs(dir, CRS, QgisProject.standardLayers("2025-04-15", "2025-09-20",
                new QgisProject.Extras(true, null, null, url)));
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        Element root = f.newDocumentBuilder().parse(new ByteArrayInputStream(xml)).getDocumentElement();
        List<Element> layers = children(root, "maplayer");
        Element last = layers.get(layers.size() - 1);
        assertEquals("wms", child(last, "provider"));
        assertEquals("type=xyz&url=https%3A%2F%2Ftiles.example.cn%2F%7Bz%7D%2F%7Bx%7D%2F%7By%7D.png&zmax=19&zmin=0",
                child(last, "datasource"));
        assertEquals("EPSG:3857", child((Element) last.getElementsByTagName("srs").item(0), "authid"));
        assertEquals(6, children(qgs().getDocumentElement(), "maplayer").size(), "no basemap unless set");
        assertThrows(IllegalArgumentException.class, () -> new QgisProject.XyzBasemap("https://tiles.example.cn/a.png",
                "basemap", true));
        assertThrows(IllegalArgumentException.class, () -> new QgisProject.XyzBasemap("file:///{z}/{x}/{y}.png",
                "basemap", true));
    }

    /** An element and its children as XML text. */
    static String xml(Element e) {
        try {
            java.io.StringWriter w = new java.io.StringWriter();
            javax.xml.transform.TransformerFactory.newInstance().newTransformer()
                    .transform(new javax.xml.transform.dom.DOMSource(e), new javax.xml.transform.stream.StreamResult(w));
            return w.toString();
        } catch (javax.xml.transform.TransformerException x) {
            throw new IllegalStateException(x);
        }
    }

    @Test
    void trueColourCompositesAreCogsWithThreeByteBandsOnTheGrid() {
        for (String name : List.of(QgisProject.BEFORE_TRUE_COLOUR, QgisProject.AFTER_TRUE_COLOUR)) {
            Path tif = dir.resolve(name);
            Dataset ds = gdal.Open(tif.toString(), gdalconstConstants.GA_ReadOnly);
            try {
                assertEquals("COG", ds.GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE"), name);
                assertEquals("ZSTD", ds.GetMetadataItem("COMPRESSION", "IMAGE_STRUCTURE"), name);
                assertEquals(3, ds.getRasterCount(), name);
                int[] interp = {gdalconstConstants.GCI_RedBand, gdalconstConstants.GCI_GreenBand,
                    gdalconstConstants.GCI_BlueBand};
                for (int b = 1; b <= 3; b++) {
                    var band = ds.GetRasterBand(b);
                    assertEquals(gdalconstConstants.GDT_Byte, band.getDataType(), name + " band " + b);
                    assertEquals(interp[b - 1], band.GetColorInterpretation(), name + " band " + b);
                    Double[] nd = new Double[1];
                    band.GetNoDataValue(nd);
                    assertEquals(0.0, nd[0], name + " no-data");
                    double[] mm = new double[2];
                    band.ComputeRasterMinMax(mm, 0);
                    assertTrue(mm[0] >= 1 && mm[1] > mm[0] + 50, name + " band " + b + " is stretched: " + mm[0] + ".." + mm[1]);
                }
                assertTrue(ds.GetRasterBand(1).GetOverviewCount() >= 1, name + " has overviews");
                double[] gt = ds.GetGeoTransform();
                assertEquals(10.0, gt[1], 1e-9);
                assertEquals(-10.0, gt[5], 1e-9);
                assertEquals(0.0, Math.IEEEremainder(gt[0], 10), 1e-6, "snapped to the 10 m grid");
                assertEquals(0.0, Math.IEEEremainder(gt[3], 10), 1e-6, "snapped to the 10 m grid");
                assertTrue(gt[0] <= area.getMinX() && gt[0] > area.getMinX() - 10);
                assertTrue(gt[3] >= area.getMaxY() && gt[3] < area.getMaxY() + 10);
                assertEquals(500, ds.getRasterXSize());
                assertEquals(500, ds.getRasterYSize());
                assertTrue(ds.GetProjectionRef().contains("4527"));
            } finally {
                ds.delete();
            }
        }
        assertFalse(Files.exists(dir.resolve("." + QgisProject.AFTER_TRUE_COLOUR + ".work")), "scratch VRTs removed");
    }

    @Test
    void cellsOutsideTheSceneAreNoData() throws Exception {
        Scene after = SceneCatalog.open(AFTER.toString());
        Envelope fp = SceneCatalog.footprint(after, CRS);
        // Half the area lies west of the scene.
        Envelope wider = new Envelope(fp.getMinX() - 1000, fp.getMinX() + 1000, fp.getMinY(), fp.getMinY() + 1000);
        Path tif = tmp.resolve("edge.tif");
        TrueColourCog.write(after, wider, CRS, 20, tif);
        Dataset ds = gdal.Open(tif.toString(), gdalconstConstants.GA_ReadOnly);
        try {
            assertEquals(100, ds.getRasterXSize());
            byte[] row = new byte[100];
            ds.GetRasterBand(2).ReadRaster(0, 25, 100, 1, row);
            for (int c = 0; c < 100; c++) {
                if (c < 49) {
                    assertEquals(0, row[c], "outside the scene, column " + c);
                } else if (c > 50) {
                    assertTrue((row[c] & 255) >= 1, "inside the scene, column " + c);
                }
            }
        } finally {
            ds.delete();
        }
    }

    @Test
    void refusesMissingFilesAndPathsOutsideTheFolder() throws Exception {
        Path empty = tmp.resolve("empty");
        Files.createDirectories(empty);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> QgisProject.write(empty, CRS, "2025-04-15", "2025-09-20"));
        assertTrue(e.getMessage().contains("onemap.gpkg"), e.getMessage());
        assertFalse(Files.exists(empty.resolve(QgisProject.FILE_NAME)));
        assertThrows(IllegalArgumentException.class, () -> QgisProject.relative("../elsewhere.tif"));
        assertThrows(IllegalArgumentException.class, () -> QgisProject.relative("/abs/change.tif"));
        assertEquals("sub/x.tif", QgisProject.relative("./sub/x.tif"));
    }
}

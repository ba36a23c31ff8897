package org.farmwatch.publish;

import static org.farmwatch.publish.QgisXml.add;
import static org.farmwatch.publish.QgisXml.extent;
import static org.farmwatch.publish.QgisXml.newDocument;
import static org.farmwatch.publish.QgisXml.num;
import static org.farmwatch.publish.QgisXml.parse;
import static org.farmwatch.publish.QgisXml.serialize;
import static org.farmwatch.publish.QgisXml.srs;
import static org.farmwatch.publish.QgisXml.text;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.farmwatch.flag.ChangeType;
import org.farmwatch.ingest.SceneCatalog;
import org.farmwatch.util.Gdal;
import org.gdal.gdal.Dataset;
import org.gdal.gdal.gdal;
import org.gdal.gdalconst.gdalconstConstants;
import org.gdal.ogr.DataSource;
import org.gdal.ogr.FeatureDefn;
import org.gdal.ogr.ogr;
import org.gdal.osr.SpatialReference;
import org.locationtech.jts.geom.Envelope;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The QGIS project {@code onemap.qgz} next to a run's outputs: a zip holding {@code onemap.qgs},
 * which references every layer by a path relative to the project, so the folder can be moved or
 * copied as a whole. Layers, top to bottom: flagged parcels and change patches from
 * {@code onemap.gpkg} with their default styles embedded (so they draw styled even where a QGIS
 * ignores {@code layer_styles}), the paletted change raster, and the after and before true-colour
 * composites (before hidden, so the map opens on the after image). The project CRS is the working CRS
 * and the map opens on the flagged parcels.
 *
 * <p>The XML is written by hand for QGIS 3.22 and later; extents, fields and CRSs are read from the
 * files, so every referenced file must exist when the project is written.
 */
public final class QgisProject {

    public static final String FILE_NAME = "onemap.qgz";
    public static final String QGS_NAME = "onemap.qgs";
    public static final String GPKG = "onemap.gpkg";
    public static final String CHANGE_COG = "change.tif";
    public static final String BEFORE_TRUE_COLOUR = "before_truecolour.tif";
    public static final String AFTER_TRUE_COLOUR = "after_truecolour.tif";

    private static final String QGIS_VERSION = "3.22.16-Białowieża";

    /** One layer of the project. */
    public sealed interface Layer permits FileLayer, PostgisView, XyzBasemap {
        String title();

        boolean visible();
    }

    /** A layer from a file; {@code file} is relative to the output folder. */
    public sealed interface FileLayer extends Layer permits VectorLayer, PalettedRaster, TrueColourRaster {
        String file();
    }

    /** A GeoPackage layer, styled with {@link QgisStyle#qml} for its fields. */
    public record VectorLayer(String file, String layerName, String title, boolean visible) implements FileLayer {}

    /**
     * A current view of the PostGIS one map ({@code current_change_patches} or {@code current_flagged_parcels}):
     * {@code dataSource} is QGIS's PostgreSQL source without the password ({@link PostgisOneMap#qgisDataSource}).
     * Its fields are those of {@link OneMapFields}; its extent QGIS reads from the server.
     */
    public record PostgisView(String dataSource, String view, String title, boolean visible) implements Layer {
        public PostgisView {
            QgisStyle.Kind.of(view);
            if (dataSource == null || !dataSource.contains("table=") || dataSource.contains("password")) {
                throw new IllegalArgumentException("a PostGIS view needs a data source with table= and no password, got: "
                        + dataSource);
            }
        }
    }

    /**
     * An XYZ tile basemap under everything, from a URL template with {z}, {x} and {y} (conf key
     * {@code qgis.basemapUrl}; off unless the operator sets it, since tiles leave the machine's network).
     */
    public record XyzBasemap(String url, String title, boolean visible) implements Layer {
        public XyzBasemap {
            if (url == null || !url.matches("(?i)https?://\\S+") || !url.contains("{z}") || !url.contains("{x}")
                    || !url.contains("{y}")) {
                throw new IllegalArgumentException("an XYZ basemap URL is http(s):// with {z}, {x} and {y}, got: " + url);
            }
        }
    }

    /**
     * What a run adds to the standard layers. {@code postgisPatches} and {@code postgisParcels}: the data sources of
     * the one map's current views when the run publishes to PostGIS (they are then the findings shown, and the run's
     * own GeoPackage layers are left unchecked), else null; {@code farmland}: whether onemap.gpkg holds the farmland
     * layer; {@code basemapUrl}: an XYZ template, or null.
     */
    public record Extras(boolean farmland, String postgisPatches, String postgisParcels, String basemapUrl) {
        public static final Extras NONE = new Extras(false, null, null, null);

        public Extras {
            if ((postgisPatches == null) != (postgisParcels == null)) {
                throw new IllegalArgumentException("both PostGIS current views or neither");
            }
        }
    }

    /** Band 1 of the change raster, drawn with the change-type palette (0 is transparent). */
    public record PalettedRaster(String file, String title, boolean visible) implements FileLayer {}

    /** A three-band Byte RGB composite, drawn as stored (no stretch), 0 as no-data. */
    public record TrueColourRaster(String file, String title, boolean visible) implements FileLayer {}

    private QgisProject() {}

    /**
     * The one map's layers as a run writes them, top to bottom. Dates (ISO, may be null) go into the
     * true-colour layers' titles.
     */
    public static List<Layer> standardLayers(String beforeDate, String afterDate) {
        return standardLayers(beforeDate, afterDate, Extras.NONE);
    }

    /**
     * The one map's layers, top to bottom: the PostGIS current views (with {@code extras}), the run's flagged
     * parcels and change patches, the farmland (faint), the change raster (unchecked: its fills would hide the
     * imagery the outlines let show), the after and before true colour (before unchecked), and an XYZ basemap.
     */
    public static List<Layer> standardLayers(String beforeDate, String afterDate, Extras extras) {
        List<Layer> layers = new ArrayList<>();
        boolean postgis = extras.postgisParcels() != null;
        if (postgis) {
            layers.add(new PostgisView(extras.postgisParcels(), OneMapViews.PARCELS,
                    "当前疑似问题地块 current flagged parcels (PostGIS)", true));
            layers.add(new PostgisView(extras.postgisPatches(), OneMapViews.PATCHES,
                    "当前变化图斑 current change patches (PostGIS)", true));
        }
        String run = postgis ? " (本次运行 this run)" : "";
        layers.add(new VectorLayer(GPKG, "flagged_parcels", "疑似问题地块 flagged parcels" + run, !postgis));
        layers.add(new VectorLayer(GPKG, "change_patches", "变化图斑 change patches" + run, !postgis));
        if (extras.farmland()) {
            layers.add(new VectorLayer(GPKG, QgisStyle.Kind.FARMLAND.layerName, QgisStyle.Kind.FARMLAND.title, true));
        }
        layers.add(new PalettedRaster(CHANGE_COG, "变化类型 change type raster", false));
        layers.add(new TrueColourRaster(AFTER_TRUE_COLOUR, "后时相真彩色 after true colour" + date(afterDate), true));
        layers.add(new TrueColourRaster(BEFORE_TRUE_COLOUR, "前时相真彩色 before true colour" + date(beforeDate), false));
        if (extras.basemapUrl() != null) {
            layers.add(new XyzBasemap(extras.basemapUrl(), "底图 basemap", true));
        }
        return List.copyOf(layers);
    }

    /** Writes {@code dir/onemap.qgz} with {@link #standardLayers}; returns its path. */
    public static Path write(Path dir, String crs, String beforeDate, String afterDate) throws IOException {
        return write(dir, crs, standardLayers(beforeDate, afterDate));
    }

    /** Writes {@code dir/onemap.qgz} with {@link #standardLayers} and {@code extras}; returns its path. */
    public static Path write(Path dir, String crs, String beforeDate, String afterDate, Extras extras) throws IOException {
        return write(dir, crs, standardLayers(beforeDate, afterDate, extras));
    }

    /**
     * Writes {@code dir/onemap.qgz} (replacing it atomically) with {@code layers}, top to bottom, in a
     * project whose CRS is {@code crs} (an authority code such as {@code EPSG:4527}); returns its path.
     */
    public static Path write(Path dir, String crs, List<Layer> layers) throws IOException {
        byte[] qgs = qgs(dir, crs, layers);
        Path target = dir.resolve(FILE_NAME);
        Path tmp = dir.resolve("." + FILE_NAME + ".tmp");
        try (OutputStream os = Files.newOutputStream(tmp); ZipOutputStream zip = new ZipOutputStream(os)) {
            zip.putNextEntry(new ZipEntry(QGS_NAME));
            zip.write(qgs);
            zip.closeEntry();
        }
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return target;
    }

    /** The {@code .qgs} XML for {@code layers} of the outputs in {@code dir}. */
    public static byte[] qgs(Path dir, String crs, List<Layer> layers) throws IOException {
        Gdal.init();
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("a QGIS project needs at least one layer");
        }
        Document doc = newDocument();
        Element root = doc.createElement("qgis");
        doc.appendChild(root);
        root.setAttribute("projectname", "farmwatch 一张图 one map");
        root.setAttribute("version", QGIS_VERSION);
        add(root, "homePath").setAttribute("path", "");
        text(root, "title", "farmwatch 一张图 one map");
        add(root, "autotransaction").setAttribute("active", "0");
        add(root, "evaluateDefaultValues").setAttribute("active", "0");
        add(root, "trust").setAttribute("active", "0");
        SpatialReference projectSrs = SceneCatalog.srs(crs);
        srs(add(root, "projectCrs"), projectSrs);

        List<Described> described = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            described.add(describe(dir, layers.get(i), i, projectSrs));
        }

        Element tree = add(root, "layer-tree-group");
        add(tree, "customproperties");
        for (Described d : described) {
            Element l = add(tree, "layer-tree-layer");
            l.setAttribute("id", d.id);
            l.setAttribute("name", d.layer.title());
            l.setAttribute("source", d.source);
            l.setAttribute("providerKey", d.provider);
            l.setAttribute("checked", d.layer.visible() ? "Qt::Checked" : "Qt::Unchecked");
            l.setAttribute("expanded", d.layer instanceof VectorLayer ? "1" : "0");
            add(l, "customproperties");
        }

        // The map opens on the flagged parcels (or, without them, on the first layer), with a margin.
        Envelope view = null;
        for (Described d : described) {
            if (d.layer instanceof VectorLayer v && v.layerName().equals("flagged_parcels") && !d.extent.isNull()) {
                view = new Envelope(d.extent);
            }
        }
        if (view == null) {
            view = new Envelope();
            for (Described d : described) {
                view.expandToInclude(d.extent);
            }
        }
        view.expandBy(Math.max(view.getWidth(), view.getHeight()) * 0.05 + 1e-9);
        Element canvas = add(root, "mapcanvas");
        canvas.setAttribute("name", "theMapCanvas");
        canvas.setAttribute("annotationsVisible", "1");
        text(canvas, "units", projectSrs.IsGeographic() == 1 ? "degrees" : "meters");
        extent(canvas, "extent", view);
        text(canvas, "rotation", "0");
        srs(add(canvas, "destinationsrs"), projectSrs);
        text(canvas, "rendermaptile", "0");
        // The same extent as the project's default view, which QGIS Server and "zoom to project" use.
        Element viewSettings = add(root, "ProjectViewSettings");
        viewSettings.setAttribute("UseProjectScales", "0");
        viewSettings.setAttribute("rotation", "0");
        add(viewSettings, "Scales");
        Element defaultView = add(viewSettings, "DefaultViewExtent");
        defaultView.setAttribute("xmin", num(view.getMinX()));
        defaultView.setAttribute("ymin", num(view.getMinY()));
        defaultView.setAttribute("xmax", num(view.getMaxX()));
        defaultView.setAttribute("ymax", num(view.getMaxY()));
        srs(defaultView, projectSrs);

        Element projectLayers = add(root, "projectlayers");
        for (Described d : described) {
            projectLayers.appendChild(mapLayer(doc, d));
        }
        Element order = add(root, "layerorder");
        for (Described d : described) {
            add(order, "layer").setAttribute("id", d.id);
        }
        Element props = add(root, "properties");
        Element paths = add(props, "Paths");
        Element abs = text(paths, "Absolute", "false");
        abs.setAttribute("type", "bool");
        Element sr = add(props, "SpatialRefSys");
        text(sr, "ProjectionsEnabled", "1").setAttribute("type", "int");
        Element meta = add(root, "projectMetadata");
        text(meta, "identifier", "farmwatch-onemap");
        text(meta, "title", "farmwatch 一张图 one map");
        text(meta, "abstract", "Change patches and flagged farmland parcels (非农化 / 非粮化) of one farmwatch run.");
        text(meta, "author", "farmwatch");
        return serialize(doc);
    }

    /** What the XML needs to know about a layer, read from its file. */
    private record Described(Layer layer, String id, String source, String provider, Envelope extent,
                             SpatialReference srs, String[] fields, String wkbType, String geometry) {}

    private static Described describe(Path dir, Layer layer, int i, SpatialReference projectSrs) {
        if (layer instanceof PostgisView v) {
            String[] fields = OneMapFields.names(QgisStyle.Kind.of(v.view()) == QgisStyle.Kind.CHANGE_PATCHES
                    ? OneMapFields.PATCHES : OneMapFields.PARCELS).toArray(String[]::new);
            return new Described(layer, String.format(Locale.ROOT, "farmwatch_%02d_postgis_%s", i, v.view()),
                    v.dataSource(), "postgres", new Envelope(), projectSrs.Clone(), fields, "MultiPolygon", "Polygon");
        }
        if (layer instanceof XyzBasemap x) {
            String url = java.net.URLEncoder.encode(x.url(), StandardCharsets.UTF_8);
            return new Described(layer, String.format(Locale.ROOT, "farmwatch_%02d_basemap", i),
                    "type=xyz&url=" + url + "&zmax=19&zmin=0", "wms", new Envelope(), SceneCatalog.srs("EPSG:3857"),
                    null, null, null);
        }
        FileLayer fileLayer = (FileLayer) layer;
        String rel = relative(fileLayer.file());
        Path file = dir.resolve(rel);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("QGIS project layer " + layer.title() + ": " + file + " does not exist");
        }
        String id = String.format(Locale.ROOT, "farmwatch_%02d_%s", i,
                (layer instanceof VectorLayer v ? v.layerName() : rel).replaceAll("\\W", "_"));
        if (layer instanceof VectorLayer v) {
            DataSource ds = ogr.Open(file.toString(), 0);
            if (ds == null) {
                throw new IllegalArgumentException("cannot open " + file);
            }
            try {
                org.gdal.ogr.Layer l = ds.GetLayerByName(v.layerName());
                if (l == null) {
                    throw new IllegalArgumentException(file + " has no layer " + v.layerName());
                }
                double[] e = l.GetExtent(true);
                FeatureDefn defn = l.GetLayerDefn();
                String[] fields = new String[defn.GetFieldCount()];
                for (int f = 0; f < fields.length; f++) {
                    fields[f] = defn.GetFieldDefn(f).GetName();
                }
                SpatialReference srs = l.GetSpatialRef() == null ? null : l.GetSpatialRef().Clone();
                int gt = ogr.GT_Flatten(l.GetGeomType());
                String[] geom = switch (gt) {
                    case 1 -> new String[] {"Point", "Point"};
                    case 4 -> new String[] {"MultiPoint", "Point"};
                    case 2 -> new String[] {"LineString", "Line"};
                    case 5 -> new String[] {"MultiLineString", "Line"};
                    case 3 -> new String[] {"Polygon", "Polygon"};
                    default -> new String[] {"MultiPolygon", "Polygon"};
                };
                return new Described(layer, id, "./" + rel + "|layername=" + v.layerName(), "ogr",
                        e == null ? new Envelope() : new Envelope(e[0], e[1], e[2], e[3]), srs, fields, geom[0], geom[1]);
            } finally {
                ds.delete();
            }
        }
        Dataset ds = gdal.Open(file.toString(), gdalconstConstants.GA_ReadOnly);
        try {
            if (layer instanceof TrueColourRaster && ds.getRasterCount() < 3) {
                throw new IllegalArgumentException(file + " has " + ds.getRasterCount() + " bands, a true-colour layer needs 3");
            }
            double[] gt = ds.GetGeoTransform();
            double x0 = gt[0];
            double y0 = gt[3];
            double x1 = gt[0] + ds.getRasterXSize() * gt[1] + ds.getRasterYSize() * gt[2];
            double y1 = gt[3] + ds.getRasterXSize() * gt[4] + ds.getRasterYSize() * gt[5];
            String wkt = ds.GetProjectionRef();
            SpatialReference srs = wkt == null || wkt.isBlank() ? null : new SpatialReference(wkt);
            return new Described(layer, id, "./" + rel, "gdal", new Envelope(x0, x1, y0, y1), srs, null, null, null);
        } finally {
            ds.delete();
        }
    }

    private static Element mapLayer(Document doc, Described d) {
        Element m = doc.createElement("maplayer");
        m.setAttribute("hasScaleBasedVisibilityFlag", "0");
        m.setAttribute("minScale", "1e+08");
        m.setAttribute("maxScale", "0");
        m.setAttribute("styleCategories", "AllStyleCategories");
        m.setAttribute("autoRefreshEnabled", "0");
        m.setAttribute("autoRefreshTime", "0");
        m.setAttribute("refreshOnNotifyEnabled", "0");
        m.setAttribute("refreshOnNotifyMessage", "");
        m.setAttribute("legendPlaceholderImage", "");
        boolean vector = d.layer instanceof VectorLayer || d.layer instanceof PostgisView;
        m.setAttribute("type", vector ? "vector" : "raster");
        if (vector) {
            m.setAttribute("geometry", d.geometry);
            m.setAttribute("wkbType", d.wkbType);
            m.setAttribute("readOnly", "0");
            m.setAttribute("labelsEnabled", "0");
            m.setAttribute("simplifyDrawingHints", "1");
            m.setAttribute("simplifyDrawingTol", "1");
            m.setAttribute("simplifyLocal", "1");
            m.setAttribute("simplifyAlgorithm", "0");
            m.setAttribute("simplifyMaxScale", "1");
            m.setAttribute("symbologyReferenceScale", "-1");
        }
        if (!d.extent.isNull()) {
            extent(m, "extent", d.extent);
        }
        text(m, "id", d.id);
        text(m, "datasource", d.source);
        text(m, "layername", d.layer.title());
        Element srs = add(m, "srs");
        if (d.srs != null) {
            srs(srs, d.srs);
        }
        Element provider = text(m, "provider", d.provider);
        if (vector) {
            provider.setAttribute("encoding", "UTF-8");
        }
        Element styles = add(m, "map-layer-style-manager");
        styles.setAttribute("current", "default");
        add(styles, "map-layer-style").setAttribute("name", "default");
        Element flags = add(m, "flags");
        for (String[] f : new String[][] {{"Identifiable", "1"}, {"Removable", "1"}, {"Searchable", "1"}, {"Private", "0"}}) {
            text(flags, f[0], f[1]);
        }
        if (vector) {
            // The layer's default style, the same QML as in layer_styles: renderer, labels, value maps, aliases.
            String name = d.layer instanceof VectorLayer v ? v.layerName() : ((PostgisView) d.layer).view();
            // A GeoPackage layer's fields start with its fid, as QGIS lists them.
            String[] fields = d.layer instanceof VectorLayer ? OneMapGeoPackage.withFid(d.fields) : d.fields;
            Document qml = parse(QgisStyle.qml(QgisStyle.Kind.of(name), fields));
            m.setAttribute("labelsEnabled", qml.getDocumentElement().getAttribute("labelsEnabled").equals("1") ? "1" : "0");
            for (Node n = qml.getDocumentElement().getFirstChild(); n != null; n = n.getNextSibling()) {
                if (n.getNodeType() == Node.ELEMENT_NODE) {
                    m.appendChild(doc.importNode(n, true));
                }
            }
            text(m, "blendMode", "0");
            text(m, "featureBlendMode", "0");
            text(m, "layerOpacity", "1");

        } else {
            if (d.layer instanceof TrueColourRaster) {
                Element nd = add(m, "noData");
                for (int b = 1; b <= 3; b++) {
                    Element l = add(nd, "noDataList");
                    l.setAttribute("bandNo", Integer.toString(b));
                    l.setAttribute("useSrcNoData", "1");
                }
            }
            Element pipe = add(m, "pipe");
            Element r = add(pipe, "rasterrenderer");
            // The change raster lets the imagery show through; the composites are opaque.
            r.setAttribute("opacity", d.layer instanceof PalettedRaster ? "0.6" : "1");
            r.setAttribute("alphaBand", "-1");
            r.setAttribute("nodataColor", "");
            if (d.layer instanceof PalettedRaster) {
                r.setAttribute("type", "paletted");
                r.setAttribute("band", "1");
                Element palette = add(r, "colorPalette");
                // ChangeRaster codes a cell's change type as its ordinal + 1; 0 (no change) is not listed,
                // so QGIS draws it transparent.
                for (ChangeType t : ChangeType.values()) {
                    if (t == ChangeType.LOW_CONFIDENCE) {
                        continue; // a patch's demotion after merging: no cell of change.tif carries it
                    }
                    String[] cat = category(t);
                    String[] rgb = cat[2].split(",");
                    Element e = add(palette, "paletteEntry");
                    e.setAttribute("value", Integer.toString(t.ordinal() + 1));
                    e.setAttribute("color", String.format(Locale.ROOT, "#%02x%02x%02x", Integer.parseInt(rgb[0].trim()),
                            Integer.parseInt(rgb[1].trim()), Integer.parseInt(rgb[2].trim())));
                    e.setAttribute("alpha", "255");
                    e.setAttribute("label", cat[1]);
                }
            } else if (d.layer instanceof XyzBasemap) {
                r.setAttribute("type", "singlebandcolordata");
                r.setAttribute("band", "1");
            } else {
                r.setAttribute("type", "multibandcolor");
                r.setAttribute("redBand", "1");
                r.setAttribute("greenBand", "2");
                r.setAttribute("blueBand", "3");
                // Already stretched to Byte when written: no contrast enhancement elements, values drawn as stored.
            }
            Element bc = add(pipe, "brightnesscontrast");
            bc.setAttribute("brightness", "0");
            bc.setAttribute("contrast", "0");
            bc.setAttribute("gamma", "1");
            Element hs = add(pipe, "huesaturation");
            hs.setAttribute("saturation", "0");
            hs.setAttribute("grayscaleMode", "0");
            hs.setAttribute("invertColors", "0");
            hs.setAttribute("colorizeOn", "0");
            hs.setAttribute("colorizeRed", "255");
            hs.setAttribute("colorizeGreen", "128");
            hs.setAttribute("colorizeBlue", "128");
            hs.setAttribute("colorizeStrength", "100");
            Element rs = add(pipe, "rasterresampler");
            rs.setAttribute("maxOversampling", "2");
            if (d.layer instanceof TrueColourRaster) {
                rs.setAttribute("zoomedOutResampler", "bilinear");
            }
            text(pipe, "resamplingStage", "resamplingFilter");
            text(m, "blendMode", "0");
        }
        return m;
    }

    private static String[] category(ChangeType t) {
        for (String[] c : QgisStyle.CATEGORIES) {
            if (c[0].equals(t.code)) {
                return c;
            }
        }
        throw new IllegalStateException("QgisStyle has no category for change type " + t.code);
    }

    static String relative(String file) {
        String f = file.replace('\\', '/');
        while (f.startsWith("./")) {
            f = f.substring(2);
        }
        if (f.isEmpty() || f.startsWith("/") || f.matches("^[A-Za-z]:.*") || f.contains("|")
                || List.of(f.split("/")).contains("..")) {
            throw new IllegalArgumentException("QGIS project layers must be files inside the output folder, got: " + file);
        }
        return f;
    }

    private static String date(String iso) {
        return iso == null || iso.isBlank() ? "" : " " + iso;
    }
}

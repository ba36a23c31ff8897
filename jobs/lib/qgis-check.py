#!/usr/bin/python3
"""Checks a farmwatch output folder in real QGIS (Debian's python3-qgis, QGIS 3.22 or later).

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 jobs/lib/qgis-check.py OUTPUT_DIR [--png FILE] [--size WxH]

1. Loads onemap.gpkg's change_patches, flagged_parcels and farmland directly (QgsVectorLayer, as an
   analyst dragging the GeoPackage into QGIS would): each must be valid, have features, and come up
   with its default style from the layer_styles table: findings by verdict status and change type
   (RuleRenderer; categorizedSymbol on change_type for layers without a status), outlines and hatches
   rather than fills, the farmland a faint outline; labels at large scales only; a bilingual alias for
   every field and a Chinese value map for the coded ones.
2. Opens onemap.qgz with QgsProject: every layer valid, the one-map layers present with paths inside
   OUTPUT_DIR (or, for the PostGIS current views and an XYZ basemap, their server), the project CRS
   the layers' CRS, the styles and raster renderers as written.
3. Renders the project's visible layers (QgsMapRendererParallelJob) over the flagged parcels'
   extent to a PNG (default: $TMPDIR/farmwatch-qgis-check.png) and checks that it is not blank: many
   distinct colours, and pixels in the non-agricultural red (227,26,28) and non-grain orange
   (255,127,0) for each type that has flagged parcels. Then renders the largest flagged parcel at
   1:4,000 with and without labels (FILE-zoom.png) and checks that the labels drew.

Prints one JSON object on stdout. Exit status 0 when every check passed, 1 when one failed, 2 when
the check itself could not run (bad arguments, QGIS missing).
"""
import argparse
import json
import os
import sys
import tempfile
import traceback

EXPECTED_SOURCES = {
    "onemap.gpkg|layername=flagged_parcels": ("vector", "RuleRenderer"),
    "onemap.gpkg|layername=change_patches": ("vector", "RuleRenderer"),
    "onemap.gpkg|layername=farmland": ("vector", "singleSymbol"),
    "change.tif": ("raster", "paletted"),
    "after_truecolour.tif": ("raster", "multibandcolor"),
    "before_truecolour.tif": ("raster", "multibandcolor"),
}
GPKG_LAYERS = ("change_patches", "flagged_parcels", "farmland")
# Coded fields that must show Chinese names, and one name each must hold.
VALUE_MAPS = {"change_type": "非农化", "status": "待核查", "land_class": "旱地", "from_class": "耕地", "rule": "非农化"}
TYPE_COLOURS = {"non_agricultural": (227, 26, 28), "non_grain": (255, 127, 0)}
TOLERANCE = 12  # per channel, for antialiased edges


def main():
    ap = argparse.ArgumentParser(description="Check a farmwatch output folder in QGIS.")
    ap.add_argument("dir", help="farmwatch output folder (holds onemap.gpkg and onemap.qgz)")
    ap.add_argument("--png", default=os.path.join(tempfile.gettempdir(), "farmwatch-qgis-check.png"),
                    help="where to write the rendered map")
    ap.add_argument("--size", default="1200x900", help="rendered map size in pixels, WxH")
    args = ap.parse_args()
    out_dir = os.path.realpath(args.dir)
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        print(json.dumps({"ok": False, "error": "--size must be WxH, got " + args.size}))
        return 2
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from qgis.core import Qgis, QgsApplication
    except ImportError as e:
        print(json.dumps({"ok": False, "error": "python3-qgis is not installed: %s" % e}))
        return 2

    app = QgsApplication([], False)
    QgsApplication.setPrefixPath("/usr", True)
    app.initQgis()
    summary = {"ok": False, "qgis_version": Qgis.QGIS_VERSION, "dir": out_dir, "failures": []}
    # QGIS's own warnings while loading and drawing, reported for diagnosis (not failures by themselves).
    messages = []

    def on_message(message, tag, level):
        if level >= Qgis.Warning:
            messages.append("%s: %s" % (tag, message))

    QgsApplication.messageLog().messageReceived.connect(on_message)
    try:
        check_geopackage(out_dir, summary)
        project = check_project(out_dir, summary)
        if project is not None:
            render(project, args.png, width, height, summary)
    except Exception:  # report, never hang or die without JSON
        summary["failures"].append("check crashed: " + traceback.format_exc())
    app.processEvents()
    summary["qgis_messages"] = messages[:50]
    summary["ok"] = not summary["failures"]
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    sys.stdout.flush()
    return 0 if summary["ok"] else 1


def fail(summary, msg):
    summary["failures"].append(msg)


def check_geopackage(out_dir, summary):
    from qgis.core import QgsVectorLayer
    gpkg = os.path.join(out_dir, "onemap.gpkg")
    result = summary.setdefault("gpkg", {})
    if not os.path.isfile(gpkg):
        fail(summary, "onemap.gpkg missing in " + out_dir)
        return
    for name in GPKG_LAYERS:
        # The default LayerOptions load the layer's default style (layer_styles, useAsDefault).
        layer = QgsVectorLayer("%s|layername=%s" % (gpkg, name), name, "ogr")
        info = {"valid": layer.isValid()}
        result[name] = info
        if not layer.isValid():
            fail(summary, "gpkg layer %s is not valid" % name)
            continue
        info["features"] = layer.featureCount()
        info["crs"] = layer.crs().authid()
        if info["features"] <= 0:
            fail(summary, "gpkg layer %s has no features" % name)
        # The styles QGIS finds in the GeoPackage for this layer.
        listed = layer.listStylesInDatabase()
        count, ids, names, descriptions = listed[0], listed[1], listed[2], listed[3]
        info["styles_in_layer_styles"] = list(names[:count]) if count > 0 else []
        if count <= 0:
            fail(summary, "gpkg layer %s: no style for it in layer_styles" % name)
        style_check(summary, layer, info, "gpkg layer " + name, name)
        # Loading the default style again must succeed and keep it.
        msg, loaded = layer.loadDefaultStyle()
        info["load_default_style"] = {"ok": bool(loaded), "message": msg}
        if not loaded:
            fail(summary, "gpkg layer %s: loadDefaultStyle() failed: %s" % (name, msg))
        elif layer.renderer() is None or layer.renderer().type() != info.get("renderer"):
            fail(summary, "gpkg layer %s: loadDefaultStyle() did not give the %s renderer" % (name, info.get("renderer")))
        info["style_manager"] = {"styles": layer.styleManager().styles(),
                                 "current": layer.styleManager().currentStyle()}
        if name == "farmland":
            continue
        idx = layer.fields().indexFromName("change_type")
        alias = layer.attributeAlias(idx) if idx >= 0 else ""
        info["change_type_alias"] = alias
        if "变化类型" not in alias:
            fail(summary, "gpkg layer %s: change_type has no bilingual alias (got %r)" % (name, alias))
        types = {}
        for f in layer.getFeatures():
            t = f["change_type"]
            types[t] = types.get(t, 0) + 1
        info["features_by_type"] = types


def style_check(summary, layer, info, what, name):
    """Renderer, labels, aliases and value maps of a one-map layer (name: farmland or a findings layer)."""
    from qgis.PyQt.QtCore import Qt
    if name.endswith("farmland"):
        r = layer.renderer()
        info["renderer"] = r.type() if r else None
        if r is None or r.type() != "singleSymbol":
            fail(summary, "%s: renderer is %s, not a single faint outline" % (what, info["renderer"]))
        else:
            fills = [l for l in r.symbol().symbolLayers() if l.layerType() == "SimpleFill"]
            if not fills or fills[0].brushStyle() != Qt.NoBrush:
                fail(summary, "%s: the farmland is filled; it must be an outline only" % what)
    else:
        renderer_check(summary, layer, info, what)
    # Labels: on, and only at large scales.
    labeling = layer.labeling() if layer.labelsEnabled() else None
    if labeling is None:
        fail(summary, "%s: no labels" % what)
    else:
        s = labeling.settings()
        info["labels"] = {"expression": s.fieldName, "scale_visibility": s.scaleVisibility,
                          "visible_from_scale": s.minimumScale}
        if not s.scaleVisibility or not (0 < s.minimumScale <= 25000):
            fail(summary, "%s: labels not limited to large scales: %s" % (what, info["labels"]))
    # Every field has an alias; coded fields a Chinese value map.
    missing = [f.name() for f in layer.fields() if not layer.attributeAlias(layer.fields().indexOf(f.name()))]
    if missing:
        fail(summary, "%s: fields without an alias: %s" % (what, missing))
    maps = {}
    for field, chinese in VALUE_MAPS.items():
        idx = layer.fields().indexOf(field)
        if idx < 0:
            continue
        setup = layer.editorWidgetSetup(idx)
        names = [list(m.keys())[0] for m in setup.config().get("map", [])] if setup.type() == "ValueMap" else []
        maps[field] = len(names)
        if not any(chinese in n for n in names):
            fail(summary, "%s: %s has no Chinese value map with %s (widget %s)" % (what, field, chinese, setup.type()))
    info["value_maps"] = maps


def renderer_check(summary, layer, info, what):
    r = layer.renderer()
    info["renderer"] = r.type() if r else None
    if r is not None and r.type() == "RuleRenderer":
        rules = r.rootRule().children()
        info["rules"] = [x.label() for x in rules]
        labels = " | ".join(info["rules"])
        for value, chinese in (("non_agricultural", "非农化"), ("non_grain", "非粮化")):
            match = [x for x in rules if ("'%s'" % value) in x.filterExpression()]
            if not match or chinese not in match[0].label():
                fail(summary, "%s: no rule for open %s findings labelled %s (%s)" % (what, value, chinese, labels))
            elif tuple(match[0].symbol().color().getRgb()[:3]) != TYPE_COLOURS[value]:
                fail(summary, "%s: %s drawn in %s" % (what, value, match[0].symbol().color().name()))
            elif any(l.layerType() == "SimpleFill" and l.brushStyle() != 0 and l.color().alpha() > 0
                     for l in match[0].symbol().symbolLayers()):
                fail(summary, "%s: %s findings are filled; outlines or hatches let the imagery show" % (what, value))
        for status, chinese in (("confirmed", "属实"), ("false_alarm", "误报"), ("approved", "已批准")):
            if not any(("'%s'" % status) in x.filterExpression() and chinese in x.label() for x in rules):
                fail(summary, "%s: no rule for verdict status %s (%s)" % (what, status, labels))
        return
    if r is None or r.type() != "categorizedSymbol":
        fail(summary, "%s: renderer is %s, not the default style's RuleRenderer or categorizedSymbol" % (what, info["renderer"]))
        return
    info["renderer_attribute"] = r.classAttribute()
    cats = {c.value(): c.label() for c in r.categories()}
    info["categories"] = cats
    if r.classAttribute() != "change_type":
        fail(summary, "%s: categorized on %s, not change_type" % (what, r.classAttribute()))
    for value, chinese in (("non_agricultural", "非农化"), ("non_grain", "非粮化")):
        if value not in cats:
            fail(summary, "%s: no category for %s" % (what, value))
        elif chinese not in cats[value]:
            fail(summary, "%s: label of %s is %r, lacks %s" % (what, value, cats[value], chinese))
    for c in r.categories():
        if c.value() in TYPE_COLOURS:
            col = c.symbol().color()
            if (col.red(), col.green(), col.blue()) != TYPE_COLOURS[c.value()]:
                fail(summary, "%s: %s drawn in %s" % (what, c.value(), col.name()))


def check_project(out_dir, summary):
    from qgis.core import QgsProject, QgsRasterLayer, QgsVectorLayer
    qgz = os.path.join(out_dir, "onemap.qgz")
    result = summary.setdefault("project", {"file": qgz})
    if not os.path.isfile(qgz):
        fail(summary, "onemap.qgz missing in " + out_dir)
        return None
    project = QgsProject.instance()
    read = project.read(qgz)
    result["read"] = bool(read)
    if not read:
        fail(summary, "QgsProject.read(%s) failed: %s" % (qgz, project.error()))
        return None
    result["crs"] = project.crs().authid()
    result["title"] = project.title()
    view = project.viewSettings().defaultViewExtent()
    result["default_view"] = [view.xMinimum(), view.yMinimum(), view.xMaximum(), view.yMaximum()]
    if view.isEmpty():
        fail(summary, "the project has no default view extent")
    layers = []
    seen = {}
    root = project.layerTreeRoot()
    for tree_layer in root.findLayers():
        layer = tree_layer.layer()
        entry = {"name": tree_layer.name(), "visible": tree_layer.isVisible()}
        layers.append(entry)
        if layer is None:
            entry["valid"] = False
            fail(summary, "project layer %s did not load" % tree_layer.name())
            continue
        src = layer.source()
        provider = layer.providerType()
        if provider == "postgres":
            # A current view of the PostGIS one map: on its server, never with a password in the project.
            rel = "postgis:" + layer.dataProvider().uri().table()
            if "password" in src:
                fail(summary, "project layer %s stores a password" % tree_layer.name())
        elif provider == "wms":
            rel = "xyz"
        else:
            path = os.path.realpath(src.split("|")[0])
            rel = os.path.relpath(path, out_dir) + (("|" + src.split("|", 1)[1]) if "|" in src else "")
            if not path.startswith(out_dir + os.sep):
                fail(summary, "project layer %s points outside the output folder: %s" % (tree_layer.name(), src))
        entry.update({"source": rel, "provider": provider, "valid": layer.isValid(), "crs": layer.crs().authid()})
        if not layer.isValid():
            fail(summary, "project layer %s (%s) is not valid" % (tree_layer.name(), rel))
        if layer.crs() != project.crs() and provider != "wms":
            fail(summary, "project layer %s is in %s, the project in %s" % (tree_layer.name(), entry["crs"], result["crs"]))
        if isinstance(layer, QgsVectorLayer):
            entry["features"] = layer.featureCount()
            if entry["features"] <= 0:
                fail(summary, "project layer %s has no features" % tree_layer.name())
            style_check(summary, layer, entry, "project layer " + tree_layer.name(), rel.split("=")[-1].split(":")[-1])
        elif isinstance(layer, QgsRasterLayer):
            entry["renderer"] = layer.renderer().type() if layer.renderer() else None
            entry["bands"] = layer.bandCount()
        seen[rel] = entry
    result["layers"] = layers
    if len(project.mapLayers()) != len(layers):
        fail(summary, "project holds %d layers, its layer tree %d" % (len(project.mapLayers()), len(layers)))
    for rel in [r for r in seen if r.startswith("postgis:")]:
        if seen[rel].get("renderer") != "RuleRenderer":
            fail(summary, "project layer %s drawn with %s, expected RuleRenderer" % (rel, seen[rel].get("renderer")))
    result["postgis_views"] = sorted(r for r in seen if r.startswith("postgis:"))
    for rel, (kind, renderer) in EXPECTED_SOURCES.items():
        entry = seen.get(rel)
        if entry is None:
            fail(summary, "project lacks layer %s" % rel)
        elif entry.get("renderer") != renderer:
            fail(summary, "project layer %s drawn with %s, expected %s" % (rel, entry.get("renderer"), renderer))
    gpkg_crs = summary.get("gpkg", {}).get("flagged_parcels", {}).get("crs")
    if gpkg_crs and gpkg_crs != result["crs"]:
        fail(summary, "project CRS %s is not the layers' working CRS %s" % (result["crs"], gpkg_crs))
    return project


def render(project, png, width, height, summary):
    from qgis.core import QgsMapRendererParallelJob, QgsMapSettings
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor
    result = summary.setdefault("render", {"png": os.path.abspath(png)})
    parcels = [l for l in project.mapLayers().values() if l.source().endswith("layername=flagged_parcels")]
    if not parcels:
        fail(summary, "no flagged_parcels layer to take the render extent from")
        return
    extent = parcels[0].extent()
    extent.scale(1.05)
    layers = project.layerTreeRoot().checkedLayers()  # top first, as the layer tree draws them
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(project.crs())
    settings.setTransformContext(project.transformContext())
    settings.setOutputSize(QSize(width, height))
    settings.setOutputDpi(96)
    settings.setBackgroundColor(QColor(255, 255, 255))
    settings.setExtent(extent)
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    errors = ["%s: %s" % (e.layerID, e.message) for e in job.errors()]
    result.update({"layers": [l.name() for l in layers], "extent": [extent.xMinimum(), extent.yMinimum(),
                   extent.xMaximum(), extent.yMaximum()], "errors": errors})
    if errors:
        fail(summary, "rendering reported errors: %s" % errors)
    os.makedirs(os.path.dirname(os.path.abspath(png)), exist_ok=True)
    if not image.save(png, "PNG"):
        fail(summary, "could not write " + png)
        return
    result.update(analyse(image))
    if result["distinct_colours"] < 50:
        fail(summary, "the map looks blank: %d distinct colours" % result["distinct_colours"])
    by_type = summary.get("gpkg", {}).get("flagged_parcels", {}).get("features_by_type", {})
    for t in TYPE_COLOURS:
        if by_type.get(t, 0) > 0 and result["pixels"][t] < 20:
            fail(summary, "%d %s parcels, but only %d pixels in their colour" % (by_type[t], t, result["pixels"][t]))
    if sum(result["pixels"].values()) == 0:
        fail(summary, "no pixel in the non-agricultural red or non-grain orange")
    zoom_labels(parcels[0], settings, png, summary)


def zoom_labels(parcels, settings, png, summary):
    """Renders the largest flagged parcel at 1:4,000 with and without labels: the labels must draw."""
    from qgis.core import QgsMapRendererParallelJob, QgsMapSettings, QgsRectangle
    from qgis.PyQt.QtGui import QImage
    result = summary.setdefault("zoom", {})
    biggest = max(parcels.getFeatures(), key=lambda f: f.geometry().area(), default=None)
    if biggest is None:
        fail(summary, "no flagged parcel to zoom to")
        return
    c = biggest.geometry().centroid().asPoint()
    size = settings.outputSize()
    metres_per_px = 4000 * 0.0254 / settings.outputDpi()
    half_w, half_h = size.width() * metres_per_px / 2, size.height() * metres_per_px / 2
    settings.setExtent(QgsRectangle(c.x() - half_w, c.y() - half_h, c.x() + half_w, c.y() + half_h))
    images = []
    for labels in (True, False):
        settings.setFlag(QgsMapSettings.DrawLabeling, labels)
        job = QgsMapRendererParallelJob(settings)
        job.start()
        job.waitForFinished()
        images.append(job.renderedImage().convertToFormat(QImage.Format_RGB32))
    zoom_png = png[:-4] + "-zoom.png" if png.endswith(".png") else png + "-zoom.png"
    images[0].save(zoom_png, "PNG")
    a, b = images
    diff = sum(1 for y in range(0, a.height(), 2) for x in range(0, a.width(), 2) if a.pixel(x, y) != b.pixel(x, y))
    result.update({"png": os.path.abspath(zoom_png), "parcel": biggest["parcel_id"], "scale": round(settings.scale()),
                   "label_pixels": diff})
    if diff < 50:
        fail(summary, "at 1:4,000 the labels drew %d pixels: no labels on the map" % diff)


def analyse(image):
    from qgis.PyQt.QtGui import QImage
    img = image.convertToFormat(QImage.Format_RGB32)
    w, h = img.width(), img.height()
    ptr = img.constBits()
    ptr.setsize(img.sizeInBytes() if hasattr(img, "sizeInBytes") else img.byteCount())
    data = bytes(ptr)
    stride = img.bytesPerLine()
    colours = set()
    pixels = {t: 0 for t in TYPE_COLOURS}
    for y in range(h):
        row = data[y * stride:y * stride + 4 * w]
        # Format_RGB32 is 0xffRRGGBB, stored little-endian as B, G, R, 255.
        for x in range(0, 4 * w, 4):
            b, g, r = row[x], row[x + 1], row[x + 2]
            colours.add((r << 16) | (g << 8) | b)
            for t, (tr, tg, tb) in TYPE_COLOURS.items():
                if abs(r - tr) <= TOLERANCE and abs(g - tg) <= TOLERANCE and abs(b - tb) <= TOLERANCE:
                    pixels[t] += 1
    return {"width": w, "height": h, "distinct_colours": len(colours), "pixels": pixels}


if __name__ == "__main__":
    code = main()
    sys.stderr.flush()
    # Skip Qt/QGIS teardown: it can crash on exit in offscreen mode and would mask the result.
    os._exit(code)

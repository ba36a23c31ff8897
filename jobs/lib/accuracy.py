#!/usr/bin/python3
"""The accuracy harness of jobs/accuracy: runs the real `jobs/farmwatch run` on each labelled case and
scores it beside two plain baselines computed on the same pixels.

    accuracy.py [--cases a,b,...] [--conf FILE] [--out DIR] [--rescore] [--master URL]

Cases (all read from ../shared/realdata, nothing is copied into the project):
  * the ten oscd-s2 cities: imgs_1 against imgs_2, farmland-grid.gpkg (layer jbnt) as the farmland,
    scored on every pixel of cm/<city>-cm.tif (1 no change, 2 change), which lies on imgs_1's B02 grid;
  * taizhou: the Landsat-7 pair through STAC items, a 400 m grid of farmland, scored on the change and
    no-change sample masks only.

Per case:
  * pixel precision, recall, F1 of the published change_patches (their outlines, reprojected and burnt
    onto the label grid; the low-priority categories bare_soil and low_confidence, which inspectors are not
    sent to, are left out);
  * hit share: the share of those patches with at least 25 % of their label-grid cells on labelled change;
  * P@50: the hit share among the first 50 patches in the inspectors' order (flagged parcels by priority,
    highest first, then parcel id; each parcel's patch ids in list order; each patch once);
  * flagged: flagged parcels as a share of the parcels checked, beside the share the labels justify
    (parcels with at least 400 m2 of labelled change);
  * CVA: the change-vector magnitude of the six bands (the after scene warped onto the label grid),
    thresholded by Otsu and by the single threshold that maximises F1 on the case's own labels (an
    upper bound for any one global threshold, fitted on the labels it is scored on);
  * seconds of the farmwatch run.
Nothing here is fitted to labels for farmwatch: its figures are of the configuration given.

Writes OUT/result.json and prints the table.
"""
import argparse
import glob
import json
import math
import os
import re
import subprocess
import sys
import time

import numpy as np
from osgeo import gdal, ogr, osr

gdal.UseExceptions()
ogr.UseExceptions()

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
REAL = os.path.abspath(os.path.join(ROOT, "..", "shared", "realdata"))
OSCD = os.path.join(REAL, "oscd-s2")
CITIES = ["abudhabi", "aguasclaras", "beirut", "bercy", "bordeaux", "cupertino", "mumbai", "nantes", "paris",
          "saclay_e"]
BANDS = ["B02", "B03", "B04", "B08", "B11", "B12"]
# Patches of this change type are published but not sent to inspectors: not scored as detections.
LOW_PRIORITY_TYPES = {"bare_soil", "low_confidence"}
HIT_SHARE = 0.25
TOP = 50
RULE_MIN_M2 = 400.0


def log(msg):
    print("[accuracy] " + msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- cases

def oscd_case(city):
    d = os.path.join(OSCD, city)
    b02 = glob.glob(os.path.join(d, "imgs_1", "*_B02.tif"))[0]
    ds = gdal.Open(b02)
    labels = gdal.Open(os.path.join(d, "cm", city + "-cm.tif")).ReadAsArray()
    if labels.shape != (ds.RasterYSize, ds.RasterXSize):
        raise SystemExit("%s: label map %s is not on B02's grid %s" % (city, labels.shape,
                                                                        (ds.RasterYSize, ds.RasterXSize)))
    grid = (ds.GetGeoTransform(), ds.GetProjection(), ds.RasterXSize, ds.RasterYSize)
    changed = labels == 2
    scored = (labels == 1) | changed
    return {
        "name": city, "kind": "oscd-s2", "grid": grid, "changed": changed, "scored": scored,
        "before": os.path.join(d, "imgs_1"), "after": os.path.join(d, "imgs_2"),
        "farmland": os.path.join(d, "farmland-grid.gpkg") + "#jbnt",
        "cva": lambda: cva_oscd(d, grid),
    }


def taizhou_case(work):
    d = os.path.join(REAL, "taizhou-landsat")
    items = os.path.join(work, "inputs", "taizhou")
    os.makedirs(items, exist_ok=True)
    paths = []
    for name, when in (("2000TM", "2000-03-17T02:20:00Z"), ("2003TM", "2003-02-06T02:20:00Z")):
        folder = os.path.join(items, name)
        os.makedirs(folder, exist_ok=True)
        # Copies inside the item's folder (STAC assets may not leave it); 1 MB each, in out/ only.
        for f in (name, name + ".HDR"):
            dst = os.path.join(folder, f)
            if not os.path.exists(dst):
                with open(os.path.join(d, f), "rb") as src, open(dst, "wb") as out:
                    out.write(src.read())
        bands = ",".join('{"name": "b%d", "common_name": "%s"}' % (i + 1, c) for i, c in
                         enumerate(["blue", "green", "red", "nir", "swir16", "swir22"]))
        item = os.path.join(folder, "item.json")
        with open(item, "w") as f:
            f.write('{"type": "Feature", "stac_version": "1.0.0", "id": "tz%s", "geometry": null, '
                    '"properties": {"datetime": "%s"}, "assets": {"data": {"href": "%s", "eo:bands": [%s]}}}'
                    % (name, when, name, bands))
        paths.append(item)
    ds = gdal.Open(os.path.join(d, "2000TM"))
    grid = (ds.GetGeoTransform(), ds.GetProjection(), ds.RasterXSize, ds.RasterYSize)
    changed = gdal.Open(os.path.join(d, "change.bmp")).ReadAsArray() == 255
    unchanged = gdal.Open(os.path.join(d, "unchanged.bmp")).ReadAsArray() == 255
    if changed.ndim == 3:
        changed, unchanged = changed[0], unchanged[0]
    farmland = os.path.join(items, "farmland.gpkg")
    if not os.path.exists(farmland):
        grid_farmland(farmland, 32651, grid, 400.0)
    return {
        "name": "taizhou", "kind": "landsat-7 DN", "grid": grid, "changed": changed, "scored": changed | unchanged,
        "before": paths[0], "after": paths[1], "farmland": farmland,
        "cva": lambda: cva_stack(gdal.Open(os.path.join(d, "2000TM")).ReadAsArray().astype(np.float64),
                                 gdal.Open(os.path.join(d, "2003TM")).ReadAsArray().astype(np.float64)),
    }


def grid_farmland(path, epsg, grid, step):
    """Square parcels of `step` metres over the grid's extent, land-survey field names, class 0103."""
    gt, _, w, h = grid
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    layer = ds.CreateLayer("jbnt", srs, ogr.wkbPolygon)
    for f in ("TBBH", "DLBM", "ZLDWDM", "ZLDWMC"):
        layer.CreateField(ogr.FieldDefn(f, ogr.OFTString))
    x0, y1 = gt[0], gt[3]
    x1, y0 = gt[0] + w * gt[1], gt[3] + h * gt[5]
    layer.StartTransaction()
    n = 0
    y = y0
    while y + step <= y1 + 1e-6:
        x = x0
        while x + step <= x1 + 1e-6:
            feat = ogr.Feature(layer.GetLayerDefn())
            feat.SetField("TBBH", "T%05d" % n)
            feat.SetField("DLBM", "0103")
            feat.SetField("ZLDWDM", "321200")
            feat.SetField("ZLDWMC", "west" if x < (x0 + x1) / 2 else "east")
            feat.SetGeometry(ogr.CreateGeometryFromWkt("POLYGON((%f %f,%f %f,%f %f,%f %f,%f %f))" % (
                x, y, x + step, y, x + step, y + step, x, y + step, x, y)))
            layer.CreateFeature(feat)
            n += 1
            x += step
        y += step
    layer.CommitTransaction()
    ds = None


# ---------------------------------------------------------------- baselines

def warp_onto(path, grid, resample="bilinear"):
    gt, proj, w, h = grid
    out = gdal.Warp("", path, format="MEM", dstSRS=proj, outputBounds=(gt[0], gt[3] + h * gt[5], gt[0] + w * gt[1], gt[3]),
                    width=w, height=h, resampleAlg=resample)
    return out.GetRasterBand(1).ReadAsArray().astype(np.float64)


def cva_oscd(d, grid):
    before = np.stack([warp_onto(glob.glob(os.path.join(d, "imgs_1", "*_%s.tif" % b))[0], grid) for b in BANDS])
    after = np.stack([warp_onto(glob.glob(os.path.join(d, "imgs_2", "*_%s.tif" % b))[0], grid) for b in BANDS])
    return cva_stack(before, after)


def cva_stack(before, after):
    return np.sqrt(((after - before) ** 2).sum(axis=0))


def otsu(values):
    hist, edges = np.histogram(values, bins=512)
    p = hist.astype(np.float64) / max(1, hist.sum())
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(p)
    m = np.cumsum(p * centres)
    mt = m[-1]
    w1 = 1 - w0
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mt * w0 - m) ** 2 / (w0 * w1)
    between[~np.isfinite(between)] = -1
    return edges[int(np.argmax(between)) + 1]


def best_threshold_f1(values, truth):
    """The highest F1 any single threshold `values > t` reaches against `truth`."""
    order = np.argsort(-values, kind="stable")
    t = truth[order].astype(np.int64)
    tp = np.cumsum(t)
    k = np.arange(1, len(t) + 1)
    positives = t.sum()
    f1 = 2 * tp / (k + positives)
    # Only cut between distinct values.
    v = values[order]
    last = np.r_[v[1:] != v[:-1], True]
    return float(f1[last].max()) if positives else float("nan")


def prf(detected, truth):
    tp = int((detected & truth).sum())
    fp = int((detected & ~truth).sum())
    fn = int((~detected & truth).sum())
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


# ---------------------------------------------------------------- scoring farmwatch

def burn(gpkg, layer_name, grid, attribute_filter=None):
    """Burns each feature of the layer onto the grid as its index + 1 (0: none); returns (raster, features)."""
    gt, proj, w, h = grid
    src = ogr.Open(gpkg)
    layer = src.GetLayerByName(layer_name)
    if attribute_filter:
        layer.SetAttributeFilter(attribute_filter)
    dst_srs = osr.SpatialReference()
    dst_srs.ImportFromWkt(proj)
    dst_srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    src_srs = layer.GetSpatialRef()
    src_srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    tr = osr.CoordinateTransformation(src_srs, dst_srs)
    mem = ogr.GetDriverByName("Memory").CreateDataSource("m")
    ml = mem.CreateLayer("l", dst_srs, ogr.wkbMultiPolygon)
    ml.CreateField(ogr.FieldDefn("idx", ogr.OFTInteger))
    feats = []
    defn = layer.GetLayerDefn()
    names = [defn.GetFieldDefn(i).GetName() for i in range(defn.GetFieldCount())]
    for f in layer:
        g = f.GetGeometryRef().Clone()
        g.Transform(tr)
        o = ogr.Feature(ml.GetLayerDefn())
        o.SetField("idx", len(feats) + 1)
        o.SetGeometry(g)
        ml.CreateFeature(o)
        feats.append({n: f.GetField(n) for n in names})
    ras = gdal.GetDriverByName("MEM").Create("", w, h, 1, gdal.GDT_Int32)
    ras.SetGeoTransform(gt)
    ras.SetProjection(proj)
    gdal.RasterizeLayer(ras, [1], ml, options=["ATTRIBUTE=idx"])
    return ras.GetRasterBand(1).ReadAsArray(), feats


def score_case(case, out):
    gpkg = os.path.join(out, "onemap.gpkg")
    grid = case["grid"]
    changed, scored = case["changed"], case["scored"]
    low = ",".join("'%s'" % t for t in sorted(LOW_PRIORITY_TYPES))
    patch_raster, patches = burn(gpkg, "change_patches", grid, "change_type NOT IN (%s)" % low)
    detected = patch_raster > 0
    p, r, f = prf(detected[scored], changed[scored])
    # The labels mark urban change only: the non-agricultural patches alone, against them.
    urban_raster, _ = burn(gpkg, "change_patches", grid, "change_type = 'non_agricultural'")
    _, _, f_urban = prf((urban_raster > 0)[scored], changed[scored])
    # Hit share per patch, on the cells the labels score.
    n = len(patches)
    cells = np.bincount(patch_raster[scored].ravel(), minlength=n + 1)[1:]
    hits = np.bincount(patch_raster[scored & changed].ravel(), minlength=n + 1)[1:]
    is_hit = {}
    by_confidence = []
    for i, pt in enumerate(patches):
        if cells[i] > 0:
            is_hit[pt["patch_id"]] = hits[i] >= HIT_SHARE * cells[i]
            by_confidence.append((pt["confidence"], bool(is_hit[pt["patch_id"]])))
    judged = list(is_hit.values())
    hit_share = sum(judged) / len(judged) if judged else float("nan")
    # The inspectors' order: flagged parcels by priority, then parcel id; their patches in list order.
    ds = ogr.Open(gpkg)
    fl = ds.GetLayerByName("flagged_parcels")
    parcels = [(f.GetField("priority"), f.GetField("parcel_id"), f.GetField("patch_ids")) for f in fl]
    parcels.sort(key=lambda t: (-(t[0] if t[0] is not None and not math.isnan(t[0]) else -1e300), t[1]))
    order = []
    seen = set()
    for _, _, ids in parcels:
        for pid in re.split(r"[,;\s]+", ids or ""):
            if pid and pid not in seen:
                seen.add(pid)
                order.append(pid)
    top = [is_hit[pid] for pid in order if pid in is_hit][:TOP]
    p_at = sum(top) / len(top) if top else float("nan")
    run = json.load(open(os.path.join(out, "run.json")))
    counts = run["counts"]
    checked = counts.get("parcels_in_source", 0)
    flagged = counts.get("flagged_parcels", 0)
    low_patches = counts.get("patches", 0) - n
    return {"precision": p, "recall": r, "f1": f, "f1_non_agricultural": f_urban, "patches": n, "patches_low_priority": low_patches,
            "hit_share": hit_share, "p_at_50": p_at, "p_at_50_patches": len(top),
            "flagged_parcels": flagged, "parcels_checked": checked, "patch_confidence_hits": by_confidence,
            "flagged_share": flagged / checked if checked else float("nan")}


def labelled_parcel_share(case, farmland):
    """Share of the parcels with at least RULE_MIN_M2 of labelled change: what the labels justify flagging."""
    path, _, layer = farmland.partition("#")
    ds = ogr.Open(path)
    name = layer or ds.GetLayer(0).GetName()
    raster, feats = burn(path, name, case["grid"])
    gt = case["grid"][0]
    srs = osr.SpatialReference()
    srs.ImportFromWkt(case["grid"][1])
    cell_m2 = abs(gt[1] * gt[5])
    if srs.IsGeographic():
        lat = gt[3] + gt[5] * case["grid"][3] / 2
        cell_m2 *= (111320.0 ** 2) * math.cos(math.radians(lat))
    n = len(feats)
    per = np.bincount(raster[case["changed"]].ravel(), minlength=n + 1)[1:]
    return float((per * cell_m2 >= RULE_MIN_M2).sum()) / n if n else float("nan")


# ---------------------------------------------------------------- runs

def run_farmwatch(case, out, conf, master):
    cmd = [os.path.join(ROOT, "jobs", "farmwatch"), "run", "--before", case["before"], "--after", case["after"],
           "--farmland", case["farmland"], "--out", out, "--conf", conf, "--master", master,
           "--run-id", "accuracy-" + case["name"].replace("_", "-")]
    t0 = time.time()
    logf = out.rstrip("/") + ".log"
    os.makedirs(os.path.dirname(logf), exist_ok=True)
    with open(logf, "w") as lf:
        rc = subprocess.call(cmd, stdout=lf, stderr=subprocess.STDOUT)
    if rc != 0:
        raise SystemExit("%s: farmwatch run failed with exit %d, see %s" % (case["name"], rc, logf))
    return time.time() - t0


def harness_conf(work, user_conf):
    """The run's configuration: the user's (or none), with the tile store off and only the GeoPackage published."""
    lines = []
    if user_conf:
        with open(user_conf, encoding="utf-8") as f:
            lines = [l for l in f.read().splitlines()
                     if not re.match(r"\s*(store\.dir|publish\.outputs)\s*=", l)]
    lines += ["store.dir = off", "publish.outputs = geopackage"]
    path = os.path.join(work, "harness.conf")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return path


# ---------------------------------------------------------------- the verdict loop

def write_labels(case, path, half=None):
    """The case's labels as a GeoTIFF on its grid (2 change, 1 no change, 0 unlabelled); half="west" keeps the
    western half's labels only."""
    gt, proj, w, h = case["grid"]
    lab = np.zeros((h, w), dtype=np.uint8)
    lab[case["scored"]] = 1
    lab[case["changed"] & case["scored"]] = 2
    if half == "west":
        lab[:, w // 2:] = 0
    os.makedirs(os.path.dirname(path), exist_ok=True)
    ds = gdal.GetDriverByName("GTiff").Create(path, w, h, 1, gdal.GDT_Byte)
    ds.SetGeoTransform(gt)
    ds.SetProjection(proj)
    ds.GetRasterBand(1).WriteArray(lab)
    ds = None
    return path


def train_change(model, sources, logf, reuse=False):
    """jobs/farmwatch train-change on (run folder, labels) pairs; returns its seconds (NaN: an earlier model reused)."""
    if reuse and os.path.exists(os.path.join(model, "summary.json")):
        return float("nan")
    # A smaller forest than train-change's default (100 trees of depth 8): twenty models are trained here, and on
    # a shared two-core machine the default takes minutes each. The loop's figures are of this smaller forest.
    cmd = [os.path.join(ROOT, "jobs", "farmwatch"), "train-change", "--out", model, "--master", "local[2]",
           "--trees", "50", "--max-depth", "6", "--labels"]
    cmd += ["%s=%s" % (run, labels) for run, labels in sources]
    t0 = time.time()
    os.makedirs(os.path.dirname(logf), exist_ok=True)
    with open(logf, "w") as lf:
        rc = subprocess.call(cmd, stdout=lf, stderr=subprocess.STDOUT)
    if rc != 0:
        raise SystemExit("train-change for %s failed with exit %d, see %s" % (model, rc, logf))
    return time.time() - t0


def with_model(conf, model, work, name):
    path = os.path.join(work, "conf", name + ".conf")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(conf, encoding="utf-8") as f:
        text = f.read()
    with open(path, "w", encoding="utf-8") as f:
        f.write(text + "change.model = %s\n" % os.path.abspath(model))
    return path


def east_half(case, out):
    """(confirmed, false alarms) among the patches sent to inspectors whose cells lie mostly in the eastern half."""
    raster, patches = burn(os.path.join(out, "onemap.gpkg"), "change_patches", case["grid"],
                           "change_type IN ('non_agricultural', 'non_grain')")
    scored, changed = case["scored"], case["changed"]
    n = len(patches)
    w = case["grid"][2]
    cols = np.broadcast_to(np.arange(w), raster.shape)
    cells = np.bincount(raster.ravel(), minlength=n + 1)[1:]
    colsum = np.bincount(raster.ravel(), weights=cols.ravel(), minlength=n + 1)[1:]
    lab = np.bincount(raster[scored].ravel(), minlength=n + 1)[1:]
    hits = np.bincount(raster[scored & changed].ravel(), minlength=n + 1)[1:]
    confirmed = false_alarms = 0
    for i in range(n):
        if cells[i] == 0 or lab[i] == 0 or colsum[i] / cells[i] < w / 2:
            continue
        if hits[i] >= HIT_SHARE * lab[i]:
            confirmed += 1
        else:
            false_alarms += 1
    return confirmed, false_alarms


def verdict_loop(args, names, conf):
    """Simulated verdicts from the labels: a model trained on nine cities' verdicts judges the tenth (across places),
    and one trained on a city's western half judges its eastern half (within a place)."""
    cities = [n for n in names if n in CITIES]
    cases = {c: oscd_case(c) for c in cities}
    work = args.out
    labels = {c: write_labels(cases[c], os.path.join(work, "labels", c + ".tif")) for c in cities}
    west = {c: write_labels(cases[c], os.path.join(work, "labels", c + "-west.tif"), "west") for c in cities}
    base = {}
    for i, c in enumerate(cities):
        out = os.path.join(work, "runs", c)
        if not args.rescore or not os.path.exists(os.path.join(out, "onemap.gpkg")):
            log("%d/%d %s: farmwatch run without a model" % (i + 1, len(cities), c))
            run_farmwatch(cases[c], out, conf, args.master)
        base[c] = score_case(cases[c], out)
    rows = []
    for i, c in enumerate(cities):
        model = os.path.join(work, "models", "across-" + c)
        others = [(os.path.join(work, "runs", o), labels[o]) for o in cities if o != c]
        log("%d/%d %s: train-change on the other %d cities' simulated verdicts" % (i + 1, len(cities), c, len(others)))
        train_s = train_change(model, others, os.path.join(work, "models", "across-" + c + ".log"), args.rescore)
        out = os.path.join(work, "runs-across", c)
        if not (args.rescore and os.path.exists(os.path.join(out, "run.json"))):
            run_farmwatch(cases[c], out, with_model(conf, model, work, "across-" + c), args.master)
        across = score_case(cases[c], out)
        log("%d/%d %s: train-change on its western half" % (i + 1, len(cities), c))
        model_w = os.path.join(work, "models", "within-" + c)
        train_change(model_w, [(os.path.join(work, "runs", c), west[c])],
                     os.path.join(work, "models", "within-" + c + ".log"), args.rescore)
        out_w = os.path.join(work, "runs-within", c)
        if not (args.rescore and os.path.exists(os.path.join(out_w, "run.json"))):
            run_farmwatch(cases[c], out_w, with_model(conf, model_w, work, "within-" + c), args.master)
        east_before = east_half(cases[c], os.path.join(work, "runs", c))
        east_after = east_half(cases[c], out_w)
        summary = json.load(open(os.path.join(model, "summary.json")))
        row = {"case": c, "without": base[c], "across": across, "train_seconds": train_s,
               "cv_auc": summary["cross_validation"]["auc"], "east_without": east_before, "east_with": east_after}
        rows.append(row)
        # Written after every city: a loop cut short keeps what it measured (--rescore resumes it).
        with open(os.path.join(work, "verdict-loop.json"), "w") as f:
            json.dump({"rows": rows, "complete": False}, f, indent=1, default=float)
        log("%s: hit share %s -> %s, P@50 %s -> %s, F1 %s -> %s; east half false alarms %d -> %d, confirmed %d -> %d" % (
            c, fmt(base[c]["hit_share"]), fmt(across["hit_share"]), fmt(base[c]["p_at_50"]), fmt(across["p_at_50"]),
            fmt(base[c]["f1"]), fmt(across["f1"]), east_before[1], east_after[1], east_before[0], east_after[0]))
    for r in rows:
        for k in ("without", "across"):
            r[k].pop("patch_confidence_hits", None)
    with open(os.path.join(work, "verdict-loop.json"), "w") as f:
        json.dump({"rows": rows, "complete": True, "git": subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                                                        capture_output=True, text=True).stdout.strip()},
                  f, indent=1, default=float)
    print("| city | hit share without → across | P@50 | pixel F1 | flagged parcels | CV AUC | east half: false alarms "
          "| east half: confirmed |")
    print("|" + "---|" * 8)
    tot = {"fa0": 0, "fa1": 0, "c0": 0, "c1": 0}
    for r in rows:
        a, b = r["without"], r["across"]
        (c0, f0), (c1, f1) = r["east_without"], r["east_with"]
        tot["fa0"] += f0
        tot["fa1"] += f1
        tot["c0"] += c0
        tot["c1"] += c1
        print("| %s | %s → **%s** | %s → %s | %s → %s | %d → %d | %s | %d → %d | %d → %d |" % (
            r["case"], fmt(a["hit_share"], 2), fmt(b["hit_share"], 2), fmt(a["p_at_50"], 2), fmt(b["p_at_50"], 2),
            fmt(a["f1"]), fmt(b["f1"]), a["flagged_parcels"], b["flagged_parcels"], fmt(r["cv_auc"]), f0, f1, c0, c1))

    def mean(k, key):
        v = [r[k][key] for r in rows if r[k][key] is not None and not math.isnan(r[k][key])]
        return sum(v) / len(v) if v else float("nan")

    print("| **mean** | %s → **%s** | %s → %s | %s → %s | | | %d → %d (%s) | %d → %d (%s) |" % (
        fmt(mean("without", "hit_share"), 2), fmt(mean("across", "hit_share"), 2), fmt(mean("without", "p_at_50"), 2),
        fmt(mean("across", "p_at_50"), 2), fmt(mean("without", "f1")), fmt(mean("across", "f1")), tot["fa0"], tot["fa1"],
        "%+.0f %%" % (100.0 * (tot["fa1"] - tot["fa0"]) / tot["fa0"]) if tot["fa0"] else "-", tot["c0"], tot["c1"],
        "%+.0f %%" % (100.0 * (tot["c1"] - tot["c0"]) / tot["c0"]) if tot["c0"] else "-"))
    return 0


def fmt(v, digits=3):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return ("%." + str(digits) + "f") % v


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", default="all", help="comma-separated case names (cities, taizhou) or all")
    ap.add_argument("--conf", help="a farmwatch --conf file for every run")
    ap.add_argument("--out", default=os.path.join(ROOT, "out", "accuracy"))
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--rescore", action="store_true", help="score the existing runs again, do not rerun farmwatch")
    ap.add_argument("--verdict-loop", action="store_true",
                    help="simulate inspectors' verdicts from the labels and score farmwatch with a change model trained on "
                         "them: on the other cities (across places) and on the city's western half (within a place)")
    args = ap.parse_args()
    args.out = os.path.abspath(args.out)
    names = CITIES + ["taizhou"] if args.cases == "all" else [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = [n for n in names if n not in CITIES + ["taizhou"]]
    if unknown:
        print("accuracy: unknown case %s; cases: %s, taizhou" % (", ".join(unknown), ", ".join(CITIES)), file=sys.stderr)
        return 2
    if not os.path.isdir(OSCD):
        print("accuracy: %s is missing (the labelled scenes live in ../shared/realdata)" % OSCD, file=sys.stderr)
        return 3
    os.makedirs(args.out, exist_ok=True)
    conf = harness_conf(args.out, args.conf)
    if args.verdict_loop:
        return verdict_loop(args, names, conf)
    rows = []
    for i, name in enumerate(names):
        case = taizhou_case(args.out) if name == "taizhou" else oscd_case(name)
        out = os.path.join(args.out, "runs", name)
        log("%d/%d %s: farmwatch run%s" % (i + 1, len(names), name, " (rescored)" if args.rescore else ""))
        secs = float("nan")
        if not args.rescore:
            secs = run_farmwatch(case, out, conf, args.master)
        row = {"case": name, "kind": case["kind"], "seconds": secs}
        row.update(score_case(case, out))
        row["labelled_share"] = labelled_parcel_share(case, case["farmland"])
        mag = case["cva"]()
        valid = case["scored"] & np.isfinite(mag)
        t = otsu(mag[valid])
        _, _, row["cva_otsu_f1"] = prf((mag > t)[valid], case["changed"][valid])
        row["cva_best_f1"] = best_threshold_f1(mag[valid], case["changed"][valid])
        row["changed_share"] = float(case["changed"][case["scored"]].mean())
        rows.append(row)
        log("%s: F1 %s (P %s, R %s), hit share %s, P@50 %s, flagged %s; CVA Otsu %s, best %s" % (
            name, fmt(row["f1"]), fmt(row["precision"]), fmt(row["recall"]), fmt(row["hit_share"]),
            fmt(row["p_at_50"]), fmt(row["flagged_share"]), fmt(row["cva_otsu_f1"]), fmt(row["cva_best_f1"])))
    oscd_rows = [r for r in rows if r["kind"] == "oscd-s2"]

    def mean(key, rs):
        v = [r[key] for r in rs if r[key] is not None and not math.isnan(r[key])]
        return sum(v) / len(v) if v else float("nan")

    summary = {k: mean(k, oscd_rows) for k in ("precision", "recall", "f1", "f1_non_agricultural", "hit_share", "p_at_50", "flagged_share",
                                               "labelled_share", "cva_otsu_f1", "cva_best_f1")}
    # Is the confidence monotone in hit share? The OSCD patches pooled, in four bands of equal count.
    pooled = sorted(ch for r in oscd_rows for ch in r["patch_confidence_hits"])
    bands = []
    for q in range(4):
        part = pooled[q * len(pooled) // 4:(q + 1) * len(pooled) // 4]
        if part:
            bands.append({"confidence_from": part[0][0], "confidence_to": part[-1][0], "patches": len(part),
                          "hit_share": sum(h for _, h in part) / len(part)})
    summary["hit_share_by_confidence_quartile"] = bands
    summary["cities_above_cva_best"] = sum(1 for r in oscd_rows if r["f1"] > r["cva_best_f1"])
    summary["cities"] = len(oscd_rows)
    result = {"conf": args.conf, "rows": rows, "oscd_mean": summary,
              "git": subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                                    text=True).stdout.strip()}
    with open(os.path.join(args.out, "result.json"), "w") as f:
        json.dump(result, f, indent=1, default=float)
    header = ("| case | P | R | F1 | F1 non-agri only | CVA Otsu F1 | CVA best F1 | patches | hit share | P@50 "
              "| flagged / checked | labels justify | s |")
    print(header)
    print("|" + "---|" * 13)
    for r in rows:
        print("| %s | %s | %s | **%s** | %s | %s | %s | %d (+%d low) | %s | %s | %s (%d/%d) | %s | %s |" % (
            r["case"], fmt(r["precision"]), fmt(r["recall"]), fmt(r["f1"]), fmt(r["f1_non_agricultural"]),
            fmt(r["cva_otsu_f1"]),
            fmt(r["cva_best_f1"]), r["patches"], r["patches_low_priority"], fmt(r["hit_share"], 2),
            fmt(r["p_at_50"], 2), fmt(r["flagged_share"], 3), r["flagged_parcels"], r["parcels_checked"],
            fmt(r["labelled_share"], 3), fmt(r["seconds"], 0)))
    if oscd_rows:
        s = summary
        print("| **oscd-s2 mean** | %s | %s | **%s** | %s | %s | %s | | %s | %s | %s | %s | |" % (
            fmt(s["precision"]), fmt(s["recall"]), fmt(s["f1"]), fmt(s["f1_non_agricultural"]), fmt(s["cva_otsu_f1"]),
            fmt(s["cva_best_f1"]),
            fmt(s["hit_share"], 2), fmt(s["p_at_50"], 2), fmt(s["flagged_share"], 3), fmt(s["labelled_share"], 3)))
        print("\ncities above their CVA best-threshold F1: %d of %d" % (s["cities_above_cva_best"], s["cities"]))
        print("hit share by patch confidence (oscd-s2 patches pooled, quartiles): " + ", ".join(
            "%.2f-%.2f: %.2f" % (b["confidence_from"], b["confidence_to"], b["hit_share"])
            for b in s["hit_share_by_confidence_quartile"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

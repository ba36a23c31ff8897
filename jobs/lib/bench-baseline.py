#!/usr/bin/python3
"""Helpers of the GDAL + PostGIS baseline (jobs/lib/bench-baseline.sh). Each prints to stdout.

    bench-baseline.py stats CONF SCENE_DIR       scene statistics (JSON), as farmwatch measures them:
                                                 per band p2, p50, p90 and the dark-object level
                                                 (0 where farmwatch would not subtract it)
    bench-baseline.py class-expr CONF STATS.json the gdal_calc.py expression of the class raster
    bench-baseline.py change-expr CONF BEFORE.json AFTER.json
                                                 the gdal_calc.py expression of the change-code raster
    bench-baseline.py cloud-mask CONF SCL.tif OUT.tif
                                                 OUT = 1 where clear: the SCL's cloud, shadow and
                                                 no-data cells grown by cloud.bufferMetres (square)
    bench-baseline.py sieve-cells CONF           the minimum mapping unit in 10 m cells
    bench-baseline.py overlay-sql CONF           the PostGIS overlay and flagging
    bench-baseline.py flagged GPKG               flagged parcel ids of a GeoPackage, one a line

The rules are farmwatch's own, restated here and nowhere else:
  * statistics and dark-object subtraction: SceneCatalog.measure, Scene.withDarkObject, SceneReader;
  * classes: org.farmwatch.classify.RuleClassifier (thresholds classify.* from the conf file);
  * change: org.farmwatch.change.ChangeDetector (thresholds and rules from the conf file);
  * overlay and flagging: org.farmwatch.flag.ParcelOverlay / ParcelFlagger / ConversionRule.
Arithmetic follows the Java's: sums and differences of two bands in float32 (Java float), the
rest in float64 (Java double), so that cells on a threshold fall on the same side.
"""
import glob
import json
import math
import os
import re
import sys

BANDS = ["B02", "B03", "B04", "B08", "B11", "B12"]  # blue, green, red, nir, swir16, swir22 (Band order)
CLASSES = {"cropland": 1, "orchard": 2, "forest": 3, "nursery": 4, "grassland": 5, "built_up": 6,
           "water": 7, "bare": 8, "greenhouse": 9}
GREEN = [1, 2, 3, 4, 5]
# RuleClassifier.Thresholds.DEFAULT (overridden by classify.* keys of the conf file) and its constants.
T = dict(waterMndwi=0.25, vegetationNdvi=0.45, sparseNdvi=0.28, cropNirShare=0.80, forestSwirNir=0.55,
         orchardSwirNir=0.70, bareBrightness=1.35, builtBlueRed=0.88, greenhouseBrightness=1.60)
CONSTANTS = dict(SOIL_BRIGHTNESS=1.2, GREENHOUSE_NDVI=0.12, WOODY_SWIR_NIR=0.60, DARK_CANOPY=0.80)
SCL_MASKED = [0, 1, 3, 8, 9, 10]


def band_file(scene_dir, band):
    hits = sorted(glob.glob(os.path.join(scene_dir, f"*_{band}.tif")))
    if not hits:
        sys.exit(f"bench-baseline: no *_{band}.tif in {scene_dir}")
    return hits[0]


# ---- statistics: SceneCatalog.measure ----------------------------------------------------------

def percentile(hist, lo, hi, q):
    total = sum(hist)
    if total == 0:
        return lo
    target = math.ceil(q * total)
    acc = 0
    width = (hi - lo) / len(hist)
    for i, h in enumerate(hist):
        acc += h
        if acc >= target:
            return lo + (i + 0.5) * width
    return hi


def stats(conf, scene_dir):
    from osgeo import gdal
    gdal.UseExceptions()
    out = {}
    for b in BANDS:
        ds = gdal.Open(band_file(scene_dir, b))
        band = ds.GetRasterBand(1)
        lo, hi = band.ComputeRasterMinMax(True)  # approximate, as farmwatch
        nd = band.GetNoDataValue()
        buckets = 1024
        start = lo
        if nd is not None and nd == lo:
            start = lo + (hi - lo) / (buckets * 4.0)
        hist = band.GetHistogram(start, hi + 1e-9, buckets, 0, 1)  # no out-of-range, approximate
        out[b] = [percentile(hist, start, hi, q) for q in (0.02, 0.50, 0.90, 0.001)]
        ds = None
    # Scene.withDarkObject: auto keeps the dark-object levels only for scenes with an additive offset.
    mode = conf.get("classify.darkObjectSubtraction", "auto").strip()
    if mode == "true":
        keep = True
    elif mode == "false":
        keep = False
    else:
        keep = out["B08"][1] > 0 and out["B08"][3] > 0.2 * out["B08"][1]
    if not keep:
        for v in out.values():
            v[3] = 0.0
    return out


# ---- class raster: RuleClassifier.classify ------------------------------------------------------

def thresholds(conf):
    t = dict(T)
    for k in T:
        if "classify." + k in conf:
            t[k] = float(conf["classify." + k])
    t.update(CONSTANTS)
    return t


def clear(st, band, i):
    """Scene.clearP50 (i = 1) or clearP90 (i = 2): the percentile less the dark-object level."""
    return st[band][i] - st[band][3]


def banded(letter, dark, float32_input=False):
    """A band as SceneReader hands it to the classifier: float32 of (value - dark level) in double."""
    if dark == 0:
        return letter if float32_input else f"{letter}.astype(float32)"
    return f"({letter}.astype(float64) + {-dark!r}).astype(float32)"


def class_expr(conf, st):
    t = thresholds(conf)
    median_bright = 0.0
    for b in BANDS:
        median_bright += clear(st, b, 1)
    median_bright /= len(BANDS)
    inv_bright = 1.0 / median_bright if median_bright > 0 else 1.0
    crop_nir = clear(st, "B08", 2)
    nir_floor = t["cropNirShare"] * (crop_nir if crop_nir > 0 else 1.0)
    scene_blue_red = clear(st, "B02", 1) / max(1e-9, clear(st, "B04", 1))
    inv_blue_red = 1.0 / scene_blue_red if scene_blue_red > 0 and math.isfinite(scene_blue_red) else 1.0
    # gdal_calc inputs: A..D the 10 m bands (UInt16, no data 0), E, F the 20 m SWIR bands warped to
    # 10 m (Float32, NaN no data), G the clear-cell mask (cloud-mask). Inside: b g r n s t the bands
    # as the classifier sees them (float32), m the clear cells.
    f = {k: repr(v) for k, v in t.items()}
    args = ", ".join(banded(x, st[b][3], x in "EF") for x, b in zip("ABCDEF", BANDS))
    return (
        "(lambda b, g, r, n, s, t, m: "
        "(lambda ndvi, mndwi, bright, swirnir, bluered, n64: "
        "select(["
        "~m, "
        f"(mndwi > {f['waterMndwi']}) & (ndvi < 0.15), "
        f"(ndvi >= {f['vegetationNdvi']}) & ~((n64 < {nir_floor!r}) & ((swirnir >= {f['WOODY_SWIR_NIR']}) | (bright < {f['DARK_CANOPY']}))), "
        f"(ndvi >= {f['vegetationNdvi']}) & (swirnir < {f['forestSwirNir']}), "
        f"(ndvi >= {f['vegetationNdvi']}) & (swirnir < {f['orchardSwirNir']}), "
        f"(ndvi >= {f['vegetationNdvi']}), "
        f"(ndvi >= {f['sparseNdvi']}) & (n64 >= {nir_floor!r} * 0.75), "
        f"(ndvi >= {f['sparseNdvi']}), "
        f"(bright < {f['SOIL_BRIGHTNESS']}), "
        f"(bluered >= {f['builtBlueRed']}) & (bright >= {f['greenhouseBrightness']}) & (ndvi >= {f['GREENHOUSE_NDVI']}), "
        f"(bluered >= {f['builtBlueRed']}), "
        f"(bright >= {f['bareBrightness']})"
        "], [0, 7, 1, 3, 2, 4, 1, 5, 1, 9, 6, 8], 1)"
        ")("
        "(n - r).astype(float64) / ((n + r).astype(float64) + 1e-9), "
        "(g - s).astype(float64) / ((g + s).astype(float64) + 1e-9), "
        f"(b + g + r + n + s + t).astype(float64) / 6.0 * {inv_bright!r}, "
        "s.astype(float64) / (n.astype(float64) + 1e-9), "
        f"b.astype(float64) / (r.astype(float64) + 1e-9) * {inv_blue_red!r}, "
        "n.astype(float64)"
        f"))({args}, "
        "(A > 0) & (B > 0) & (C > 0) & (D > 0) & ~isnan(E) & ~isnan(F) & (G > 0))"
    )


# ---- configuration: conf/farmwatch.conf --------------------------------------------------------

def read_conf(path):
    conf = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            k, v = line.split("=", 1)
            conf[k.strip()] = v.strip()
    return conf


def rules(conf):
    out = []
    for name in [r.strip() for r in conf["rules"].split(",") if r.strip()]:
        p = f"rule.{name}."
        out.append(dict(
            name=name,
            type=conf.get(p + "type", name),
            frm=[CLASSES[c.strip()] for c in conf[p + "from"].split(",")],
            to=[CLASSES[c.strip()] for c in conf[p + "to"].split(",")],
            scope=conf.get(p + "scope", "any").strip().lower(),
            min_area=float(conf.get(p + "minAreaM2", "0")),
            min_share=float(conf.get(p + "minShare", "0"))))
    return out


def transitions(conf):
    """{code: 1 + rule index} for every transition a rule matches (first rule wins), as ChangeDetector."""
    rs = rules(conf)
    keep_other = conf.get("change.keepOther", "false").lower() == "true"
    table = {}
    for a in range(1, 10):
        for b in range(1, 10):
            if a == b:
                continue
            for i, r in enumerate(rs):
                if a in r["frm"] and b in r["to"]:
                    table[a * 16 + b] = i + 1
                    break
            if a * 16 + b not in table and keep_other:
                table[a * 16 + b] = 255
    return table


# ---- change raster: ChangeDetector.detect -------------------------------------------------------

def change_expr(conf, before, after):
    t_any = float(conf.get("change.spectralThreshold", "0.30"))
    t_green = float(conf.get("change.vegetationThreshold", "0.12"))
    codes = sorted(transitions(conf))
    inv_b = [1.0 / max(1e-9, clear(before, b, 1)) for b in BANDS]
    inv_a = [1.0 / max(1e-9, clear(after, b, 1)) for b in BANDS]
    # Inputs: A..F the before bands, G..L the after bands (order B02 B03 B04 B08 B11 B12), M and N
    # the before and after classes. eval() locals are not seen inside lambdas: pass them in.
    bl, al = "ABCDEF", "GHIJKL"
    lrs = ", ".join(
        f"log(maximum(1e-6, {banded(f'aa[{i}]', after[BANDS[i]][3], True)}.astype(float64) * {inv_a[i]!r})"
        f" / maximum(1e-6, {banded(f'bb[{i}]', before[BANDS[i]][3], True)}.astype(float64) * {inv_b[i]!r}))"
        for i in range(6))
    green = repr(GREEN)
    return (
        "(lambda fr, to, bb, aa: (lambda code, green: (lambda lr: (lambda mean: (lambda ms: "
        f"where(isin(code, {codes!r}) & (ms >= where(green, {t_green!r} * {t_green!r}, {t_any!r} * {t_any!r})), code, 0)"
        ")(((lr[0] - mean) ** 2 + (lr[1] - mean) ** 2 + (lr[2] - mean) ** 2 + (lr[3] - mean) ** 2 + (lr[4] - mean) ** 2 + (lr[5] - mean) ** 2) / 6)"
        ")(where(green, (lr[0] + lr[1] + lr[2] + lr[3] + lr[4] + lr[5]) / 6, 0.0))"
        f")([{lrs}])"
        f")(fr * 16 + to, isin(fr, {green}) & isin(to, {green}))"
        f")(M.astype(int32), N.astype(int32), [{', '.join(bl)}], [{', '.join(al)}])"
    )


def cloud_mask(conf, scl_path, out_path):
    """SceneReader's mask: SCL_MASKED cells, grown by a square of ceil(buffer / cell) cells; cells
    outside the scene count as masked (farmwatch warps them to SCL 0). Strips of rows, numpy only."""
    import numpy
    from osgeo import gdal
    gdal.UseExceptions()
    src = gdal.Open(scl_path)
    w, h = src.RasterXSize, src.RasterYSize
    cell = abs(src.GetGeoTransform()[1])
    r = int(math.ceil(float(conf.get("cloud.bufferMetres", "0")) / cell))
    drv = gdal.GetDriverByName("GTiff")
    out = drv.Create(out_path, w, h, 1, gdal.GDT_Byte,
                     ["TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=NONE", "BIGTIFF=IF_SAFER"])
    out.SetGeoTransform(src.GetGeoTransform())
    out.SetProjection(src.GetProjection())
    band = src.GetRasterBand(1)
    strip = 2048
    for y0 in range(0, h, strip):
        y1 = min(h, y0 + strip)
        a0, a1 = max(0, y0 - r), min(h, y1 + r)
        masked = numpy.isin(band.ReadAsArray(0, a0, w, a1 - a0), SCL_MASKED)
        if r > 0:
            # Rows y0-r .. y1+r, columns -r .. w+r; beyond the scene counts as masked.
            pad = numpy.ones((y1 - y0 + 2 * r, w + 2 * r), dtype=bool)
            pad[a0 - (y0 - r):a1 - (y0 - r), r:r + w] = masked
            across = numpy.zeros((pad.shape[0], w), dtype=bool)
            for d in range(2 * r + 1):
                across |= pad[:, d:d + w]
            masked = numpy.zeros((y1 - y0, w), dtype=bool)
            for d in range(2 * r + 1):
                masked |= across[d:d + y1 - y0, :]
        out.GetRasterBand(1).WriteArray((~masked).astype(numpy.uint8), 0, y0)
    out = None


def sieve_cells(conf):
    return int(max(1, math.ceil(float(conf.get("patch.minAreaM2", "400")) / 100.0)))


# ---- overlay and flagging: ParcelOverlay + ParcelFlagger -----------------------------------------

def overlay_sql(conf):
    rs = rules(conf)
    table = transitions(conf)
    mmu = float(conf.get("patch.minAreaM2", "400"))
    cases = "\n".join(
        f"      WHEN code IN ({', '.join(str(c) for c, r in sorted(table.items()) if r == i + 1)}) THEN {i + 1}"
        for i in range(len(rs)) if any(r == i + 1 for r in table.values()))
    values = ",\n    ".join(
        f"({i + 1}, '{r['name']}', '{r['type']}', {r['scope'] == 'cropland'}, {r['min_area']!r}, {r['min_share']!r})"
        for i, r in enumerate(rs))
    classes = ", ".join(f"({v}, '{k}')" for k, v in CLASSES.items())
    return f"""\\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET work_mem = '256MB';
SET max_parallel_workers_per_gather = 2;
ANALYZE farmland;
ANALYZE patches;
DROP TABLE IF EXISTS rules, classes, rule_patches, flagged;
CREATE TEMP TABLE rules (idx int, name text, type text, cropland_only bool, min_area float8, min_share float8);
INSERT INTO rules VALUES
    {values};
CREATE TEMP TABLE classes (id int, name text);
INSERT INTO classes VALUES {classes};
-- Patches of a rule's transition, above the minimum mapping unit.
CREATE TABLE rule_patches AS
SELECT p.code, r.idx AS rule_idx, r.name AS rule, r.type AS change_type, cf.name AS from_class, ct.name AS to_class,
       ST_Area(p.geom) AS area_m2, p.geom
FROM (SELECT code, wkb_geometry AS geom, CASE
{cases}
      END AS rule_idx
      FROM patches WHERE ST_Area(wkb_geometry) >= {mmu!r} - 1e-6) p
JOIN rules r ON r.idx = p.rule_idx
JOIN classes cf ON cf.id = p.code / 16
JOIN classes ct ON ct.id = p.code % 16;
CREATE INDEX ON rule_patches USING gist (geom);
ANALYZE rule_patches;
-- Changed area per parcel and rule; a rule fires on enough area and share; the largest area names the parcel.
CREATE TABLE flagged AS
WITH hits AS (
    SELECT f.fid, p.rule_idx, sum(ST_Area(ST_Intersection(f.geom, p.geom))) AS changed_m2, count(*) AS patch_count
    FROM rule_patches p
    JOIN rules r ON r.idx = p.rule_idx
    JOIN farmland f ON ST_Intersects(f.geom, p.geom)
    WHERE NOT r.cropland_only OR f.dlbm IS NULL OR f.dlbm = '' OR f.dlbm LIKE '01%'
    GROUP BY f.fid, p.rule_idx
), fired AS (
    SELECT h.*, r.name AS rule, r.type AS change_type, ST_Area(f.geom) AS parcel_m2
    FROM hits h JOIN rules r ON r.idx = h.rule_idx JOIN farmland f ON f.fid = h.fid
    WHERE h.changed_m2 >= r.min_area
      AND (CASE WHEN ST_Area(f.geom) > 0 THEN h.changed_m2 / ST_Area(f.geom) ELSE 0 END) >= r.min_share
)
SELECT DISTINCT ON (x.fid) f.tbbh AS parcel_id, f.zldwdm AS admin_code, f.zldwmc AS township, f.dlbm AS land_class,
       x.change_type, x.rule, x.changed_m2 AS changed_area_m2, least(1, x.changed_m2 / nullif(x.parcel_m2, 0)) AS changed_share,
       x.patch_count, f.geom
FROM fired x JOIN farmland f ON f.fid = x.fid
ORDER BY x.fid, x.changed_m2 DESC, x.rule_idx;
SELECT count(*) AS flagged FROM flagged;
"""


def flagged_ids(gpkg):
    from osgeo import ogr
    ds = ogr.Open(gpkg)
    lyr = ds.GetLayerByName("flagged_parcels")
    ids = []
    if lyr is not None:
        for feat in lyr:
            ids.append(feat.GetField("parcel_id"))
    return ids


def main(argv):
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[0], argv[1:]
    if cmd == "stats":
        print(json.dumps(stats(read_conf(args[0]), args[1])))
    elif cmd == "class-expr":
        with open(args[1]) as fh:
            print(class_expr(read_conf(args[0]), json.load(fh)))
    elif cmd == "change-expr":
        with open(args[1]) as fb, open(args[2]) as fa:
            print(change_expr(read_conf(args[0]), json.load(fb), json.load(fa)))
    elif cmd == "cloud-mask":
        cloud_mask(read_conf(args[0]), args[1], args[2])
    elif cmd == "sieve-cells":
        print(sieve_cells(read_conf(args[0])))
    elif cmd == "overlay-sql":
        print(overlay_sql(read_conf(args[0])))
    elif cmd == "flagged":
        for i in flagged_ids(args[0]):
            print(i)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

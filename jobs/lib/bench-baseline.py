#!/usr/bin/python3
"""Helpers of the GDAL + PostGIS baseline (jobs/lib/bench-baseline.sh). Each prints to stdout.

    bench-baseline.py stats CONF SCENE_DIR       scene statistics (JSON), as farmwatch measures them:
                                                 per band p2, p50, p90 and the dark-object level
                                                 (0 where farmwatch would not subtract it)
    bench-baseline.py class-expr CONF STATS.json the gdal_calc.py expression of the class raster
    bench-baseline.py change CONF BEFORE_DIR AFTER_DIR RDIR BEFORE.json AFTER.json OUT.tif
                                                 the change-code raster, per tile of farmwatch's grid
                                                 (RDIR: the warped SWIR bands and class rasters)
    bench-baseline.py cloud-mask CONF SCL.tif OUT.tif
                                                 OUT = 1 where clear: the SCL's cloud, shadow and
                                                 no-data cells grown by cloud.bufferMetres (square)
    bench-baseline.py sieve-cells CONF           the minimum mapping unit in 10 m cells
    bench-baseline.py overlay-sql CONF           the PostGIS overlay and flagging
    bench-baseline.py flagged GPKG               flagged parcel ids of a GeoPackage, one a line

The rules are farmwatch's own, restated here and nowhere else:
  * statistics and dark-object subtraction: SceneCatalog.measure, Scene.withDarkObject, SceneReader;
  * classes: org.farmwatch.classify.RuleClassifier (thresholds classify.* from the conf file);
  * change: org.farmwatch.change.ChangeDetector and RadiometricFit (per tile of the working grid,
    origin and tile size as WorkingGrid; threshold and rules from the conf file);
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


# ---- change raster: ChangeDetector.detect + RadiometricFit --------------------------------------

# RadiometricFit's constants, and WorkingGrid's fixed origin of tile (0, 0).
FIT_MAX_SAMPLES, FIT_RUN, FIT_MIN_SAMPLES, FIT_ROUNDS, FIT_BINS, FIT_FINE_BINS = 4096, 16, 256, 10, 256, 4096
FIT_SETTLED = 1e-6
FIT_MIN_DISTANCE = math.sqrt(22.457744484825323)
FIT_MIN_SHAPE_DISTANCE = math.sqrt(20.515005652432873)
GREEN = [1, 2, 3, 4, 5]
GRID_ORIGIN = (0.0, 10_000_000.0)


def no_change_probability(z2, nb=6):
    """RadiometricFit.noChangeProbability: chi-square survival function, nb (even) degrees of freedom."""
    import numpy
    h = z2 / 2
    term = numpy.ones_like(h)
    total = numpy.ones_like(h)
    for k in range(1, (nb + 1) // 2):
        term = term * (h / k)
        total = total + term
    return numpy.minimum(1.0, numpy.exp(-h) * total)


def distances(x, y, gain, offset, inv_sd):
    """RadiometricFit.distance2 and shapeDistance2 of every cell of x, y (6, n)."""
    import numpy
    rr = numpy.zeros(x.shape[1])
    ru = numpy.zeros(x.shape[1])
    uu = numpy.zeros(x.shape[1])
    for b in range(6):
        u = gain[b] * x[b]
        r = (y[b] - u - offset[b]) * inv_sd[b]
        u = u * inv_sd[b]
        rr = rr + r * r
        ru = ru + r * u
        uu = uu + u * u
    with numpy.errstate(divide="ignore", invalid="ignore"):
        shape = numpy.where(uu > 0, numpy.maximum(0.0, rr - ru * ru / uu), rr)
    return rr, shape


def minimum_error(d, floor):
    """RadiometricFit.minimumError: Kittler-Illingworth over the distances d, binned up to their 99.9th
    percentile, never below floor."""
    import numpy
    top = d.max()
    if not top > floor:
        return floor
    fine = numpy.bincount(numpy.minimum(FIT_FINE_BINS - 1, (d / top * FIT_FINE_BINS).astype(numpy.int64)),
                          minlength=FIT_FINE_BINS)
    k99 = int(numpy.argmax(numpy.cumsum(fine) >= 0.999 * len(d)))
    hi = top * (k99 + 1) / FIT_FINE_BINS
    hist = numpy.bincount(numpy.minimum(FIT_BINS - 1, (d / hi * FIT_BINS).astype(numpy.int64)),
                          minlength=FIT_BINS).astype(numpy.float64)
    width = hi / FIT_BINS
    c = (numpy.arange(FIT_BINS) + 0.5) * width
    p_all, m_all, q_all = hist.sum(), (hist * c).sum(), (hist * c * c).sum()
    best, best_k = math.inf, -1
    p = m = q = 0.0
    for k in range(1, FIT_BINS):
        ck = (k - 0.5) * width
        p += hist[k - 1]
        m += hist[k - 1] * ck
        q += hist[k - 1] * ck * ck
        p2 = p_all - p
        if p < 1 or p2 < 1:
            continue
        m1, m2 = m / p, (m_all - m) / p2
        v1, v2 = q / p - m1 * m1, (q_all - q) / p2 - m2 * m2
        if not (v1 > 0 and v2 > 0):
            continue
        w1, w2 = p / p_all, p2 / p_all
        j = 1 + w1 * math.log(v1) + w2 * math.log(v2) - 2 * (w1 * math.log(w1) + w2 * math.log(w2))
        if j < best:
            best, best_k = j, k
    t = floor if best_k < 0 else best_k * width
    return max(floor, t)


def fit(x, y, clear, fixed):
    """RadiometricFit.fit over one tile window: x, y float64 (6, n) with clear (n,) the cells clear on
    both dates. Returns (gain, offset, inv_sd, threshold, shape threshold), or None when too few cells
    are clear."""
    import numpy
    n = x.shape[1]
    # RadiometricFit.gather: runs of FIT_RUN neighbouring cells spread evenly over the window, four times
    # as dense while fewer than half the sample is clear.
    def gather(run_stride):
        starts = numpy.arange(0, n, run_stride)
        i = (starts[:, None] + numpy.arange(FIT_RUN)[None, :]).ravel()
        i = i[i < n]
        return i[clear[i]][:FIT_MAX_SAMPLES]

    run_stride = FIT_RUN if n <= FIT_MAX_SAMPLES else n // (FIT_MAX_SAMPLES // FIT_RUN)
    idx = gather(run_stride)
    while len(idx) < FIT_MAX_SAMPLES // 2 and run_stride > FIT_RUN:
        run_stride = max(FIT_RUN, run_stride // 4)
        idx = gather(run_stride)
    if len(idx) < FIT_MIN_SAMPLES:
        return None
    xs, ys = x[:, idx], y[:, idx]
    gain = offset = inv_sd = None

    def dist2(xv, yv):
        z2 = numpy.zeros(xv.shape[1])
        for b in range(6):
            r = (yv[b] - gain[b] * xv[b] - offset[b]) * inv_sd[b]
            z2 = z2 + r * r
        return z2

    for rnd in range(FIT_ROUNDS):
        w = numpy.ones(len(idx)) if rnd == 0 else no_change_probability(dist2(xs, ys))
        w = numpy.where(w < 1e-12, 0.0, w)
        wt = w.sum()
        if not wt > 0:
            return None
        g, o, s, m_y = numpy.empty(6), numpy.empty(6), numpy.empty(6), numpy.empty(6)
        for b in range(6):
            mx, my = (w * xs[b]).sum() / wt, (w * ys[b]).sum() / wt
            m_y[b] = my
            vx = max(0.0, (w * xs[b] * xs[b]).sum() / wt - mx * mx)
            vy = max(0.0, (w * ys[b] * ys[b]).sum() / wt - my * my)
            cxy = (w * xs[b] * ys[b]).sum() / wt - mx * my
            g[b] = math.copysign(math.sqrt(vy / vx), 1.0 if cxy == 0 else cxy) if vx > 0 else 1.0
            o[b] = my - g[b] * mx
            residual = max(0.0, vy - 2 * g[b] * cxy + g[b] * g[b] * vx)
            s[b] = 1.0 / max(1e-6 * (abs(my) + 1e-9), math.sqrt(residual))
        # RadiometricFit.SETTLED: a round that moves nothing by more than that share ends the fitting.
        settled = rnd > 0 and all(abs(g[b] - gain[b]) <= FIT_SETTLED * abs(g[b])
                                  and abs(o[b] - offset[b]) <= FIT_SETTLED * (abs(m_y[b]) + 1e-9)
                                  and abs(s[b] - inv_sd[b]) <= FIT_SETTLED * s[b] for b in range(6))
        gain, offset, inv_sd = g, o, s
        if settled:
            break
    if fixed is not None:
        return gain, offset, inv_sd, fixed, fixed
    full, shape = distances(xs, ys, gain, offset, inv_sd)
    return (gain, offset, inv_sd, minimum_error(numpy.sqrt(full), FIT_MIN_DISTANCE),
            minimum_error(numpy.sqrt(shape), FIT_MIN_SHAPE_DISTANCE))


def change(conf, before_dir, after_dir, rdir, before, after, out_path):
    """The change-code raster, tile by tile on farmwatch's grid: each tile window (the tile and its halo)
    fits the current bands to the baseline, then a rule transition counts where its distance from the
    fit reaches the threshold and its log-ratios against the scene medians reach change.spectralThreshold
    (between green classes: the shape distance, and the log-ratios less their mean against
    change.vegetationThreshold), as ChangeDetector.detect. numpy over windows read with GDAL."""
    import numpy
    from osgeo import gdal
    gdal.UseExceptions()
    table = transitions(conf)
    codes = numpy.zeros(256, dtype=bool)
    codes[list(table)] = True
    fixed = conf.get("change.threshold", "auto").strip()
    fixed = None if fixed == "auto" else float(fixed)
    t_any = float(conf.get("change.spectralThreshold", "0.30"))
    t_green = float(conf.get("change.vegetationThreshold", "0.12"))
    green_class = numpy.zeros(16, dtype=bool)
    green_class[GREEN] = True
    inv = {d: numpy.array([1.0 / max(1e-9, clear(st, b, 1)) for b in BANDS])
           for d, st in (("before", before), ("after", after))}
    size = int(conf.get("grid.tileSize", "512"))
    halo = int(conf.get("grid.haloCells", "8"))
    files = {"before": [band_file(before_dir, b) for b in BANDS[:4]] + [f"{rdir}/before-B11.tif", f"{rdir}/before-B12.tif"],
             "after": [band_file(after_dir, b) for b in BANDS[:4]] + [f"{rdir}/after-B11.tif", f"{rdir}/after-B12.tif"]}
    stats_of = {"before": before, "after": after}
    ds = {d: [gdal.Open(f) for f in fs] for d, fs in files.items()}
    cls = {d: gdal.Open(f"{rdir}/{d}-class.tif") for d in ("before", "after")}
    ref = cls["before"]
    w, h = ref.RasterXSize, ref.RasterYSize
    gt = ref.GetGeoTransform()
    cell = gt[1]
    out = gdal.GetDriverByName("GTiff").Create(out_path, w, h, 1, gdal.GDT_Byte,
                                               ["TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=NONE",
                                                "BIGTIFF=IF_SAFER"])
    out.SetGeoTransform(gt)
    out.SetProjection(ref.GetProjection())
    # Pixel offsets of tile (0, 0)'s corner in this raster; tiles run every `size` cells from there.
    ox = int(round((GRID_ORIGIN[0] - gt[0]) / cell))
    oy = int(round((gt[3] - GRID_ORIGIN[1]) / -gt[5]))
    win = size + 2 * halo

    def window(dsx, x0, y0, dtype):
        """A win x win window at raster pixel (x0, y0), NaN (or 0) outside the raster."""
        a = numpy.full((win, win), numpy.nan if dtype == numpy.float64 else 0, dtype=dtype)
        xa, ya, xb, yb = max(0, x0), max(0, y0), min(w, x0 + win), min(h, y0 + win)
        if xa < xb and ya < yb:
            a[ya - y0:yb - y0, xa - x0:xb - x0] = dsx.GetRasterBand(1).ReadAsArray(xa, ya, xb - xa, yb - ya)
        return a

    first_col, first_row = (-ox) // size, (-oy) // size
    last_col, last_row = (w - 1 - ox) // size, (h - 1 - oy) // size
    for row in range(first_row, last_row + 1):
        for col in range(first_col, last_col + 1):
            x0, y0 = ox + col * size - halo, oy + row * size - halo
            c0 = window(cls["before"], x0, y0, numpy.int32).ravel()
            c1 = window(cls["after"], x0, y0, numpy.int32).ravel()
            bands = {}
            for d in ("before", "after"):
                v = numpy.empty((6, win * win))
                for i, b in enumerate(BANDS):
                    raw = window(ds[d][i], x0, y0, numpy.float64).ravel()
                    dark = stats_of[d][b][3]
                    # As SceneReader hands the bands on: float32 of (value - dark level).
                    v[i] = (raw - dark).astype(numpy.float32) if dark != 0 else raw.astype(numpy.float32)
                bands[d] = v
            both_clear = (c0 != 0) & (c1 != 0)
            f = fit(bands["before"], bands["after"], both_clear, fixed)
            code = numpy.zeros(win * win, dtype=numpy.uint8)
            if f is not None:
                gain, offset, inv_sd, t, t_shape = f
                full, shape = distances(bands["before"], bands["after"], gain, offset, inv_sd)
                green = green_class[numpy.clip(c0, 0, 15)] & green_class[numpy.clip(c1, 0, 15)]
                with numpy.errstate(divide="ignore", invalid="ignore"):
                    lr = numpy.log(numpy.maximum(1e-6, bands["after"] * inv["after"][:, None])
                                   / numpy.maximum(1e-6, bands["before"] * inv["before"][:, None]))
                centre = numpy.where(green, lr.sum(0) / 6, 0.0)
                ms = ((lr - centre) ** 2).sum(0) / 6
                fitted = numpy.where(green, shape >= t_shape * t_shape, full >= t * t)
                medians = ms >= numpy.where(green, t_green * t_green, t_any * t_any)
                tc = c0 * 16 + c1
                hit = both_clear & (c0 != c1) & codes[numpy.clip(tc, 0, 255)] & fitted & medians
                code[hit] = tc[hit]
            core = code.reshape(win, win)[halo:halo + size, halo:halo + size]
            xa, ya = max(0, x0 + halo), max(0, y0 + halo)
            xb, yb = min(w, x0 + halo + size), min(h, y0 + halo + size)
            if xa < xb and ya < yb:
                out.GetRasterBand(1).WriteArray(core[ya - y0 - halo:yb - y0 - halo, xa - x0 - halo:xb - x0 - halo], xa, ya)
    out = None


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
    elif cmd == "change":
        with open(args[4]) as fb, open(args[5]) as fa:
            change(read_conf(args[0]), args[1], args[2], args[3], json.load(fb), json.load(fa), args[6])
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

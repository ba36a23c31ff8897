#!/usr/bin/python3
"""Helpers of the overlay workload of jobs/bench (jobs/lib/bench-overlay.sh).

    bench-overlay.py patches FARMLAND.gpkg OUT.gpkg [--count N] [--seed S] [--crs EPSG:4527] [--tile-m 5120]
        Change patches that hit the farmland the way detected ones do, deterministic for a seed:
        irregular off-grid polygons (no area lands exactly on a rule's threshold), 40 % inside one
        parcel, 35 % across a parcel's boundary, 10 % large ones over several parcels, 15 % astride a
        tile edge of farmwatch's grid (origin 0, 10 000 000; tiles --tile-m wide). Transitions
        (code = from x 16 + to, the class ids of bench-baseline.py) fire both rules, and some match none.
        Every patch is at least 450 m2, above patch.minAreaM2. Written to OUT in --crs, layer patches.
    bench-overlay.py compare FW.csv PG.csv FW.json PG_SECONDS PG_CPU_SECONDS BUILD OUT.json
                             [--whole FW_S FW_CPU_S PG_S PG_CPU_S]
        Checks that farmwatch and PostGIS flagged the same parcels with the same rule, and the same total
        changed area within 0.1 %; writes OUT.json and prints the table (like for like, and with --whole the
        whole processes too; jobs/lib/bench-overlay.sh says what each figure covers). Exits 1, naming the
        differences, when they disagree.
"""
import csv
import json
import math
import os
import random
import sys

CLASSES = {"cropland": 1, "orchard": 2, "forest": 3, "nursery": 4, "grassland": 5, "built_up": 6,
           "water": 7, "bare": 8, "greenhouse": 9}
FROM = [("cropland", 80), ("orchard", 8), ("grassland", 6), ("nursery", 3), ("greenhouse", 3)]
TO = [("built_up", 30), ("bare", 15), ("orchard", 12), ("forest", 8), ("nursery", 5), ("grassland", 5),
      ("water", 10), ("greenhouse", 10), ("cropland", 5)]
ORIGIN_Y = 10_000_000.0


def pick(rng, weighted):
    total = sum(w for _, w in weighted)
    x = rng.uniform(0, total)
    for name, w in weighted:
        x -= w
        if x <= 0:
            return name
    return weighted[-1][0]


def star(rng, cx, cy, area):
    """A simple (star-shaped, so valid) polygon of about `area` m2 around (cx, cy), vertices off the 10 m grid."""
    n = rng.randint(6, 11)
    angles = sorted(rng.uniform(0, 2 * math.pi) for _ in range(n))
    radii = [rng.uniform(0.65, 1.0) for _ in range(n)]
    pts = [(math.cos(a) * r, math.sin(a) * r) for a, r in zip(angles, radii)]
    unit = 0.5 * abs(sum(pts[i][0] * pts[i - 1][1] - pts[i - 1][0] * pts[i][1] for i in range(n)))
    if unit < 0.3:  # degenerate angle draw: fall back to a regular polygon
        pts = [(math.cos(2 * math.pi * i / n), math.sin(2 * math.pi * i / n)) for i in range(n)]
        unit = 0.5 * n * math.sin(2 * math.pi / n)
    s = math.sqrt(area / unit)
    ring = [(cx + x * s, cy + y * s) for x, y in pts]
    return ring + [ring[0]]


def patches(argv):
    from osgeo import gdal, ogr, osr
    gdal.PushErrorHandler("CPLQuietErrorHandler")  # self-intersecting draws are redrawn, not reported
    args = {"--count": "50000", "--seed": "5", "--crs": "EPSG:4527", "--tile-m": "5120"}
    pos = []
    i = 0
    while i < len(argv):
        if argv[i] in args:
            args[argv[i]] = argv[i + 1]
            i += 2
        else:
            pos.append(argv[i])
            i += 1
    src_path, out_path = pos
    count, seed, tile = int(args["--count"]), int(args["--seed"]), float(args["--tile-m"])
    rng = random.Random(seed)
    ogr.UseExceptions()
    osr.UseExceptions()
    src = ogr.Open(src_path)
    lyr = src.GetLayer(0)
    work = osr.SpatialReference()
    work.SetFromUserInput(args["--crs"])
    work.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    sref = lyr.GetSpatialRef()
    sref.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ct = osr.CoordinateTransformation(sref, work)
    fids = [f.GetFID() for f in lyr] if lyr.GetFeatureCount() < 0 else None
    lyr.ResetReading()
    n_parcels = lyr.GetFeatureCount()
    drv = ogr.GetDriverByName("GPKG")
    out = drv.CreateDataSource(out_path)
    ol = out.CreateLayer("patches", work, ogr.wkbPolygon)
    ol.CreateField(ogr.FieldDefn("patch_id", ogr.OFTString))
    ol.CreateField(ogr.FieldDefn("code", ogr.OFTInteger))
    ol.CreateField(ogr.FieldDefn("kind", ogr.OFTString))
    defn = ol.GetLayerDefn()
    ol.StartTransaction()
    made = 0
    while made < count:
        fid = rng.randint(1, n_parcels) if fids is None else rng.choice(fids)
        feat = lyr.GetFeature(fid)
        if feat is None or feat.GetGeometryRef() is None:
            continue
        g = feat.GetGeometryRef().Clone()
        g.Transform(ct)
        r = rng.random()
        if r < 0.40:
            kind, area = "inside", rng.uniform(450, 4000)
            p = g.PointOnSurface()
            cx, cy = p.GetX() + rng.uniform(-15, 15), p.GetY() + rng.uniform(-15, 15)
        elif r < 0.75:
            kind, area = "boundary", rng.uniform(600, 8000)
            ring = g.GetGeometryRef(0)
            while ring is not None and ring.GetGeometryType() != ogr.wkbLineString and ring.GetGeometryCount() > 0:
                ring = ring.GetGeometryRef(0)
            k = rng.randrange(max(1, ring.GetPointCount() - 1))
            cx, cy = ring.GetX(k) + rng.uniform(-5, 5), ring.GetY(k) + rng.uniform(-5, 5)
        elif r < 0.85:
            kind, area = "large", rng.uniform(20000, 150000)
            c = g.Centroid()
            cx, cy = c.GetX(), c.GetY()
        else:
            kind, area = "tile_edge", rng.uniform(1000, 20000)
            c = g.Centroid()
            cx, cy = c.GetX(), c.GetY()
            if rng.random() < 0.5:
                cx = round(cx / tile) * tile + rng.uniform(-20, 20)
            else:
                cy = ORIGIN_Y - round((ORIGIN_Y - cy) / tile) * tile + rng.uniform(-20, 20)
        frm = pick(rng, FROM)
        to = pick(rng, TO)
        if to == frm:
            to = "built_up"
        ring = ogr.Geometry(ogr.wkbLinearRing)
        for x, y in star(rng, cx, cy, area):
            ring.AddPoint_2D(x, y)
        poly = ogr.Geometry(ogr.wkbPolygon)
        poly.AddGeometry(ring)
        if poly.GetArea() < 450 or not poly.IsValid():
            continue
        made += 1
        f = ogr.Feature(defn)
        f.SetField("patch_id", "bench-%06d" % made)
        f.SetField("code", CLASSES[frm] * 16 + CLASSES[to])
        f.SetField("kind", kind)
        f.SetGeometry(poly)
        ol.CreateFeature(f)
    ol.CommitTransaction()
    out = None
    print(made)


def read_flagged(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return {r["parcel_id"]: (r["rule"], float(r["changed_area_m2"])) for r in csv.DictReader(fh)}


def compare(argv):
    whole = None
    if "--whole" in argv:
        i = argv.index("--whole")
        whole = [float(x) for x in argv[i + 1:i + 5]]
        argv = argv[:i] + argv[i + 5:]
    fw_csv, pg_csv, fw_json, pg_seconds, pg_cpu, build, out_path = argv
    fw, pg = read_flagged(fw_csv), read_flagged(pg_csv)
    with open(fw_json, encoding="utf-8") as fh:
        fwj = json.load(fh)
    pg_s = float(pg_seconds)
    problems = []
    only_fw = sorted(set(fw) - set(pg))
    only_pg = sorted(set(pg) - set(fw))
    if only_fw:
        problems.append(f"{len(only_fw)} parcels flagged by farmwatch only, e.g. {only_fw[:5]}")
    if only_pg:
        problems.append(f"{len(only_pg)} parcels flagged by PostGIS only, e.g. {only_pg[:5]}")
    rule_diff = sorted(k for k in set(fw) & set(pg) if fw[k][0] != pg[k][0])
    if rule_diff:
        problems.append(f"{len(rule_diff)} parcels flagged under another rule, e.g. "
                        + ", ".join(f"{k}: {fw[k][0]} vs {pg[k][0]}" for k in rule_diff[:5]))
    fw_area = sum(v[1] for v in fw.values())
    pg_area = sum(v[1] for v in pg.values())
    rel = abs(fw_area - pg_area) / pg_area if pg_area > 0 else (0.0 if fw_area == 0 else 1.0)
    if rel > 0.001:
        problems.append(f"total changed area differs by {rel:.4%}: farmwatch {fw_area:.1f} m2, PostGIS {pg_area:.1f} m2")
    worst = max((abs(fw[k][1] - pg[k][1]) / max(pg[k][1], 1e-9) for k in set(fw) & set(pg)), default=0.0)
    sec = fwj["seconds"]
    # Like for like: from data at rest to flagged parcels (older farmwatch.json files time the overlay alone).
    fw_s = float(sec["like_for_like"] if "like_for_like" in sec else sec["overlay"])
    fw_cpu = sec.get("like_for_like_cpu", sec.get("overlay_cpu"))
    pg_cpu = float(pg_cpu)

    def ratio(a, b):
        return round(a / b, 2) if a and b else None

    result = {
        "workload": "overlay",
        "build": build,
        "parcels_in_source": fwj["counts"].get("parcels_in_source"),
        "patches": fwj["counts"].get("patches"),
        "rule_patches": fwj["counts"].get("rule_patches"),
        "tiles": fwj["counts"].get("tiles"),
        "parcel_reads": fwj["counts"].get("parcels_read"),
        "flagged_parcels": len(fw),
        "flagged_by_rule": {r: sum(1 for v in fw.values() if v[0] == r) for r in sorted({v[0] for v in fw.values()})},
        "changed_area_m2": {"farmwatch": round(fw_area, 2), "postgis": round(pg_area, 2),
                            "relative_difference": rel, "worst_parcel_relative_difference": worst},
        "agree": not problems,
        "master": fwj.get("master"),
        "like_for_like": "farmwatch: patches and parcels read from their GeoPackages, overlay + flag, in a running "
                         "Spark session; PostGIS: the overlay SQL on its loaded, reprojected, indexed tables",
        "farmwatch_s": fw_s,
        "farmwatch_cpu_s": fw_cpu,
        "farmwatch_patch_read_s": sec.get("read_patches"),
        "farmwatch_overlay_s": sec.get("overlay"),
        "farmwatch_overlay_cpu_s": sec.get("overlay_cpu"),
        "farmwatch_overlay_again_s": sec.get("overlay_again"),
        "farmwatch_overlay_again_cpu_s": sec.get("overlay_again_cpu"),
        "farmwatch_startup_s": sec.get("startup"),
        "farmwatch_startup_cpu_s": sec.get("startup_cpu"),
        "postgis_s": pg_s,
        "postgis_cpu_s": pg_cpu,
        "speedup": ratio(pg_s, fw_s),
        "cpu_ratio": ratio(pg_cpu, fw_cpu),
        "load_average_1m": round(os.getloadavg()[0], 1),
        "goal": "farmwatch >= 3x faster than PostGIS on 2 cores",
    }
    if whole:
        result.update({"farmwatch_whole_process_s": whole[0], "farmwatch_whole_process_cpu_s": whole[1],
                       "postgis_whole_process_s": whole[2], "postgis_whole_process_cpu_s": whole[3],
                       "whole_process_speedup": ratio(whole[2], whole[0]),
                       "whole_process_cpu_ratio": ratio(whole[3], whole[1])})
    with open(out_path, "w", encoding="utf-8") as fh:
        json.dump(result, fh, indent=2)
        fh.write("\n")
    print(f"overlay workload: {result['parcels_in_source']} parcels x {result['patches']} patches "
          f"({result['rule_patches']} under a rule), {result['tiles']} tiles; load average {result['load_average_1m']}")
    print(f"  {'':44s} {'wall s':>8s} {'CPU s':>8s}")

    def row(label, w, c):
        print(f"  {label:44s} {w if w is not None else float('nan'):8.2f} {c if c is not None else float('nan'):8.2f}")

    row(f"farmwatch ({result['master']}), like for like", fw_s, fw_cpu)
    if sec.get("read_patches") is not None:
        # Older farmwatch.json files read the patches in a step of their own.
        row("  of which reading the patches", sec.get("read_patches"), sec.get("read_patches_cpu"))
        row("  of which overlay + flag", sec.get("overlay"), sec.get("overlay_cpu"))
    row("PostGIS SQL, like for like", pg_s, pg_cpu)
    print(f"  {'speed-up (PostGIS / farmwatch)':44s} {result['speedup'] or 0:7.2f}x {result['cpu_ratio'] or 0:7.2f}x"
          f"   goal >= 3x")
    if sec.get("overlay_again") is not None:
        row("(diagnostic: the same again, same JVM)", sec.get("overlay_again"), sec.get("overlay_again_cpu"))
    if whole:
        row("farmwatch whole process (JVM start to exit)", whole[0], whole[1])
        row("  of which JVM + Spark start-up", sec.get("startup"), sec.get("startup_cpu"))
        row("PostGIS whole (psql: SQL + rows written out)", whole[2], whole[3])
        print(f"  {'whole-process speed-up':44s} {result['whole_process_speedup'] or 0:7.2f}x "
              f"{result['whole_process_cpu_ratio'] or 0:7.2f}x")
    print(f"  flagged parcels {len(fw)} {result['flagged_by_rule']}; changed area {fw_area:.0f} m2 "
          f"(PostGIS {pg_area:.0f} m2, {rel:.5%} apart; worst parcel {worst:.5%})")
    if problems:
        for p in problems:
            print(f"DISAGREE: {p}", file=sys.stderr)
        return 1
    print("  both sides flagged the same parcels under the same rules")
    return 0


def main(argv):
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    if argv[0] == "patches":
        patches(argv[1:])
        return 0
    if argv[0] == "compare":
        return compare(argv[1:])
    print(f"bench-overlay.py: unknown command {argv[0]}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/python3
"""The ingest-only benchmark (jobs/bench --workload ingest): farmwatch's tiling against gdalwarp.

    bench-ingest.py --root DIR [--scale 1/4|1|all] [--keep] [--build TEXT]

Workload, per scale (the share of a Sentinel-2 tile's area; default all = a quarter and a whole tile):
a synthetic scene of N x N 10 m cells (1/4: 5490, 1: 10980), 6 UInt16 bands, a DEFLATE tiled GeoTIFF
(512 x 512 blocks, pixel interleaved, predictor 2) in UTM 50N (EPSG:32650), with a STAC Item giving the
bands' common names and a 0.0001 scale. It is generated once, deterministically, into
out/bench/ingest-data/<N>/ and reused. The grid is the one `farmwatch run` chooses with the default
settings: the CGCS2000 Gauss-Kruger zone of the scene's centre (zone 38, EPSG:4526, central meridian
114 E, while the scene's UTM zone is centred on 117 E: a rotation of about 1.2 degrees, a real warp).

Per scale, in this order, each under jobs/lib/bench-mem.py (peak RSS of the process tree):
  farmwatch  `org.farmwatch.bench.IngestBenchCommand --master local[2]` through jobs/farmwatch: the run's own SceneReader warps every
             512 x 512 tile the scene touches on the executors (bilinear, Float32, radiometry applied),
             no halo; each tile raster is checksummed (clear cells, per-band sums) and discarded.
  gdalwarp   the same reprojection onto the same tile-aligned extent and 10 m cells, bilinear,
             `-multi -wo NUM_THREADS=2`, written as gdalwarp writes by default (GeoTIFF, UInt16 like
             the source, uncompressed) to out/bench/ingest-gdalwarp-<N>.tif, deleted afterwards unless --keep.
Mpx/s = target grid cells (all 6 bands) per second of wall time. farmwatch is given twice: the
ingest stage alone (the Spark job) and the whole process (JVM and Spark start-up, scene statistics).
Writes out/bench/ingest-result.json and prints the table.
"""
import json
import math
import os
import subprocess
import sys
import time

PY = "/usr/bin/python3"
SIZES = {"1/4": 5490, "1": 10980}
BANDS = ["blue", "green", "red", "nir", "swir16", "swir22"]
SCALE = 0.0001
# Upper-left corner in UTM 50N, on the 60 m grid Sentinel-2 tiles use; about 115.4 E, 37 N.
UL_X, UL_Y = 300000.0, 4100040.0
BLOCK = 512


def log(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def generate(path, n):
    """Fields of 40-80 cells with per-field spectra, a smooth gradient, and per-cell noise: deterministic."""
    import numpy as np
    from osgeo import gdal, osr
    gdal.UseExceptions()
    tmp = path + ".tmp.tif"
    drv = gdal.GetDriverByName("GTiff")
    ds = drv.Create(tmp, n, n, len(BANDS), gdal.GDT_UInt16,
                    ["TILED=YES", f"BLOCKXSIZE={BLOCK}", f"BLOCKYSIZE={BLOCK}", "COMPRESS=DEFLATE", "PREDICTOR=2",
                     "NUM_THREADS=2", "BIGTIFF=IF_SAFER"])
    ds.SetGeoTransform([UL_X, 10, 0, UL_Y, 0, -10])
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32650)
    ds.SetProjection(srs.ExportToWkt())
    # Per land-cover class and band, a typical reflectance x 10000 (water, crop, bare, built, forest).
    spectra = np.array([[600, 500, 350, 200, 120, 80], [400, 700, 450, 3200, 2000, 1100],
                        [1100, 1300, 1600, 2200, 2800, 2500], [1300, 1350, 1400, 1600, 1900, 1800],
                        [300, 500, 300, 2800, 1400, 700]], dtype=np.int32)
    for b in range(len(BANDS)):
        ds.GetRasterBand(b + 1).SetNoDataValue(0)
    for r0 in range(0, n, BLOCK):
        h = min(BLOCK, n - r0)
        y, x = np.mgrid[r0:r0 + h, 0:n].astype(np.int64)
        # Field ids on a jittered 60-cell lattice; the class from a hash of the field id.
        fx = (x + 17 * np.sin(y / 97.0)).astype(np.int64) // 60
        fy = (y + 13 * np.sin(x / 83.0)).astype(np.int64) // 60
        field = (fx * 73856093) ^ (fy * 19349663)
        cls = (field % 5 + 5) % 5
        rng = np.random.default_rng(r0)
        for b in range(len(BANDS)):
            v = spectra[cls, b] + (x + y) * 300 // (2 * n) + rng.integers(-60, 61, size=cls.shape)
            ds.GetRasterBand(b + 1).WriteArray(np.clip(v, 1, 65535).astype(np.uint16), 0, r0)
    ds.FlushCache()
    ds = None
    os.replace(tmp, path)


def write_item(folder, tif):
    item = {
        "type": "Feature", "stac_version": "1.0.0", "id": "bench-ingest-" + os.path.basename(folder),
        "properties": {"datetime": "2025-06-01T03:00:00Z"},
        "geometry": None,
        "assets": {"data": {
            "href": os.path.basename(tif), "type": "image/tiff; application=geotiff",
            "eo:bands": [{"name": c, "common_name": c} for c in BANDS],
            "raster:bands": [{"scale": SCALE, "offset": 0} for _ in BANDS]}},
    }
    with open(os.path.join(folder, "item.json"), "w") as f:
        json.dump(item, f, indent=2)


def workload(bench, n):
    folder = os.path.join(bench, "ingest-data", str(n))
    tif = os.path.join(folder, "scene.tif")
    if not os.path.exists(os.path.join(folder, ".complete")):
        log(f"generating the {n} x {n} x {len(BANDS)} synthetic UTM 50N scene into {folder} (once)")
        os.makedirs(folder, exist_ok=True)
        t0 = time.monotonic()
        generate(tif, n)
        write_item(folder, tif)
        open(os.path.join(folder, ".complete"), "w").close()
        log(f"generated in {time.monotonic() - t0:.0f} s")
    return folder, tif


def measured(mem_out, cmd, log_out, env=None):
    with open(log_out, "w") as lf:
        rc = subprocess.call([PY, os.path.join(ROOT, "jobs/lib/bench-mem.py"), "--out", mem_out, "--"] + cmd,
                             stdout=lf, stderr=subprocess.STDOUT, env=env)
    if rc != 0:
        with open(log_out) as f:
            sys.stderr.write("".join(f.readlines()[-30:]))
        log(f"{cmd[0]} failed ({rc}); its log: {log_out}")
        sys.exit(1)
    with open(mem_out) as f:
        return json.load(f)


def gdal_means(path):
    """Per band, the mean of the valid cells after the 0.0001 scale, and the valid-cell count of band 1."""
    import numpy as np
    from osgeo import gdal
    gdal.UseExceptions()
    ds = gdal.Open(path)
    sums = [0.0] * ds.RasterCount
    valid = 0
    for r0 in range(0, ds.RasterYSize, 1024):
        h = min(1024, ds.RasterYSize - r0)
        a = ds.ReadAsArray(0, r0, ds.RasterXSize, h)
        ok = np.all(a != 0, axis=0)
        valid += int(ok.sum())
        for b in range(ds.RasterCount):
            sums[b] += float(a[b][ok].sum(dtype=np.float64))
    return [s * SCALE / valid if valid else None for s in sums], valid


def one_scale(bench, scale, keep):
    n = SIZES[scale]
    folder, tif = workload(bench, n)
    fw_json = os.path.join(bench, f"ingest-farmwatch-{n}.json")
    log(f"scale {scale}: farmwatch bench-ingest ({n} x {n} cells, local[2])")
    fw_mem = measured(os.path.join(bench, f"ingest-farmwatch-{n}.mem.json"),
                      [os.path.join(ROOT, "jobs/farmwatch"), "--scene", os.path.join(folder, "item.json"),
                       "--master", "local[2]", "--out", fw_json],
                      os.path.join(bench, f"ingest-farmwatch-{n}.log"),
                      # The bench driver is the launcher's other main class, not a subcommand nor in the cluster jar.
                      env=dict(os.environ, FARMWATCH_MAIN_CLASS="org.farmwatch.bench.IngestBenchCommand"))
    with open(fw_json) as f:
        fw = json.load(f)
    minx, miny, maxx, maxy = fw["extent"]
    cell = fw["cell_size_m"]
    cells = round((maxx - minx) / cell) * round((maxy - miny) / cell)
    if cells != fw["cells"]:
        log(f"farmwatch read {fw['cells']} cells, the extent holds {cells}")
        sys.exit(1)
    out = os.path.join(bench, f"ingest-gdalwarp-{n}.tif")
    if os.path.exists(out):
        os.remove(out)
    log(f"scale {scale}: gdalwarp onto {fw['grid_crs']} {fw['extent']}")
    gw_mem = measured(os.path.join(bench, f"ingest-gdalwarp-{n}.mem.json"),
                      ["gdalwarp", "-t_srs", fw["grid_crs"], "-te", repr(minx), repr(miny), repr(maxx), repr(maxy),
                       "-tr", repr(cell), repr(cell), "-r", "bilinear", "-multi", "-wo", "NUM_THREADS=2", tif, out],
                      os.path.join(bench, f"ingest-gdalwarp-{n}.log"))
    gw_means, gw_valid = gdal_means(out)
    if not keep:
        os.remove(out)
    fw_s, fw_wall, gw_wall = fw["ingest_s"], fw_mem["wall_s"], gw_mem["wall_s"]
    return {
        "scale": scale, "scene_cells": n * n, "bands": len(BANDS), "grid_crs": fw["grid_crs"], "tiles": fw["tiles"],
        "tile_size": fw["tile_size"], "target_cells": cells,
        "farmwatch": {"ingest_s": round(fw_s, 2), "ingest_cpu_s": round(fw["ingest_cpu_s"], 2), "wall_s": fw_wall,
                      "mpx_s_ingest": round(cells / 1e6 / fw_s, 1),
                      "mpx_per_cpu_s_ingest": round(cells / 1e6 / fw["ingest_cpu_s"], 1),
                      "mpx_per_cpu_s_process": round(cells / 1e6 / fw_mem["cpu_s"], 1),
                      "mpx_s_wall": round(cells / 1e6 / fw_wall, 1), "peak_rss_mb": fw_mem["peak_rss_mb"],
                      "cpu_s": fw_mem["cpu_s"], "clear_cells": fw["clear_cells"],
                      "band_means": [round(v, 5) for v in fw["band_means"]],
                      "tile_rasters": "checksummed (clear cells, per-band sums) and discarded",
                      "loadavg_before": fw_mem["loadavg_before"]},
        "gdalwarp": {"wall_s": gw_wall, "mpx_s": round(cells / 1e6 / gw_wall, 1),
                     "mpx_per_cpu_s": round(cells / 1e6 / gw_mem["cpu_s"], 1), "peak_rss_mb": gw_mem["peak_rss_mb"],
                     "cpu_s": gw_mem["cpu_s"], "valid_cells": gw_valid,
                     "band_means": [round(v, 5) if v is not None else None for v in gw_means],
                     "output": "GeoTIFF, UInt16, uncompressed, " + ("kept: " + out if keep else "deleted"),
                     "loadavg_before": gw_mem["loadavg_before"]},
    }


def table(results):
    lines = ["ingest: a synthetic Sentinel-2-sized scene (6 bands, UTM 50N, DEFLATE) onto the farmwatch grid",
             "Mpx = target grid cells (6 bands each); /s = per second of wall time; /cpu-s = per CPU second",
             f"{'scale':>5} {'cells':>10} {'tiles':>5} | {'farmwatch':^43} | {'gdalwarp -multi NUM_THREADS=2':^30}",
             f"{'':>5} {'':>10} {'':>5} | {'ingest /s':>9} {'process /s':>10} {'ingest /cpu-s':>13} {'RSS MB':>7}"
             f" | {'/s':>7} {'/cpu-s':>7} {'RSS MB':>7} {'load':>5}"]
    for r in results:
        fw, gw = r["farmwatch"], r["gdalwarp"]
        lines.append(f"{r['scale']:>5} {r['target_cells']:>10} {r['tiles']:>5} | {fw['mpx_s_ingest']:>9} "
                     f"{fw['mpx_s_wall']:>10} {fw['mpx_per_cpu_s_ingest']:>13} {fw['peak_rss_mb']:>7} | "
                     f"{gw['mpx_s']:>7} {gw['mpx_per_cpu_s']:>7} {gw['peak_rss_mb']:>7} {gw['loadavg_before'][0]:>5}")
    if len(results) > 1:
        a, b = results[0]["farmwatch"]["peak_rss_mb"], results[-1]["farmwatch"]["peak_rss_mb"]
        lines.append(f"farmwatch peak RSS {results[0]['scale']} -> {results[-1]['scale']}: {a} -> {b} MB ({b / a:.2f}x)")
    lines.append("ingest = the Spark job (tasks' CPU for /cpu-s); process = the whole farmwatch process (JVM and Spark "
                 "start-up, scene statistics); load = 1-min load average before gdalwarp")
    return "\n".join(lines)


def main(argv):
    global ROOT
    ROOT, scale, keep, build = None, "all", False, "built from the working tree"
    i = 0
    while i < len(argv):
        if argv[i] == "--root":
            ROOT = argv[i + 1]; i += 2
        elif argv[i] == "--scale":
            scale = argv[i + 1]; i += 2
        elif argv[i] == "--keep":
            keep = True; i += 1
        elif argv[i] == "--build":
            build = argv[i + 1]; i += 2
        else:
            print(__doc__, file=sys.stderr)
            return 2
    if ROOT is None or scale not in ("1/4", "1", "all"):
        print("bench-ingest: --root is required and --scale must be 1/4, 1 or all", file=sys.stderr)
        return 2
    bench = os.path.join(ROOT, "out", "bench")
    os.makedirs(bench, exist_ok=True)
    results = [one_scale(bench, s, keep) for s in (["1/4", "1"] if scale == "all" else [scale])]
    doc = {"workload": "ingest", "build": build, "nproc": os.cpu_count(), "results": results}
    with open(os.path.join(bench, "ingest-result.json"), "w") as f:
        json.dump(doc, f, indent=2)
    text = table(results)
    with open(os.path.join(bench, "ingest-result.txt"), "w") as f:
        f.write(text + "\n")
    print(text)
    log(f"wrote {os.path.join(bench, 'ingest-result.json')}")
    return 0


ROOT = None

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

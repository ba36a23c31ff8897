#!/usr/bin/python3
"""Results of jobs/bench.

    bench-report.py scale --scale S --size N --fw-run DIR --fw-mem FILE [--bl-dir DIR --bl-mem FILE]
                          [--full-run DIR --full-mem FILE] --postgis-publish TEXT --out FILE
        one scale's result, from farmwatch's run.json and onemap.gpkg (the run publishing what the
        baseline does), the baseline's timings.json and baseline.gpkg, the full-publish run's run.json,
        and the bench-mem.py measurements
    bench-report.py final --out FILE RESULT.json...
        writes FILE (the one result, or a list with several) and prints the table; with several
        scales also scaling.json beside FILE (time against area as a straight line, memory spread)
"""
import json
import os
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def flagged_ids(gpkg):
    from osgeo import ogr
    ds = ogr.Open(gpkg)
    if ds is None:
        return None
    lyr = ds.GetLayerByName("flagged_parcels")
    ids = {}
    for feat in lyr or []:
        ids[feat.GetField("parcel_id")] = feat.GetField("change_type")
    return ids


def stages(seconds, pixels, wall=None):
    out = {}
    for k, v in seconds.items():
        out[k] = {"s": round(v, 2), "mpx_s": round(pixels / 1e6 / v, 1) if v > 0 else None}
    if wall is not None:
        rest = wall - sum(seconds.values())
        out["startup_other"] = {"s": round(rest, 2), "mpx_s": None}
    return out


def gc_heap(mem_json):
    """From the run's GC log beside its memory samples: the most the heap held just after a collection
    (what the run keeps live, plus old garbage not yet collected) and the most it had committed, in MB."""
    import re
    path = mem_json[:-len(".mem.json")] + ".gc.log"
    after, committed = [], []
    try:
        with open(path) as f:
            for line in f:
                m = re.search(r"Pause .* (\d+)M->(\d+)M\((\d+)M\)", line)
                if m:
                    after.append(int(m.group(2)))
                    committed.append(int(m.group(3)))
    except OSError:
        return None
    if not after:
        return None
    return {"heap_after_gc_max_mb": max(after), "heap_committed_max_mb": max(committed), "collections": len(after)}


def classify_detect(counts):
    cells, ms = counts.get("classify_detect_cells"), counts.get("classify_detect_cpu_ms")
    return round(cells / 1e3 / ms, 1) if cells and ms else None


def scale_result(a):
    size = int(a["size"])
    pixels = size * size
    fw_mem = load(a["fw_mem"])
    run = load(os.path.join(a["fw_run"], "run.json"))
    counts = run.get("counts", {})
    fw_seconds = {k: float(v) for k, v in run.get("seconds", {}).items()}
    fw_flagged = flagged_ids(os.path.join(a["fw_run"], "onemap.gpkg")) or {}
    res = {
        "scale": a["scale"],
        "size_cells": size,
        "pixels": pixels,
        "parcels": counts.get("parcels_in_source"),
        "farmwatch_s": fw_mem["wall_s"],
        "baseline_s": None,
        "ratio": None,
        "peak_rss_mb": fw_mem["peak_rss_mb"],
        "baseline_peak_rss_mb": None,
        "farmwatch_cpu_s": fw_mem.get("cpu_s"),
        "baseline_cpu_s": None,
        "farmwatch_mpx_s": round(pixels / 1e6 / fw_mem["wall_s"], 2),
        "classify_detect_mpx_s_per_core": classify_detect(counts),
        "farmwatch_outputs": run.get("outputs"),
        "farmwatch_full_s": None,
        "full_peak_rss_mb": None,
        "full_stages": None,
        "baseline_mpx_s": None,
        "farmwatch_stages": stages(fw_seconds, pixels, fw_mem["wall_s"]),
        "baseline_stages": None,
        "flagged_farmwatch": len(fw_flagged),
        "flagged_baseline": None,
        "flagged_both": None,
        "flagged_same_type": None,
        "patches_farmwatch": counts.get("patches"),
        "patches_baseline": None,
        "changed_cells_farmwatch": counts.get("changed_cells"),
        "changed_cells_baseline": None,
        "postgis_publish": a["postgis_publish"],
        "farmwatch_build": a.get("build", ""),
        "farmwatch_counts": counts,
        "farmwatch_heap": gc_heap(a["fw_mem"]),
        "machine": {"cpus": os.cpu_count(), "mem_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
                    "loadavg_before_farmwatch": fw_mem.get("loadavg_before"),
                    "loadavg_after_farmwatch": fw_mem.get("loadavg_after")},
        "notes": {
            "farmwatch_s": "wall seconds of `jobs/farmwatch run --master local[2]`, JVM start included",
            "baseline_s": "wall seconds of jobs/lib/bench-baseline.sh (PostGIS cluster already running)",
            "peak_rss_mb": "peak over 0.5 s samples of the summed RSS of farmwatch's process tree",
            "farmwatch_heap": "from the JVM's GC log (-Xlog:gc): the most the heap held just after a collection, "
                              "and the most the JVM had committed for it; the launcher caps the heap at 1 GB + "
                              "512 MB per core",
            "baseline_peak_rss_mb": "peak over 0.5 s samples of the summed PSS of the baseline's process tree "
                                    "plus the PostgreSQL server's (PSS: shared buffers counted once)",
            "cpu_s": "user + system seconds; the baseline's includes the PostgreSQL server's",
            "ratio_cpu": "baseline_cpu_s / farmwatch_cpu_s: less sensitive than wall time to other work on the machine "
                         "(see machine.loadavg_*), blind to how well each side keeps both cores busy",
            "mpx_s": "pixels (size_cells^2) / 1e6 / seconds, for every stage alike",
            "classify_detect_mpx_s_per_core": "grid cells (tile cores, counts.classify_detect_cells) / 1e6 / CPU seconds "
                                              "the detect tasks spent in the two classifications and the change "
                                              "detection (counts.classify_detect_cpu_ms, thread CPU time summed over "
                                              "tasks): reading, compositing, vectorizing and writing tiles excluded (issue 4)",
            "farmwatch_s_scope": "the run publishes what the baseline does (publish.outputs = geopackage, change_raster, "
                                 "and the PostGIS one map): farmwatch_outputs lists its files",
            "farmwatch_full_s": "wall seconds of a second run that publishes everything (true-colour COGs, QGIS project, "
                                "inspector lists and report, PDF dossiers), which the baseline has no counterpart for",
        },
    }
    if a.get("bl_dir"):
        bl_mem = load(a["bl_mem"])
        tim = load(os.path.join(a["bl_dir"], "timings.json"))
        bl_flagged = flagged_ids(os.path.join(a["bl_dir"], "baseline.gpkg")) or {}
        both = set(fw_flagged) & set(bl_flagged)
        res.update({
            "baseline_s": bl_mem["wall_s"],
            "ratio": round(bl_mem["wall_s"] / fw_mem["wall_s"], 2),
            "ratio_cpu": round(bl_mem["cpu_s"] / fw_mem["cpu_s"], 2) if fw_mem.get("cpu_s") else None,
            "baseline_peak_rss_mb": bl_mem["peak_pss_mb"],
            "baseline_peak_rss_sum_mb": bl_mem["peak_rss_mb"],
            "baseline_cpu_s": bl_mem.get("cpu_s"),
            "baseline_mpx_s": round(pixels / 1e6 / bl_mem["wall_s"], 2),
            "baseline_stages": stages(tim["seconds"], pixels, bl_mem["wall_s"]),
            "flagged_baseline": len(bl_flagged),
            "flagged_both": len(both),
            "flagged_same_type": sum(1 for i in both if fw_flagged[i] == bl_flagged[i]),
            "flagged_only_farmwatch": sorted(set(fw_flagged) - both)[:50],
            "flagged_only_baseline": sorted(set(bl_flagged) - both)[:50],
            "patches_baseline": tim["counts"]["patches"],
            "changed_cells_baseline": tim["counts"]["changed_cells"],
        })
        res["machine"]["loadavg_before_baseline"] = bl_mem.get("loadavg_before")
        res["machine"]["loadavg_after_baseline"] = bl_mem.get("loadavg_after")
    if a.get("full_run"):
        full_mem = load(a["full_mem"])
        full = load(os.path.join(a["full_run"], "run.json"))
        full_seconds = {k: float(v) for k, v in full.get("seconds", {}).items()}
        full_flagged = flagged_ids(os.path.join(a["full_run"], "onemap.gpkg")) or {}
        if full_flagged != fw_flagged:
            raise SystemExit("bench: the full-publish run flagged other parcels than the first run")
        res.update({
            "farmwatch_full_s": full_mem["wall_s"],
            "full_peak_rss_mb": full_mem["peak_rss_mb"],
            "full_stages": stages(full_seconds, pixels, full_mem["wall_s"]),
            "full_heap": gc_heap(a["full_mem"]),
        })
        # The memory target holds for everything farmwatch does.
        res["peak_rss_mb"] = max(fw_mem["peak_rss_mb"], full_mem["peak_rss_mb"])
        res["notes"]["peak_rss_mb"] += " (the larger of the two farmwatch runs)"
    return res


def fmt(v, spec="{:.1f}"):
    if v is None:
        return "-"
    if isinstance(v, float):
        return spec.format(v)
    return str(v)


def table(results):
    rows = []

    def row(label, fn):
        rows.append([label] + [fn(r) for r in results])

    def stage(side, name):
        def f(r):
            st = (r.get(side) or {}).get(name)
            if st is None:
                return "-"
            return f"{st['s']:.1f}" + (f" ({st['mpx_s']:.1f})" if st.get("mpx_s") else "")
        return f

    row("scale", lambda r: r["scale"])
    row("pixels (Mpx)", lambda r: f"{r['pixels'] / 1e6:.1f}")
    row("parcels", lambda r: fmt(r["parcels"]))
    row("farmwatch s", lambda r: fmt(r["farmwatch_s"]))
    row("baseline s", lambda r: fmt(r["baseline_s"]))
    row("ratio (baseline/farmwatch)", lambda r: fmt(r["ratio"], "{:.2f}"))
    row("farmwatch full publish s", lambda r: fmt(r.get("farmwatch_full_s")))
    row("farmwatch Mpx/s", lambda r: fmt(r["farmwatch_mpx_s"], "{:.2f}"))
    row("baseline Mpx/s", lambda r: fmt(r["baseline_mpx_s"], "{:.2f}"))
    row("classify+detect Mpx/s per core (CPU)", lambda r: fmt(r.get("classify_detect_mpx_s_per_core")))
    row("peak RSS MB farmwatch (max of runs)", lambda r: fmt(r["peak_rss_mb"]))
    row("heap after GC max / committed MB", lambda r: " / ".join(
        fmt(max((h or {}).get(k, 0) for h in (r.get("farmwatch_heap"), r.get("full_heap"))) or None)
        for k in ("heap_after_gc_max_mb", "heap_committed_max_mb")))
    row("peak MB baseline (PSS, +PG)", lambda r: fmt(r["baseline_peak_rss_mb"]))
    row("CPU s farmwatch / baseline", lambda r: f"{fmt(r['farmwatch_cpu_s'])} / {fmt(r['baseline_cpu_s'])}")
    row("ratio of CPU s", lambda r: fmt(r.get("ratio_cpu"), "{:.2f}"))
    row("load avg before fw / bl", lambda r: f"{fmt((r['machine'].get('loadavg_before_farmwatch') or [None])[0])} / "
                                             f"{fmt((r['machine'].get('loadavg_before_baseline') or [None])[0])}")
    row("patches fw / baseline", lambda r: f"{fmt(r['patches_farmwatch'])} / {fmt(r['patches_baseline'])}")
    row("flagged fw / bl / both", lambda r: f"{r['flagged_farmwatch']} / {fmt(r['flagged_baseline'])} / {fmt(r['flagged_both'])}")
    row("postgis publish", lambda r: r["postgis_publish"])
    if any("FAILED" in r.get("farmwatch_build", "") for r in results):
        row("farmwatch build", lambda r: "stale jar" if "FAILED" in r.get("farmwatch_build", "") else "ok")
    rows.append(["farmwatch stages: s (Mpx/s)"] + [""] * len(results))
    names = []
    for r in results:
        for k in (r.get("farmwatch_stages") or {}):
            if k not in names:
                names.append(k)
    for k in names:
        row("  " + k, stage("farmwatch_stages", k))
    if any(r.get("full_stages") for r in results):
        rows.append(["full-publish run stages: s"] + [""] * len(results))
        names = []
        for r in results:
            for k in (r.get("full_stages") or {}):
                if k.startswith("publish_") and k not in names:
                    names.append(k)
        for k in names:
            row("  " + k, stage("full_stages", k))
    if any(r.get("baseline_stages") for r in results):
        rows.append(["baseline stages: s (Mpx/s)"] + [""] * len(results))
        names = []
        for r in results:
            for k in (r.get("baseline_stages") or {}):
                if k not in names:
                    names.append(k)
        for k in names:
            row("  " + k, stage("baseline_stages", k))
    widths = [max(len(str(row_[i])) for row_ in rows) for i in range(len(rows[0]))]
    lines = []
    for row_ in rows:
        cells = [str(row_[0]).ljust(widths[0])] + [str(c).rjust(widths[i + 1]) for i, c in enumerate(row_[1:])]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def fit_line(xs, ys):
    """Least squares y = a + b x; with the largest deviation of a point from the line, in % of the point."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    a = my - b * mx
    dev = max(abs(y - (a + b * x)) / y * 100 for x, y in zip(xs, ys))
    return a, b, dev


def scaling(results):
    """How time and memory grow with area across the scales run: a straight-line fit of wall seconds on
    Mpx (fixed seconds, seconds per Mpx, worst deviation) for each side, and the spread of peak memory."""
    rs = sorted((r for r in results if r.get("farmwatch_s")), key=lambda r: r["pixels"])
    if len(rs) < 2:
        return None
    mpx = [r["pixels"] / 1e6 for r in rs]
    out = {"mpx": [round(m, 1) for m in mpx]}
    for key in ("farmwatch_s", "farmwatch_full_s", "baseline_s"):
        ys = [r.get(key) for r in rs]
        if all(ys):
            a, b, dev = fit_line(mpx, ys)
            out[key] = {"fixed_s": round(a, 2), "s_per_mpx": round(b, 4),
                        "marginal_mpx_s": round(1 / b, 2) if b > 0 else None, "worst_deviation_pct": round(dev, 1)}
    for key in ("peak_rss_mb", "baseline_peak_rss_mb"):
        ys = [r.get(key) for r in rs]
        if all(ys):
            out[key] = {"min": min(ys), "max": max(ys), "max_over_min": round(max(ys) / min(ys), 2),
                        "area_max_over_min": round(max(mpx) / min(mpx), 1)}
    return out


def scaling_table(sc):
    lines = ["scaling: seconds = fixed + Mpx x slope (least squares over the scales run)"]
    for key, label in (("farmwatch_s", "farmwatch"), ("farmwatch_full_s", "farmwatch full publish"),
                       ("baseline_s", "baseline")):
        f = sc.get(key)
        if f:
            lines.append(f"  {label:24s} fixed {f['fixed_s']:6.1f} s  + {f['s_per_mpx']:.3f} s/Mpx "
                         f"({f['marginal_mpx_s']} Mpx/s)  worst point off the line {f['worst_deviation_pct']:.1f} %")
    for key, label in (("peak_rss_mb", "farmwatch peak RSS"), ("baseline_peak_rss_mb", "baseline peak PSS")):
        m = sc.get(key)
        if m:
            lines.append(f"  {label:24s} {m['min']}..{m['max']} MB: x{m['max_over_min']} over x{m['area_max_over_min']} the area")
    return "\n".join(lines)


def main(argv):
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    cmd = argv[0]
    args, files, i = {}, [], 1
    while i < len(argv):
        if argv[i].startswith("--"):
            args[argv[i][2:].replace("-", "_")] = argv[i + 1]
            i += 2
        else:
            files.append(argv[i])
            i += 1
    if cmd == "scale":
        res = scale_result(args)
        with open(args["out"], "w") as f:
            json.dump(res, f, indent=2, ensure_ascii=False)
            f.write("\n")
    elif cmd == "final":
        results = [load(p) for p in files]
        with open(args["out"], "w") as f:
            json.dump(results[0] if len(results) == 1 else results, f, indent=2, ensure_ascii=False)
            f.write("\n")
        print(table(results))
        sc = scaling(results)
        if sc:
            with open(os.path.join(os.path.dirname(os.path.abspath(args["out"])), "scaling.json"), "w") as f:
                json.dump(sc, f, indent=2)
                f.write("\n")
            print(scaling_table(sc))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

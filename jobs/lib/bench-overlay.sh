#!/usr/bin/env bash
# The overlay workload of jobs/bench (issue 5): ~250k parcels against 50k change patches, overlaid and
# flagged by farmwatch (the step `run` takes: per-tile parcel reads from the GeoPackage, intersection,
# rules; Spark local[2]) and by the same overlay and flagging as PostGIS SQL (ST_Intersects +
# ST_Intersection + GROUP BY with the rules' area and share; jobs/lib/bench-baseline.py overlay-sql),
# in the same run. Both must flag the same parcels under the same rules, with the same total changed
# area within 0.1 %, or it fails.
#   jobs/bench --workload overlay [--patches N] [--seed S] [--farmland GPKG] [--again [N]] [--keep]
# Data, generated once and kept under out/bench/: the parcels of `jobs/farmwatch sample --size 10980`
# (out/bench/data/10980/farmland.gpkg, 236,356 parcels; --farmland reads another file instead) and N
# (default 50000) patches from jobs/lib/bench-overlay.py with seed S (default 5).
# Timed, each side from its data at rest in a running engine (the like-for-like headline):
#   farmwatch: patches read from their GeoPackage on the executors and, in the same step, overlay + flag
#     (`run`'s step: parcels read per tile from the farmland GeoPackage in EPSG:4490 and reprojected,
#     intersected, flagged) up to the flagged parcels kept and counted, in a started Spark session (local[2]);
#   PostGIS: the overlay SQL alone (rule patches, ST_Intersects + ST_Intersection + GROUP BY, flagged
#     table), its tables loaded, reprojected to the grid's CRS and indexed beforehand (untimed).
# CPU seconds of each too: the JVM's process time over those steps; the server processes' time over the
# query. A loaded machine bends them less than wall time.
# Whole process, for both: farmwatch's launcher to exit (JVM and Spark start, source check, the above,
# the CSV written), wall and CPU of the process tree; PostGIS the psql sessions of the SQL and of writing
# the flagged rows out, wall and CPU of psql and the server processes (the server itself already runs).
# The JVM + Spark start-up is reported apart too. --again [N] adds a diagnostic outside both comparisons (and
# inside farmwatch's whole process): the step run N more times (default 1) in the same JVM, its code
# compiled by then; the last pass is shown.
# Writes out/bench/overlay-result.json and prints the table.
# PostGIS: the bench's throwaway cluster (FARMWATCH_BENCH_PG_PORT, default 55433;
# FARMWATCH_BENCH_PG_DIR, default /tmp/farmwatch-bench-pg), stopped at the end unless --keep.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
py=/usr/bin/python3
helper="$root/jobs/lib/bench-overlay.py"
count=50000 seed=5 farmland="" keep=0 again=0
while [ $# -gt 0 ]; do
  case "$1" in
    --patches) count="${2:?--patches needs a number}"; shift 2 ;;
    --seed) seed="${2:?--seed needs a number}"; shift 2 ;;
    --farmland) farmland="${2:?--farmland needs a file}"; shift 2 ;;
    --keep) keep=1; shift ;;
    --again) again=1; shift
      case "${1:-}" in ''|-*) ;; *[!0-9]*) echo "bench overlay: --again takes a whole number" >&2; exit 2 ;; *) again="$1"; shift ;; esac ;;
    *) echo "bench overlay: unknown option $1 (try jobs/bench --help)" >&2; exit 2 ;;
  esac
done
case "$count$seed" in *[!0-9]*) echo "bench overlay: --patches and --seed must be whole numbers" >&2; exit 2 ;; esac
log() { echo "[bench overlay] $*" >&2; }

build="built from the working tree"
if ! bash "$root/jobs/lib/setup.sh"; then
  [ -s "$root/target/farmwatch.jar" ] || { log "setup failed and there is no jar to measure"; exit 1; }
  build="setup or build FAILED; measured the existing target/farmwatch.jar of $(date -u -r "$root/target/farmwatch.jar" +%Y-%m-%dT%H:%M:%SZ)"
  log "WARNING: $build"
fi
export FARMWATCH_SKIP_SETUP=1
# The launcher's class-data-sharing archive, written by a warm-up demo unless there is one for this build.
bash "$root/jobs/lib/cds-warm-up.sh"

bench="$root/out/bench"
work="$bench/overlay"
mkdir -p "$work" "$bench/data"
if [ -z "$farmland" ]; then
  data="$bench/data/10980"
  if [ ! -f "$data/.complete" ]; then
    log "generating the full-scale workload (10980 x 10980 cells) into $data"
    rm -rf "$data" "$data.tmp"
    "$root/jobs/farmwatch" sample --out "$data.tmp" --size 10980
    touch "$data.tmp/.complete"
    mv "$data.tmp" "$data"
  fi
  farmland="$data/farmland.gpkg"
fi
[ -f "$farmland" ] || { log "farmland not found: $farmland"; exit 3; }
patches="$work/patches-$count-s$seed.gpkg"
if [ ! -f "$patches" ]; then
  log "generating $count patches (seed $seed) over $farmland into $patches"
  rm -f "$patches.tmp.gpkg"
  "$py" "$helper" patches "$farmland" "$patches.tmp.gpkg" --count "$count" --seed "$seed" >/dev/null
  mv "$patches.tmp.gpkg" "$patches"
fi
crs="EPSG:$("$py" -c "
from osgeo import ogr
ds = ogr.Open('$patches')  # kept in a variable: its layer dies with it
print(ds.GetLayerByName('patches').GetSpatialRef().GetAuthorityCode(None))")"

pg_port="${FARMWATCH_BENCH_PG_PORT:-55433}"
pg_dir="${FARMWATCH_BENCH_PG_DIR:-/tmp/farmwatch-bench-pg}"
pg=""
cleanup() {
  if [ -n "$pg" ] && [ $keep = 0 ]; then
    bash "$root/jobs/lib/pg-cluster.sh" stop --port "$pg_port" --dir "$pg_dir" || true
  fi
}
trap cleanup EXIT
trap "exit 143" TERM
trap "exit 130" INT
pg="$(bash "$root/jobs/lib/pg-cluster.sh" start --port "$pg_port" --dir "$pg_dir")"
re='^postgres(ql)?://([^@/]+)@([^:/]+):([0-9]+)/([^?]+)'
[[ "$pg" =~ $re ]]
ogr_pg="PG:host=${BASH_REMATCH[3]} port=${BASH_REMATCH[4]} dbname=${BASH_REMATCH[5]} user=${BASH_REMATCH[2]}"
psql=(psql -X -q -v ON_ERROR_STOP=1 "$pg")

# Untimed: both tables into PostGIS in the grid's CRS, with GiST indexes, as an analyst keeps them.
log "loading parcels and patches into PostGIS ($crs)"
"${psql[@]}" -c "SET client_min_messages = warning; DROP TABLE IF EXISTS patches, farmland, rule_patches, flagged"
PG_USE_COPY=YES ogr2ogr -f PostgreSQL "$ogr_pg" "$farmland" -nln farmland -t_srs "$crs" \
  -lco GEOMETRY_NAME=geom -lco FID=fid -lco SPATIAL_INDEX=GIST -nlt PROMOTE_TO_MULTI -gt 65536 -overwrite
PG_USE_COPY=YES ogr2ogr -f PostgreSQL "$ogr_pg" "$patches" patches -nln patches \
  -lco GEOMETRY_NAME=wkb_geometry -lco SPATIAL_INDEX=GIST -gt 65536 -overwrite
"${psql[@]}" -c "VACUUM ANALYZE farmland" -c "VACUUM ANALYZE patches"

# The conf both sides apply: the repository's defaults.
conf="$root/conf/farmwatch.conf"
# children_cpu: the user + system CPU seconds of every process this shell has waited for so far (bash's `times`,
# run in this shell: a subshell's count starts afresh); a difference of two calls is the CPU of what ran between.
children_cpu() {
  times > "$work/.times"
  awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/); printf "%.2f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$work/.times"
}
# Neither side pays for the other's writes, nor for the tables just loaded: their dirty pages are flushed first.
sync
log "farmwatch overlay + flag (local[2]) -> $work/farmwatch.json"
children_cpu > "$work/.cpu0"
t0=$(date +%s.%N)
if ! FARMWATCH_MAIN_CLASS=org.farmwatch.bench.OverlayBench "$root/jobs/farmwatch" --farmland "$farmland" \
    --patches "$patches" --out "$work" --master 'local[2]' --conf "$conf" --again "$again" > "$work/farmwatch.log" 2>&1; then
  tail -n 30 "$work/farmwatch.log" >&2
  log "farmwatch failed; its log: $work/farmwatch.log"
  exit 1
fi
fw_whole_s=$(awk "BEGIN { printf \"%.2f\", $(date +%s.%N) - $t0 }")
children_cpu > "$work/.cpu1"
fw_cpu_s=$(awk "BEGIN { printf \"%.2f\", $(cat "$work/.cpu1") - $(cat "$work/.cpu0") }")
grep '^\[overlay-bench\]' "$work/farmwatch.log" >&2 || true

sync
log "PostGIS SQL overlay + flag"
"$py" "$root/jobs/lib/bench-baseline.py" overlay-sql "$conf" > "$work/overlay.sql"
# CPU seconds of the server's processes: the session's backend and parallel workers end with the query and are
# reaped by the postmaster, whose children's times (fields 16 and 17 of /proc/PID/stat) then hold theirs.
pg_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($16 + $17) / hz }' "/proc/$(head -n 1 "$pg_dir/postmaster.pid")/stat"; }
c0=$(pg_cpu)
children_cpu > "$work/.cpu0"
t0=$(date +%s.%N)
"${psql[@]}" -tA -f "$work/overlay.sql" > "$work/postgis.log"
t1=$(date +%s.%N)
sleep 0.5  # let the postmaster reap the workers
pg_s=$(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }")
c1=$(pg_cpu)
pg_cpu_s=$(awk "BEGIN { printf \"%.2f\", $c1 - $c0 }")
log "PostGIS: $(tail -n 1 "$work/postgis.log") flagged parcels, $pg_s s"
# Its whole process: the SQL above plus the flagged rows written out, as farmwatch's process writes its CSV.
t2=$(date +%s.%N)
"${psql[@]}" -c "\\copy (SELECT parcel_id, rule, changed_area_m2, patch_count FROM flagged ORDER BY parcel_id) TO '$work/postgis-flagged.csv' CSV HEADER"
t3=$(date +%s.%N)
sleep 0.5
children_cpu > "$work/.cpu1"
# psql's own CPU: what this shell waited for between the marks (the odd awk among it costs milliseconds).
pg_whole_s=$(awk "BEGIN { printf \"%.2f\", $t1 - $t0 + $t3 - $t2 }")
pg_whole_cpu_s=$(awk "BEGIN { printf \"%.2f\", $(pg_cpu) - $c0 + $(cat "$work/.cpu1") - $(cat "$work/.cpu0") }")

"$py" "$helper" compare "$work/farmwatch-flagged.csv" "$work/postgis-flagged.csv" "$work/farmwatch.json" "$pg_s" \
  "$pg_cpu_s" "$build" "$bench/overlay-result.json" --whole "$fw_whole_s" "$fw_cpu_s" "$pg_whole_s" "$pg_whole_cpu_s" \
  | tee "$bench/overlay-result.txt"
log "wrote $bench/overlay-result.json"

#!/usr/bin/env bash
# The baseline of jobs/bench: farmwatch's job scripted the way a GIS engineer would without it, from
# GDAL's command-line tools (Debian gdal-bin and python3-gdal) and PostGIS SQL. Same inputs, same
# rules (jobs/lib/bench-baseline.py restates them from RuleClassifier, ChangeDetector and the
# conf file), same outputs: change classes, change patches and the flagged parcels, in PostGIS and
# in a GeoPackage.
#   jobs/lib/bench-baseline.sh --before SCENE_DIR --after SCENE_DIR --farmland GPKG --pg URL --work DIR
#                              [--conf FILE] [--keep-rasters]
# Steps, each timed into DIR/timings.json (seconds):
#   stats        p2/p50/p90/dark level per band and date (python3 + osgeo, GDAL's approximate
#                histogram, as farmwatch)
#   warp         gdalwarp the 20 m bands (bilinear) and SCL (nearest) onto the 10 m grid
#   cloud_mask   python3 + numpy: SCL cloud, shadow and no-data cells grown by cloud.bufferMetres
#   classify     gdal_calc.py: the class raster of each date
#   change       python3 + numpy, per tile of farmwatch's grid: the change-code raster (class changed
#                by a rule's transition and the cell's distance from the tile's radiometric fit of
#                the current bands to the baseline beyond the threshold)
#   sieve        gdal_sieve.py: the minimum mapping unit, 4-connected
#   polygonize   gdal_polygonize.py: the change patches, into PostGIS
#   load_farmland ogr2ogr: the farmland into PostGIS, reprojected to the 10 m grid's CRS
#   overlay      psql: ST_Intersects + ST_Intersection + GROUP BY parcel, the rules' area and share
#   publish_gpkg ogr2ogr: patches and flagged parcels into DIR/baseline.gpkg
# Intermediates are uncompressed tiled GeoTIFFs in DIR/r; deleted at the end unless --keep-rasters.
# Assumes what jobs/bench's workload gives: Sentinel-2 band folders whose 10 m bands lie on
# farmwatch's working grid (same CRS, 10 m cells aligned to it), and farmland with the land-survey
# fields TBBH, ZLDWDM, ZLDWMC and DLBM.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
py=/usr/bin/python3            # Debian's python3, where python3-gdal lives
helper="$root/jobs/lib/bench-baseline.py"
before="" after="" farmland="" pg="" work="" conf="$root/conf/farmwatch.conf" keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --before) before="$2"; shift 2 ;;
    --after) after="$2"; shift 2 ;;
    --farmland) farmland="$2"; shift 2 ;;
    --pg) pg="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --conf) conf="$2"; shift 2 ;;
    --keep-rasters) keep=1; shift ;;
    *) echo "bench-baseline: unknown option $1" >&2; exit 2 ;;
  esac
done
for v in before after farmland pg work; do
  [ -n "${!v}" ] || { echo "bench-baseline: --$v is required" >&2; exit 2; }
done
log() { echo "[baseline] $*" >&2; }

# postgresql://user@host:port/db -> OGR's PG: connection string.
re='^postgres(ql)?://([^@/]+)@([^:/]+):([0-9]+)/([^?]+)'
[[ "$pg" =~ $re ]] || { echo "bench-baseline: --pg must look like postgresql://user@host:port/db" >&2; exit 2; }
ogr_pg="PG:host=${BASH_REMATCH[3]} port=${BASH_REMATCH[4]} dbname=${BASH_REMATCH[5]} user=${BASH_REMATCH[2]}"
psql=(psql -X -q -v ON_ERROR_STOP=1 "$pg")

r="$work/r"
rm -rf "$r" "$work"/stats-*.json "$work/overlay.sql" "$work/timings.json" "$work/baseline.gpkg"
mkdir -p "$r"
export GDAL_CACHEMAX=1024 GDAL_NUM_THREADS=ALL_CPUS PYTHONWARNINGS=ignore CPL_LOG=/dev/null
# Uncompressed, tiled intermediates.
co=(-co TILED=YES -co BLOCKXSIZE=256 -co BLOCKYSIZE=256 -co COMPRESS=NONE -co BIGTIFF=IF_SAFER)
calc_co=(--co TILED=YES --co BLOCKXSIZE=256 --co BLOCKYSIZE=256 --co COMPRESS=NONE --co BIGTIFF=IF_SAFER)

declare -A secs
order=()
t_start=$(date +%s.%N)
step() {   # step NAME: starts timing NAME (and ends the previous step)
  local now; now=$(date +%s.%N)
  if [ -n "${cur:-}" ]; then secs[$cur]=$(awk "BEGIN { print $now - $t_step }"); fi
  cur="$1"; t_step="$now"; [ -n "$1" ] && { order+=("$1"); log "$1"; }
  return 0
}
band() { ls "$1"/*_"$2".tif | head -n 1; }

step stats
"$py" "$helper" stats "$conf" "$before" > "$work/stats-before.json"
"$py" "$helper" stats "$conf" "$after" > "$work/stats-after.json"

step warp
ref="$(band "$before" B02)"
read -r xmin ymax xmax ymin res < <("$py" -c "
from osgeo import gdal
ds = gdal.Open('$ref'); gt = ds.GetGeoTransform()
print(gt[0], gt[3], gt[0] + gt[1] * ds.RasterXSize, gt[3] + gt[5] * ds.RasterYSize, gt[1])")
grid=(-te "$xmin" "$ymin" "$xmax" "$ymax" -tr "$res" "$res")
for d in before after; do
  dir="${!d}"
  for b in B11 B12; do
    gdalwarp -q -overwrite -multi -wo NUM_THREADS=ALL_CPUS -wm 512 "${grid[@]}" -r bilinear -ot Float32 \
      -dstnodata nan -of GTiff "${co[@]}" "$(band "$dir" "$b")" "$r/$d-$b.tif"
  done
  gdalwarp -q -overwrite -multi -wo NUM_THREADS=ALL_CPUS -wm 512 "${grid[@]}" -r near -ot Byte \
    -dstnodata 0 -of GTiff "${co[@]}" "$(band "$dir" SCL)" "$r/$d-SCL.tif"
done

step cloud_mask
for d in before after; do
  "$py" "$helper" cloud-mask "$conf" "$r/$d-SCL.tif" "$r/$d-clear.tif"
done

step classify
for d in before after; do
  dir="${!d}"
  gdal_calc.py --quiet --overwrite --type=Byte --NoDataValue=0 "${calc_co[@]}" \
    -A "$(band "$dir" B02)" -B "$(band "$dir" B03)" -C "$(band "$dir" B04)" -D "$(band "$dir" B08)" \
    -E "$r/$d-B11.tif" -F "$r/$d-B12.tif" -G "$r/$d-clear.tif" \
    --outfile="$r/$d-class.tif" --calc="$("$py" "$helper" class-expr "$conf" "$work/stats-$d.json")" >/dev/null
done

step change
# numpy per tile of farmwatch's grid: the radiometric fit of the current bands to the baseline is per tile.
"$py" "$helper" change "$conf" "$before" "$after" "$r" "$work/stats-before.json" "$work/stats-after.json" "$r/change.tif"

step sieve
# No mask: specks of change take the value around them, pin-holes in a patch are filled (as farmwatch).
gdal_sieve.py -q -st "$("$py" "$helper" sieve-cells "$conf")" -4 -nomask -of GTiff "$r/change.tif" "$r/sieved.tif"

step polygonize
"${psql[@]}" -c "SET client_min_messages = warning; DROP TABLE IF EXISTS patches, farmland, rule_patches, flagged"
# The raster itself is the mask: code 0 (no change) gives no polygon. 4-connected is the default.
PG_USE_COPY=YES gdal_polygonize.py -q -mask "$r/sieved.tif" -of PostgreSQL "$r/sieved.tif" "$ogr_pg" patches code

step load_farmland
PG_USE_COPY=YES ogr2ogr -f PostgreSQL "$ogr_pg" "$farmland" -nln farmland -t_srs "$(gdalsrsinfo -o epsg "$ref" | grep -m 1 .)" \
  -lco GEOMETRY_NAME=geom -lco FID=fid -lco SPATIAL_INDEX=GIST -nlt PROMOTE_TO_MULTI -gt 65536 -overwrite

step overlay
"$py" "$helper" overlay-sql "$conf" > "$work/overlay.sql"
flagged=$("${psql[@]}" -tA -f "$work/overlay.sql" | tail -n 1)

step publish_gpkg
rm -f "$work/baseline.gpkg"
ogr2ogr -f GPKG "$work/baseline.gpkg" "$ogr_pg" -sql "SELECT * FROM rule_patches" -nln change_patches -nlt PROMOTE_TO_MULTI
ogr2ogr -f GPKG -update "$work/baseline.gpkg" "$ogr_pg" -sql "SELECT * FROM flagged" -nln flagged_parcels -nlt PROMOTE_TO_MULTI

step ""
t_end=$(date +%s.%N)
patches=$("${psql[@]}" -tA -c "SELECT count(*) FROM rule_patches")
raw_patches=$("${psql[@]}" -tA -c "SELECT count(*) FROM patches")
changed_cells=$("$py" -c "
import numpy
from osgeo import gdal
ds = gdal.Open('$r/sieved.tif'); b = ds.GetRasterBand(1); n = 0
bx, by = b.GetBlockSize()
for y in range(0, ds.RasterYSize, by * 16):
    a = b.ReadAsArray(0, y, ds.RasterXSize, min(by * 16, ds.RasterYSize - y)); n += int(numpy.count_nonzero(a))
print(n)")
{
  echo "{"
  echo "  \"seconds\": {"
  sep=""
  for k in "${order[@]}"; do printf '%s    "%s": %.2f' "$sep" "$k" "${secs[$k]}"; sep=$',\n'; done
  echo ""
  echo "  },"
  printf '  "total_s": %.2f,\n' "$(awk "BEGIN { print $t_end - $t_start }")"
  echo "  \"counts\": {\"patches_polygonized\": $raw_patches, \"patches\": $patches, \"changed_cells\": $changed_cells, \"flagged_parcels\": $flagged}"
  echo "}"
} > "$work/timings.json"
[ $keep = 1 ] || rm -rf "$r"
log "done: $patches patches, $flagged flagged parcels in $(awk "BEGIN { printf \"%.1f\", $t_end - $t_start }") s -> $work"

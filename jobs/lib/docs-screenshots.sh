#!/usr/bin/env bash
# Makes the README's two pictures from the demo's output, so that they always show the current code:
#   docs/img/qgis-project.png   onemap.qgz rendered by real QGIS (jobs/lib/qgis-check.py, which also checks it)
#   docs/img/report.png         report.html in headless Chromium
#   jobs/lib/docs-screenshots.sh [--from DIR] [--to DIR]
# Without --from it runs `jobs/farmwatch demo --out out/docs-demo` first (about a minute); --from takes an
# output folder that already exists. --to (default docs/img) is where the PNGs go. Both are reduced to a
# palette of 256 colours, so each stays a few hundred KB. Needs python3-qgis (apt-get install qgis python3-qgis)
# and chromium. Exit codes: 0 written, 1 a step failed, 2 bad usage, 4 QGIS or Chromium missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
from=""; to="docs/img"
while [ $# -gt 0 ]; do
  case "$1" in
    --from) from="${2:?--from needs a folder}"; shift 2 ;;
    --to) to="${2:?--to needs a folder}"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "docs-screenshots: unknown option $1" >&2; exit 2 ;;
  esac
done
log() { echo "[docs-screenshots] $*" >&2; }
/usr/bin/python3 -c 'import qgis.core' 2>/dev/null || { log "python3-qgis is missing: apt-get install -y qgis python3-qgis"; exit 4; }
chromium="$(command -v chromium || command -v chromium-browser || true)"
[ -n "$chromium" ] || { log "chromium is missing: apt-get install -y chromium"; exit 4; }

if [ -z "$from" ]; then
  from=out/docs-demo
  log "running the demo into $from"
  jobs/farmwatch demo --out "$from"
fi
[ -f "$from/onemap.qgz" ] && [ -f "$from/report.html" ] || { log "$from holds no onemap.qgz and report.html"; exit 2; }
mkdir -p "$to"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The QGIS project as an analyst opens it; qgis-check.py fails (exit 1) when a layer or style is wrong or the map blank.
log "rendering onemap.qgz in QGIS"
QT_QPA_PLATFORM=offscreen /usr/bin/python3 jobs/lib/qgis-check.py "$from" --png "$work/qgis.png" --size 1000x750 \
  > "$work/qgis.json" || { log "qgis-check.py failed: $(cat "$work/qgis.json")"; exit 1; }

# The report as an inspector opens it: offline, a fresh profile, scripts given 5 s of virtual time to draw the map.
log "taking a screenshot of report.html in Chromium"
mkdir -p "$work/home"
HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" XDG_CACHE_HOME="$work/home/.cache" \
  "$chromium" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync --disable-extensions --hide-scrollbars \
  --force-device-scale-factor=1 --user-data-dir="$work/profile" --window-size=1200,1000 --virtual-time-budget=5000 \
  --screenshot="$work/report.png" "file://$(cd "$from" && pwd)/report.html" > "$work/chromium.log" 2>&1 \
  || { log "chromium failed: $(tail -n 5 "$work/chromium.log")"; exit 1; }
[ -s "$work/report.png" ] || { log "chromium wrote no screenshot: $(tail -n 5 "$work/chromium.log")"; exit 1; }

# 256 colours (Qt's own quantizer, from python3-qgis's PyQt5): the imagery makes a full-colour PNG of ~1 MB.
QT_QPA_PLATFORM=offscreen /usr/bin/python3 - "$work/qgis.png" "$to/qgis-project.png" "$work/report.png" "$to/report.png" <<'PY'
import sys
from PyQt5.QtGui import QImage
from PyQt5.QtCore import Qt
args = sys.argv[1:]
for src, dst in zip(args[0::2], args[1::2]):
    img = QImage(src)
    if img.isNull():
        sys.exit("cannot read " + src)
    if not img.convertToFormat(QImage.Format_Indexed8, Qt.ThresholdDither).save(dst, "PNG", 0):
        sys.exit("cannot write " + dst)
PY
for f in "$to/qgis-project.png" "$to/report.png"; do
  log "wrote $f ($(( $(stat -c %s "$f") / 1024 )) KB)"
done

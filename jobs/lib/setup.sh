#!/usr/bin/env bash
# Installs what farmwatch needs on a Debian bookworm machine, only where it is missing, then
# builds the GDAL JNI bridge and the project. Safe to run again: every step is skipped when done.
#   jobs/lib/setup.sh [--with-postgis] [--with-baseline] [--no-build]
#   jobs/lib/setup.sh --worker
# --worker prepares a Spark worker for `jobs/farmwatch run --master spark://...`: JDK 17, GDAL and the JNI
# bridge, no Maven and no build, and prints the bridge's folder on stdout. The driver passes its own
# folder to the executors (-Djava.library.path), so run it as a user with the same home, or with the same
# FARMWATCH_CACHE, on every worker as on the machine that submits.
# Prints one line per step it takes (nothing when everything is in place); what apt, SWIG, the compiler
# and Maven print goes to the log, ~/.cache/farmwatch/setup.log (FARMWATCH_SETUP_LOG), whose path is
# printed when a step fails. Exit codes: 2 bad usage, 4 a package missing or not installable, 1 a failed build.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
want_pg=0; want_baseline=0; build=1; worker=0
for a in "$@"; do
  case "$a" in
    --worker) worker=1; build=0 ;;
    --with-postgis) want_pg=1 ;;
    --with-baseline) want_baseline=1 ;;
    --no-build) build=0 ;;
    *) echo "setup: unknown option $a" >&2; exit 2 ;;
  esac
done
log() { echo "[setup] $*" >&2; }
setup_log="${FARMWATCH_SETUP_LOG:-${XDG_CACHE_HOME:-$HOME/.cache}/farmwatch/setup.log}"
# step CODE DESCRIPTION COMMAND...: one line here, the command's output in the log (escapes stripped),
# and on failure the log's last lines, its path and exit CODE.
step() {
  local code="$1" what="$2" rc=0 from
  shift 2
  mkdir -p "$(dirname "$setup_log")"
  log "$what (log: $setup_log)"
  echo "=== $(date -u +%FT%TZ) $what" >> "$setup_log"
  from=$(( $(wc -l < "$setup_log") + 1 ))
  "$@" 2>&1 < /dev/null | sed -u 's/\x1b\[[0-9;]*[A-Za-z]//g' >> "$setup_log" || rc=$?
  if [ "$rc" != 0 ]; then
    # The step's first error lines (apt's "E:", Maven's "[ERROR]", the compiler's "error:"), else its last lines.
    { tail -n +"$from" "$setup_log" | grep -v -i -E 're-run|for more information|\[Help' \
        | grep -m 5 -E '^E:|\[ERROR\] [^ ]|error:' \
      || tail -n +"$from" "$setup_log" | tail -n 5; } | sed 's/^/  | /' >&2
    log "$what failed (exit $rc); the whole output is in $setup_log"
    exit "$code"
  fi
}

# fonts-wqy-microhei: a CJK TrueType font for the PDF dossiers (and Chinese text in headless screenshots).
pkgs=(gdal-bin libgdal-dev swig g++ dpkg-dev maven openjdk-17-jdk-headless fonts-wqy-microhei)
# A worker reads and writes rasters with GDAL in its executors; the bridge is built there from GDAL's source.
[ $worker = 1 ] && pkgs=(gdal-bin libgdal-dev swig g++ dpkg-dev openjdk-17-jdk-headless)
[ $want_pg = 1 ] && pkgs+=(postgresql-15 postgresql-15-postgis-3 postgresql-client-15)
[ $want_baseline = 1 ] && pkgs+=(python3-gdal postgresql-15 postgresql-15-postgis-3)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then log "missing packages: ${missing[*]} (run as root, or install them)"; exit 4; fi
  step 4 "apt-get update" apt-get update -q
  step 4 "installing ${missing[*]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ ! -s "${FARMWATCH_CACHE:-$HOME/.cache/farmwatch}/gdal-jni/libgdalalljni.so" ]; then
  step 4 "building the GDAL JNI bridge (about a minute)" bash "$root/jobs/lib/gdal-jni.sh"
fi

if [ $build = 1 ]; then
  jar="$root/target/farmwatch.jar"
  # Rebuild only when a source or the POM is newer than the jar.
  if [ ! -s "$jar" ] || [ -n "$(find "$root/src/main" "$root/pom.xml" -newer "$jar" -print -quit)" ]; then
    step 1 "building farmwatch (mvn package)" \
      mvn -f "$root/pom.xml" -q -B --no-transfer-progress -Dstyle.color=never -DskipTests package
  fi
fi

if [ $worker = 1 ]; then
  jni="${FARMWATCH_CACHE:-$HOME/.cache/farmwatch}/gdal-jni"
  log "worker ready: $(gdal-config --version 2>/dev/null | sed 's/^/GDAL /'), $(java -version 2>&1 | head -n 1), JNI bridge in $jni"
  echo "$jni"
fi

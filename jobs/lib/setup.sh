#!/usr/bin/env bash
# Installs what farmwatch needs on a Debian bookworm machine, only where it is missing, then
# builds the GDAL JNI bridge and the project. Safe to run again: every step is skipped when done.
#   jobs/lib/setup.sh [--with-postgis] [--with-baseline] [--no-build]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
want_pg=0; want_baseline=0; build=1
for a in "$@"; do
  case "$a" in
    --with-postgis) want_pg=1 ;;
    --with-baseline) want_baseline=1 ;;
    --no-build) build=0 ;;
    *) echo "setup: unknown option $a" >&2; exit 2 ;;
  esac
done
log() { echo "[setup] $*" >&2; }

# fonts-wqy-microhei: a CJK TrueType font for the PDF dossiers (and Chinese text in headless screenshots).
pkgs=(gdal-bin libgdal-dev swig g++ dpkg-dev maven openjdk-17-jdk-headless fonts-wqy-microhei)
[ $want_pg = 1 ] && pkgs+=(postgresql-15 postgresql-15-postgis-3 postgresql-client-15)
[ $want_baseline = 1 ] && pkgs+=(python3-gdal postgresql-15 postgresql-15-postgis-3)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then log "missing packages: ${missing[*]} (run as root, or install them)"; exit 4; fi
  log "installing ${missing[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

bash "$root/jobs/lib/gdal-jni.sh" >/dev/null

if [ $build = 1 ]; then
  jar="$root/target/farmwatch.jar"
  # Rebuild only when a source or the POM is newer than the jar.
  if [ ! -s "$jar" ] || [ -n "$(find "$root/src/main" "$root/pom.xml" -newer "$jar" -print -quit)" ]; then
    log "building farmwatch (mvn package)"
    (cd "$root" && mvn -q -B -DskipTests package >&2)
  fi
fi

#!/usr/bin/env bash
# Builds the GDAL JNI bridge (libgdalalljni.so) from Debian's own GDAL source, once, into a cache.
# Debian ships GDAL without Java bindings; the org.gdal:gdal:3.6.0 jar from Maven Central
# matches the JNI signatures of the 3.6.2 SWIG wrappers built here.
set -euo pipefail
cache="${FARMWATCH_CACHE:-$HOME/.cache/farmwatch}/gdal-jni"
lib="$cache/libgdalalljni.so"
if [ -s "$lib" ]; then echo "$cache"; exit 0; fi

log() { echo "[gdal-jni] $*" >&2; }
need_src=1
if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > /etc/apt/sources.list.d/farmwatch-deb-src.sources
  else
    echo "deb-src http://deb.debian.org/debian bookworm main" > /etc/apt/sources.list.d/farmwatch-deb-src.list
  fi
  apt-get update -qq >&2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
log "fetching Debian's GDAL source"
apt-get source -qq --download-only gdal >&2 2>/dev/null || apt-get source -qq --download-only gdal >&2
dpkg-source -x --skip-patches gdal_*.dsc src >/dev/null 2>&1 || dpkg-source -x gdal_*.dsc src >/dev/null
inc="$work/src/swig/include"
java_home="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}"
mkdir -p gen
for m in gdalconst gdal ogr osr; do
  log "swig $m"
  mkdir -p "gen/java/org/gdal/$m"
  ext=cpp; cxx=-c++; [ "$m" = gdalconst ] && { ext=c; cxx=; }
  swig $cxx -java -package "org.gdal.$m" -outdir "gen/java/org/gdal/$m" \
       -I"$inc" -I"$inc/java" -I/usr/include/gdal -DSWIGJAVA \
       -o "gen/${m}_wrap.$ext" "$inc/$m.i" >&2
done
log "compiling libgdalalljni.so"
flags=(-O2 -fPIC -w -I"$java_home/include" -I"$java_home/include/linux" -I/usr/include/gdal)
gcc "${flags[@]}" -c gen/gdalconst_wrap.c -o gen/gdalconst_wrap.o
for m in gdal ogr osr; do g++ "${flags[@]}" -c "gen/${m}_wrap.cpp" -o "gen/${m}_wrap.o" & done
wait
mkdir -p "$cache"
g++ -shared -o "$lib.tmp" gen/*.o -l:libgdal.so.32
mv "$lib.tmp" "$lib"
log "built $lib"
echo "$cache"

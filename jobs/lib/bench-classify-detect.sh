#!/usr/bin/env bash
# Classification plus change detection alone, single-threaded over tiles held in memory: a quieter
# before/after measure than the bench's classify_detect_mpx_s_per_core (see ClassifyDetectHarness).
#   jobs/lib/bench-classify-detect.sh [WORKLOAD_DIR=out/bench/data/5490] [TILES=16] [ROUNDS=15]
# Needs `mvn -o -q test-compile` and a bench workload (jobs/bench generates it). Not part of the tests.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
data="${1:-out/bench/data/5490}"
jni="$(bash "$root/jobs/lib/gdal-jni.sh")"
[ -d target/test-classes ] || { echo "bench-classify-detect: run mvn -o -q test-compile first" >&2; exit 1; }
exec java ${FARMWATCH_JAVA_OPTS:--Xmx2g} -Djava.library.path="$jni" \
  -cp "$root/target/classes:$root/target/test-classes:$root/target/lib/*" \
  org.farmwatch.spark.ClassifyDetectHarness "$data" "${2:-16}" "${3:-15}"

#!/usr/bin/env bash
# The launcher's class-data-sharing archive is written by the first successful run after a build. The
# benches call this warm-up first, so that no timed run pays for writing it and every timed JVM maps it,
# as an operator's nightly runs do (docs/jvm.md). Does nothing with FARMWATCH_CDS=0, or when
# this checkout already has an archive newer than its jar. Never fails the bench: without the archive the
# timed runs load their classes from the jars.
#   jobs/lib/cds-warm-up.sh
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cds_dir="${XDG_CACHE_HOME:-$HOME/.cache}/farmwatch/cds"
[ "${FARMWATCH_CDS:-1}" = 1 ] || exit 0
if [ -n "$(find "$cds_dir" -name "farmwatch-$(echo "$root" | md5sum | cut -c1-8)-*.jsa" -newer "$root/target/farmwatch.jar" 2>/dev/null | head -n 1)" ]; then
  exit 0
fi
mkdir -p "$root/out/bench"
echo "[bench] warm-up: jobs/farmwatch demo, which writes the launcher's class archive" >&2
rm -rf "$root/out/bench/warm-up"
FARMWATCH_SKIP_SETUP=1 "$root/jobs/farmwatch" demo --out "$root/out/bench/warm-up" > "$root/out/bench/warm-up.log" 2>&1 \
  || echo "[bench] the warm-up failed (out/bench/warm-up.log): timing without the class archive" >&2
rm -rf "$root/out/bench/warm-up"
exit 0

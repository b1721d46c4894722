#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Run one libFuzzer harness for a bounded time (the meson 'fuzz' suite, devtools/fuzz.sh):
#   fuzz-run.sh HARNESS SEED_DIR WORK_DIR SECONDS
# New inputs go to WORK_DIR (never the seed corpus in the tree), a crash or leak to
# WORK_DIR/artifacts/; the last lines say how many inputs ran. Exit status: libFuzzer's.
set -eu
[ $# = 4 ] || { echo "usage: $0 HARNESS SEED_DIR WORK_DIR SECONDS" >&2; exit 2; }
harness=$1 seeds=$2 work=$3 secs=$4
mkdir -p "$work/artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
exec "$harness" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$work/artifacts/" "$work" "$seeds"

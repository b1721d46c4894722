#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Fuzz the code that reads host-written data for longer than the 'fuzz' suite does:
#   devtools/fuzz.sh [SECONDS] [HARNESS...]     (default: 600 s each, every harness)
# Harnesses: ring rx_parse rndis_ctl nvsp (fuzz/). Builds them in build-fuzz (clang, ASan,
# UBSan, libFuzzer; $HVNET_BUILD_FUZZ to change) and runs them one after the other. The corpus
# grows in the build directory (corpus-<harness>); a crash is saved in
# corpus-<harness>/artifacts/ and must become a unit test (tests/ beside the code it found).
set -eu
umask 022
top=$(cd "$(dirname "$0")/.." && pwd)
build=${HVNET_BUILD_FUZZ:-$top/build-fuzz}
secs=${1:-600}
[ $# -gt 0 ] && shift
targets=${*:-ring rx_parse rndis_ctl nvsp}

case "$secs" in
''|*[!0-9]*) echo "fuzz.sh: SECONDS must be a number, got '$secs'" >&2; exit 2 ;;
esac
if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" "$top" -Dfuzz=true >/dev/null
fi
ninja -C "$build" >/dev/null
# The lines worth showing of a run: its count of inputs, and any finding.
report='^(Done|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)|crash-|leak-|timeout-'
rc=0
for t in $targets; do
	exe="$build/fuzz/fuzz-$t"
	[ -x "$exe" ] || { echo "fuzz.sh: no harness '$t'" >&2; exit 2; }
	echo "== $t: $secs s"
	sh "$top/devtools/fuzz-run.sh" "$exe" "$top/fuzz/corpus/$t" "$build/fuzz/corpus-$t" \
		"$secs" 2>&1 | grep -E "$report" || true
	ls "$build/fuzz/corpus-$t/artifacts/" 2>/dev/null | grep -q . && rc=1
done
exit $rc

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Run every hvnet test on this machine: install what is needed, build, run all meson test
# suites, then the unit suite again under ASan+UBSan and built with clang, then the fuzz suite
# (libFuzzer harnesses built with clang in a build directory of their own, 60 s each), then the
# quick suite against every other cached DPDK LTS build, then the instruction report of
# devtools/insn-bench.sh (not a test). Ends with "N passed, N failed[, N skipped]".
set -u
umask 022
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
build=${HVNET_BUILD:-build}
asan=${HVNET_BUILD_ASAN:-build-asan}
clang_build=${HVNET_BUILD_CLANG:-build-clang}
fuzz=${HVNET_BUILD_FUZZ:-build-fuzz}

fail() {
	echo "run-tests: $*" >&2
	echo "0 passed, 1 failed"
	exit 1
}

[ "$(id -u)" = 0 ] || fail "must run as root (namespaces, TAP devices, package installs)"
sh devtools/setup.sh || fail "setup failed"

configure() {
	local dir=$1
	shift
	if [ -f "$dir/build.ninja" ]; then
		meson configure "$dir" "$@" >/dev/null || return 1
	else
		meson setup "$dir" "$@" >/dev/null || return 1
	fi
	ninja -C "$dir" >"$dir/ninja.log" 2>&1 || { tail -n 40 "$dir/ninja.log" >&2; return 1; }
}

configure "$build" -Db_sanitize=none || fail "build failed"
configure "$asan" -Db_sanitize=address,undefined -Db_lundef=false || fail "ASan build failed"
# The same tree with clang (warnings are errors there too); its unit suite runs below.
CC=clang configure "$clang_build" -Db_sanitize=none || fail "clang build failed"
# The fuzz harnesses: clang's libFuzzer, in their own build directory (fuzz/meson.build).
CC=clang configure "$fuzz" -Dfuzz=true -Dfuzz_seconds=60 || fail "fuzz build failed"

. devtools/lib.sh
total_ok=0 total_fail=0 total_skip=0
# Adds the counts of one "meson test" run (from its testlog.json) to the totals.
count() {
	local ok fl sk
	if ! read -r ok fl sk < <(testlog_counts "$1"); then
		[ "$2" = 0 ] || total_fail=$((total_fail + 1))
		return
	fi
	total_ok=$((total_ok + ok)) total_fail=$((total_fail + fl)) total_skip=$((total_skip + sk))
}

rm -f "$build/meson-logs/testlog.json" "$asan/meson-logs/testlog.json"
meson test -C "$build" --print-errorlogs --num-processes 2 "$@"
count "$build" $?
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
	meson test -C "$asan" --suite unit --print-errorlogs --num-processes 2
count "$asan" $?
rm -f "$clang_build/meson-logs/testlog.json" "$fuzz/meson-logs/testlog.json"
meson test -C "$clang_build" --suite unit --print-errorlogs --num-processes 2
count "$clang_build" $?
meson test -C "$fuzz" --suite fuzz --print-errorlogs --num-processes 2
count "$fuzz" $?

# The other DPDK LTS releases whose build is cached (devtools/dpdk-build.sh): the quick suites
# against each (devtools/lts-matrix.sh), one line per version. Not the installed DPDK: every
# suite ran against it above.
lts=$(bash devtools/lts-matrix.sh --cached-only --quick --not-system)
printf '%s\n' "$lts" | sed '$d'
if read -r word ok fl sk < <(printf '%s\n' "$lts" | tail -n 1) && [ "$word" = lts-total: ]; then
	total_ok=$((total_ok + ok)) total_fail=$((total_fail + fl)) total_skip=$((total_skip + sk))
else
	total_fail=$((total_fail + 1))
fi

# A report, not a test: instructions per frame of both drivers' bursts (about a minute; a
# failure to build or run it is printed and counts as nothing).
OUT="$build/insn-bench" QUEUES=1 bash devtools/insn-bench.sh 2>&1 | tail -n 20

echo "$total_ok passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" = 0 ]

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# hvnet built and tested against each DPDK LTS release users run: Debian's 22.11 (the system's)
# and 23.11, 24.11, 25.11 built from source by devtools/dpdk-build.sh. One line per version;
# the last line is "lts-total: OK FAIL SKIP" over all of them.
#
#   devtools/lts-matrix.sh [--quick] [--cached-only] [--not-system] [VERSION...]
#
# VERSION: 22.11 (the installed DPDK), 23.11, 24.11, 25.11; default all four.
# --quick        leave out the long scenarios (meson suite 'long'): they run on 22.11 in CI
# --cached-only  test only the versions whose DPDK build is cached; never build one
# --not-system   leave out the installed DPDK (run-tests.sh has run every suite against it)
# Each version builds in build-lts/<version> (warnings are errors) and runs its own testpmd,
# proc-info, dumpcap and upstream net_netvsc.
set -u
umask 022
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
. devtools/lib.sh

quick=0
cached_only=0
not_system=0
versions=()
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1 ;;
	--cached-only) cached_only=1 ;;
	--not-system) not_system=1 ;;
	-*) echo "lts-matrix: unknown option $1" >&2; exit 2 ;;
	*) versions+=("$1") ;;
	esac
	shift
done
[ ${#versions[@]} -gt 0 ] || versions=(22.11 23.11 24.11 25.11)
[ "$(id -u)" = 0 ] || { echo "lts-matrix: must run as root (the scenarios need it)" >&2; exit 1; }

system_ver=$(pkg-config --modversion libdpdk 2>/dev/null)
total_ok=0 total_fail=0 total_skip=0

# test_version VERSION: build hvnet against it and run the suites; prints the version's line.
test_version() {
	local v=$1 prefix pcdir full dir opts=() start ok fl sk what
	start=$(date +%s)
	if [ "${system_ver%.*}" = "$v" ] || [ "$system_ver" = "$v" ]; then
		if [ "$not_system" = 1 ]; then
			return
		fi
		full=$system_ver
	else
		prefix=$(bash devtools/dpdk-build.sh --prefix "$v" 2>/dev/null) || {
			# A machine without ../shared/dpdk (a pristine clone) has nothing to test.
			if [ "$cached_only" = 1 ]; then
				echo "lts: DPDK $v: skipped: no source tarball and no build of it"
				return
			fi
			echo "lts: DPDK $v: FAIL: no source tarball for it"
			total_fail=$((total_fail + 1))
			return
		}
		if [ ! -f "$prefix/.hvnet-build" ]; then
			if [ "$cached_only" = 1 ]; then
				echo "lts: DPDK $v: skipped: not built (devtools/dpdk-build.sh $v builds it)"
				return
			fi
			bash devtools/dpdk-build.sh "$v" >&2 || {
				echo "lts: DPDK $v: FAIL: DPDK build failed"
				total_fail=$((total_fail + 1))
				return
			}
		fi
		pcdir=$(dirname "$(find "$prefix" -name libdpdk.pc -path '*/pkgconfig/*' | head -n 1)")
		full=$(PKG_CONFIG_PATH=$pcdir pkg-config --modversion libdpdk)
		opts=(-Dpkg_config_path="$pcdir")
	fi
	dir="build-lts/$full"
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "${opts[@]}" >/dev/null 2>&1 ||
			{ echo "lts: DPDK $full: FAIL: meson setup (see $dir/meson-logs)"
			  total_fail=$((total_fail + 1)); return; }
	fi
	if ! ninja -C "$dir" >"$dir/ninja.log" 2>&1; then
		tail -n 20 "$dir/ninja.log" >&2
		echo "lts: DPDK $full: FAIL: hvnet does not build without warnings ($dir/ninja.log)"
		total_fail=$((total_fail + 1))
		return
	fi
	rm -f "$dir/meson-logs/testlog.json"
	what=all
	if [ "$quick" = 1 ]; then
		what=quick
		meson test -C "$dir" --no-suite long --print-errorlogs >"$dir/test.log" 2>&1
	else
		meson test -C "$dir" --print-errorlogs >"$dir/test.log" 2>&1
	fi
	if ! read -r ok fl sk < <(testlog_counts "$dir"); then
		echo "lts: DPDK $full: FAIL: no test results ($dir/test.log)"
		total_fail=$((total_fail + 1))
		return
	fi
	if [ "$fl" != 0 ]; then
		grep -E '^ *[0-9]+/[0-9]+ .* (FAIL|TIMEOUT|ERROR) ' "$dir/test.log" | sort -u >&2
		testlog_failures "$dir" >&2
	fi
	total_ok=$((total_ok + ok)) total_fail=$((total_fail + fl)) total_skip=$((total_skip + sk))
	echo "lts: DPDK $full: $ok passed, $fl failed, $sk skipped ($what, $(( $(date +%s) - start )) s," \
		"log $dir/test.log)"
}

for v in "${versions[@]}"; do
	test_version "$v"
done
echo "lts-total: $total_ok $total_fail $total_skip"
[ "$total_fail" = 0 ]

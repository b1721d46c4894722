# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# Sourced by run-main.sh, bench.sh, run-tests.sh and lts-matrix.sh: where a build's pieces are, as
# the guest must load them, and what a meson test run left.

# guest_paths BUILD: sets build (absolute), sim (the simulated host), plugin_args (-d for both
# plugins, from their staging folder: devtools/stage-plugins.sh) and qstate_shim (upstream
# netvsc's test shim, by a name LD_PRELOAD can take: it splits at spaces and colons).
guest_paths() {
	build=$(cd "$1" && pwd) || return 1
	sim="$build/app/test-hvnet/dpdk-test-hvnet"
	local dir
	dir=$(sh "$(dirname "${BASH_SOURCE[0]}")/stage-plugins.sh" --dir "$build") || return 1
	plugin_args=(-d "$dir/librte_bus_hvbus.so" -d "$dir/librte_net_hvnet.so")
	qstate_shim="$build/app/test-hvnet/libhvnet_qstate_shim.so"
	case "$qstate_shim" in
	*[[:space:]:]*)
		guest_tmp=$(mktemp -d)
		trap 'rm -rf "$guest_tmp"' EXIT
		ln -s "$qstate_shim" "$guest_tmp/"
		qstate_shim="$guest_tmp/$(basename "$qstate_shim")"
		;;
	esac
}

# testlog_counts BUILD: "OK FAIL SKIP" of the last 'meson test' run in BUILD (its testlog.json),
# or nothing when there is none.
testlog_counts() {
	local log=$1/meson-logs/testlog.json
	[ -f "$log" ] || return 1
	echo "$(grep -c '"result": "OK"' "$log")" \
		"$(grep -c -E '"result": "(FAIL|TIMEOUT|UNEXPECTEDPASS|ERROR)"' "$log")" \
		"$(grep -c '"result": "SKIP"' "$log")"
}

# testlog_failures BUILD [LINES]: the last LINES (default 40) lines of output of each test that
# failed in the last 'meson test' run in BUILD, for a log that keeps only what is printed.
testlog_failures() {
	local log=$1/meson-logs/testlog.json
	[ -f "$log" ] || return 0
	/usr/bin/python3 - "$log" "${2:-40}" <<'PY'
import json, sys
n = int(sys.argv[2])
for line in open(sys.argv[1], errors="replace"):
    t = json.loads(line)
    if t.get("result") in ("FAIL", "TIMEOUT", "UNEXPECTEDPASS", "ERROR"):
        out = ((t.get("stdout") or "") + (t.get("stderr") or "")).splitlines()
        print("---- %s (%s), last %d lines ----" % (t.get("name"), t.get("result"), n))
        print("\n".join(out[-n:]))
PY
}

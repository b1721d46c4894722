#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The main job: the simulated Hyper-V host with two NICs wired back to back, and Debian's
# dpdk-testpmd forwarding between them, printing live rates (host side every second on
# stderr, testpmd's port statistics every second on stdout). Runs for DURATION seconds
# (default 30; 0 = until Ctrl-C). Installs and builds what it needs first.
#
# DRIVER=hvnet (default) loads hvnet's plugins; DRIVER=netvsc drives the simulated NICs with
# Debian's upstream net_netvsc instead, for comparison.
set -u
umask 022
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
build=${HVNET_BUILD:-build}
duration=${DURATION:-30}
driver=${DRIVER:-hvnet}

[ "$(id -u)" = 0 ] || { echo "run-main: must run as root" >&2; exit 1; }
sh devtools/setup.sh || exit 1
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" >/dev/null || exit 1
fi
ninja -C "$build" >/dev/null || { echo "run-main: build failed" >&2; exit 1; }
. devtools/lib.sh
guest_paths "$build" || exit 1

eal=(--no-huge -m 1024 --iova-mode=va --file-prefix "hvnet-main-$$" -l 0-1)
case "$driver" in
netvsc)
	# Debian's 22.11 netvsc never marks its queues started and testpmd 22.11 then forwards
	# nothing (doc/guides/tools/test-hvnet.rst): the test-only shim reports them started.
	export LD_PRELOAD="$qstate_shim${LD_PRELOAD:+:$LD_PRELOAD}"
	;;
hvnet)
	eal+=("${plugin_args[@]}")
	;;
*)
	echo "run-main: DRIVER must be netvsc or hvnet" >&2
	exit 2
	;;
esac

echo "run-main: 2 simulated NICs wired back to back, testpmd io forwarding over $driver" \
	"for ${duration}s (0 = until Ctrl-C)"
# With --stats-period testpmd runs until SIGINT; timeout(1) sends it, the simulator forwards it.
run=()
[ "$duration" = 0 ] || run=(timeout -s INT -k 30 "$duration")
"${run[@]}" "$sim" sim --nics 2 --wire peer --queues 2 --stats 1 -- \
	dpdk-testpmd "${eal[@]}" -- --forward-mode=io --auto-start --tx-first \
	--stats-period 1 --total-num-mbufs=16384 --txd=1024 --rxd=1024
rc=$?
# 124: timeout(1) ended the run as asked.
[ "$rc" = 124 ] && rc=0
exit "$rc"

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Packets per second per forwarding core, hvnet against Debian's upstream net_netvsc, on the
# same simulated host in the same run: two NICs wired back to back, testpmd io forwarding on
# one lcore, frames circulating from --tx-first bursts.
#
# Two figures per driver: the forwarding rate (bounded by whichever side is slower, and the
# simulated host shares this 2-core machine), and the driver's own cost, from testpmd's
# --record-core-cycles: TSC cycles spent in forwarding iterations that moved packets, per
# packet (rx burst + tx burst + testpmd's loop). "Mpps/core" = TSC MHz / cycles per packet:
# what one core would forward if the host kept up. Also the guest's signals to the host per
# packet moved (from the simulator's summary lines: each costs a hypercall or a monitor-page
# scan on Hyper-V). Options by environment: DURATION (s, default 10), SIZE (frame bytes,
# default 64), QUEUES (default 1), ROUNDS (default 1).
set -u
umask 022
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
build=${HVNET_BUILD:-build}
duration=${DURATION:-10}
size=${SIZE:-64}
queues=${QUEUES:-1}
rounds=${ROUNDS:-1}
sim="$build/app/test-hvnet/dpdk-test-hvnet"

[ "$(id -u)" = 0 ] || { echo "bench: must run as root" >&2; exit 1; }
[ -x "$sim" ] || { echo "bench: build first (meson setup $build && ninja -C $build)" >&2; exit 1; }
. devtools/lib.sh
guest_paths "$build" || exit 1

# One run: prints "<forwarded pps> <cycles per packet> <TSC MHz> <signals per packet>".
run_one() {
	local drv=$1 out pkts cyc sig
	local eal=(--no-huge -m 1024 --iova-mode=va -l 0-1 --file-prefix "hvnet-bench-$$")
	local env=()
	if [ "$drv" = hvnet ]; then
		eal+=("${plugin_args[@]}")
	else
		env=(LD_PRELOAD="$qstate_shim")
	fi
	out=$(env "${env[@]}" timeout -s INT -k 20 "$duration" "$sim" sim --nics 2 --wire peer \
		--queues "$queues" -- dpdk-testpmd "${eal[@]}" -- --forward-mode=io --auto-start \
		--tx-first --stats-period 3600 --record-core-cycles --total-num-mbufs=32768 --rxq="$queues" \
		--txq="$queues" --txpkts="$size" 2>&1 </dev/null)
	pkts=$(printf '%s\n' "$out" | sed -n '/Accumulated forward statistics/,+1p' |
		sed -n 's/.*RX-packets: *\([0-9]*\).*/\1/p' | tail -n 1)
	cyc=$(printf '%s\n' "$out" |
		sed -n 's/.*CPU cycles\/packet=\([0-9.]*\) .* at \([0-9]*\) MHz.*/\1 \2/p' | tail -n 1)
	sig=$(printf '%s\n' "$out" | awk '/hvnet-sim: summary / {
			for (i = 1; i <= NF; i++) { split($i, kv, "=")
				if (kv[1] == "host_signals") s += kv[2]
				if (kv[1] ~ /^(to|from)_guest_frames$/) f += kv[2] } }
		END { printf "%.5f", f ? s / f : 0 }')
	if [ -z "$pkts" ] || [ -z "$cyc" ]; then
		printf '%s\n' "$out" | tail -n 20 >&2
		echo "0 0 0 0"
		return
	fi
	echo "$((pkts / duration)) $cyc $sig"
}

results=""
for ((r = 1; r <= rounds; r++)); do
	for drv in netvsc hvnet; do
		read -r pps cyc mhz sig < <(run_one "$drv")
		results+="$drv $pps $cyc $mhz $sig"$'\n'
		awk -v r="$r" -v d="$drv" -v p="$pps" -v c="$cyc" -v m="$mhz" -v s="$size" \
			-v q="$queues" -v g="$sig" 'BEGIN { printf "round %d %-6s %9.3f Mpps " \
			"forwarded, %7.1f cycles/pkt = %6.2f Mpps/core, %.5f signals/pkt (%d B, " \
			"%d queue(s))\n", r, d, p / 1e6, c, (c > 0 ? m / c : 0), g, s, q }'
	done
done
printf '%s' "$results" | awk '
	{ pps[$1] += $2; cyc[$1] += $3; mhz = $4; sig[$1] += $5; n[$1]++ }
	END {
		for (d in n) { pps[d] /= n[d]; cyc[d] /= n[d]; sig[d] /= n[d] }
		printf "mean   netvsc %9.3f Mpps, %7.1f cycles/pkt, %.5f signals/pkt\n",
			pps["netvsc"] / 1e6, cyc["netvsc"], sig["netvsc"]
		printf "mean   hvnet  %9.3f Mpps, %7.1f cycles/pkt, %.5f signals/pkt\n",
			pps["hvnet"] / 1e6, cyc["hvnet"], sig["hvnet"]
		if (cyc["hvnet"] > 0 && pps["netvsc"] > 0)
			printf "hvnet/netvsc: forwarded %.2fx, per-core %.2fx\n",
				pps["hvnet"] / pps["netvsc"], cyc["netvsc"] / cyc["hvnet"]
	}'
exit 0

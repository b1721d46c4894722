#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Packets per second per forwarding core, hvnet against Debian's upstream net_netvsc, on the
# same simulated host, over a matrix of frame sizes, queue counts and testpmd forwarding
# modes, in one invocation. testpmd forwards on one lcore, the simulated host runs on the other
# core.
#
# Per run and driver: the forwarded rate (bounded by whichever side is slower; the simulated
# host shares this machine), the driver's own cost from testpmd's --record-core-cycles (TSC
# cycles per packet of the forwarding iterations that moved packets; "Mpps/core" = TSC MHz /
# cycles: what one core would do if the host kept up), the guest's signals to the host per
# frame (simulator summary: each is a hypercall or a monitor-page scan on Hyper-V), and
# testpmd's --record-burst-stats (the share of bursts by size, port 0). Rounds alternate
# which driver runs first; the medians of the rounds are compared, and the best rounds (each
# driver's fewest cycles per packet): on a shared VM whole runs land in a slow or a fast
# state (both the host's rate and the guest's cycles, whichever driver runs), so a round's
# ratio can set one driver's slow run against the other's fast one; the best of several runs
# is each driver in the fast state.
#
# Modes: rxonly (one NIC; the host produces frames of 256 flows into it as fast as the guest
# takes them, --rate 0:max:SIZE, and testpmd rxonly counts them), txonly (one NIC; testpmd
# txonly sends, the host consumes and counts, --rate 0:0:SIZE) and io (two NICs wired back to
# back, frames circulating from --tx-first bursts). Per run, the host's own load line: its
# capacity (frames it moved per second of busy time) over the guest's rate is its headroom,
# "host x" in the table: a figure below a few means the host, not the driver, set the pace.
# rxonly and io count only the iterations that moved frames; txonly counts every one, those
# that made frames the full ring would not take included, so a txonly cell the host paced
# (host x below 1.5) measures the host: the table marks its ratio with '*'.
#
# Environment: SIZES (frame bytes with the FCS, default "64 128 512 1518"), QUEUES ("1 2 4 8"),
# MODES ("rxonly txonly io"), ROUNDS (5), DURATION (s per run, 10), OUT (build/bench),
# HVNET_DEVARGS and NETVSC_DEVARGS (device arguments for each driver's NICs, e.g.
# rx_extmbuf_enable=1 to attach received frames instead of copying them; none). Writes
# $OUT/bench.csv (every run), $OUT/median.csv, $OUT/bench.png (Debian's python3-matplotlib, if
# installed) and prints the ratio table. Wall-clock figures: run it on an otherwise idle machine.
set -u
umask 022
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
build=${HVNET_BUILD:-build}
sizes=${SIZES:-"64 128 512 1518"}
queue_list=${QUEUES:-"1 2 4 8"}
modes=${MODES:-"rxonly txonly io"}
rounds=${ROUNDS:-5}
devargs=${HVNET_DEVARGS:-}
netvsc_devargs=${NETVSC_DEVARGS:-}
duration=${DURATION:-10}
out=${OUT:-$build/bench}
sim="$build/app/test-hvnet/dpdk-test-hvnet"

[ "$(id -u)" = 0 ] || { echo "bench: must run as root" >&2; exit 1; }
[ -x "$sim" ] || { echo "bench: build first (meson setup $build && ninja -C $build)" >&2; exit 1; }
# A SIZE counts the FCS, as RFC 2544's 64..1518 do; mbufs and the host's frames do not.
fcs=4
for size in $sizes; do
	n=$size
	case $n in
	*[!0-9]* | '') n=0 ;;
	esac
	[ "$n" -ge 64 ] && [ "$n" -le 1518 ] ||
		{ echo "bench: SIZES: '$size' is not a frame size from 64 to 1518" >&2; exit 1; }
done
. devtools/lib.sh
guest_paths "$build" || exit 1
mkdir -p "$out" || exit 1

# One run: prints "<pps> <cycles/pkt> <TSC MHz> <signals/frame> <rx bursts> <tx bursts>
# <host capacity pps> <host idle %>".
run_one() {
	local drv=$1 mode=$2 size=$3 queues=$4 out pkts cyc sig rxb txb field load
	local len=$((size - fcs))
	local eal=(--no-huge -m 1024 --iova-mode=va -l 0-1 --file-prefix "hvnet-bench-$$")
	local env=() first=() host=() nics=1 i dev
	# txonly counts what was sent; the other modes what was received.
	field=RX
	case $mode in
	io) first=(--tx-first); host=(--nics 2 --wire peer); nics=2 ;;
	rxonly) host=(--nics 1 --wire none --rate "0:max:$len") ;;
	txonly) field=TX; host=(--nics 1 --wire none --rate "0:0:$len") ;;
	esac
	# The simulated host's NIC i is f8615163-0000-4000-8000-0000000000<i, 2 hex digits>;
	# each driver's bus takes device arguments after the NIC's name.
	local bus=vmbus args=$netvsc_devargs
	if [ "$drv" = hvnet ]; then
		eal+=("${plugin_args[@]}")
		bus=hvbus args=$devargs
	else
		env=(LD_PRELOAD="$qstate_shim")
	fi
	if [ -n "$args" ]; then
		for ((i = 0; i < nics; i++)); do
			printf -v dev '%s:f8615163-0000-4000-8000-0000000000%02x,%s' \
				"$bus" "$i" "$args"
			eal+=(-a "$dev")
		done
	fi
	out=$(env "${env[@]}" timeout -s INT -k 20 "$duration" "$sim" sim "${host[@]}" \
		--queues "$queues" -- dpdk-testpmd "${eal[@]}" -- --forward-mode="$mode" \
		--auto-start "${first[@]}" --stats-period 3600 --record-core-cycles \
		--record-burst-stats --total-num-mbufs=32768 --rxq="$queues" --txq="$queues" \
		--txpkts="$len" 2>&1 </dev/null)
	pkts=$(printf '%s\n' "$out" | sed -n '/Accumulated forward statistics/,+3p' |
		sed -n "s/.*$field-packets: *\([0-9]*\).*/\1/p" | tail -n 1)
	cyc=$(printf '%s\n' "$out" |
		sed -n 's/.*CPU cycles\/packet=\([0-9.]*\) .* at \([0-9]*\) MHz.*/\1 \2/p' | tail -n 1)
	sig=$(printf '%s\n' "$out" | awk '/hvnet-sim: summary / {
			for (i = 1; i <= NF; i++) { split($i, kv, "=")
				if (kv[1] == "host_signals") s += kv[2]
				if (kv[1] ~ /^(to|from)_guest_frames$/) f += kv[2] } }
		END { printf "%.5f", f ? s / f : 0 }')
	# "RX-bursts : N [75% of 32 pkts + 25% of others]" for port 0, as one CSV-safe word.
	rxb=$(printf '%s\n' "$out" | sed -n 's/^ *RX-bursts *: *\(.*\)$/\1/p' | head -n 1 |
		tr -d ',' | tr ' ' '_')
	txb=$(printf '%s\n' "$out" | sed -n 's/^ *TX-bursts *: *\(.*\)$/\1/p' | head -n 1 |
		tr -d ',' | tr ' ' '_')
	load=$(printf '%s\n' "$out" | sed -n \
		's/.*hvnet-sim: load .*idle_pct=\([0-9.]*\) .*capacity_pps=\([0-9]*\).*/\2 \1/p' |
		tail -n 1)
	if [ -z "$pkts" ] || [ -z "$cyc" ]; then
		printf '%s\n' "$out" | tail -n 20 >&2
		echo "0 0 0 0 - - 0 0"
		return
	fi
	echo "$((pkts / duration)) $cyc $sig ${rxb:--} ${txb:--} ${load:-0 0}"
}

csv="$out/bench.csv"
{ printf 'mode,size,queues,driver,round,pps,cycles_per_pkt,tsc_mhz,mpps_per_core,'
  echo 'signals_per_frame,rx_bursts,tx_bursts,host_capacity_pps,host_idle_pct'; } > "$csv"
for mode in $modes; do
	case $mode in
	rxonly | txonly | io) ;;
	*) echo "bench: unknown mode $mode (rxonly, txonly, io)" >&2; exit 1 ;;
	esac
	for size in $sizes; do
		for queues in $queue_list; do
			for ((r = 1; r <= rounds; r++)); do
				order="netvsc hvnet"; [ $((r % 2)) = 0 ] && order="hvnet netvsc"
				for drv in $order; do
					read -r pps cyc mhz sig rxb txb cap idle < <(run_one "$drv" \
						"$mode" "$size" "$queues")
					mpc=$(awk -v c="$cyc" -v m="$mhz" \
						'BEGIN { printf "%.3f", (c > 0 ? m / c : 0) }')
					row="$mode,$size,$queues,$drv,$r,$pps,$cyc,$mhz,$mpc,$sig"
					echo "$row,$rxb,$txb,$cap,$idle" >> "$csv"
					printf "%-6s %4s B %s q round %d %-6s %8.3f Mpps, %7.1f cycles/pkt" \
						"$mode" "$size" "$queues" "$r" "$drv" \
						"$(awk -v p="$pps" 'BEGIN { print p / 1e6 }')" "$cyc"
					[ "$mode" = txonly ] && rxb="tx:$txb"
					printf " = %6.2f Mpps/core, %.5f signals/frame, bursts %s," \
						"$mpc" "$sig" "$rxb"
					printf " host %.3f Mpps busy (%.1fx), idle %s%%\n" \
						"$(awk -v c="$cap" 'BEGIN { print c / 1e6 }')" \
						"$(awk -v c="$cap" -v p="$pps" \
							'BEGIN { print (p > 0 ? c / p : 0) }')" "$idle"
				done
			done
		done
	done
done

# Medians per mode, size, queues and driver; then hvnet/netvsc.
awk -F, 'NR > 1 { k = $1 "," $2 "," $3 "," $4; n[k]++; pps[k, n[k]] = $6; mpc[k, n[k]] = $9
		sig[k, n[k]] = $10; hx[k, n[k]] = ($6 > 0 ? $13 / $6 : 0) }
	function median(a, k, c,    i, j, t, v) {
		for (i = 1; i <= c; i++) v[i] = a[k, i]
		for (i = 2; i <= c; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
		return c % 2 ? v[(c + 1) / 2] : (v[c / 2] + v[c / 2 + 1]) / 2
	}
	function best(a, k, c,    i, b) {
		for (i = 1; i <= c; i++) if (a[k, i] > b) b = a[k, i]
		return b
	}
	END {
		for (k in n)
			printf "%s,%d,%.0f,%.3f,%.5f,%.2f,%.3f\n", k, n[k], median(pps, k, n[k]),
				median(mpc, k, n[k]), median(sig, k, n[k]), median(hx, k, n[k]),
				best(mpc, k, n[k])
	}' "$csv" | sort -t, -k1,1 -k2,2n -k3,3n -k4,4 > "$out/median.csv.tmp"
{ printf 'mode,size,queues,driver,rounds,pps,mpps_per_core,signals_per_frame,host_headroom,'
  echo 'best_mpps_per_core'
  cat "$out/median.csv.tmp"; } > "$out/median.csv"
rm -f "$out/median.csv.tmp"

echo
echo "medians of $rounds round(s); ratio = hvnet / netvsc (per core: netvsc cycles / hvnet);"
echo "best = the ratio of each driver's best round (fewest cycles per packet);"
echo "host x = the host's capacity (frames per busy second) / the run's rate: its headroom"
[ -n "$devargs" ] && echo "hvnet's device arguments: $devargs"
[ -n "$netvsc_devargs" ] && echo "netvsc's device arguments: $netvsc_devargs"
awk -F, 'function hx_low(x) { return x > 0 && x < 1.5 }
	NR > 1 { k = $1 "," $2 "," $3; v[k, $4] = $7; f[k, $4] = $6; s[k, $4] = $8
		h[k, $4] = $9; bb[k, $4] = $10
		if (!(k in seen)) { seen[k] = 1; key[++n] = k } }
	END {
		printf "%-7s %5s %3s %11s %11s %7s %6s %9s %9s %6s %9s %9s %7s %7s\n", "mode",
			"size", "q", "netvsc", "hvnet", "ratio", "best", "netvsc", "hvnet", "ratio",
			"sig/frm", "sig/frm", "host x", "host x"
		printf "%-7s %5s %3s %11s %11s %7s %6s %9s %9s %6s %9s %9s %7s %7s\n", "", "B",
			"", "Mpps/core", "Mpps/core", "", "", "fwd Mpps", "fwd Mpps", "", "netvsc",
			"hvnet", "netvsc", "hvnet"
		for (i = 1; i <= n; i++) {
			k = key[i]; split(k, p, ",")
			a = v[k, "netvsc"]; b = v[k, "hvnet"]
			c = f[k, "netvsc"] / 1e6; d = f[k, "hvnet"] / 1e6
			# txonly counts the cycles of frames it made and could not send: when the
			# host sets the pace there, the figure is the pace of the host.
			# A failed run has no capacity (0): not a pace.
			paced = p[1] == "txonly" &&
				(hx_low(h[k, "netvsc"]) || hx_low(h[k, "hvnet"]))
			ba = bb[k, "netvsc"]; bh = bb[k, "hvnet"]
			printf "%-7s %5s %3s %11.2f %11.2f %6.2f%s %6.2f %9.3f %9.3f %6.2f %9.5f" \
				" %9.5f %7.1f %7.1f\n", p[1], p[2], p[3], a, b, (a > 0 ? b / a : 0),
				(paced ? "*" : " "), (ba > 0 ? bh / ba : 0), c, d,
				(c > 0 ? d / c : 0), s[k, "netvsc"], s[k, "hvnet"], h[k, "netvsc"],
				h[k, "hvnet"]
			npaced += paced
		}
		if (npaced)
			print "* txonly paced by the host (host x below 1.5): the cycles of " \
				"testpmd include the frames it made and dropped, so Mpps/core is " \
				"the rate of the host"
	}' "$out/median.csv"
echo "bench: every run in $csv, medians in $out/median.csv"

if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
	/usr/bin/python3 devtools/bench-plot.py "$out/median.csv" "$out/bench.png" &&
		echo "bench: plot in $out/bench.png"
else
	echo "bench: no plot (Debian's python3-matplotlib is not installed: devtools/setup.sh)"
fi
exit 0

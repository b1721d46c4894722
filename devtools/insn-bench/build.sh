# SPDX-License-Identifier: BSD-3-Clause
# Sourced by devtools/insn-bench.sh and devtools/cache-lines.sh (from the top of the tree,
# with die() and $out set): builds one program of devtools/insn-bench/ for one driver, both
# drivers with the same compiler and flags. Upstream's sources are those of Debian's source
# package of the installed DPDK, which devtools/setup.sh keeps in the SDK cache (never in this
# tree). CC: the compiler (default cc).

ver=$(pkg-config --modversion libdpdk) || die "pkg-config does not know libdpdk"
cache=${HVNET_SDK_CACHE:-/var/cache/hvnet}/dpdk-sdk-$ver
up=$cache/upstream
mkdir -p "$out"

# The project's flags (debugoptimized, -D_GNU_SOURCE) and DPDK's.
read -r -a dpdk_cflags <<< "$(pkg-config --cflags libdpdk)"
read -r -a dpdk_libs <<< "$(pkg-config --libs libdpdk)"
bench_flags=(-O2 -g -std=gnu11 -D_GNU_SOURCE -DALLOW_INTERNAL_API -DALLOW_EXPERIMENTAL_API
	-w "${dpdk_cflags[@]}" -I"$cache/include" -Iinclude -Idevtools/insn-bench)
bench_common=(devtools/insn-bench/host.c devtools/insn-bench/setup.c)
bench_hvnet=(-Idrivers/net/hvnet -Idrivers/bus/vmbus devtools/insn-bench/guest_hvnet.c
	drivers/net/hvnet/hvnet_rx.c drivers/net/hvnet/hvnet_tx.c drivers/bus/vmbus/hvbus_ring.c
	drivers/bus/vmbus/hvbus_channel.c drivers/bus/vmbus/hvbus_uio.c
	drivers/bus/vmbus/hvbus_sysfs.c)
bench_netvsc=(-I"$up/drivers/net/netvsc" -I"$up/drivers/bus/vmbus" -I"$up/include"
	devtools/insn-bench/guest_netvsc.c devtools/insn-bench/guest_netvsc_chan.c
	"$up/drivers/net/netvsc/hn_rxtx.c" "$up/drivers/net/netvsc/hn_nvs.c"
	"$up/drivers/bus/vmbus/vmbus_bufring.c" "$up/drivers/bus/vmbus/vmbus_channel.c")
# lines.c names what the drivers allocate: their allocators wrapped, no lazy binding (which
# would write the GOT while it watches the program's data).
bench_lines_ld=(-Wl,-z,now)
for f in rte_malloc rte_zmalloc rte_calloc rte_malloc_socket rte_zmalloc_socket \
	rte_calloc_socket rte_ring_create rte_ring_create_elem rte_memzone_reserve_aligned \
	rte_mempool_create; do
	bench_lines_ld+=(-Wl,--wrap="$f")
done

# Upstream's sources are there (devtools/setup.sh fetched them).
bench_have_upstream() {
	[ -f "$up/drivers/net/netvsc/hn_rxtx.c" ]
}

# bench_build DRIVER main|lines OUTPUT
bench_build() {
	local drv=$1 prog=$2 ld=()
	local guest=bench_$drv[@]

	[ "$drv" = hvnet ] || bench_have_upstream ||
		die "no upstream sources in $up: run devtools/setup.sh (it fetches them)"
	[ "$prog" = main ] || ld=("${bench_lines_ld[@]}")
	"${CC:-cc}" "${bench_flags[@]}" -o "$3" "devtools/insn-bench/$prog.c" \
		"${bench_common[@]}" "${!guest}" "${ld[@]}" "${dpdk_libs[@]}" ||
		die "building $prog.c for $drv failed"
}

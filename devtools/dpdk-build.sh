#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Build a DPDK LTS release from its public source into a cache outside the tree, with the
# driver SDK, shared libraries and what the tests run (testpmd, proc-info, dumpcap, pdump),
# so that hvnet can be built and tested against it. Reuses the cache when it is complete.
#
#   devtools/dpdk-build.sh VERSION      23.11, 24.11, 25.11 (or the full 23.11.7, ...)
#   devtools/dpdk-build.sh --prefix VERSION   print the install prefix (no build)
#
# Sources: the release tarballs in ../shared/dpdk beside the checkout (HVNET_DPDK_SOURCES to
# override), each checked against SHA256SUMS there. Cache: /var/cache/hvnet/dpdk/<version>
# (HVNET_DPDK_CACHE). Build hvnet against it with
#   meson setup build-<version> -Dpkg_config_path=$(devtools/dpdk-build.sh --prefix V)/lib/<triplet>/pkgconfig
# (devtools/lts-matrix.sh does this for every version).
set -u
umask 022
top=$(cd "$(dirname "$0")/.." && pwd)
sources=${HVNET_DPDK_SOURCES:-$top/../shared/dpdk}
cache=${HVNET_DPDK_CACHE:-/var/cache/hvnet/dpdk}
# Only what hvnet's tests need: its bus and NIC neighbours, the upstream netvsc it is compared
# with, the PMDs the simulated host's VF and wires use, pcap for dpdk-pdump, and the apps the
# scenarios run.
DRIVERS="bus/pci,bus/vdev,bus/vmbus,mempool/ring,net/af_packet,net/netvsc,net/null,net/pcap"
DRIVERS="$DRIVERS,net/ring,net/tap"
APPS="test-pmd,proc-info,dumpcap,pdump"

die() {
	echo "dpdk-build: error: $*" >&2
	exit 1
}

# VERSION (short or full) -> the full version of the tarball that provides it.
full_version() {
	local v=$1 f
	for f in "$sources"/dpdk-"$v".tar.xz "$sources"/dpdk-"$v".*.tar.xz; do
		[ -f "$f" ] || continue
		f=${f##*/dpdk-}
		echo "${f%.tar.xz}"
		return 0
	done
	return 1
}

print_prefix=0
if [ "${1:-}" = --prefix ]; then
	print_prefix=1
	shift
fi
[ $# = 1 ] || die "usage: $0 [--prefix] VERSION (23.11, 24.11, 25.11)"
[ -d "$sources" ] || die "no DPDK sources in $sources (set HVNET_DPDK_SOURCES)"
ver=$(full_version "$1") || die "no dpdk-$1*.tar.xz in $sources"
prefix="$cache/$ver/install"
if [ "$print_prefix" = 1 ]; then
	echo "$prefix"
	exit 0
fi
tarball="$sources/dpdk-$ver.tar.xz"
sum=$(grep " dpdk-$ver.tar.xz\$" "$sources/SHA256SUMS" | cut -d ' ' -f 1)
[ -n "$sum" ] || die "dpdk-$ver.tar.xz is not listed in $sources/SHA256SUMS"
stamp="$prefix/.hvnet-build"
want="$sum $DRIVERS $APPS"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
	echo "dpdk-build: DPDK $ver already built in $prefix"
	exit 0
fi

[ "$(id -u)" = 0 ] || [ -w "$cache" ] || die "run as root (the cache is $cache)"
echo "$sum  $tarball" | sha256sum -c --quiet - >/dev/null 2>&1 ||
	die "checksum mismatch for $tarball"
for tool in meson ninja pkg-config gcc xz; do
	command -v "$tool" >/dev/null || die "'$tool' is missing: run devtools/setup.sh first"
done
# DPDK's build runs python scripts that need elftools: Debian's python has it
# (python3-pyelftools), a python earlier on PATH may not.
export PATH="/usr/bin:$PATH"
/usr/bin/python3 -c 'import elftools' 2>/dev/null ||
	die "python3-pyelftools is missing: run devtools/setup.sh first"

# Built and installed (DESTDIR) beside the cache entry, which is replaced only at the end: an
# existing build stays usable meanwhile, and a failed one leaves it as it was.
work="$cache/$ver.new"
log="$cache/$ver.build.log"
rm -rf "$work"
mkdir -p "$work"
echo "dpdk-build: building DPDK $ver into $prefix (log $log)"
start=$(date +%s)
{
	tar -C "$work" -xJf "$tarball" &&
	meson setup "$work/build" "$work/dpdk-$ver" --prefix="$prefix" \
		-Ddefault_library=shared -Denable_driver_sdk=true -Dtests=false \
		-Denable_docs=false -Dexamples= \
		-Denable_apps="$APPS" -Denable_drivers="$DRIVERS" &&
	ninja -C "$work/build" &&
	DESTDIR="$work/dest" meson install -C "$work/build" --quiet
} >"$log" 2>&1 || { tail -n 30 "$log" >&2; rm -rf "$work"; die "build of DPDK $ver failed"; }
echo "$want" > "$work/dest$stamp"
rm -rf "$prefix"
mkdir -p "$(dirname "$prefix")"
mv "$work/dest$prefix" "$prefix"
# Only the install is kept: the sources and objects are 10 times its size.
rm -rf "$work"
echo "dpdk-build: DPDK $ver built in $(( $(date +%s) - start )) s into $prefix"

#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Prepare a Debian 12 machine for building and testing hvnet (idempotent, run as root).
#
# Installs the packages the build, the tests and the tools need, then provides the DPDK
# driver-SDK headers for exactly the installed DPDK version. Debian builds DPDK without
# enable_driver_sdk, so those headers come from Debian's own source package of the same
# version; they are kept in a cache outside the tree and never committed.
set -eu

CACHE=${HVNET_SDK_CACHE:-/var/cache/hvnet}
PKGS="dpdk libdpdk-dev meson ninja-build pkg-config python3 python3-pyelftools libnuma-dev
	gcc libc6-dev dpkg-dev iproute2 iputils-ping tcpdump libpcap-dev"
SDK_HEADERS="lib/eal/include/bus_driver.h lib/eal/include/dev_driver.h
	lib/ethdev/ethdev_driver.h lib/ethdev/ethdev_vdev.h lib/ethdev/ethdev_pci.h
	drivers/bus/pci/bus_pci_driver.h drivers/bus/vdev/bus_vdev_driver.h"

die() {
	echo "setup: error: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "run as root (apt-get and the source package need it)"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup: installing:$missing"
	apt-get update -q >/dev/null || die "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null ||
		die "apt-get install failed for:$missing"
fi

ver=$(dpkg-query -W -f='${Version}' libdpdk-dev) || die "libdpdk-dev is not installed"
upver=$(pkg-config --modversion libdpdk) || die "pkg-config does not know libdpdk"
incdir=$(pkg-config --variable=includedir libdpdk)

# A DPDK built with the driver SDK already ships the headers: nothing to fetch.
if [ -f "$incdir/ethdev_driver.h" ] || [ -f "$incdir/dpdk/ethdev_driver.h" ]; then
	echo "setup: installed DPDK $upver ships the driver SDK headers"
	exit 0
fi

sdk="$CACHE/dpdk-sdk-$upver"
if [ -f "$sdk/.version" ] && [ "$(cat "$sdk/.version")" = "$ver" ]; then
	echo "setup: driver SDK headers for DPDK $ver in $sdk"
	exit 0
fi

# Same suites as the binary packages, source only; never another release.
codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
[ "$codename" = bookworm ] || die "expected Debian bookworm, found '$codename'"
srclist=/etc/apt/sources.list.d/hvnet-deb-src.sources
if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ &&
   ! grep -qs '^deb-src' /etc/apt/sources.list; then
	cat > "$srclist" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	apt-get update -q >/dev/null || die "apt-get update (deb-src) failed"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get source -q --download-only "dpdk=$ver" >/dev/null 2>&1) ||
	die "Debian's source package dpdk=$ver is not available: cannot provide the driver SDK headers"
(cd "$work" && dpkg-source -x dpdk_*.dsc src >/dev/null 2>&1) || die "cannot unpack dpdk=$ver"
srcver=$(sed -n "s/^Version: //p" "$work"/dpdk_*.dsc | head -n 1)
[ "$srcver" = "$ver" ] || die "source package version $srcver differs from installed $ver"

rm -rf "$sdk.tmp"
mkdir -p "$sdk.tmp/include"
for h in $SDK_HEADERS; do
	[ -f "$work/src/$h" ] || die "$h missing from dpdk=$ver source"
	cp "$work/src/$h" "$sdk.tmp/include/"
done
echo "$ver" > "$sdk.tmp/.version"
rm -rf "$sdk"
mv "$sdk.tmp" "$sdk"
echo "setup: driver SDK headers for DPDK $ver in $sdk"
